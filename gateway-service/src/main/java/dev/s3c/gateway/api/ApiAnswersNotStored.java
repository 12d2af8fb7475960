package dev.s3c.gateway.api;

import org.springframework.core.annotation.Order;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * The API's answers carry a tenant's code, inputs and outputs: {@code Cache-Control: no-store}, so no browser or
 * proxy keeps a copy (on a shared machine, after sign-out). The console's files and the API's description keep their
 * own headers; an answer that set its own keeps it.
 */
@Component
@Order(ContextHold.ORDER - 1)
class ApiAnswersNotStored extends NamedWebFilter {

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        if (path.startsWith(Paths.API) && !path.startsWith("/api/docs") && !path.startsWith("/api/openapi")) {
            exchange.getResponse().beforeCommit(() -> {
                HttpHeaders headers = exchange.getResponse().getHeaders();
                if (!headers.containsHeader(HttpHeaders.CACHE_CONTROL)) {
                    headers.setCacheControl(CacheControl.noStore());
                }
                return Mono.empty();
            });
        }
        return chain.filter(exchange);
    }
}
