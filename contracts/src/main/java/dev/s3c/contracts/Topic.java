package dev.s3c.contracts;

import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;

/**
 * Every topic of the platform, with its settings, in one registry. Each topic has exactly one writer
 * (named here), which declares it at start-up.
 */
public enum Topic {
    /** Writer: gateway. Compacted: the latest definition per function id, tombstones for deletes. */
    FUNCTION_DEFINITIONS("s3c.function-definitions", 3,
            Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                    TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG, "0",
                    TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(Topic.MAX_MESSAGE_BYTES))),
    /** Writer: gateway. Keyed by execution id so a hot function spreads over all partitions. */
    INVOCATIONS("s3c.invocations", 12,
            Map.of(TopicConfig.RETENTION_MS_CONFIG, String.valueOf(7L * 24 * 3600 * 1000),
                    TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(Topic.MAX_MESSAGE_BYTES))),
    /** Writer: executor. One final result per execution, keyed by execution id. */
    INVOCATION_RESULTS("s3c.invocation-results", 12,
            Map.of(TopicConfig.RETENTION_MS_CONFIG, String.valueOf(7L * 24 * 3600 * 1000),
                    TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(Topic.MAX_MESSAGE_BYTES))),
    /** Writer: executor. Executions still running after a moment, keyed by execution id; only worth a day. */
    INVOCATION_STARTS("s3c.invocation-starts", 12,
            Map.of(TopicConfig.RETENTION_MS_CONFIG, String.valueOf(24L * 3600 * 1000))),
    /**
     * Writer: executor. Failed attempts with retries left wait in the tier of their delay (1 s, 2 s, 4 s, ...),
     * each tier in due order, so a waiting retry never sits in front of fresh invocations.
     */
    RETRY_1S("s3c.invocation-retry-1s", 1),
    RETRY_2S("s3c.invocation-retry-2s", 2),
    RETRY_4S("s3c.invocation-retry-4s", 4),
    RETRY_8S("s3c.invocation-retry-8s", 8),
    RETRY_16S("s3c.invocation-retry-16s", 16),
    RETRY_32S("s3c.invocation-retry-32s", 32),
    RETRY_64S("s3c.invocation-retry-64s", 64),
    RETRY_128S("s3c.invocation-retry-128s", 128),
    RETRY_256S("s3c.invocation-retry-256s", 256),
    /**
     * Writer: executor. Invocations whose retries are exhausted (or never taken: a developer error), with their
     * attempt history; kept 14 days.
     */
    DEAD_LETTERS("s3c.invocation-dead-letters", 12,
            Map.of(TopicConfig.RETENTION_MS_CONFIG, String.valueOf(14L * 24 * 3600 * 1000),
                    TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(Topic.MAX_MESSAGE_BYTES))),
    /** Writer: gateway. Dead letters redriven or discarded through the API. */
    DEAD_LETTER_RESOLUTIONS("s3c.dead-letter-resolutions", 3,
            Map.of(TopicConfig.RETENTION_MS_CONFIG, String.valueOf(14L * 24 * 3600 * 1000))),
    /** Writer: executor (its retry forwarder). Retries that are due, consumed by the instances with fresh invocations. */
    RETRIES_DUE("s3c.invocation-retries-due", 12,
            Map.of(TopicConfig.RETENTION_MS_CONFIG, String.valueOf(7L * 24 * 3600 * 1000),
                    TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(Topic.MAX_MESSAGE_BYTES))),
    /**
     * Writer: executor (its instances move invocations here from the two topics above). Invocations of a tenant or
     * function with a concurrency limit of n run from n of these partitions only: each partition is consumed by one
     * instance at a time, one record after the other, so never more than n run at once, in any number of executor
     * processes, and the rest wait in line, in order. Many partitions, so limited tenants rarely share one.
     */
    INVOCATION_LANES("s3c.invocation-lanes", 48,
            Map.of(TopicConfig.RETENTION_MS_CONFIG, String.valueOf(7L * 24 * 3600 * 1000),
                    TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(Topic.MAX_MESSAGE_BYTES))),
    /**
     * Writer: executor (its instances move invocations here from the invocations and retries-due topics). Invocations
     * of a tenant without a concurrency limit that took more than its share of the instances while its invocations
     * waited (its fair share): each such tenant's run from a few of these partitions, apart from the lanes of limited
     * tenants and functions, so its moved backlog never waits in front of theirs. Keyed by execution id.
     */
    FAIR_LANES("s3c.invocation-fair-lanes", 48,
            Map.of(TopicConfig.RETENTION_MS_CONFIG, String.valueOf(7L * 24 * 3600 * 1000),
                    TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(Topic.MAX_MESSAGE_BYTES))),
    /**
     * Writer: executor (its instances move invocations here from the invocations and retries-due topics). Invocations
     * of functions that lately ran long, timed out or hit a limit on that executor: run by instances of their own, so
     * a slow or hostile function never holds up fast ones polled behind it. Keyed by execution id.
     */
    SLOW_LANE("s3c.invocation-slow-lane", 12,
            Map.of(TopicConfig.RETENTION_MS_CONFIG, String.valueOf(7L * 24 * 3600 * 1000),
                    TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(Topic.MAX_MESSAGE_BYTES))),
    /**
     * Writer: executor. Each executor process's instance count, keyed by process id: on change and as a heartbeat.
     * Compacted; one partition, so the scaler reads all processes in one task.
     */
    EXECUTOR_STATUS("s3c.executor-status", 1,
            Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                    TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG, "0")),
    /** Writer: scaler (its lag probe). The executor group's offsets once a second; the scaler's clock. Kept an hour. */
    EXECUTOR_LAG("s3c.scaler.executor-lag", 1,
            Map.of(TopicConfig.RETENTION_MS_CONFIG, String.valueOf(3600L * 1000))),
    /** Writer: scaler. The desired pool size and its split per executor process, keyed by group. Compacted. */
    SCALE_COMMANDS("s3c.scale-commands", 1,
            Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                    TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG, "0")),
    /** Writer: scaler. Every scaling decision with the inputs that explain it; kept 14 days (the monitor keeps more). */
    SCALING_EVENTS("s3c.scaling-events", 1,
            Map.of(TopicConfig.RETENTION_MS_CONFIG, String.valueOf(14L * 24 * 3600 * 1000)));

    /**
     * Largest message on the invocation topics: inputs and outputs are bounded at 1 MiB, code at 256 KiB, plus
     * envelope and logs. Producers set max.request.size to match.
     */
    public static final int MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

    private final String topicName;
    private final int partitions;
    private final Map<String, String> configs;
    private final int delaySeconds;

    Topic(String topicName, int partitions, Map<String, String> configs) {
        this.topicName = topicName;
        this.partitions = partitions;
        this.configs = configs;
        this.delaySeconds = 0;
    }

    /** A retry tier: records wait here about {@code delaySeconds} before they are due. */
    Topic(String topicName, int delaySeconds) {
        this.topicName = topicName;
        this.partitions = 12;
        this.configs = Map.of(TopicConfig.RETENTION_MS_CONFIG, String.valueOf(7L * 24 * 3600 * 1000),
                TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(MAX_MESSAGE_BYTES));
        this.delaySeconds = delaySeconds;
    }

    /** The retry tiers, shortest delay first. */
    public static java.util.List<Topic> retryTiers() {
        return java.util.Arrays.stream(values()).filter(t -> t.delaySeconds > 0).toList();
    }

    /** The tier a retry waiting {@code delay} goes to: the longest tier not longer than the delay. */
    public static Topic retryTierFor(java.time.Duration delay) {
        Topic chosen = RETRY_1S;
        for (Topic tier : retryTiers()) {
            if (tier.delaySeconds * 1000L <= delay.toMillis()) {
                chosen = tier;
            }
        }
        return chosen;
    }

    public int delaySeconds() {
        return delaySeconds;
    }

    public String topicName() {
        return topicName;
    }

    public int partitions() {
        return partitions;
    }

    public Map<String, String> configs() {
        return configs;
    }

    /** The topic as Kafka's admin client creates it; the replication factor is the broker's default. */
    public NewTopic newTopic() {
        return new NewTopic(topicName, Optional.of(partitions), Optional.empty()).configs(configs);
    }
}
