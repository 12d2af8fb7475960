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
            Map.of(TopicConfig.RETENTION_MS_CONFIG, String.valueOf(24L * 3600 * 1000)));

    /**
     * Largest message on the invocation topics: inputs and outputs are bounded at 1 MiB, code at 256 KiB, plus
     * envelope and logs. Producers set max.request.size to match.
     */
    public static final int MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

    private final String topicName;
    private final int partitions;
    private final Map<String, String> configs;

    Topic(String topicName, int partitions, Map<String, String> configs) {
        this.topicName = topicName;
        this.partitions = partitions;
        this.configs = configs;
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
