package dev.s3c.gateway.api;

import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.enums.ParameterIn;
import java.lang.reflect.Method;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.core.DefaultParameterNameDiscoverer;
import org.springframework.core.MethodParameter;
import org.springframework.core.annotation.MergedAnnotations;
import org.springframework.http.HttpMethod;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.cors.reactive.CorsUtils;
import org.springframework.web.method.HandlerMethod;

/**
 * The query parameters an API method reads, and a 400 naming any other one: a misspelled {@code ?limt=5} would
 * otherwise be ignored without a word, and the default used. A method reads what its {@code @RequestParam}s name,
 * and what its API description lists as query parameters ({@code @Parameter(in = QUERY)}, for a method that reads
 * the query itself); each also as {@code name[]}, as Spring reads them. Methods of other libraries (the API
 * description's own) and those that take every parameter ({@code @RequestParam Map}) are not checked.
 */
final class QueryParameters {

    private static final String OURS = "dev.s3c.";
    /** The security firewall's package: its view of the request only checks what it passes on. */
    private static final String FIREWALL = "org.springframework.security.web.server.firewall.";
    private static final DefaultParameterNameDiscoverer NAMES = new DefaultParameterNameDiscoverer();

    /** Per method, the names it reads; empty for a method not checked. */
    private final Map<Method, Optional<Set<String>>> accepted = new ConcurrentHashMap<>();

    /** Refuses a query parameter the method does not read. */
    void check(HandlerMethod handler, ServerHttpRequest request) {
        // a CORS pre-flight is answered by its headers alone; its own refusal would reach the page as a CORS failure
        if (request.getURI().getRawQuery() == null
                || request.getMethod() == HttpMethod.OPTIONS && CorsUtils.isPreFlightRequest(request)) {
            return;
        }
        Set<String> names = accepted.computeIfAbsent(handler.getMethod(), QueryParameters::readBy).orElse(null);
        if (names == null) {
            return;
        }
        // the names as the server parsed them, once per request: the security firewall's view of the query checks
        // every name and value again at each read (the execute call reads it too)
        ServerHttpRequest parsed = request;
        while (parsed instanceof ServerHttpRequestDecorator decorator
                && decorator.getClass().getName().startsWith(FIREWALL)) {
            parsed = decorator.getDelegate();
        }
        for (String given : parsed.getQueryParams().keySet()) {
            String name = given.endsWith("[]") ? given.substring(0, given.length() - 2) : given;
            if (!names.contains(name)) {
                // a name the firewall refuses is refused as it refuses it, not repeated in an answer of ours
                request.getQueryParams();
                throw ApiException.badRequest(given, names.isEmpty() ? "is not a query parameter: this request takes none"
                        : "is not a query parameter of this request (" + String.join(", ", names) + ")");
            }
        }
    }

    static Optional<Set<String>> readBy(Method method) {
        if (!method.getDeclaringClass().getName().startsWith(OURS)) {
            return Optional.empty();
        }
        SortedSet<String> names = new TreeSet<>();
        for (Parameter documented : method.getAnnotationsByType(Parameter.class)) {
            if (documented.in() == ParameterIn.QUERY) {
                names.add(documented.name());
            }
        }
        for (int i = 0; i < method.getParameterCount(); i++) {
            MethodParameter parameter = new MethodParameter(method, i);
            parameter.initParameterNameDiscovery(NAMES);
            var param = MergedAnnotations.from(parameter.getParameterAnnotations()).get(RequestParam.class);
            if (!param.isPresent()) {
                continue;
            }
            String name = param.getString("name");
            if (name.isEmpty()) {
                if (Map.class.isAssignableFrom(parameter.getParameterType())) {
                    return Optional.empty();
                }
                name = parameter.getParameterName();
            }
            names.add(name);
        }
        return Optional.of(Collections.unmodifiableSortedSet(names));
    }
}
