package dev.s3c.gateway.invoke;

import dev.s3c.gateway.api.NamedWebFilter;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.stereotype.Component;
import org.springframework.web.cors.reactive.CorsUtils;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * A function URL answers its own CORS pre-flights, as OpenFaaS's functions do. WebFlux answers every pre-flight
 * itself, before any handler (with no CORS configured, with no CORS header), so a page elsewhere could never send
 * JSON or a header of its own to a function that allows it. For a function URL the pre-flight goes on as a plain
 * {@code OPTIONS}, its {@code Access-Control-Request-Method} kept aside for the function's input.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class FunctionUrlPreflights extends NamedWebFilter {

    /** The exchange attribute that keeps a pre-flight's requested method. */
    static final String REQUESTED_METHOD = FunctionUrlPreflights.class.getName() + ".requestedMethod";

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        ServerHttpRequest request = exchange.getRequest();
        if (!CorsUtils.isPreFlightRequest(request)
                || !request.getPath().pathWithinApplication().value().startsWith(FunctionUrlController.PREFIX)) {
            return chain.filter(exchange);
        }
        exchange.getAttributes().put(REQUESTED_METHOD,
                request.getHeaders().getFirst(HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD));
        return chain.filter(exchange.mutate().request(plain -> plain.headers(headers ->
                headers.remove(HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD))).build());
    }
}
