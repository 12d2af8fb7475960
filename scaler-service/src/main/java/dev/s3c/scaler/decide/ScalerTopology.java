package dev.s3c.scaler.decide;

import dev.s3c.contracts.ExecutorStatus;
import dev.s3c.contracts.JsonSerde;
import dev.s3c.contracts.LagSample;
import dev.s3c.contracts.ScaleCommand;
import dev.s3c.contracts.ScalingEvent;
import dev.s3c.contracts.Topic;
import java.time.Duration;
import java.util.Set;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The scaler's topology, a pure function of a {@link StreamsBuilder}.
 *
 * <pre>
 * invocations ─┐ per function +1 requested            ┌ traffic (repartition, 1 partition) ─┐
 * results ─────┴ per function +1 finished ─ counter ──┘                                     │
 * executor lag (1 partition, once a second: the clock) ─────────────────────────────────────┼─ decider ─┬─ scale commands
 * executor status (1 partition) ────────────────────────────────────────────────────────────┘           └─ scaling events
 * </pre>
 *
 * The counter runs in one task per invocations partition and hands on small per-function counts; the decider runs
 * in a single task, because every topic it reads has one partition.
 */
public final class ScalerTopology {

    static final String TRAFFIC_TOPIC_NAME = "traffic";

    private ScalerTopology() {
    }

    /** Adds the scaler to {@code builder}; returns the scaling events it emits. */
    public static KStream<String, ScalingEvent> build(StreamsBuilder builder, ScalingPolicy policy,
            Duration flushInterval) {
        Serde<String> keys = Serdes.String();
        Serde<TrafficCounts.Count> counts = CountSerde.serde();

        KStream<String, TrafficCounts.Count> requested = builder
                .stream(Topic.INVOCATIONS.topicName(), Consumed.with(keys, FunctionIdReader.serde())
                        .withName("invocations"))
                .filter((id, function) -> function != null, Named.as("present-invocations"))
                .map((id, function) -> KeyValue.pair(function, new TrafficCounts.Count(1, 0)),
                        Named.as("requested-per-function"));
        KStream<String, TrafficCounts.Count> finished = builder
                .stream(Topic.INVOCATION_RESULTS.topicName(), Consumed.with(keys, FunctionIdReader.serde())
                        .withName("results"))
                .filter((id, function) -> function != null, Named.as("present-results"))
                .map((id, function) -> KeyValue.pair(function, new TrafficCounts.Count(0, 1)),
                        Named.as("finished-per-function"));

        StoreBuilder<?> pending = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(TrafficCounter.STORE), keys,
                counts).withCachingEnabled();
        String group = policy.settings().group();
        ProcessorSupplier<String, TrafficCounts.Count, String, TrafficCounts> counter = new ProcessorSupplier<>() {
            @Override
            public TrafficCounter get() {
                return new TrafficCounter(flushInterval, group);
            }

            @Override
            public Set<StoreBuilder<?>> stores() {
                return Set.of(pending);
            }
        };
        KStream<String, Signal> traffic = requested.merge(finished, Named.as("traffic-merge"))
                .process(counter, Named.as("traffic-counter"))
                .repartition(Repartitioned.<String, TrafficCounts>as(TRAFFIC_TOPIC_NAME).withKeySerde(keys)
                        .withValueSerde(new JsonSerde<>(TrafficCounts.class)).withNumberOfPartitions(1))
                .mapValues(t -> Signal.ofTraffic(t), Named.as("traffic-signal"));

        KStream<String, Signal> lag = builder
                .stream(Topic.EXECUTOR_LAG.topicName(), Consumed.with(keys, new JsonSerde<>(LagSample.class))
                        .withName("executor-lag"))
                .filter((k, sample) -> sample != null && group.equals(sample.group()) && sample.at() != null,
                        Named.as("our-group-lag"))
                .mapValues(sample -> Signal.ofLag(sample), Named.as("lag-signal"));
        KStream<String, Signal> status = builder
                .stream(Topic.EXECUTOR_STATUS.topicName(), Consumed.with(keys, new JsonSerde<>(ExecutorStatus.class))
                        .withName("executor-status"))
                .filter((process, s) -> process != null && (s == null || s.at() != null), Named.as("keyed-status"))
                .mapValues((process, s) -> Signal.status(process, s), Named.as("status-signal"));

        Set<StoreBuilder<?>> deciderStores = Set.of(
                Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(Decider.BACKLOG_STORE), keys, Serdes.Long()),
                Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(Decider.EXECUTORS_STORE), keys,
                        new JsonSerde<>(ExecutorStatus.class)),
                Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(Decider.STATE_STORE), keys,
                        new JsonSerde<>(DeciderState.class)));
        ProcessorSupplier<String, Signal, String, Decider.Outcome> decider = new ProcessorSupplier<>() {
            @Override
            public Decider get() {
                return new Decider(policy);
            }

            @Override
            public Set<StoreBuilder<?>> stores() {
                return deciderStores;
            }
        };
        KStream<String, Decider.Outcome> outcomes = traffic.merge(lag, Named.as("signals-traffic-lag"))
                .merge(status, Named.as("signals"))
                .process(decider, Named.as("decider"));
        outcomes.filter((k, o) -> o.command() != null, Named.as("with-command"))
                .mapValues(Decider.Outcome::command, Named.as("command"))
                .to(Topic.SCALE_COMMANDS.topicName(), Produced.with(keys, new JsonSerde<>(ScaleCommand.class))
                        .withName("scale-commands"));
        KStream<String, ScalingEvent> events = outcomes.mapValues(Decider.Outcome::event, Named.as("event"));
        events.to(Topic.SCALING_EVENTS.topicName(), Produced.with(keys, new JsonSerde<>(ScalingEvent.class))
                        .withName("scaling-events"));
        return events;
    }
}
