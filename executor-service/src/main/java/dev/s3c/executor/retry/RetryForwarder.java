package dev.s3c.executor.retry;

import dev.s3c.contracts.InvocationRequested;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.contracts.Topic;
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
import java.util.concurrent.Future;
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
 * retries reach the instances beside fresh invocations. Offsets are committed only after the forward is acknowledged.
 */
@Component
public class RetryForwarder extends ConsumerThread {

    static final String GROUP = "s3c-executor-retries";
    private static final Logger log = LoggerFactory.getLogger(RetryForwarder.class);

    private final Map<String, Object> consumerConfig;
    private final Map<String, Object> producerConfig;
    private final Map<TopicPartition, Instant> pausedUntil = new HashMap<>();

    public RetryForwarder(KafkaProperties kafka) {
        super("s3c-retry-forwarder");
        Map<String, Object> consumer = new HashMap<>(kafka.buildConsumerProperties());
        consumer.put(ConsumerConfig.GROUP_ID_CONFIG, GROUP);
        consumer.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumer.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumer.put(ConsumerConfig.CLIENT_ID_CONFIG, "s3c-executor-retry-forwarder");
        this.consumerConfig = consumer;
        Map<String, Object> producer = new HashMap<>(kafka.buildProducerProperties());
        producer.put(ProducerConfig.CLIENT_ID_CONFIG, "s3c-executor-retry-forwarder");
        this.producerConfig = producer;
    }

    @Override
    protected void loop() {
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(consumerConfig, new StringDeserializer(),
                new ByteArrayDeserializer());
                KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig, new StringSerializer(),
                        new ByteArraySerializer())) {
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
                    forward(c, producer, records);
                } catch (WakeupException e) {
                    throw e;
                } catch (RuntimeException e) {
                    // a failed send or commit (a rebalance, say): read again from what is committed, keep going
                    log.warn("Forwarding retries failed, reading them again: {}", e.toString());
                    rewind(c, records.partitions());
                }
                resumeDue(c);
            }
        } catch (WakeupException e) {
            // stopping
        } catch (RuntimeException e) {
            log.error("Retry forwarder stopped", e);
        }
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

    void forward(KafkaConsumer<String, byte[]> c, KafkaProducer<String, byte[]> producer,
            ConsumerRecords<String, byte[]> records) {
        Instant now = Instant.now();
        Set<TopicPartition> held = new HashSet<>();
        List<Future<?>> sends = new ArrayList<>();
        Map<TopicPartition, OffsetAndMetadata> done = new HashMap<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            TopicPartition tp = new TopicPartition(record.topic(), record.partition());
            if (held.contains(tp)) {
                continue;
            }
            Instant due = dueAt(record);
            if (due != null && due.isAfter(now)) {
                // the head of this partition is not due: wait for it without reading past it
                c.pause(List.of(tp));
                c.seek(tp, record.offset());
                pausedUntil.put(tp, due);
                held.add(tp);
                continue;
            }
            sends.add(producer.send(new ProducerRecord<>(Topic.RETRIES_DUE.topicName(), record.key(), record.value())));
            done.put(tp, new OffsetAndMetadata(record.offset() + 1));
        }
        if (done.isEmpty()) {
            return;
        }
        try {
            for (Future<?> send : sends) {
                send.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException e) {
            // not committed: the caller rewinds every partition of this poll, held ones too
            throw new IllegalStateException("forwarding retries failed", e.getCause());
        }
        c.commitSync(done);
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
