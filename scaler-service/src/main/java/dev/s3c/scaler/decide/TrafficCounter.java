package dev.s3c.scaler.decide;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Counts, per function, the requests and results of its partition, and hands the counts on every flush interval
 * (wall clock: an idle partition still flushes what it has). Pending counts live in a store, so a restart neither
 * loses nor repeats them.
 */
final class TrafficCounter implements Processor<String, TrafficCounts.Count, String, TrafficCounts> {

    static final String STORE = "traffic-pending";

    private final Duration flushInterval;
    private final String key;
    private ProcessorContext<String, TrafficCounts> context;
    private KeyValueStore<String, TrafficCounts.Count> pending;

    TrafficCounter(Duration flushInterval, String key) {
        this.flushInterval = flushInterval;
        this.key = key;
    }

    @Override
    public void init(ProcessorContext<String, TrafficCounts> context) {
        this.context = context;
        this.pending = context.getStateStore(STORE);
        context.schedule(flushInterval, PunctuationType.WALL_CLOCK_TIME, this::flush);
    }

    @Override
    public void process(Record<String, TrafficCounts.Count> record) {
        String function = record.key();
        TrafficCounts.Count before = pending.get(function);
        pending.put(function, before == null ? record.value() : before.plus(record.value()));
    }

    private void flush(long wallClockMs) {
        Map<String, TrafficCounts.Count> counts = new HashMap<>();
        try (KeyValueIterator<String, TrafficCounts.Count> all = pending.all()) {
            all.forEachRemaining(kv -> counts.put(kv.key, kv.value));
        }
        if (counts.isEmpty()) {
            return;
        }
        counts.keySet().forEach(pending::delete);
        context.forward(new Record<>(key, new TrafficCounts(Instant.ofEpochMilli(wallClockMs), counts), wallClockMs));
    }
}
