package dev.s3c.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class KafkaClientMetersTest {

    private final MeterRegistry registry = new SimpleMeterRegistry();

    KafkaClientMetersTest() {
        registry.config().meterFilter(KafkaClientMeters.filter());
    }

    private boolean exported(String name, Tags tags) {
        registry.gauge(name, tags, 1.0);
        return registry.find(name).tags(tags).gauge() != null;
    }

    @Test
    void perPartitionTheConsumerKeepsOnlyTheLagsMaximum() {
        Tags partition = Tags.of("client.id", "s3c-executor-0", "topic", Topic.INVOCATIONS.topicName(), "partition", "3");
        assertThat(exported("kafka.consumer.fetch.manager.records.lag.max", partition)).isTrue();
        for (String name : new String[] {"records.lag", "records.lag.avg", "records.lead", "records.lead.avg",
                "records.lead.min", "preferred.read.replica"}) {
            assertThat(exported("kafka.consumer.fetch.manager." + name, partition)).as(name).isFalse();
        }
    }

    @Test
    void aTopicsSecondSeriesUnderItsOldUnderscoredNameIsDropped() {
        Tags underscored = Tags.of("client.id", "s3c-monitor-0", "topic", "s3c_invocation-results");
        Tags named = Tags.of("client.id", "s3c-monitor-0", "topic", Topic.INVOCATION_RESULTS.topicName());
        assertThat(exported("kafka.consumer.fetch.manager.records.consumed.total", underscored)).isFalse();
        assertThat(exported("kafka.consumer.fetch.manager.records.consumed.total", named)).isTrue();
        // the kept per-partition figure too: its second series is still a copy
        assertThat(exported("kafka.consumer.fetch.manager.records.lag.max",
                Tags.of("client.id", "s3c-monitor-0", "topic", "s3c_invocation-results", "partition", "0"))).isFalse();
    }

    @Test
    void otherMetersAreKept() {
        assertThat(exported("kafka.consumer.fetch.manager.records.lag.max", Tags.of("client.id", "c"))).isTrue();
        assertThat(exported("kafka.consumer.fetch.manager.fetch.total", Tags.of("client.id", "c"))).isTrue();
        assertThat(exported("kafka.producer.topic.record.send.total",
                Tags.of("client.id", "p", "topic", "a_topic_of_someone_else"))).isTrue();
        assertThat(exported("s3c.executor.invocations", Tags.of("function", "f", "partition", "1"))).isTrue();
    }
}
