package dev.s3c.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;

class ApiAnswersNotStoredTest {

    private final ApiAnswersNotStored filter = new ApiAnswersNotStored();

    /** The Cache-Control of the answer to a GET of {@code path}, whose handler sets {@code own} (or nothing). */
    private String cacheControl(String path, String own) {
        var exchange = MockServerWebExchange.from(MockServerHttpRequest.get("http://localhost:8080" + path));
        filter.filter(exchange, e -> {
            if (own != null) {
                e.getResponse().getHeaders().setCacheControl(own);
            }
            return e.getResponse().setComplete();
        }).block();
        return exchange.getResponse().getHeaders().getFirst(HttpHeaders.CACHE_CONTROL);
    }

    @Test
    void apiAnswersAreNotStoredButTheConsolesFilesAndTheApiDescriptionKeepTheirOwn() {
        assertThat(cacheControl("/api/functions/abc", null)).isEqualTo("no-store");
        assertThat(cacheControl("/api/executions/x", null)).isEqualTo("no-store");
        assertThat(cacheControl("/api/functions", "max-age=60")).isEqualTo("max-age=60");
        assertThat(cacheControl("/console/app.js", null)).isNull();
        assertThat(cacheControl("/api/openapi", null)).isNull();
        assertThat(cacheControl("/api/docs/index.html", null)).isNull();
    }
}
