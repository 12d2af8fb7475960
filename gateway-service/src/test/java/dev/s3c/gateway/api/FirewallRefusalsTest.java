package dev.s3c.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.security.web.server.firewall.ServerExchangeRejectedException;
import org.springframework.security.web.server.firewall.StrictServerWebExchangeFirewall;

class FirewallRefusalsTest {

    /**
     * A header first read in routing or by a handler's argument (Content-Type, Idempotency-Key) is refused there: the
     * API's 400 naming it, not a 500 whose log line holds the refused value.
     */
    @Test
    void aHeaderRefusedAfterTheSecurityChainIsA400NamingIt() {
        MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest
                .post("http://localhost:8080/api/functions/x/execute").header("Idempotency-Key", "key\u0085"));
        ServerExchangeRejectedException refused = null;
        try {
            new StrictServerWebExchangeFirewall().getFirewalledExchange(exchange).block().getRequest().getHeaders()
                    .getFirst("Idempotency-Key");
        } catch (ServerExchangeRejectedException e) {
            refused = e;
        }
        assertThat(refused).isNotNull();
        ResponseEntity<ApiError> answer = new ApiErrorHandler().refused(refused, exchange);
        assertThat(answer.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(answer.getBody().errors()).containsExactly(
                new FieldError("Idempotency-Key", "header value holds a control or unassigned character"));
        assertThat(answer.getBody().message()).doesNotContain("key\u0085");
    }

    @Test
    void aMethodOrAPathIsNamedAndAnythingElseIsTheRequest() {
        assertThat(FirewallRefusals.errorOf("The request was rejected because the HTTP method \"FOO\" was not "
                + "included within the list of allowed HTTP methods [GET]").field()).isEqualTo("method");
        assertThat(FirewallRefusals.errorOf("The request was rejected because the URL was not normalized").field())
                .isEqualTo("path");
        assertThat(FirewallRefusals.errorOf("something else").field()).isEqualTo("request");
    }
}
