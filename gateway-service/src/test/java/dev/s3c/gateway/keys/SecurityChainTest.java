package dev.s3c.gateway.keys;

import static org.assertj.core.api.Assertions.assertThat;

import dev.s3c.contracts.JsonCodec;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.security.web.server.MatcherSecurityWebFilterChain;
import org.springframework.security.web.server.WebFilterChainProxy;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatchers;
import org.springframework.web.server.WebFilter;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/** Spring Security's own filter-chain proxy with the gateway's firewall, refusal answers and chain decorator. */
class SecurityChainTest {

    private static final String API = "http://localhost:8080";
    private final List<String> ran = new CopyOnWriteArrayList<>();

    private WebFilter filter(String name) {
        return (exchange, chain) -> {
            ran.add(name + ":" + exchange.getRequest().getHeaders().getFirst(HttpHeaders.AUTHORIZATION));
            return chain.filter(exchange);
        };
    }

    private MockServerWebExchange call(MockServerHttpRequest.BaseBuilder<?> request, WebFilter... filters) {
        WebFilterChainProxy proxy = new WebFilterChainProxy(
                new MatcherSecurityWebFilterChain(ServerWebExchangeMatchers.anyExchange(), List.of(filters)));
        ApiSecurity.configure(proxy);
        MockServerWebExchange exchange = MockServerWebExchange.from(request);
        proxy.filter(exchange, e -> {
            ran.add("handler");
            return Mono.empty();
        }).block();
        return exchange;
    }

    @Test
    void theSecurityFiltersRunInOrderAndThenTheRestOfTheApplicationsChain() {
        call(MockServerHttpRequest.get(API + "/api/functions").header(HttpHeaders.AUTHORIZATION, "Bearer k"),
                filter("first"), filter("second"));
        assertThat(ran).containsExactly("first:Bearer k", "second:Bearer k", "handler");
    }

    @Test
    void aFilterThatAnswersItselfEndsTheChainAndNothingRunsBeforeItIsSubscribed() {
        WebFilter refuses = (exchange, chain) -> {
            ran.add("refuses");
            exchange.getResponse().setStatusCode(HttpStatus.UNAUTHORIZED);
            return exchange.getResponse().setComplete();
        };
        MockServerWebExchange exchange = call(MockServerHttpRequest.get(API + "/api/functions"), filter("first"),
                refuses, filter("never"));
        assertThat(ran).containsExactly("first:null", "refuses");
        assertThat(exchange.getResponse().getStatusCode()).isEqualTo(HttpStatus.UNAUTHORIZED);

        ran.clear();
        new SecurityFilterChainWithoutCheckpoints().decorate(e -> {
            ran.add("handler");
            return Mono.empty();
        }, List.of(filter("lazy"))).filter(MockServerWebExchange.from(MockServerHttpRequest.get(API)));
        assertThat(ran).isEmpty();
    }

    @Test
    void aHeaderValueWithAControlCharacterIsA400NamingTheHeaderWithoutRepeatingIt() {
        MockServerWebExchange exchange = call(MockServerHttpRequest.get(API + "/api/functions")
                .header(HttpHeaders.AUTHORIZATION, "Bearer s3c_secret\u0085"), filter("first"));
        assertThat(ran).doesNotContain("handler");
        assertThat(exchange.getResponse().getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        String text = exchange.getResponse().getBodyAsString().block();
        assertThat(text).doesNotContain("s3c_secret");
        JsonNode body = JsonCodec.readTree(text);
        assertThat(body.get("status").asInt()).isEqualTo(400);
        assertThat(body.get("errors").get(0).get("field").asString()).isEqualTo("Authorization");
        assertThat(body.get("errors").get(0).get("reason").asString())
                .isEqualTo("header value holds a control or unassigned character");
    }

    @Test
    void aPathThatIsNotNormalizedIsA400NamingThePath() {
        MockServerWebExchange exchange = call(MockServerHttpRequest.get(API + "/api/../functions"), filter("first"));
        assertThat(ran).isEmpty();
        assertThat(exchange.getResponse().getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        JsonNode body = JsonCodec.readTree(exchange.getResponse().getBodyAsString().block());
        assertThat(body.get("errors").get(0).get("field").asString()).isEqualTo("path");
    }

    @Test
    void aHeaderNameOrAQueryParameterNameWithAControlCharacterIsA400NamingIt() {
        WebFilter readsHeaderNames = (exchange, chain) -> {
            exchange.getRequest().getHeaders().headerNames();
            return chain.filter(exchange);
        };
        MockServerWebExchange header = call(MockServerHttpRequest.get(API + "/api/functions").header("X-\u0085", "1"),
                readsHeaderNames);
        assertThat(header.getResponse().getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        JsonNode error = JsonCodec.readTree(header.getResponse().getBodyAsString().block()).get("errors").get(0);
        assertThat(error.get("field").asString()).isEqualTo("X-\u0085");
        assertThat(error.get("reason").asString()).isEqualTo("header name holds a control or unassigned character");

        WebFilter readsQuery = (exchange, chain) -> {
            exchange.getRequest().getQueryParams();
            return chain.filter(exchange);
        };
        MockServerWebExchange query = call(MockServerHttpRequest.method(HttpMethod.GET,
                java.net.URI.create(API + "/api/functions?a%01=1")), readsQuery);
        assertThat(query.getResponse().getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        error = JsonCodec.readTree(query.getResponse().getBodyAsString().block()).get("errors").get(0);
        assertThat(error.get("field").asString()).isEqualTo("a\u0001");
        assertThat(error.get("reason").asString()).isEqualTo("query parameter name holds a control or unassigned character");
        assertThat(ran).doesNotContain("handler");
    }
}
