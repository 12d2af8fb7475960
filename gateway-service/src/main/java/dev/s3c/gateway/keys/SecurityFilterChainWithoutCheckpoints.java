package dev.s3c.gateway.keys;

import java.util.List;
import org.springframework.security.web.server.WebFilterChainProxy.WebFilterChainDecorator;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Runs the security chain's filters the way Spring's {@code DefaultWebFilterChain} does (each one deferred until
 * subscribed, then the rest of the application's chain), without its Reactor checkpoint per filter. A checkpoint
 * only names the filter in an error's assembly trace; it costs a string and an operator per filter and request, and
 * every operator deepens the chain that Reactor walks for each subscriber's context. The gateway's own filters keep
 * their checkpoints (Spring's main chain).
 */
final class SecurityFilterChainWithoutCheckpoints implements WebFilterChainDecorator {

    @Override
    public WebFilterChain decorate(WebFilterChain original) {
        return original;
    }

    @Override
    public WebFilterChain decorate(WebFilterChain original, List<WebFilter> filters) {
        return new Link(filters, 0, original);
    }

    private record Link(List<WebFilter> filters, int index, WebFilterChain rest) implements WebFilterChain {

        @Override
        public Mono<Void> filter(ServerWebExchange exchange) {
            return Mono.defer(() -> index < filters.size()
                    ? filters.get(index).filter(exchange, new Link(filters, index + 1, rest))
                    : rest.filter(exchange));
        }
    }
}
