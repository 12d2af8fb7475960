package dev.s3c.monitor.live;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/**
 * The live stream: a snapshot every second and events as they happen, to any number of WebSocket clients. Each
 * client gets its own bounded view: snapshots conflate to the newest, events beyond a buffer are dropped, so a slow
 * or stalled client never holds up the others or the platform.
 */
@Component
class LiveFeed implements SmartLifecycle {

    static final int EVENT_BUFFER = 256;

    private final LiveAggregates aggregates;
    private final Sinks.Many<Map<String, Object>> snapshots = Sinks.many().multicast().directBestEffort();
    private final Sinks.Many<Map<String, Object>> events = Sinks.many().multicast().directBestEffort();
    private Disposable ticker;

    LiveFeed(LiveAggregates aggregates) {
        this.aggregates = aggregates;
    }

    /** An event, as it happens ({@code type}: execution, scaling). Never blocks. */
    void publish(String type, Object event) {
        events.tryEmitNext(Map.of("type", type, "event", event));
    }

    /** What one client receives. */
    Flux<Map<String, Object>> stream() {
        Flux<Map<String, Object>> latestSnapshot = Flux.concat(
                Flux.just(snapshotMessage()), snapshots.asFlux()).onBackpressureLatest();
        Flux<Map<String, Object>> recentEvents = events.asFlux()
                .onBackpressureBuffer(EVENT_BUFFER, dropped -> { }, reactor.core.publisher.BufferOverflowStrategy.DROP_OLDEST);
        // prefetch 1: a client that resumes after a stall gets the newest snapshot, not a queue of old ones
        return Flux.merge(1, latestSnapshot, recentEvents);
    }

    private Map<String, Object> snapshotMessage() {
        return Map.of("type", "snapshot", "snapshot", aggregates.snapshot(Instant.now()));
    }

    @Override
    public void start() {
        // on the second boundary, so "last second" is a whole second
        long delay = 1000 - Instant.now().toEpochMilli() % 1000;
        ticker = Flux.interval(Duration.ofMillis(delay + 20), Duration.ofSeconds(1), Schedulers.parallel())
                .subscribe(tick -> snapshots.tryEmitNext(snapshotMessage()));
    }

    @Override
    public void stop() {
        if (ticker != null) {
            ticker.dispose();
        }
    }

    @Override
    public boolean isRunning() {
        return ticker != null && !ticker.isDisposed();
    }
}
