package dev.s3c.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.result.method.RequestMappingInfo;
import org.springframework.web.reactive.result.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.server.ServerWebExchange;

class PathFirstHandlerMappingTest {

    @RestController
    static class Controllers {

        @PostMapping(path = "/api/functions/{id}/execute", consumes = MediaType.APPLICATION_JSON_VALUE)
        String execute(@PathVariable String id) {
            return id;
        }

        @GetMapping("/api/functions/{id}")
        String function(@PathVariable String id) {
            return id;
        }

        @PutMapping(path = "/api/functions/{id}", consumes = MediaType.APPLICATION_JSON_VALUE)
        String update(@PathVariable String id) {
            return id;
        }

        @GetMapping("/api/functions/{id}/logs")
        String logs(@PathVariable String id) {
            return id;
        }

        @GetMapping("/api/functions/samples")
        String samples() {
            return "samples";
        }

        @GetMapping(path = "/api/executions/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
        String execution(@PathVariable String id) {
            return id;
        }

        @GetMapping(path = "/api/reports/{id}", produces = {MediaType.APPLICATION_JSON_VALUE, "text/csv"})
        String report(@PathVariable String id) {
            return id;
        }

        @GetMapping("/api/files/{name}/raw")
        String raw(@PathVariable String name) {
            return name;
        }

        @GetMapping("/api/files/{*rest}")
        String file(@PathVariable String rest) {
            return rest;
        }
    }

    /** Counts the mappings whose every condition Spring tests for a request. */
    static final class CountingSpring extends RequestMappingHandlerMapping {
        int tested;

        @Override
        protected RequestMappingInfo getMatchingMapping(RequestMappingInfo info, ServerWebExchange exchange) {
            tested++;
            return super.getMatchingMapping(info, exchange);
        }
    }

    static final class CountingPathFirst extends PathFirstHandlerMapping {
        int tested;

        @Override
        protected RequestMappingInfo getMatchingMapping(RequestMappingInfo info, ServerWebExchange exchange) {
            tested++;
            return super.getMatchingMapping(info, exchange);
        }
    }

    private final List<GenericApplicationContext> contexts = new ArrayList<>();

    @AfterEach
    void closeContexts() {
        contexts.forEach(GenericApplicationContext::close);
    }

    private <M extends RequestMappingHandlerMapping> M initialized(M mapping) {
        var context = new GenericApplicationContext();
        contexts.add(context);
        context.registerBean(Controllers.class);
        context.refresh();
        mapping.setApplicationContext(context);
        mapping.afterPropertiesSet();
        return mapping;
    }

    /** A request whose path is taken as written: percent-escapes and matrix variables stay as they are. */
    private static MockServerHttpRequest.BodyBuilder request(HttpMethod method, String path) {
        return MockServerHttpRequest.method(method, URI.create("http://localhost:8080" + path));
    }

    /**
     * What a mapping answers: the method found (or the handler of a pre-flight, or the error) and what it tells the
     * rest of WebFlux.
     */
    private static List<Object> lookup(RequestMappingHandlerMapping mapping, MockServerHttpRequest request) {
        MockServerWebExchange exchange = MockServerWebExchange.from(request);
        try {
            Object handler = mapping.getHandler(exchange).block();
            Map<String, Object> attributes = exchange.getAttributes();
            return Arrays.asList(handler instanceof HandlerMethod method ? method.getMethod().getName()
                            : handler == null ? null : "another handler",
                    attributes.get(HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE),
                    attributes.get(HandlerMapping.MATRIX_VARIABLES_ATTRIBUTE),
                    String.valueOf(attributes.get(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE)),
                    attributes.get(HandlerMapping.PRODUCIBLE_MEDIA_TYPES_ATTRIBUTE),
                    attributes.get(HandlerMapping.PATH_WITHIN_HANDLER_MAPPING_ATTRIBUTE),
                    attributes.get(HandlerMapping.BEST_MATCHING_HANDLER_ATTRIBUTE) == handler);
        } catch (RuntimeException e) {
            return List.of(e.getClass().getSimpleName(), String.valueOf(e.getMessage()));
        }
    }

    @Test
    void aPatternPathMatchedByOneMappingTestsOnlyThatMappingsConditions() {
        CountingSpring spring = initialized(new CountingSpring());
        CountingPathFirst pathFirst = initialized(new CountingPathFirst());
        MockServerHttpRequest execute = request(HttpMethod.POST, "/api/functions/f-1/execute")
                .contentType(MediaType.APPLICATION_JSON).build();

        assertThat(lookup(pathFirst, execute)).isEqualTo(lookup(spring, execute))
                .startsWith("execute", Map.of("id", "f-1"), Map.of(), "/api/functions/{id}/execute");
        assertThat(pathFirst.tested).isEqualTo(1);
        assertThat(spring.tested).isGreaterThan(3);

        // the method Spring registered (and keeps CORS settings under), bound to its bean
        HandlerMethod found = (HandlerMethod) pathFirst.getHandler(MockServerWebExchange.from(execute)).block();
        HandlerMethod registered = pathFirst.getHandlerMethods().values().stream()
                .filter(method -> method.getMethod().getName().equals("execute")).findFirst().orElseThrow();
        assertThat(found).isSameAs(registered.createWithResolvedBean());
        assertThat(found.getBean()).isInstanceOf(Controllers.class);

        // the path within the application is what the mappings name
        pathFirst.tested = 0;
        assertThat(lookup(pathFirst, request(HttpMethod.GET, "/ctx/api/functions/f-1/logs").contextPath("/ctx").build()))
                .startsWith("logs", Map.of("id", "f-1"));
        assertThat(pathFirst.tested).isEqualTo(1);
    }

