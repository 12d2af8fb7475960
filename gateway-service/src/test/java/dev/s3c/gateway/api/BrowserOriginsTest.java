package dev.s3c.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.s3c.contracts.JsonCodec;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

class BrowserOriginsTest {

    private static final String API = "http://localhost:8080";
    private final BrowserOrigins filter = new BrowserOrigins();

    /** Whether the request reached the handlers; a refused one is left in {@code exchange}'s response. */
    private boolean passes(MockServerWebExchange exchange) {
        AtomicBoolean passed = new AtomicBoolean();
        filter.filter(exchange, e -> {
            passed.set(true);
            return Mono.empty();
        }).block();
        return passed.get();
    }

    private boolean passes(MockServerHttpRequest.BaseBuilder<?> request) {
        return passes(MockServerWebExchange.from(request));
    }

    @Test
    void callersThatAreNotBrowsersAndTheConsoleItselfPass() {
        assertThat(passes(MockServerHttpRequest.post(API + "/api/functions"))).isTrue();
        assertThat(passes(MockServerHttpRequest.post(API + "/api/functions").header("Origin", API))).isTrue();
        assertThat(passes(MockServerHttpRequest.delete(API + "/api/functions/x").header("Origin", API)
                .header("Sec-Fetch-Site", "same-origin"))).isTrue();
        assertThat(passes(MockServerHttpRequest.get(API + "/api/metrics/live").header("Origin", API)
                .header("Upgrade", "websocket"))).isTrue();
    }

    @Test
    void aPageOnAnotherOriginCanNotChangeAnythingNorListen() {
        MockServerWebExchange post = MockServerWebExchange.from(MockServerHttpRequest
                .post(API + "/api/functions/0123456789abcdef01234567/execute").header("Origin", "http://evil.test"));
        assertThat(passes(post)).isFalse();
        assertThat(post.getResponse().getStatusCode()).isEqualTo(HttpStatus.FORBIDDEN);
        JsonNode body = JsonCodec.readTree(post.getResponse().getBodyAsString().block());
        assertThat(body.get("status").asInt()).isEqualTo(403);
        assertThat(body.get("errors").get(0).get("field").asString()).isEqualTo("Origin");
        assertThat(body.get("message").asString()).contains("other web origins");

        assertThat(passes(MockServerHttpRequest.delete(API + "/api/functions/x").header("Origin", "http://evil.test")))
                .isFalse();
        assertThat(passes(MockServerHttpRequest.put(API + "/api/functions/x").header("Origin", "null"))).isFalse();
        // a different port of the same host is another origin
        assertThat(passes(MockServerHttpRequest.post(API + "/api/functions").header("Origin", "http://localhost:3000")))
                .isFalse();
        // WebSockets are not subject to CORS: the handshake is refused, not only the reading
        assertThat(passes(MockServerHttpRequest.get(API + "/api/metrics/live").header("Origin", "http://evil.test")
                .header("Upgrade", "websocket"))).isFalse();
        // a browser that names no origin but says the page is another site's
        assertThat(passes(MockServerHttpRequest.post(API + "/api/functions").header("Sec-Fetch-Site", "cross-site")))
                .isFalse();
    }

    @Test
    void aFunctionUrlMayBeCalledFromAnyPage() {
        // what it is for (a form posting to it); it never acts as a signed-in developer: no cookie is a key there
        assertThat(passes(MockServerHttpRequest.post(API + "/fn/65f0c0ffee0000000000beef/hook")
                .header("Origin", "http://elsewhere.test"))).isTrue();
        assertThat(passes(MockServerHttpRequest.post(API + "/fnx").header("Origin", "http://elsewhere.test")))
                .isFalse();
    }

    @Test
    void readsStayOpen() {
        // the browser keeps a foreign page from reading the answer; the API does not need to refuse it
        assertThat(passes(MockServerHttpRequest.get(API + "/api/functions").header("Origin", "http://evil.test")))
                .isTrue();
        // a CORS preflight changes nothing: without CORS allowed here, the browser then sends nothing
        assertThat(passes(MockServerHttpRequest.options(API + "/api/functions").header("Origin", "http://evil.test")
                .header("Access-Control-Request-Method", "POST"))).isTrue();
    }
}
