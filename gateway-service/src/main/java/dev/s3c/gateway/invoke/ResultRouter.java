package dev.s3c.gateway.invoke;

import dev.s3c.contracts.Topic;
import dev.s3c.gateway.GatewayProperties;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.SmartLifecycle;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.listener.ConsumerAwareRebalanceListener;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.KafkaMessageListenerContainer;
import org.springframework.kafka.listener.MessageListener;
import org.springframework.stereotype.Component;

/**
 * Brings results back to the synchronous callers of this instance. Every gateway instance reads the whole results
 * topic in its own consumer group from the end, and passes on only results whose reply-to header names it (their
 * key is the execution id; decoding and answering happen off this thread).
 * Health is DOWN until the topic's partitions are assigned: before that a result could pass by unseen.
 */
@Component("resultRouter")
class ResultRouter implements SmartLifecycle, HealthIndicator {

    static final String REPLY_TO_HEADER = "s3c-reply-to";
    private static final Logger log = LoggerFactory.getLogger(ResultRouter.class);

    private final PendingResults pending;
    private final String instanceId;
    private final byte[] instanceIdBytes;
    private final KafkaMessageListenerContainer<String, byte[]> container;
    private volatile boolean assigned;

    @Autowired
    ResultRouter(PendingResults pending, GatewayProperties properties, KafkaProperties kafka) {
        this(pending, properties.instanceId(), kafka);
    }

    ResultRouter(PendingResults pending, String instanceId, KafkaProperties kafka) {
        this.pending = pending;
        this.instanceId = instanceId;
        this.instanceIdBytes = instanceId.getBytes(StandardCharsets.UTF_8);
        Map<String, Object> config = new HashMap<>(kafka.buildConsumerProperties());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "s3c-gateway-" + instanceId);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // results are written in the executors' transactions: a caller gets the committed one, the one stored
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        var consumers = new DefaultKafkaConsumerFactory<>(config, new StringDeserializer(), new ByteArrayDeserializer());
        // and the start notices of sync calls in a concurrency lane, which tell a run that started from one refused
        ContainerProperties props = new ContainerProperties(Topic.INVOCATION_RESULTS.topicName(),
                Topic.INVOCATION_STARTS.topicName());
        props.setMessageListener((MessageListener<String, byte[]>) this::onResult);
        // nothing to commit: a new assignment starts from the end. The container's default (a commit after every
        // poll) cost the broker an offset commit per result or two under load
        props.setAckMode(ContainerProperties.AckMode.MANUAL);
        props.setAssignmentCommitOption(ContainerProperties.AssignmentCommitOption.NEVER);
        props.setConsumerRebalanceListener(new ConsumerAwareRebalanceListener() {
            @Override
            public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
                // start from the end now: results before this instance existed have no caller here
                consumer.seekToEnd(partitions);
                assigned = partitions.stream().anyMatch(p -> p.topic().equals(Topic.INVOCATION_RESULTS.topicName()));
                log.info("Gateway {} routes results from {} partitions", instanceId, partitions.size());
            }
        });
        props.setClientId("s3c-gateway-results-" + instanceId);
        this.container = new KafkaMessageListenerContainer<>(consumers, props);
        this.container.setBeanName("s3c-gateway-results");
    }

    private void onResult(ConsumerRecord<String, byte[]> record) {
        Header replyTo = record.headers().lastHeader(REPLY_TO_HEADER);
        if (replyTo == null || !java.util.Arrays.equals(replyTo.value(), instanceIdBytes)) {
            return;
        }
        if (record.topic().equals(Topic.INVOCATION_STARTS.topicName())) {
            pending.start(record.key());
        } else {
            pending.complete(record.key(), record.value());
        }
    }

    @Override
    public Health health() {
        return assigned ? Health.up().withDetail("instanceId", instanceId).withDetail("waiting", pending.size()).build()
                : Health.down().withDetail("reason", "results topic not assigned yet").build();
    }

    @Override
    public void start() {
        container.start();
    }

    /**
     * Callers still waiting when the web server's graceful shutdown is over are answered 202 with where to read
     * their result (it is stored as usual), rather than cut off.
     */
    @Override
    public void stop() {
        int released = pending.releaseAll();
        if (released > 0) {
            log.info("Gateway {} stopping: {} sync caller(s) answered 202 to read their result later", instanceId,
                    released);
        }
        container.stop();
        assigned = false;
    }

    /**
     * Stops after the web server's graceful shutdown (a lower phase stops later): the sync calls in flight are
     * drained while their results can still arrive.
     */
    @Override
    public int getPhase() {
        return org.springframework.boot.web.server.context.WebServerGracefulShutdownLifecycle.SMART_LIFECYCLE_PHASE - 1;
    }

    @Override
    public boolean isRunning() {
        return container.isRunning();
    }
}
