package dev.s3c.executor.retry;

import dev.s3c.contracts.InvocationRequested;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.contracts.Topic;
import dev.s3c.executor.ExecutorProperties;
import dev.s3c.executor.kafka.ConsumerThread;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;

import org.springframework.stereotype.Component;

/**
 * Moves retries from their delay tier to the retries-due topic when they are due. A tier partition whose head is
 * not due yet is paused until it is (tiers are in due order), so nothing sleeps and nothing waits behind it; due
 * retries reach the instances beside fresh invocations. Each poll's forwards and its consumed offsets are one Kafka
 * transaction: a retry is forwarded exactly once (the instances read only committed retries), however often the
 * forwarder fails or restarts on the way.
 */
@Component
public class RetryForwarder extends ConsumerThread {

    static final String GROUP = "s3c-executor-retries";
    private static final Logger log = LoggerFactory.getLogger(RetryForwarder.class);

    private final Map<String, Object> consumerConfig;
    private final Map<String, Object> producerConfig;
    private final Map<TopicPartition, Instant> pausedUntil = new HashMap<>();

    public RetryForwarder(KafkaProperties kafka, ExecutorProperties properties) {
        super("s3c-retry-forwarder");
        Map<String, Object> consumer = new HashMap<>(kafka.buildConsumerProperties());
        consumer.put(ConsumerConfig.GROUP_ID_CONFIG, GROUP);
        consumer.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // the tiers are written in the instances' transactions: an aborted batch's retry is never forwarded
        consumer.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumer.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumer.put(ConsumerConfig.CLIENT_ID_CONFIG, "s3c-executor-retry-forwarder");
        this.consumerConfig = consumer;
        Map<String, Object> producer = new HashMap<>(kafka.buildProducerProperties());
        producer.put(ProducerConfig.CLIENT_ID_CONFIG, "s3c-executor-retry-forwarder");
        // one forwarder per executor process; a restarted process fences its predecessor's open transaction only if
        // it has the same id, otherwise the broker aborts that one after the timeout
        producer.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "s3c-executor-retry-forwarder-" + properties.instancePrefix());
        producer.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 10_000);
        this.producerConfig = producer;
    }

    @Override
    protected void loop() {
        // a consumer that could not be sent back to its committed offsets is replaced: a new one starts there
        while (running()) {
            try {
                consume();
                return;
            } catch (WakeupException e) {
                return;
            } catch (RuntimeException e) {
                log.warn("Retry forwarder failed, starting again in a second: {}", e.toString());
                pausedUntil.clear();
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private void consume() {
        KafkaProducer<String, byte[]> producer = null;
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(consumerConfig, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            wakeOnStop(c);
            c.subscribe(Topic.retryTiers().stream().map(Topic::topicName).toList(), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    partitions.forEach(pausedUntil::remove);
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    // newly assigned partitions start unpaused
                }
            });
            while (running()) {
                ConsumerRecords<String, byte[]> records = c.poll(Duration.ofMillis(100));
                try {
                    if (producer == null) {
                        producer = newProducer();
                    }
                    forward(c, producer, records);
                } catch (WakeupException e) {
                    throw e;
                } catch (RuntimeException e) {
                    // an aborted transaction (a rebalance, an unreachable broker), or a producer fenced or broken:
                    // read again from what is committed, with a new producer (which fences what the old one left);
                    // if even that fails, the caller starts over with a new consumer
                    log.warn("Forwarding retries failed, reading them again: {}", e.toString());
                    producer = closeQuietly(producer);
                    rewind(c, records.partitions());
                }
                resumeDue(c);
            }
        } finally {
            closeQuietly(producer);
        }
    }

    private KafkaProducer<String, byte[]> newProducer() {
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig, new StringSerializer(),
                new ByteArraySerializer());
        try {
            producer.initTransactions();
            return producer;
        } catch (RuntimeException e) {
            closeQuietly(producer);
            throw e;
        }
    }

    private static KafkaProducer<String, byte[]> closeQuietly(KafkaProducer<String, byte[]> producer) {
        if (producer != null) {
            try {
                producer.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                log.debug("Closing the forwarder's producer: {}", e.toString());
            }
        }
        return null;
    }

    /** Back to the committed offset (the beginning where none is), so nothing read but not forwarded is skipped. */
    private static void rewind(KafkaConsumer<String, byte[]> c, Set<TopicPartition> partitions) {
        Set<TopicPartition> assigned = c.assignment();
        Set<TopicPartition> mine = new HashSet<>(partitions);
        mine.retainAll(assigned);
        if (mine.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> committed = c.committed(mine);
        for (TopicPartition tp : mine) {
            OffsetAndMetadata offset = committed.get(tp);
            if (offset == null) {
                c.seekToBeginning(List.of(tp));
            } else {
                c.seek(tp, offset.offset());
            }
        }
    }

    /** Forwards what is due of one poll and commits its offsets, in one transaction; aborts it and throws on failure. */
    void forward(KafkaConsumer<String, byte[]> c, KafkaProducer<String, byte[]> producer,
            ConsumerRecords<String, byte[]> records) {
        Instant now = Instant.now();
        Set<TopicPartition> held = new HashSet<>();
        List<ProducerRecord<String, byte[]>> due = new ArrayList<>();
        Map<TopicPartition, OffsetAndMetadata> done = new HashMap<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            TopicPartition tp = new TopicPartition(record.topic(), record.partition());
            if (held.contains(tp)) {
                continue;
            }
            Instant dueAt = dueAt(record);
            if (dueAt != null && dueAt.isAfter(now)) {
                // the head of this partition is not due: wait for it without reading past it
                c.pause(List.of(tp));
                c.seek(tp, record.offset());
                pausedUntil.put(tp, dueAt);
                held.add(tp);
                continue;
            }
            due.add(new ProducerRecord<>(Topic.RETRIES_DUE.topicName(), record.key(), record.value()));
            done.put(tp, new OffsetAndMetadata(record.offset() + 1));
        }
        if (done.isEmpty()) {
            return;
        }
        // on a failure nothing is committed: the caller closes the producer (its transaction ends aborted) and
        // rewinds every partition of this poll, held ones too
        producer.beginTransaction();
        due.forEach(producer::send);
        producer.sendOffsetsToTransaction(done, c.groupMetadata());
        producer.commitTransaction();
    }

    private void resumeDue(KafkaConsumer<String, byte[]> c) {
        Instant now = Instant.now();
        List<TopicPartition> due = pausedUntil.entrySet().stream().filter(e -> !e.getValue().isAfter(now))
                .map(Map.Entry::getKey).toList();
        if (!due.isEmpty()) {
            c.resume(due);
            due.forEach(pausedUntil::remove);
        }
    }

    private static Instant dueAt(ConsumerRecord<String, byte[]> record) {
        try {
            return JsonCodec.fromBytes(record.value(), InvocationRequested.class).notBefore();
        } catch (RuntimeException e) {
            // unreadable: forward it, the instance turns it into a rejected result
            return null;
        }
    }
}
