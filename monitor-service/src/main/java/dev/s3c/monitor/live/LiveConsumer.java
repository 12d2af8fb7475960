package dev.s3c.monitor.live;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.s3c.contracts.DeadLettered;
import dev.s3c.contracts.ExecutorStatus;
import dev.s3c.contracts.InvocationCompleted;
import dev.s3c.contracts.InvocationRequested;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.contracts.LagSample;
import dev.s3c.contracts.ScalingEvent;
import dev.s3c.contracts.Topic;
import dev.s3c.monitor.TopicReader;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.kafka.listener.ContainerProperties;
import tools.jackson.databind.json.JsonMapper;

/**
 * Feeds the live aggregates from the topics, as they are written: requests, results, retries, dead letters, scaling
 * events, executor statuses and lag samples. Each monitor instance reads everything from the moment it starts
 * (a group of its own, from the end), so every instance shows the whole platform; nothing is committed.
 *
 * <p>Two of these read in each monitor ({@link LiveReaders}): one the busy topics, one the retry tiers. While a fetch
 * waits for its minimum bytes, the broker checks it again on every write to any of its partitions, and each check
 * walks all the partitions the fetch names: one reader of 147 partitions (108 of them the nine idle retry tiers) cost
 * the broker more than any other reader under load.
 */
class LiveConsumer extends TopicReader {

    private static final Logger log = LoggerFactory.getLogger(LiveConsumer.class);

    /**
     * The platform's codec, skipping what the live figures never use: inputs, outputs, logs and attempt histories
     * (read as empty). Jackson then passes over those values instead of building them; this reader decodes every
     * request and result on the platform.
     */
    static final JsonMapper CODEC = JsonCodec.mapper().rebuild()
            .addMixIn(InvocationRequested.class, WithoutPayloads.class)
            .addMixIn(InvocationCompleted.class, WithoutPayloads.class)
            .build();

    @JsonIgnoreProperties({"input", "output", "logs", "history"})
    private abstract static class WithoutPayloads {
    }

    private final LiveAggregates aggregates;
    private final LiveFeed feed;

    /** The topics written to under any load. */
    static final List<String> BUSY_TOPICS = List.of(Topic.INVOCATIONS.topicName(),
            Topic.INVOCATION_RESULTS.topicName(), Topic.DEAD_LETTERS.topicName(), Topic.SCALING_EVENTS.topicName(),
            Topic.EXECUTOR_STATUS.topicName(), Topic.EXECUTOR_LAG.topicName());

    /** The retry tiers: written to only when functions fail. */
    static final List<String> RETRY_TOPICS = Topic.retryTiers().stream().map(Topic::topicName).toList();

    /**
     * @param name the client id, and the start of the reader's own group's name
     * @param maxWait how long a fetch may wait for a fuller batch (a reader of idle topics fetches this often)
     */
    LiveConsumer(String name, List<String> topics, Duration maxWait, LiveAggregates aggregates, LiveFeed feed,
            KafkaProperties kafka, MeterRegistry meters) {
        // a group of its own from the end, never committing; read_committed: the scaler writes in transactions;
        // figures are shown per second, so a fetch may wait for a fuller batch: under load the broker then serves
        // this reader a few fetches a second instead of one per handful of records
        super(name, kafka, meters, Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, name + "-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 64 * 1024,
                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, (int) maxWait.toMillis()), ContainerProperties.AckMode.MANUAL, 1,
                topics);
        this.aggregates = aggregates;
        this.feed = feed;
    }

    /** The topics this reader subscribes to. */
    List<String> topics() {
        return List.of(container().getContainerProperties().getTopics());
    }

    @Override
    public void onMessage(List<ConsumerRecord<String, byte[]>> records) {
        for (ConsumerRecord<String, byte[]> record : records) {
            try {
                apply(record);
            } catch (RuntimeException e) {
                log.debug("Skipping unreadable record {}-{}@{}: {}", record.topic(), record.partition(),
                        record.offset(), e.getMessage());
            }
        }
    }

    private void apply(ConsumerRecord<String, byte[]> record) {
        String topic = record.topic();
        if (record.value() == null && !topic.equals(Topic.EXECUTOR_STATUS.topicName())) {
            return;
        }
        if (topic.equals(Topic.INVOCATIONS.topicName())) {
            InvocationRequested r = CODEC.readValue(record.value(), InvocationRequested.class);
            aggregates.accepted(r.functionId(), r.requestedAt() != null ? r.requestedAt() : Instant.now());
        } else if (topic.equals(Topic.INVOCATION_RESULTS.topicName())) {
            InvocationCompleted r = CODEC.readValue(record.value(), InvocationCompleted.class);
            if (aggregates.completed(r)) {
                feed.publish("execution", () -> finished(r));
            }
        } else if (topic.equals(Topic.DEAD_LETTERS.topicName())) {
            DeadLettered d = JsonCodec.fromBytes(record.value(), DeadLettered.class);
            aggregates.deadLettered(d.functionId(), d.deadLetteredAt() != null ? d.deadLetteredAt() : Instant.now());
        } else if (topic.equals(Topic.SCALING_EVENTS.topicName())) {
            ScalingEvent e = JsonCodec.fromBytes(record.value(), ScalingEvent.class);
            aggregates.scaling(e);
            feed.publish("scaling", () -> e);
        } else if (topic.equals(Topic.EXECUTOR_STATUS.topicName())) {
            ExecutorStatus s = record.value() == null ? null : JsonCodec.fromBytes(record.value(), ExecutorStatus.class);
            aggregates.executor(record.key(), s, Instant.now());
        } else if (topic.equals(Topic.EXECUTOR_LAG.topicName())) {
            aggregates.lag(JsonCodec.fromBytes(record.value(), LagSample.class));
        } else {
            // a retry tier: a failed attempt scheduled again, or the same attempt handed back after a platform
            // fault (a redelivery: not the function's failure, not a retry)
            InvocationRequested retry = CODEC.readValue(record.value(), InvocationRequested.class);
            if (retry.redeliveries() == 0) {
                aggregates.retried(retry.functionId(), Instant.ofEpochMilli(record.timestamp()));
            }
        }
    }

    /** An execution finished, as the live stream shows it (no output or logs: those can be large). */
    private static Map<String, Object> finished(InvocationCompleted r) {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("executionId", r.executionId());
        event.put("functionId", r.functionId());
        event.put("status", r.status().wire());
        event.put("durationMs", r.durationMs());
        event.put("attempt", r.attempt());
        event.put("coldStart", r.coldStart());
        event.put("instanceId", r.instanceId());
        event.put("finishedAt", r.finishedAt());
        event.put("error", r.error() == null ? null : r.error().message());
        return event;
    }
}
