package dev.s3c.executor.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class CommitPastMarkersTest {

    private static final TopicPartition PAST_MARKER = new TopicPartition("s3c.invocation-retries-due", 0);
    private static final TopicPartition UP_TO_DATE = new TopicPartition("s3c.invocations", 0);
    private static final TopicPartition NEVER_COMMITTED = new TopicPartition("s3c.invocation-lanes", 7);

    @Test
    void anIdleInstanceCommitsWhereItIsWhereTheGroupIsBehindOrHasNoOffsetYet() {
        var consumer = new MockConsumer<String, byte[]>("earliest");
        consumer.assign(List.of(PAST_MARKER, UP_TO_DATE, NEVER_COMMITTED));
        consumer.updateBeginningOffsets(Map.of(PAST_MARKER, 0L, UP_TO_DATE, 0L, NEVER_COMMITTED, 0L));
        // a transaction committed offset 5; the consumer read past its marker, to 6
        consumer.commitSync(Map.of(PAST_MARKER, new OffsetAndMetadata(5), UP_TO_DATE, new OffsetAndMetadata(3)));
        consumer.seek(PAST_MARKER, 6);
        consumer.seek(UP_TO_DATE, 3);

        ExecutorPool.commitPastMarkers(consumer);

        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(
                Set.of(PAST_MARKER, UP_TO_DATE, NEVER_COMMITTED), Duration.ofSeconds(1));
        assertThat(committed.get(PAST_MARKER).offset()).isEqualTo(6);
        assertThat(committed.get(UP_TO_DATE).offset()).isEqualTo(3);
        // a lane nobody used yet gets its position, so its missing offset is not looked up again every second
        assertThat(committed.get(NEVER_COMMITTED).offset()).isZero();
    }
}
