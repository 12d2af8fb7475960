package dev.s3c.executor.scale;

import dev.s3c.contracts.ExecutorStatus;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.contracts.ScaleCommand;
import dev.s3c.contracts.Topic;
import dev.s3c.executor.ExecutorProperties;
import dev.s3c.executor.invoke.ExecutorPool;
import dev.s3c.executor.kafka.ConsumerThread;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.stereotype.Component;

/**
 * Applies the scaler's commands to this process's pool and reports what the pool runs. Reads the compacted
 * scale-commands topic from the start, so a restarted process with a fixed id picks up its share at once; a
 * command that does not name this process (it started after the command) is left alone until the scaler, seeing
 * the new process's status, splits the pool again.
 */
@Component
class ScaleFollower extends ConsumerThread {

    private static final Logger log = LoggerFactory.getLogger(ScaleFollower.class);

    private final ExecutorPool pool;
    private final KafkaTemplate<String, Object> producer;
    private final Map<String, Object> consumerConfig;
    private final String process;
    private final String group;
    private final Duration heartbeat;
    private final boolean follow;
    private long appliedSequence = -1;

    ScaleFollower(ExecutorPool pool, KafkaTemplate<String, Object> producer, KafkaProperties kafka,
            ExecutorProperties properties) {
        super("s3c-scale-follower");
        this.pool = pool;
        this.producer = producer;
        this.process = properties.instancePrefix();
        this.group = kafka.getConsumer().getGroupId();
        this.heartbeat = properties.scaling().statusInterval();
        this.follow = properties.scaling().followCommands();
        Map<String, Object> config = new HashMap<>(kafka.buildConsumerProperties());
        // assigned, not subscribed: every process reads every command
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // the scaler writes in transactions: only its committed decisions count
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, config.getOrDefault(ConsumerConfig.CLIENT_ID_CONFIG, "s3c") + "-scale");
        this.consumerConfig = config;
    }

    @Override
    protected void loop() {
        try (var consumer = new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new ByteArrayDeserializer())) {
            wakeOnStop(consumer);
            TopicPartition commands = new TopicPartition(Topic.SCALE_COMMANDS.topicName(), 0);
            consumer.assign(List.of(commands));
            consumer.seekToBeginning(List.of(commands));
            int reported = -1;
            long lastReport = 0;
            while (running()) {
                try {
                    // only the newest command counts: a restart replays the topic's history, which must not
                    // resize the pool once per old command. The topic has one partition, so offsets order them.
                    ScaleCommand latest = null;
                    for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                        ScaleCommand command = read(record);
                        if (command != null) {
                            latest = command;
                        }
                    }
                    if (latest != null && running()) {
                        apply(latest);
                    }
                } catch (WakeupException e) {
                    break;
                } catch (RuntimeException e) {
                    log.warn("Reading scale commands failed, trying again: {}", e.toString());
                    sleepQuietly();
                }
                int size = pool.size();
                long nowMs = System.currentTimeMillis();
                if (running() && (size != reported || nowMs - lastReport >= heartbeat.toMillis())) {
                    // the cores, so the scaler grows the pool no further than they can run at once
                    report(new ExecutorStatus(process, size, appliedSequence, false, Instant.now(),
                            pool.runningByTenant(), Runtime.getRuntime().availableProcessors()));
                    reported = size;
                    lastReport = nowMs;
                }
            }
        }
    }

    private ScaleCommand read(ConsumerRecord<String, byte[]> record) {
        try {
            ScaleCommand command = record.value() == null ? null
                    : JsonCodec.fromBytes(record.value(), ScaleCommand.class);
            return command != null && group.equals(command.group()) ? command : null;
        } catch (RuntimeException e) {
            log.warn("Unreadable scale command at offset {}: {}", record.offset(), e.getMessage());
            return null;
        }
    }

    private void apply(ScaleCommand command) {
        int share = command.instancesFor(process);
        if (share < 0 || !follow) {
            return;
        }
        appliedSequence = command.sequence();
        if (share != pool.size()) {
            log.info("Scale command {}: {} of {} instances here ({})", command.sequence(), share,
                    command.desiredInstances(), command.reason());
            pool.resize(share);
        }
    }

    private void report(ExecutorStatus status) {
        // fire and forget: the next heartbeat repeats it
        producer.send(Topic.EXECUTOR_STATUS.topicName(), process, status);
    }

    @Override
    public void stop() {
        super.stop();
        // the scaler drops this process at once instead of waiting for its heartbeat to age out
        try {
            producer.send(Topic.EXECUTOR_STATUS.topicName(), process,
                    new ExecutorStatus(process, 0, appliedSequence, true, Instant.now())).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            log.debug("Could not announce leaving: {}", e.toString());
        }
    }

    @Override
    public int getPhase() {
        // starts after the pool and stops before it, so it never resizes a pool that is stopping
        return pool.getPhase() + 10;
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
