package dev.s3c.gateway.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import tools.jackson.databind.node.ObjectNode;

class FunctionUrlEventTest {

    private static final String ID = "65f0c0ffee0000000000beef";

    @Test
    void theRequestIsTheInputWithTheConsolesSessionLeftOut() {
        MockServerHttpRequest request = MockServerHttpRequest.post("/fn/" + ID + "/orders/7?name=Ada&x=1&x=2&flag")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("X-Custom", "a", "b")
                .header("Cookie", "theme=dark; s3c_key=token", "s3c_key=again; lang=en")
                .header("Authorization", "Bearer the-functions-own")
                .body("a=1&b=%C3%A9");

        ObjectNode event = FunctionUrlEvent.of(request, request.getQueryParams(),
                "a=1&b=%C3%A9".getBytes(StandardCharsets.UTF_8), false);

        assertThat(event.get("method").asString()).isEqualTo("POST");
        assertThat(event.get("path").asString()).isEqualTo("/orders/7");
        assertThat(event.get("rawQuery").asString()).isEqualTo("name=Ada&x=1&x=2&flag");
        // a name without a value is the empty string
        assertThat(event.get("query").toString()).isEqualTo("{\"name\":\"Ada\",\"x\":\"1,2\",\"flag\":\"\"}");
        assertThat(event.get("headers").get("x-custom").asString()).isEqualTo("a,b");
        assertThat(event.get("headers").get("cookie").asString()).isEqualTo("theme=dark; lang=en");
        // a public URL passes the caller's own Authorization on: it is not one of the platform's keys
        assertThat(event.get("headers").get("authorization").asString()).isEqualTo("Bearer the-functions-own");
        assertThat(event.get("body").asString()).isEqualTo("a=1&b=%C3%A9");
        assertThat(event.get("isBase64Encoded").asBoolean()).isFalse();
    }

    @Test
    void aKeyedUrlLeavesTheKeyOutAndOnlyTheSessionCookieGoesNoCookieHeaderIsLeft() {
        MockServerHttpRequest request = MockServerHttpRequest.get("/fn/" + ID)
                .header("Authorization", "Bearer s3c_platform_key").header("Cookie", "s3c_key=token").build();

        ObjectNode event = FunctionUrlEvent.of(request, request.getQueryParams(), null, true);

        assertThat(event.get("path").asString()).isEqualTo("/");
        assertThat(event.get("rawQuery").asString()).isEmpty();
        assertThat(event.get("headers").has("authorization")).isFalse();
        assertThat(event.get("headers").has("cookie")).isFalse();
        assertThat(event.get("body").asString()).isEmpty();
        assertThat(event.get("isBase64Encoded").asBoolean()).isFalse();
    }

    @Test
    void thePathIsWhatFollowsTheIdAsSentAlsoWhenTheIdWasPercentEncoded() {
        String encodedId = ID.substring(0, 23) + "%66";
        MockServerHttpRequest request = MockServerHttpRequest.method(org.springframework.http.HttpMethod.GET,
                java.net.URI.create("http://localhost/fn/" + encodedId + "/a%20b/")).build();
        assertThat(FunctionUrlEvent.of(request, request.getQueryParams(), null, false).get("path").asString())
                .isEqualTo("/a%20b/");
        MockServerHttpRequest slash = MockServerHttpRequest.get("/fn/" + ID + "/").build();
        assertThat(FunctionUrlEvent.of(slash, slash.getQueryParams(), null, false).get("path").asString())
                .isEqualTo("/");
    }

    @Test
    void bytesThatAreNotTextGoInBase64() {
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', 0};
        MockServerHttpRequest binary = MockServerHttpRequest.put("/fn/" + ID + "/img")
                .header("Content-Type", "image/png").build();
        ObjectNode event = FunctionUrlEvent.of(binary, binary.getQueryParams(), png, false);
        assertThat(event.get("body").asString()).isEqualTo("iVBORwA=");
        assertThat(event.get("isBase64Encoded").asBoolean()).isTrue();

        // declared as text but not UTF-8: base64 too, never a mangled string
        MockServerHttpRequest latin1 = MockServerHttpRequest.post("/fn/" + ID)
                .header("Content-Type", "text/plain; charset=ISO-8859-1").build();
        ObjectNode bad = FunctionUrlEvent.of(latin1, latin1.getQueryParams(), new byte[] {(byte) 0xe9},
                false);
        assertThat(bad.get("isBase64Encoded").asBoolean()).isTrue();
        assertThat(bad.get("body").asString()).isEqualTo("6Q==");
    }

    @Test
    void textualTypes() {
        for (String type : List.of("text/csv", "application/json", "application/vnd.api+json", "application/xml",
                "image/svg+xml", "application/x-www-form-urlencoded", "application/javascript")) {
            var headers = new org.springframework.http.HttpHeaders();
            headers.set("Content-Type", type);
            assertThat(FunctionUrlEvent.textual(headers)).as(type).isTrue();
        }
        for (String type : List.of("application/octet-stream", "image/png", "multipart/form-data; boundary=x",
                "not a type")) {
            var headers = new org.springframework.http.HttpHeaders();
            headers.set("Content-Type", type);
            assertThat(FunctionUrlEvent.textual(headers)).as(type).isFalse();
        }
    }
}
