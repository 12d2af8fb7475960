package dev.s3c.gateway.metrics;

import org.springframework.boot.web.server.context.WebServerGracefulShutdownLifecycle;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Ends the open live streams (WebSockets on /api/metrics/live) just before the web server's graceful shutdown: a
 * stream is a request that never ends, and the shutdown would wait for it until its phase timed out. Clients see a
 * normal close and reconnect elsewhere.
 */
@Component
class LiveStreams implements SmartLifecycle {

    private final Sinks.Empty<Void> closing = Sinks.empty();
    private volatile boolean running;

    /** Completes when the streams must end. */
    Mono<Void> closing() {
        return closing.asMono();
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        closing.tryEmitEmpty();
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Stops before the graceful shutdown (a higher phase stops earlier). */
    @Override
    public int getPhase() {
        return WebServerGracefulShutdownLifecycle.SMART_LIFECYCLE_PHASE + 1;
    }
}
