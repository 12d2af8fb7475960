package dev.s3c.gateway.api;

import java.lang.reflect.Method;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.boot.webflux.autoconfigure.WebFluxRegistrations;
import org.springframework.http.server.PathContainer;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.stereotype.Component;
import org.springframework.web.cors.reactive.CorsUtils;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.reactive.result.method.RequestMappingInfo;
import org.springframework.web.reactive.result.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.util.pattern.PathPattern;

/**
 * Finds the controller method of a request whose path no mapping names exactly (such as
 * {@code /api/functions/{id}/execute}) by testing the mappings' paths first: Spring tests every mapping's method,
 * header and media-type conditions before its path, nearly a tenth of the gateway's event loops under async load.
 * When exactly one mapping matches, the answer is Spring's own matching of that mapping; in every other case (none
 * or several match, a CORS pre-flight, a path a mapping names exactly, mappings changing) Spring looks the method up
 * as it always does, so its 404, 405, 415 and best-match rules stay its own. Once a method is found, a query
 * parameter it does not read is refused ({@link QueryParameters}).
 */
class PathFirstHandlerMapping extends RequestMappingHandlerMapping {

    /** Gives WebFlux this mapping in place of its own for the annotated controllers. */
    @Component
    static class Registration implements WebFluxRegistrations {

        @Override
        public RequestMappingHandlerMapping getRequestMappingHandlerMapping() {
            return new PathFirstHandlerMapping();
        }
    }

    private final QueryParameters queryParameters = new QueryParameters();

    /** Null while mappings change: Spring then looks every request up. */
    private volatile Index index;

    @Override
    protected synchronized void handlerMethodsInitialized(Map<RequestMappingInfo, HandlerMethod> handlerMethods) {
        super.handlerMethodsInitialized(handlerMethods);
        index = new Index(handlerMethods);
    }

    @Override
    public synchronized void registerMapping(RequestMappingInfo mapping, Object handler, Method method) {
        index = null;
        try {
            super.registerMapping(mapping, handler, method);
        } finally {
            index = new Index(getHandlerMethods());
        }
    }

    @Override
    public synchronized void unregisterMapping(RequestMappingInfo mapping) {
        index = null;
        try {
            super.unregisterMapping(mapping);
        } finally {
            index = new Index(getHandlerMethods());
        }
    }

    @Override
    protected HandlerMethod lookupHandlerMethod(ServerWebExchange exchange) throws Exception {
        Index index = this.index;
        ServerHttpRequest request = exchange.getRequest();
        PathContainer path = request.getPath().pathWithinApplication();
        if (index == null || index.directPaths.contains(path.value()) || CorsUtils.isPreFlightRequest(request)) {
            return super.lookupHandlerMethod(exchange);
        }
        RequestMappingInfo matched = null;
        HandlerMethod handler = null;
        for (Mapping mapping : index.mappings) {
            if (!mapping.pathMatches(path)) {
                continue;
            }
            RequestMappingInfo match = getMatchingMapping(mapping.info, exchange);
            if (match != null) {
                if (matched != null) {
                    return super.lookupHandlerMethod(exchange);
                }
                matched = match;
                handler = mapping.handler;
            }
        }
        if (matched == null) {
            return super.lookupHandlerMethod(exchange);
        }
        handleMatch(matched, handler, exchange);
        return handler;
    }

    /** Every method found, by either way, comes through here. */
    @Override
    protected void handleMatch(RequestMappingInfo info, HandlerMethod handlerMethod, ServerWebExchange exchange) {
        super.handleMatch(info, handlerMethod, exchange);
        queryParameters.check(handlerMethod, exchange.getRequest());
    }

    private record Mapping(RequestMappingInfo info, HandlerMethod handler, List<PathPattern> patterns) {

        /** As the mapping's path condition decides it (a mapping without a path has the empty one). */
        boolean pathMatches(PathContainer path) {
            for (PathPattern pattern : patterns) {
                if (pattern.matches(path)) {
                    return true;
                }
            }
            return false;
        }
    }

    private static final class Index {

        final List<Mapping> mappings;
        final Set<String> directPaths;

        Index(Map<RequestMappingInfo, HandlerMethod> handlerMethods) {
            mappings = handlerMethods.entrySet().stream()
                    .map(e -> new Mapping(e.getKey(), e.getValue(),
                            List.copyOf(e.getKey().getPatternsCondition().getPatterns())))
                    .toList();
            Set<String> direct = new HashSet<>();
            handlerMethods.keySet().forEach(info -> direct.addAll(info.getDirectPaths()));
            directPaths = Set.copyOf(direct);
        }
    }
}