    /**
     * Which of several matching mappings wins is Spring's to decide, whatever order the mappings are tested in: when
     * a second one matches, Spring looks the request up again among all of them. A path a mapping names exactly is
     * Spring's own quick lookup, which tests only that mapping.
     */
    @Test
    void severalMatchesAndExactPathsAreLeftToSpring() {
        CountingPathFirst pathFirst = initialized(new CountingPathFirst());
        CountingSpring spring = initialized(new CountingSpring());
        MockServerHttpRequest raw = request(HttpMethod.GET, "/api/files/a/raw").build();
        assertThat(lookup(pathFirst, raw)).first().isEqualTo("raw");
        lookup(spring, raw);
        assertThat(pathFirst.tested).isEqualTo(2 + spring.tested);

        pathFirst.tested = 0;
        assertThat(lookup(pathFirst, request(HttpMethod.GET, "/api/functions/samples").build())).first()
                .isEqualTo("samples");
        assertThat(pathFirst.tested).isEqualTo(1);
    }

    /** Wherever the fast way does not decide alone, the answer is still Spring's, error or method. */
    @Test
    void everyOtherRequestIsAnsweredAsSpringAnswersIt() {
        RequestMappingHandlerMapping spring = initialized(new RequestMappingHandlerMapping());
        PathFirstHandlerMapping pathFirst = initialized(new PathFirstHandlerMapping());
        List<MockServerHttpRequest> requests = List.of(
                // one mapping each
                request(HttpMethod.GET, "/api/functions/f-1").build(),
                request(HttpMethod.GET, "/api/functions/f-1/logs").build(),
                request(HttpMethod.PUT, "/api/functions/f-1").contentType(MediaType.APPLICATION_JSON).build(),
                request(HttpMethod.GET, "/api/executions/e-1").accept(MediaType.APPLICATION_JSON).build(),
                // what it may produce for this request: the one type accepted, not both
                request(HttpMethod.GET, "/api/reports/r-1").accept(MediaType.APPLICATION_JSON).build(),
                // percent-encoded and with matrix variables: matched decoded and without them, as Spring does
                request(HttpMethod.GET, "/api/functions/f%2D1/logs").build(),
                request(HttpMethod.GET, "/api/functions/f-1;v=1/logs").build(),
                // under a context path
                request(HttpMethod.GET, "/ctx/api/functions/f-1/logs").contextPath("/ctx").build(),
                // a path one mapping names exactly, and a pattern matches too
                request(HttpMethod.GET, "/api/functions/samples").build(),
                // two patterns match: the more specific one wins
                request(HttpMethod.GET, "/api/files/a/raw").build(),
                request(HttpMethod.GET, "/api/files/a/b/c").build(),
                // the path matches but not the method (405), the body's type (415) or what is accepted (406)
                request(HttpMethod.DELETE, "/api/functions/f-1/execute").build(),
                request(HttpMethod.POST, "/api/functions/f-1/execute").contentType(MediaType.TEXT_PLAIN).build(),
                request(HttpMethod.GET, "/api/executions/e-1").accept(MediaType.TEXT_PLAIN).build(),
                // no mapping's path
                request(HttpMethod.GET, "/api/nothing/here").build(),
                // a CORS pre-flight
                request(HttpMethod.OPTIONS, "/api/functions/f-1/execute").header("Origin", "http://example.com")
                        .header("Access-Control-Request-Method", "POST").build());
        for (MockServerHttpRequest request : requests) {
            assertThat(lookup(pathFirst, request)).as(request.getMethod() + " " + request.getURI())
                    .isEqualTo(lookup(spring, request));
        }
        assertThat(lookup(pathFirst, requests.get(4))).element(4).isEqualTo(Set.of(MediaType.APPLICATION_JSON));
        assertThat(lookup(pathFirst, requests.get(5))).element(1).isEqualTo(Map.of("id", "f-1"));
        assertThat(lookup(pathFirst, requests.get(6))).element(2).isEqualTo(Map.of("id", Map.of("v", List.of("1"))));
        assertThat(lookup(pathFirst, requests.get(7))).startsWith("logs", Map.of("id", "f-1"));
        assertThat(lookup(pathFirst, requests.get(9))).first().isEqualTo("raw");
        assertThat(lookup(pathFirst, requests.get(11))).first().isEqualTo("MethodNotAllowedException");
        assertThat(lookup(pathFirst, requests.get(12))).first().isEqualTo("UnsupportedMediaTypeStatusException");
        assertThat(lookup(pathFirst, requests.get(13))).first().isEqualTo("NotAcceptableStatusException");
        assertThat(lookup(pathFirst, requests.get(15))).first().isEqualTo("another handler");
    }

    /** A mapping added while running is found, also where it is a better match than one there before. */
    @Test
    void mappingsRegisteredLaterAreFound() throws Exception {
        PathFirstHandlerMapping pathFirst = initialized(new PathFirstHandlerMapping());
        MockServerHttpRequest meta = request(HttpMethod.GET, "/api/files/a/meta").build();
        assertThat(lookup(pathFirst, meta)).first().isEqualTo("file");

        RequestMappingInfo info = RequestMappingInfo.paths("/api/files/{name}/meta").methods(RequestMethod.GET)
                .build();
        pathFirst.registerMapping(info, new Controllers(), Controllers.class.getDeclaredMethod("raw", String.class));
        assertThat(lookup(pathFirst, meta)).startsWith("raw", Map.of("name", "a"));

        pathFirst.unregisterMapping(info);
        assertThat(lookup(pathFirst, meta)).first().isEqualTo("file");
    }
}
