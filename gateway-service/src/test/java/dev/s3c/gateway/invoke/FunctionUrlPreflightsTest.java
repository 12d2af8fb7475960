package dev.s3c.gateway.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.cors.reactive.CorsUtils;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

class FunctionUrlPreflightsTest {

    private final FunctionUrlPreflights filter = new FunctionUrlPreflights();

    private ServerWebExchange passed(MockServerHttpRequest.BaseBuilder<?> request) {
        AtomicReference<ServerWebExchange> seen = new AtomicReference<>();
        filter.filter(MockServerWebExchange.from(request), exchange -> {
            seen.set(exchange);
            return Mono.empty();
        }).block();
        return seen.get();
    }

    @Test
    void aFunctionUrlsPreflightGoesOnAsAPlainOptionsWithItsMethodKept() {
        ServerWebExchange seen = passed(MockServerHttpRequest.options("/fn/65f0c0ffee0000000000beef/orders")
                .header("Origin", "https://elsewhere.test").header("Access-Control-Request-Method", "PUT"));
        assertThat(CorsUtils.isPreFlightRequest(seen.getRequest())).isFalse();
        assertThat(seen.getRequest().getHeaders().getOrigin()).isEqualTo("https://elsewhere.test");
        assertThat((String) seen.getAttribute(FunctionUrlPreflights.REQUESTED_METHOD)).isEqualTo("PUT");
    }

    @Test
    void theApisPreflightsStaySpringsToAnswer() {
        ServerWebExchange seen = passed(MockServerHttpRequest.options("/api/functions")
                .header("Origin", "https://elsewhere.test").header("Access-Control-Request-Method", "POST"));
        assertThat(CorsUtils.isPreFlightRequest(seen.getRequest())).isTrue();
        assertThat((String) seen.getAttribute(FunctionUrlPreflights.REQUESTED_METHOD)).isNull();
    }
}
