package dev.s3c.gateway.tenants;

import static org.awaitility.Awaitility.await;

import dev.s3c.contracts.ExecutorStatus;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.contracts.Topic;
import dev.s3c.gateway.TestBroker;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The reader of the executors' status reports, on a real broker. */
class ExecutorStatusReaderTest {

    @Test
    void aRestartedGatewayReadsEveryStatusAgainWhateverItsGroupCommittedBefore() throws Exception {
        String topic = Topic.EXECUTOR_STATUS.topicName();
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                TestBroker.bootstrap()), new StringSerializer(), new ByteArraySerializer())) {
            var status = new ExecutorStatus("exec-r", 3, 1, false, Instant.now(), Map.of("acme", 2));
            producer.send(new ProducerRecord<>(topic, "exec-r", JsonCodec.toBytes(status))).get();
        }
        // what an earlier version of this gateway left in its group: offsets past that status
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, TestBroker.bootstrap()))) {
            var partitions = admin.describeTopics(java.util.List.of(topic)).allTopicNames().get().get(topic)
                    .partitions().stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            var ends = admin.listOffsets(partitions.stream().collect(java.util.stream.Collectors.toMap(p -> p,
                    p -> OffsetSpec.latest()))).all().get();
            Map<TopicPartition, OffsetAndMetadata> committed = new java.util.HashMap<>();
            ends.forEach((p, end) -> committed.put(p, new OffsetAndMetadata(end.offset())));
            admin.alterConsumerGroupOffsets("s3c-gateway-status-gw-r", committed).all().get();
        }

        RunningExecutions running = new RunningExecutions();
        ExecutorStatusReader reader = new ExecutorStatusReader(running, "gw-r", TestBroker.kafka());
        reader.start();
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> running.running("acme", Instant.now()) == 2);
        } finally {
            reader.stop();
        }
    }
}
