package dev.s3c.gateway.invoke;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.s3c.contracts.ErrorType;
import dev.s3c.contracts.ExecutionError;
import dev.s3c.contracts.ExecutionStatus;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.executions.ExecutionView;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.springframework.http.ResponseEntity;

class FunctionUrlAnswerTest {

    private static final String EXECUTION = "0190f4b2-0000-7000-8000-000000000001";
    private static final String HOME = "/fn/65f0c0ffee0000000000beef";

    @Test
    void aResponseObjectIsTheAnswer() {
        ResponseEntity<byte[]> answer = of(succeeded("""
                {"statusCode": 201, "headers": {"Content-Type": "text/html", "X-Many": ["a", 2, true],
                 "Content-Length": "999", "Connection": "close"}, "body": "<p>hi</p>"}"""));

        assertThat(answer.getStatusCode().value()).isEqualTo(201);
        assertThat(answer.getHeaders().getFirst("Content-Type")).isEqualTo("text/html");
        assertThat(answer.getHeaders().get("X-Many")).containsExactly("a", "2", "true");
        // framing is the web server's
        assertThat(answer.getHeaders().containsHeader("Content-Length")).isFalse();
        assertThat(answer.getHeaders().containsHeader("Connection")).isFalse();
        assertThat(new String(answer.getBody(), StandardCharsets.UTF_8)).isEqualTo("<p>hi</p>");
        assertThat(answer.getHeaders().getFirst("Content-Security-Policy")).startsWith("sandbox");
        assertThat(answer.getHeaders().getFirst("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(answer.getHeaders().getFirst(FunctionUrlAnswer.EXECUTION_HEADER)).isEqualTo(EXECUTION);
    }

    @Test
    void whatTheFunctionCanNotTakeAwayStays() {
        ResponseEntity<byte[]> answer = of(succeeded("""
                {"statusCode": 200, "headers": {"Content-Security-Policy": "default-src 'self'",
                 "X-Content-Type-Options": "sniff", "X-S3C-Execution-Id": "another"}}"""));
        // both policies hold (a browser enforces each); the sandbox is not replaced
        assertThat(answer.getHeaders().get("Content-Security-Policy")).containsExactly("default-src 'self'",
                FunctionUrlAnswer.SANDBOX);
        assertThat(answer.getHeaders().get("X-Content-Type-Options")).containsExactly("nosniff");
        assertThat(answer.getHeaders().get(FunctionUrlAnswer.EXECUTION_HEADER)).containsExactly(EXECUTION);
    }

    @Test
    void cookiesStayWithTheFunctionsUrl() {
        ResponseEntity<byte[]> answer = of(succeeded("""
                {"statusCode": 200, "headers": {"Set-Cookie": ["a=1", "b=2; Path=%s/x; HttpOnly", "c=3; Path=%s"]}}"""
                .formatted(HOME, HOME)));
        assertThat(answer.getHeaders().get("Set-Cookie")).containsExactly("a=1; Path=" + HOME,
                "b=2; Path=" + HOME + "/x; HttpOnly", "c=3; Path=" + HOME);
        assertMalformed("{\"statusCode\": 200, \"headers\": {\"Set-Cookie\": \"a=1; Path=/\"}}", "headers.Set-Cookie");
        assertMalformed("{\"statusCode\": 200, \"headers\": {\"Set-Cookie\": \"a=1; Path=" + HOME + "x\"}}",
                "headers.Set-Cookie");
        assertMalformed("{\"statusCode\": 200, \"headers\": {\"Set-Cookie\": \"a=1; Domain=localhost\"}}",
                "headers.Set-Cookie");
        assertMalformed("{\"statusCode\": 200, \"headers\": {\"set-cookie\": \"s3c_key=x\"}}", "headers.set-cookie");
        assertMalformed("{\"statusCode\": 200, \"headers\": {\"Set-Cookie\": \"novalue\"}}", "headers.Set-Cookie");
        // attribute names in any case, each Path checked, and a second spelling of the header name checked too
        assertMalformed("{\"statusCode\": 200, \"headers\": {\"Set-Cookie\": \"a=1; PATH=/\"}}", "headers.Set-Cookie");
        assertMalformed("{\"statusCode\": 200, \"headers\": {\"Set-Cookie\": \"a=1; Path=" + HOME + "; Path=/\"}}",
                "headers.Set-Cookie");
        assertMalformed("{\"statusCode\": 200, \"headers\": {\"Set-Cookie\": \"a=1\", \"SET-COOKIE\": "
                + "\"b=1; domain=x\"}}", "headers.SET-COOKIE");
    }

    @Test
    void headersThatActOnTheWholeHostAreRefused() {
        assertMalformed("{\"statusCode\": 200, \"headers\": {\"Clear-Site-Data\": \"\\\"cookies\\\"\"}}",
                "headers.Clear-Site-Data");
        assertMalformed("{\"statusCode\": 200, \"headers\": {\"Strict-Transport-Security\": \"max-age=1\"}}",
                "headers.Strict-Transport-Security");
    }

    @Test
    void anyOtherResultIsA200OfJson() {
        ResponseEntity<byte[]> answer = of(succeeded("{\"hello\": \"Ada\"}"));
        assertThat(answer.getStatusCode().value()).isEqualTo(200);
        assertThat(answer.getHeaders().getContentType().toString()).isEqualTo("application/json");
        assertThat(new String(answer.getBody(), StandardCharsets.UTF_8)).isEqualTo("{\"hello\":\"Ada\"}");

        assertThat(new String(of(succeeded("null")).getBody(), StandardCharsets.UTF_8))
                .isEqualTo("null");
        assertThat(new String(of(succeeded("[1,2]")).getBody(), StandardCharsets.UTF_8))
                .isEqualTo("[1,2]");
    }

    @Test
    void bodiesByKind() {
        ResponseEntity<byte[]> text = of(succeeded("{\"statusCode\": 200, \"body\": \"plain\"}"));
        assertThat(text.getHeaders().getContentType().toString()).isEqualTo("text/plain;charset=UTF-8");

        ResponseEntity<byte[]> json = of(succeeded("{\"statusCode\": 200, \"body\": {\"a\": 1}}"));
        assertThat(json.getHeaders().getContentType().toString()).isEqualTo("application/json");
        assertThat(new String(json.getBody(), StandardCharsets.UTF_8)).isEqualTo("{\"a\":1}");

        ResponseEntity<byte[]> empty = of(succeeded("{\"statusCode\": 204, \"body\": \"dropped\"}"));
        assertThat(empty.getStatusCode().value()).isEqualTo(204);
        assertThat(empty.getBody()).isEmpty();

        ResponseEntity<byte[]> bytes = of(succeeded(
                "{\"statusCode\": 200, \"body\": \"iVBO\\nRwA=\", \"isBase64Encoded\": true}"));
        assertThat(bytes.getBody()).containsExactly((byte) 0x89, 'P', 'N', 'G', 0);
        assertThat(bytes.getHeaders().getContentType().toString()).isEqualTo("application/octet-stream");
    }

    @Test
    void anAnswerThatIsNotHttpIsA502NamingWhatIsWrong() {
        assertMalformed("{\"statusCode\": 99}", "statusCode");
        assertMalformed("{\"statusCode\": \"200\"}", "statusCode");
        assertMalformed("{\"statusCode\": 200, \"headers\": []}", "headers");
        assertMalformed("{\"statusCode\": 200, \"headers\": {\"Bad Name\": \"x\"}}", "headers.Bad Name");
        assertMalformed("{\"statusCode\": 200, \"headers\": {\"X-A\": \"line\\r\\nSet-Cookie: a=b\"}}", "headers.X-A");
        assertMalformed("{\"statusCode\": 200, \"headers\": {\"X-A\": {\"no\": 1}}}", "headers.X-A");
        assertMalformed("{\"statusCode\": 200, \"headers\": {\"Content-Type\": \"nope\"}}", "headers.Content-Type");
        assertMalformed("{\"statusCode\": 200, \"headers\": {\"Content-Type\": []}}", "headers.Content-Type");
        assertMalformed("{\"statusCode\": 200, \"headers\": {\"Content-Type\": [\"text/html\", \"text/css\"]}}",
                "headers.Content-Type");
        assertMalformed("{\"statusCode\": 200, \"headers\": {\"Content-Type\": \"text/*\"}}", "headers.Content-Type");
        assertMalformed("{\"statusCode\": 200, \"headers\": {\"Content-Type\": \"text/html\", \"content-type\": "
                + "\"text/plain\"}}", "headers.Content-Type");
        assertMalformed("{\"statusCode\": 200, \"headers\": {\"Set-Cookie\": [\"a=1\", \"s3c_key=x; Path=/\"]}}",
                "headers.Set-Cookie");
        assertMalformed("{\"statusCode\": 200, \"body\": \"%%%\", \"isBase64Encoded\": true}", "body");
        assertMalformed("{\"statusCode\": 200, \"body\": [1], \"isBase64Encoded\": true}", "body");
    }

    @Test
    void aFailedRunIsA502AndATimeoutA504NamingTheExecutionNotTheError() {
        ExecutionView failed = new ExecutionView(EXECUTION, "f", 1L, ExecutionStatus.FAILED, null, null,
                new ExecutionError(ErrorType.USER_ERROR, "Error", "secret detail", 1, 1, null), null, 1L, 1, null,
                false, null, null, null, null, 0);
        assertThatThrownBy(() -> of(failed)).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status().value()).isEqualTo(502);
            assertThat(e.getMessage()).contains("user_error", EXECUTION).doesNotContain("secret detail");
            assertThat(e.headers()).containsEntry(FunctionUrlAnswer.EXECUTION_HEADER, EXECUTION);
        });
        ExecutionView timedOut = new ExecutionView(EXECUTION, "f", 1L, ExecutionStatus.TIMED_OUT, null, null,
                new ExecutionError(ErrorType.TIMEOUT, "TimeoutError", "ran 100 ms", null, null, null), null, 1L, 1,
                null, false, null, null, null, null, 0);
        assertThatThrownBy(() -> of(timedOut)).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.status().value()).isEqualTo(504));
    }

    private static void assertMalformed(String output, String field) {
        assertThatThrownBy(() -> of(succeeded(output))).as(output)
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status().value()).isEqualTo(502);
                    assertThat(e.errors()).extracting(error -> error.field()).containsExactly(field);
                    assertThat(e.headers()).containsEntry(FunctionUrlAnswer.EXECUTION_HEADER, EXECUTION);
                });
    }

    private static ResponseEntity<byte[]> of(ExecutionView view) {
        return FunctionUrlAnswer.of(view, HOME);
    }

    private static ExecutionView succeeded(String output) {
        return new ExecutionView(EXECUTION, "f", 1L, ExecutionStatus.SUCCEEDED, null, JsonCodec.readTree(output), null,
                null, 1L, 1, null, false, null, null, null, null, 0);
    }
}
