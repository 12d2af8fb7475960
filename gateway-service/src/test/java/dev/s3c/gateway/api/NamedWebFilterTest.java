package dev.s3c.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.web.server.WebFilter;

class NamedWebFilterTest {

    /** Spring's filter chain asks every filter for its name on every request: the same string each time, no new one. */
    @Test
    void theGatewaysFiltersNameThemselvesWithoutMakingAString() {
        List<WebFilter> filters = List.of(new ApiAnswersNotStored(), new BrowserOrigins(), new RequestLog(),
                new GatewayDrain(Duration.ZERO), new ContextHold());
        assertThat(filters).extracting(Object::toString)
                .containsExactly("ApiAnswersNotStored", "BrowserOrigins", "RequestLog", "GatewayDrain", "ContextHold");
        for (WebFilter filter : filters) {
            assertThat(filter.toString()).isSameAs(filter.toString());
        }
    }
}
