package dev.s3c.scaler.decide;

import dev.s3c.contracts.ExecutionStatus;
import dev.s3c.contracts.ExecutorStatus;
import dev.s3c.contracts.InvocationCompleted;
import dev.s3c.contracts.InvocationRequested;
import dev.s3c.contracts.JsonSerde;
import dev.s3c.contracts.LagSample;
import dev.s3c.contracts.ScaleCommand;
import dev.s3c.contracts.ScalingEvent;
import dev.s3c.contracts.Topic;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * Drives the scaler topology second by second through {@link TopologyTestDriver}, with simulated executor processes
 * that apply every scale command they are named in, as the real ones do.
 */
final class ScalerHarness implements AutoCloseable {

    static final Instant T0 = Instant.parse("2026-11-27T10:00:00Z");
    static final String GROUP = "s3c-executor";

    /** An event and the simulated second it came out at. */
    record Seen(long second, ScalingEvent event) {
    }

    private final TopologyTestDriver driver;
    private final TestInputTopic<String, InvocationRequested> invocations;
    private final TestInputTopic<String, InvocationCompleted> results;
    private final TestInputTopic<String, ExecutorStatus> statuses;
    private final TestInputTopic<String, LagSample> lags;
    private final TestOutputTopic<String, ScaleCommand> commands;
    private final TestOutputTopic<String, ScalingEvent> events;
    private final Map<String, Integer> processes = new LinkedHashMap<>();
    private final Map<String, Integer> cores = new LinkedHashMap<>();
    private final List<ScaleCommand> commandLog = new ArrayList<>();
    private final List<Seen> eventLog = new ArrayList<>();
    private int partitions = 12;
    private long second = -1;
    private long committed;

    ScalerHarness(ScalingPolicy.Settings settings) {
        StreamsBuilder builder = new StreamsBuilder();
        ScalerTopology.build(builder, new ScalingPolicy(settings), Duration.ofMillis(250));
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "scaler-test-" + UUID.randomUUID());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        // the wall clock starts one second before T0: the first simulated second ends at T0
        driver = new TopologyTestDriver(builder.build(), props, T0.minusSeconds(1));
        StringSerializer keys = new StringSerializer();
        invocations = driver.createInputTopic(Topic.INVOCATIONS.topicName(), keys,
                new JsonSerde<>(InvocationRequested.class).serializer());
        results = driver.createInputTopic(Topic.INVOCATION_RESULTS.topicName(), keys,
                new JsonSerde<>(InvocationCompleted.class).serializer());
        statuses = driver.createInputTopic(Topic.EXECUTOR_STATUS.topicName(), keys,
                new JsonSerde<>(ExecutorStatus.class).serializer());
        lags = driver.createInputTopic(Topic.EXECUTOR_LAG.topicName(), keys, new JsonSerde<>(LagSample.class).serializer());
        commands = driver.createOutputTopic(Topic.SCALE_COMMANDS.topicName(), new StringDeserializer(),
                new JsonSerde<>(ScaleCommand.class).deserializer());
        events = driver.createOutputTopic(Topic.SCALING_EVENTS.topicName(), new StringDeserializer(),
                new JsonSerde<>(ScalingEvent.class).deserializer());
    }

    /**
     * The scaler's defaults, but without the drain-time rule and the bound per core: these tests drive the
     * per-instance rule alone.
     */
    static ScalingPolicy.Settings defaults() {
        return new ScalingPolicy.Settings(GROUP, 10, 3, Duration.ofSeconds(30), 1, 10, Duration.ofSeconds(5),
                Duration.ofSeconds(15), Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ZERO, 0);
    }

    /** A process that does not report its cores, as older ones did. */
    ScalerHarness process(String id, int instances) {
        return process(id, instances, 0);
    }

    ScalerHarness process(String id, int instances, int cores) {
        processes.put(id, instances);
        this.cores.put(id, cores);
        return this;
    }

    ScalerHarness partitions(int count) {
        partitions = count;
        return this;
    }

    /** The process stops with a last status saying so. */
    void leave(String id) {
        processes.remove(id);
        statuses.pipeInput(id, new ExecutorStatus(id, 0, -1, true, now()), now());
    }

    /** The process stops without a word: it only ages out. */
    void vanish(String id) {
        processes.remove(id);
    }

    /**
     * One simulated second: requests and results per function, every live process's heartbeat, then the lag sample
     * that makes the scaler decide, with {@code lag} queued on the first partition.
     */
    void second(long lag, Map<String, Integer> requested, Map<String, Integer> finished) {
        second(lag, requested, finished, true);
    }

    /** One simulated second; without its lag sample when {@code sampled} is false (a probe that ran late). */
    void second(long lag, Map<String, Integer> requested, Map<String, Integer> finished, boolean sampled) {
        second++;
        Instant at = T0.plusSeconds(second).minusMillis(500);
        requested.forEach((function, n) -> {
            for (int i = 0; i < n; i++) {
                invocations.pipeInput(UUID.randomUUID().toString(),
                        new InvocationRequested(UUID.randomUUID().toString(), function, 1, null, at, null), at);
            }
        });
        finished.forEach((function, n) -> {
            for (int i = 0; i < n; i++) {
                String id = UUID.randomUUID().toString();
                results.pipeInput(id, new InvocationCompleted(id, function, 1, ExecutionStatus.SUCCEEDED, null, null,
                        "", 1, 1, "i", false, at, at, at, null), at);
            }
            committed += n;
        });
        driver.advanceWallClockTime(Duration.ofSeconds(1));
        processes.forEach((id, instances) -> statuses.pipeInput(id, new ExecutorStatus(id, instances, -1, false, now(),
                Map.of(), cores.getOrDefault(id, 0)), now()));
        List<LagSample.PartitionLag> partitionLags = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            // all the traffic on the first partition: its offsets move as the pool's would
            partitionLags.add(p == 0
                    ? new LagSample.PartitionLag(Topic.INVOCATIONS.topicName(), p, committed + lag, committed)
                    : new LagSample.PartitionLag(Topic.INVOCATIONS.topicName(), p, 0, 0));
        }
        if (sampled) {
            lags.pipeInput(GROUP, new LagSample(GROUP, now(), partitionLags), now());
        }
        for (ScaleCommand command : commands.readValuesToList()) {
            commandLog.add(command);
            command.assignments().forEach((id, n) -> processes.computeIfPresent(id, (k, v) -> n));
        }
        events.readValuesToList().forEach(e -> eventLog.add(new Seen(second, e)));
    }

    /**
     * One simulated second in which the pool moved past {@code drained} records while none of the requests and
     * results reached the scaler's counts: how it looks when its stream thread falls behind on a saturated machine.
     */
    void secondUncounted(long lag, int drained) {
        secondUncounted(lag, drained, true);
    }

    void secondUncounted(long lag, int drained, boolean sampled) {
        committed += drained;
        second(lag, Map.of(), Map.of(), sampled);
    }

    void second(long lag, int requested, int finished) {
        second(lag, Map.of("f-1", requested), Map.of("f-1", finished));
    }

    void seconds(int count, long lag) {
        for (int i = 0; i < count; i++) {
            second(lag, 0, 0);
        }
    }

    Instant now() {
        return T0.plusSeconds(second);
    }

    long currentSecond() {
        return second;
    }

    List<ScaleCommand> commands() {
        return commandLog;
    }

    List<Seen> events() {
        return eventLog;
    }

    Map<String, Integer> processes() {
        return processes;
    }

    @Override
    public void close() {
        driver.close();
    }
}
