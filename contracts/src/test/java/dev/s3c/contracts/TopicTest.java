package dev.s3c.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TopicTest {

    @Test
    void namesAreUniqueAndPrefixed() {
        assertThat(Arrays.stream(Topic.values()).map(Topic::topicName).distinct().count())
                .isEqualTo(Topic.values().length);
        assertThat(Topic.values()).allSatisfy(t -> assertThat(t.topicName()).startsWith("s3c."));
    }

    @Test
    void retriesGoToTheLongestTierNotLongerThanTheirDelay() {
        assertThat(Topic.retryTiers()).extracting(Topic::delaySeconds)
                .containsExactly(1, 2, 4, 8, 16, 32, 64, 128, 256);
        assertThat(Topic.retryTierFor(java.time.Duration.ofMillis(200))).isEqualTo(Topic.RETRY_1S);
        assertThat(Topic.retryTierFor(java.time.Duration.ofSeconds(1))).isEqualTo(Topic.RETRY_1S);
        assertThat(Topic.retryTierFor(java.time.Duration.ofSeconds(3))).isEqualTo(Topic.RETRY_2S);
        assertThat(Topic.retryTierFor(java.time.Duration.ofSeconds(4))).isEqualTo(Topic.RETRY_4S);
        assertThat(Topic.retryTierFor(java.time.Duration.ofMinutes(30))).isEqualTo(Topic.RETRY_256S);
    }

    @Test
    void definitionsAreCompactedAndInvocationsAllowTenInstances() {
        assertThat(Topic.FUNCTION_DEFINITIONS.newTopic().configs()).containsEntry("cleanup.policy", "compact");
        // the pool may grow to 10 consumer threads; each needs a partition to be useful
        assertThat(Topic.INVOCATIONS.partitions()).isGreaterThanOrEqualTo(10);
        assertThat(Topic.INVOCATIONS.newTopic().numPartitions()).isEqualTo(Topic.INVOCATIONS.partitions());
    }
}
