package dev.s3c.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.enums.ParameterIn;
import java.net.URI;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.bind.annotation.CrossOrigin;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.security.web.server.firewall.ServerExchangeRejectedException;
import org.springframework.security.web.server.firewall.StrictServerWebExchangeFirewall;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.server.ServerWebExchange;

class QueryParametersTest {

    @RestController
    static class Controllers {

        /** An exact path: Spring's own lookup finds it. */
        @GetMapping("/api/things")
        String list(@RequestParam(defaultValue = "50") String limit, @RequestParam(name = "cursor", required = false)
                String from, @RequestParam(value = "status", required = false) String state) {
            return limit;
        }

        /** A pattern: the path-first lookup finds it. A method that reads the query itself documents what it reads. */
        @Parameter(name = "mode", in = ParameterIn.QUERY)
        @Parameter(name = "Idempotency-Key", in = ParameterIn.HEADER)
        @CrossOrigin("http://example.com")
        @PostMapping("/api/things/{id}/run")
        String run(@PathVariable String id, ServerWebExchange exchange) {
            return id;
        }

        @GetMapping("/api/things/{id}")
        String get(@PathVariable String id) {
            return id;
        }

        @GetMapping("/api/things/{id}/all")
        String all(@PathVariable String id, @RequestParam Map<String, String> query) {
            return id;
        }
    }

    private final GenericApplicationContext context = new GenericApplicationContext();

    @AfterEach
    void close() {
        context.close();
    }

    private PathFirstHandlerMapping mapping() {
        context.registerBean(Controllers.class);
        context.refresh();
        PathFirstHandlerMapping mapping = new PathFirstHandlerMapping();
        mapping.setApplicationContext(context);
        mapping.afterPropertiesSet();
        return mapping;
    }

    private static Object lookup(PathFirstHandlerMapping mapping, MockServerHttpRequest request) {
        return mapping.getHandler(MockServerWebExchange.from(request)).block();
    }

    private static MockServerHttpRequest get(String uri) {
        // the URI as written: a template would escape its percent signs again
        return MockServerHttpRequest.method(HttpMethod.GET, URI.create("http://localhost:8080" + uri)).build();
    }

    private static MockServerHttpRequest post(String uri) {
        return MockServerHttpRequest.method(HttpMethod.POST, URI.create("http://localhost:8080" + uri)).build();
    }

    @Test
    void theParametersAMethodReadsAreTaken() {
        PathFirstHandlerMapping mapping = mapping();
        for (MockServerHttpRequest request : new MockServerHttpRequest[] {get("/api/things"),
                get("/api/things?limit=5&cursor=abc&status=failed"), get("/api/things?limit%5B%5D=5"),
                get("/api/things?limit=1&limit=2"), post("/api/things/t-1/run?mode=async"), post("/api/things/t-1/run"),
                get("/api/things/t-1"), get("/api/things/t-1/all?anything=1&else=2")}) {
            assertThat(lookup(mapping, request)).as("%s", request.getURI()).isInstanceOf(HandlerMethod.class);
        }
    }

    @Test
    void anyOtherIsA400NamingIt() {
        PathFirstHandlerMapping mapping = mapping();
        // Spring's own lookup (an exact path) and the path-first one (a pattern) alike
        assertThatThrownBy(() -> lookup(mapping, get("/api/things?limt=5")))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(HttpStatus.BAD_REQUEST);
                    assertThat(e.errors()).singleElement().satisfies(error -> {
                        assertThat(error.field()).isEqualTo("limt");
                        assertThat(error.reason()).isEqualTo("is not a query parameter of this request "
                                + "(cursor, limit, status)");
                    });
                });
        // the name a parameter is read by, not the Java parameter's own
        assertThatThrownBy(() -> lookup(mapping, get("/api/things?from=abc")))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.errors().get(0).field()).isEqualTo("from"));
        // only the query parameters the description lists, not its headers
        assertThatThrownBy(() -> lookup(mapping, post("/api/things/t-1/run?mode=sync&Idempotency-Key=k")))
                .isInstanceOfSatisfying(ApiException.class,
                        e -> assertThat(e.errors().get(0).field()).isEqualTo("Idempotency-Key"));
        assertThatThrownBy(() -> lookup(mapping, get("/api/things/t-1?sort=name")))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.errors()).singleElement()
                        .satisfies(error -> {
                            assertThat(error.field()).isEqualTo("sort");
                            assertThat(error.reason()).isEqualTo("is not a query parameter: this request takes none");
                        }));
        // an empty one is there all the same
        assertThatThrownBy(() -> lookup(mapping, get("/api/things/t-1?x")))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.errors().get(0).field()).isEqualTo("x"));
    }

    /** With Spring Security's own firewall: a name it refuses is its refusal, a name it lets through is ours. */
    @Test
    void throughTheSecurityFirewall() {
        PathFirstHandlerMapping mapping = mapping();
        StrictServerWebExchangeFirewall firewall = new StrictServerWebExchangeFirewall();
        Function<String, ServerWebExchange> firewalled = uri -> firewall.getFirewalledExchange(
                MockServerWebExchange.from(get(uri))).block();
        assertThat(mapping.getHandler(firewalled.apply("/api/things?limit=5&status=x")).block())
                .isInstanceOf(HandlerMethod.class);
        assertThatThrownBy(() -> mapping.getHandler(firewalled.apply("/api/things?limt=5")).block())
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.errors().get(0).field()).isEqualTo("limt"));
        assertThatThrownBy(() -> mapping.getHandler(firewalled.apply("/api/things?li%01mit=5")).block())
                .isInstanceOf(ServerExchangeRejectedException.class);
    }

    /** A pre-flight is answered by its CORS headers: a refusal there would reach the page as a CORS failure. */
    @Test
    void aPreflightIsNotChecked() {
        PathFirstHandlerMapping mapping = mapping();
        MockServerHttpRequest preflight = MockServerHttpRequest.options("http://localhost:8080/api/things/t-1/run?oops=1")
                .header("Origin", "http://example.com").header("Access-Control-Request-Method", "POST").build();
        assertThat(lookup(mapping, preflight)).isNotNull();
    }

    @Test
    void methodsOfOtherLibrariesAreNotChecked() throws Exception {
        assertThat(QueryParameters.readBy(Object.class.getMethod("toString"))).isEmpty();
        assertThat(QueryParameters.readBy(Controllers.class.getDeclaredMethod("all", String.class, Map.class))).isEmpty();
        assertThat(QueryParameters.readBy(Controllers.class.getDeclaredMethod("get", String.class))).hasValue(
                java.util.Set.of());
    }
}
