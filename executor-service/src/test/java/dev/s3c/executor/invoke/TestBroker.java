package dev.s3c.executor.invoke;

import dev.s3c.contracts.InvocationCompleted;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.contracts.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * An embedded broker of one test class, with the topics executor instances read and write, and ways to read them
 * back as their readers do.
 */
final class TestBroker {

    private final EmbeddedKafkaKraftBroker broker;

    TestBroker() {
        broker = new EmbeddedKafkaKraftBroker(1, 1);
        broker.brokerProperties(Map.of("auto.create.topics.enable", "false", "group.initial.rebalance.delay.ms", "0",
                "transaction.state.log.replication.factor", "1", "transaction.state.log.min.isr", "1",
                "transaction.state.log.num.partitions", "1"));
        broker.afterPropertiesSet();
        broker.addTopics(Stream.concat(Stream.of(Topic.INVOCATIONS, Topic.RETRIES_DUE, Topic.INVOCATION_RESULTS,
                Topic.DEAD_LETTERS, Topic.FUNCTION_DEFINITIONS, Topic.INVOCATION_STARTS, Topic.INVOCATION_LANES,
                Topic.FAIR_LANES, Topic.SLOW_LANE), Topic.retryTiers().stream())
                .map(Topic::newTopic)
                .toArray(org.apache.kafka.clients.admin.NewTopic[]::new));
    }

    String bootstrap() {
        return broker.getBrokersAsString();
    }

    KafkaProperties kafka() {
        KafkaProperties kafka = new KafkaProperties();
        kafka.setBootstrapServers(List.of(bootstrap()));
        return kafka;
    }

    KafkaProducer<String, byte[]> plainProducer() {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()),
                new StringSerializer(), new ByteArraySerializer());
    }

    /** A producer whose records a read-committed reader sees together, when its transaction commits. */
    KafkaProducer<String, byte[]> transactionalProducer(String transactionalId) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId), new StringSerializer(),
                new ByteArraySerializer());
    }

    /** Every record of {@code topic}, as a reader with {@code isolation} sees them. */
    List<ConsumerRecord<String, byte[]>> readAll(String topic, String isolation) {
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        try (var consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
            // read until every partition's position passed its end (control records included)
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            return records;
        }
    }

    /** The committed results of the executions whose id starts with {@code idPrefix}. */
    List<InvocationCompleted> committedResults(String idPrefix) {
        return readAll(Topic.INVOCATION_RESULTS.topicName(), "read_committed").stream()
                .map(r -> JsonCodec.fromBytes(r.value(), InvocationCompleted.class))
                .filter(c -> c.executionId().startsWith(idPrefix)).toList();
    }

    void destroy() {
        broker.destroy();
    }
}
