package dev.s3c.executor.catalog;

import dev.s3c.contracts.FunctionDefinition;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.contracts.Topic;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import dev.s3c.executor.kafka.ConsumerThread;
import org.springframework.stereotype.Component;

/**
 * This process's view of every function, read from the compacted function-definitions topic, so the invocation
 * path never reads the database. It is complete (caught up with the topic) before the executor pool starts.
 */
@Component
public class FunctionCatalog extends ConsumerThread {

    /** Starts before the executor pool, which needs a complete view. */
    public static final int PHASE = 0;

    private static final Logger log = LoggerFactory.getLogger(FunctionCatalog.class);

    private final Map<String, Object> consumerConfig;
    private final Map<String, FunctionDefinition> functions = new ConcurrentHashMap<>();
    private final Set<String> deleted = ConcurrentHashMap.newKeySet();
    private final Object changed = new Object();
    private final CountDownLatch caughtUp = new CountDownLatch(1);

    public FunctionCatalog(KafkaProperties kafka) {
        super("s3c-function-catalog");
        Map<String, Object> config = new HashMap<>(kafka.buildConsumerProperties());
        // assigned, not subscribed: every process reads every partition from the start
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, config.getOrDefault(ConsumerConfig.CLIENT_ID_CONFIG, "s3c") + "-catalog");
        this.consumerConfig = config;
    }

    /** The newest definition of a function this process has read, or null (not seen yet, or deleted). */
    public FunctionDefinition current(String functionId) {
        return functionId == null ? null : functions.get(functionId);
    }

    /** What the catalog knows of a function, waiting up to {@code wait} for a version at least {@code minVersion}. */
    public Lookup await(String functionId, long minVersion, Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        synchronized (changed) {
            while (true) {
                FunctionDefinition current = functions.get(functionId);
                if (current != null && current.version() >= minVersion) {
                    return new Lookup(current, false);
                }
                if (deleted.contains(functionId)) {
                    return new Lookup(null, true);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return new Lookup(current, false);
                }
                TimeUnit.NANOSECONDS.timedWait(changed, left);
            }
        }
    }


    void apply(ConsumerRecord<String, byte[]> record) {
        String id = record.key();
        if (id == null) {
            return;
        }
        FunctionDefinition def = record.value() == null ? null
                : JsonCodec.fromBytes(record.value(), FunctionDefinition.class);
        if (def == null) {
            functions.remove(id);
            deleted.add(id);
        } else {
            functions.merge(id, def, (old, neu) -> neu.version() >= old.version() ? neu : old);
            deleted.remove(id);
        }
        synchronized (changed) {
            changed.notifyAll();
        }
    }

    @Override
    public void start() {
        super.start();
        try {
            if (!caughtUp.await(120, TimeUnit.SECONDS)) {
                log.warn("Function catalog has not caught up after 120 s; starting anyway");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    protected void loop() {
        // bytes, decoded per record: one unreadable definition is skipped, it does not stop the reader
        try (KafkaConsumer<String, byte[]> c =
                new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new ByteArrayDeserializer())) {
            wakeOnStop(c);
            List<TopicPartition> partitions = awaitPartitions(c);
            if (partitions.isEmpty()) {
                return;
            }
            c.assign(partitions);
            c.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = c.endOffsets(partitions);
            while (running()) {
                for (ConsumerRecord<String, byte[]> record : c.poll(Duration.ofMillis(500))) {
                    try {
                        apply(record);
                    } catch (RuntimeException e) {
                        log.error("Skipping unreadable function definition at {}-{}@{}", record.topic(),
                                record.partition(), record.offset(), e);
                    }
                }
                if (caughtUp.getCount() > 0 && end.entrySet().stream().allMatch(e -> c.position(e.getKey()) >= e.getValue())) {
                    log.info("Function catalog caught up: {} functions", functions.size());
                    caughtUp.countDown();
                }
            }
        } catch (WakeupException e) {
            // stopping
        } catch (RuntimeException e) {
            log.error("Function catalog reader failed", e);
        } finally {
            caughtUp.countDown();
        }
    }

    private List<TopicPartition> awaitPartitions(KafkaConsumer<String, byte[]> c) {
        String topic = Topic.FUNCTION_DEFINITIONS.topicName();
        while (running()) {
            List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(5));
            if (infos != null && !infos.isEmpty()) {
                return infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            }
            log.info("Waiting for topic {} (declared by the gateway)", topic);
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return List.of();
            }
        }
        return List.of();
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    /**
     * @param definition the function, or null when unknown or deleted
     * @param deleted whether the function was deleted
     */
    public record Lookup(FunctionDefinition definition, boolean deleted) {
    }
}
