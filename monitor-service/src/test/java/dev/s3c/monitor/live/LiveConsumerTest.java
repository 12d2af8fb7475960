package dev.s3c.monitor.live;

import static org.assertj.core.api.Assertions.assertThat;

import dev.s3c.contracts.AttemptRecord;
import dev.s3c.contracts.ErrorType;
import dev.s3c.contracts.ExecutionError;
import dev.s3c.contracts.ExecutionStatus;
import dev.s3c.contracts.InvocationCompleted;
import dev.s3c.contracts.InvocationRequested;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.contracts.Topic;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;

/** What the live view makes of the records it reads, before any aggregation. */
class LiveConsumerTest {

    private static final Instant T0 = Instant.parse("2026-11-27T10:00:00Z");
    private final LiveAggregates aggregates = new LiveAggregates();
    private final LiveConsumer consumer = new LiveConsumer("s3c-monitor-live", LiveConsumer.BUSY_TOPICS,
            java.time.Duration.ofMillis(100), aggregates, new LiveFeed(aggregates), new KafkaProperties(),
            new SimpleMeterRegistry());

    private static ConsumerRecord<String, byte[]> record(Topic topic, String key, Object value) {
        return new ConsumerRecord<>(topic.topicName(), 0, 0, T0.toEpochMilli(), TimestampType.CREATE_TIME, 0, 0, key,
                JsonCodec.toBytes(value), new RecordHeaders(), Optional.empty());
    }

    /**
     * The broker checks a waiting fetch again on every write to any partition it names, walking all of them: the nine
     * retry tiers (108 partitions, idle while functions succeed) are read apart, so the reader of the busy topics
     * names 39 partitions, not 147. Together the two read every topic the live figures come from.
     */
    @Test
    void theRetryTiersAreReadApartFromTheBusyTopics() {
        LiveReaders readers = new LiveReaders();
        LiveFeed feed = new LiveFeed(aggregates);
        List<String> busy = readers.liveBusyTopics(aggregates, feed, new KafkaProperties(), new SimpleMeterRegistry())
                .topics();
        List<String> retries = readers.liveRetryTiers(aggregates, feed, new KafkaProperties(),
                new SimpleMeterRegistry()).topics();

        assertThat(retries).containsExactlyInAnyOrderElementsOf(
                Topic.retryTiers().stream().map(Topic::topicName).toList());
        assertThat(busy).doesNotContainAnyElementsOf(retries)
                .containsExactlyInAnyOrder(Topic.INVOCATIONS.topicName(), Topic.INVOCATION_RESULTS.topicName(),
                        Topic.DEAD_LETTERS.topicName(), Topic.SCALING_EVENTS.topicName(),
                        Topic.EXECUTOR_STATUS.topicName(), Topic.EXECUTOR_LAG.topicName());
        assertThat(busy.stream().mapToInt(LiveConsumerTest::partitions).sum()).isEqualTo(39);
    }

    private static int partitions(String topicName) {
        return java.util.Arrays.stream(Topic.values()).filter(t -> t.topicName().equals(topicName)).findFirst()
                .orElseThrow().partitions();
    }

    @Test
    void aRedeliveryAfterAPlatformFaultIsNotCountedAsARetry() {
        var first = new InvocationRequested("e-1", "f", 1, null, T0, null);
        var failed = new InvocationCompleted("e-1", "f", 1, ExecutionStatus.FAILED, null,
                ExecutionError.of(ErrorType.USER_ERROR, "no"), "", 3, 1, "i", false, T0, T0, T0, null);
        InvocationRequested retry = first.retry(T0.plusSeconds(1), AttemptRecord.of(failed));
        InvocationRequested redelivery = first.redeliver(T0.plusSeconds(1));

        consumer.onMessage(List.of(record(Topic.RETRY_1S, "e-1", retry), record(Topic.RETRY_1S, "e-2", redelivery)));

        assertThat(aggregates.snapshot(T0.plusSeconds(1)).lastSecond().retried()).isEqualTo(1);
    }

    @Test
    void anOutcomeWithoutARunCountsAsCompletedButNotAsARunOrAQueueWait() {
        // what the executor publishes for a rejection: no start time, no duration
        var rejected = new InvocationCompleted("e-3", "f", 1, ExecutionStatus.REJECTED, null,
                ExecutionError.of(ErrorType.REJECTED, "function f is inactive"), "", 0, 1, "i", false, T0, null,
                T0.plusMillis(5), null);

        consumer.onMessage(List.of(record(Topic.INVOCATION_RESULTS, "e-3", rejected)));

        Stats.View second = aggregates.snapshot(T0.plusSeconds(1)).lastSecond();
        assertThat(second.completed()).isEqualTo(1);
        assertThat(second.rejected()).isEqualTo(1);
        assertThat(second.coldStarts()).isZero();
        assertThat(second.queueWaitMs().p50()).isZero();
        assertThat(second.executionMs().p50()).isZero();
    }

    /** Payloads are passed over (read as empty); everything the live figures and the stream use is read. */
    @Test
    void resultsAndRequestsAreReadWithoutTheirPayloads() {
        var request = new InvocationRequested("e-4", "f", 2, JsonCodec.readTree("{\"big\":[1,2,3]}"), T0, "reply-1");
        var failed = new InvocationCompleted("e-4", "f", 2, ExecutionStatus.FAILED, null,
                ExecutionError.of(ErrorType.USER_ERROR, "first"), "log line", 3, 1, "i-1", true, T0, T0, T0, null);
        var result = new InvocationCompleted("e-4", "f", 2, ExecutionStatus.SUCCEEDED,
                JsonCodec.readTree("{\"out\":\"" + "x".repeat(10_000) + "\"}"),
                ExecutionError.of(ErrorType.USER_ERROR, "kept"), "logs", 7, 2, "i-2", true, T0, T0.plusMillis(1),
                T0.plusMillis(8), null).withHistory(List.of(AttemptRecord.of(failed)), 3);

        InvocationRequested readRequest = LiveConsumer.CODEC.readValue(JsonCodec.toBytes(request),
                InvocationRequested.class);
        assertThat(readRequest.input().isNull()).isTrue();
        assertThat(readRequest).isEqualTo(new InvocationRequested("e-4", "f", 2, null, T0, "reply-1"));

        InvocationCompleted read = LiveConsumer.CODEC.readValue(JsonCodec.toBytes(result), InvocationCompleted.class);
        assertThat(read.output().isNull()).isTrue();
        assertThat(read.logs()).isNull();
        assertThat(read.history()).isEmpty();
        assertThat(read).usingRecursiveComparison().ignoringFields("output", "logs", "history").isEqualTo(result);
        // the platform's own codec still reads them all
        assertThat(JsonCodec.fromBytes(JsonCodec.toBytes(result), InvocationCompleted.class)).isEqualTo(result);

        consumer.onMessage(List.of(record(Topic.INVOCATIONS, "e-4", request),
                record(Topic.INVOCATION_RESULTS, "e-4", result)));
        Stats.View second = aggregates.snapshot(T0.plusSeconds(1)).lastSecond();
        assertThat(second.accepted()).isEqualTo(1);
        assertThat(second.completed()).isEqualTo(1);
        assertThat(second.coldStarts()).isEqualTo(1);
    }
}
