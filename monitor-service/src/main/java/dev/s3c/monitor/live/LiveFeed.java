package dev.s3c.monitor.live;

import java.time.Duration;
import java.time.Instant;
import dev.s3c.contracts.JsonCodec;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.BufferOverflowStrategy;
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
    private static final Logger log = LoggerFactory.getLogger(LiveFeed.class);

    private final LiveAggregates aggregates;
    private final Sinks.Many<String> snapshots = Sinks.many().multicast().directBestEffort();
    private final Sinks.Many<String> events = Sinks.many().multicast().directBestEffort();
    private Disposable ticker;

    LiveFeed(LiveAggregates aggregates) {
        this.aggregates = aggregates;
    }

    /**
     * An event, as it happens ({@code type}: execution, scaling). Made and encoded once here, for every client, and
     * not at all while no client listens (the reader calls this for every result on the platform); never blocks the
     * caller (the Kafka consumer thread): clients are served on their own threads.
     */
    void publish(String type, Supplier<?> event) {
        if (events.currentSubscriberCount() > 0) {
            events.tryEmitNext(message(type, "event", event.get()));
        }
    }

    /**
     * What one client receives, as JSON text: the newest snapshot at once, then snapshots conflated to the newest
     * and events beyond a buffer dropped oldest first, so a client that reads slowly costs a bounded amount.
     */
    Flux<String> stream() {
        Flux<String> latestSnapshot = Flux.concat(Flux.just(snapshotMessage()), snapshots.asFlux())
                .onBackpressureLatest();
        Flux<String> recentEvents = events.asFlux()
                .onBackpressureBuffer(EVENT_BUFFER, dropped -> { }, BufferOverflowStrategy.DROP_OLDEST);
        // prefetch 1: a client that resumes after a stall gets the newest snapshot, not a queue of old ones;
        // publishOn: the client's writes run on its own thread, not on the thread that emitted
        return Flux.merge(1, latestSnapshot, recentEvents).publishOn(Schedulers.parallel(), 1);
    }

    private String snapshotMessage() {
        return message("snapshot", "snapshot", aggregates.snapshot(Instant.now()));
    }

    /** {"type": ..., key: value}, with the type first so a relay can tell snapshots from events by the prefix. */
    static String message(String type, String key, Object value) {
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("type", type);
        message.put(key, value);
        return JsonCodec.toJson(message);
    }

    @Override
    public void start() {
        // a quarter second past each boundary: "last second" is whole and its results have mostly arrived
        long delay = 1000 - Instant.now().toEpochMilli() % 1000;
        ticker = Flux.interval(Duration.ofMillis(delay + 250), Duration.ofSeconds(1), Schedulers.parallel())
                .subscribe(tick -> {
                    try {
                        snapshots.tryEmitNext(snapshotMessage());
                    } catch (RuntimeException e) {
                        // one bad snapshot must not end the ticker
                        log.warn("Live snapshot failed: {}", e.toString());
                    }
                });
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
