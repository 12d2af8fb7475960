package dev.s3c.gateway.api;

import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * The first thing a stopping gateway does: new API calls get a 503 with {@code Retry-After} (another instance, or
 * this one restarted, will take them) for {@code s3c.gateway.drain-notice}, so a load balancer sees the instance go
 * before its port closes. Then the web server's graceful shutdown lets the calls in flight finish; sync callers
 * among them still get their results, because the result reader stops only after that (see the result router's
 * phase), and whoever still waits then is answered 202 with where to read the result.
 */
@Component
@Order(ContextHold.ORDER - 1)
public class GatewayDrain extends NamedWebFilter implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(GatewayDrain.class);

    private final Duration notice;
    private volatile boolean running;
    private volatile boolean draining;

    GatewayDrain(@Value("${s3c.gateway.drain-notice:2s}") Duration notice) {
        this.notice = notice;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String path = exchange.getRequest().getPath().value();
        if (!draining || !(path.startsWith(Paths.API) || path.startsWith(Paths.FUNCTION_URLS))) {
            return chain.filter(exchange);
        }
        var headers = exchange.getResponse().getHeaders();
        headers.set(HttpHeaders.RETRY_AFTER, "5");
        // nothing of this call was done: safe to send again, here after a restart or to another instance
        headers.set(HttpHeaders.CONNECTION, "close");
        return ApiErrorHandler.write(exchange, HttpStatus.SERVICE_UNAVAILABLE,
                "this gateway is shutting down and took nothing of this call; send it again", List.of());
    }

    boolean draining() {
        return draining;
    }

    @Override
    public void start() {
        draining = false;
        running = true;
    }

    @Override
    public void stop() {
        draining = true;
        running = false;
        log.info("Gateway draining: new API calls get 503 for {}, then calls in flight finish", notice);
        try {
            Thread.sleep(notice);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Stops first: before the web server's graceful shutdown, and so before anything the calls in flight need. */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE;
    }
}
