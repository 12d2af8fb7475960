package dev.s3c.gateway.tenants;

import dev.s3c.contracts.ExecutorStatus;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.contracts.Topic;
import dev.s3c.gateway.GatewayProperties;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.SmartLifecycle;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.listener.ConsumerAwareRebalanceListener;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.KafkaMessageListenerContainer;
import org.springframework.kafka.listener.MessageListener;
import org.springframework.stereotype.Component;

/**
 * Reads the executors' status reports into {@link RunningExecutions}: the compacted executor-status topic from its
 * start, in a consumer group of this gateway instance's own that commits nothing.
 */
@Component
class ExecutorStatusReader implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ExecutorStatusReader.class);

    private final RunningExecutions running;
    private final KafkaMessageListenerContainer<String, byte[]> container;

    @Autowired
    ExecutorStatusReader(RunningExecutions running, GatewayProperties properties, KafkaProperties kafka) {
        this(running, properties.instanceId(), kafka);
    }

    ExecutorStatusReader(RunningExecutions running, String instanceId, KafkaProperties kafka) {
        this.running = running;
        Map<String, Object> config = new HashMap<>(kafka.buildConsumerProperties());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "s3c-gateway-status-" + instanceId);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        var consumers = new DefaultKafkaConsumerFactory<>(config, new StringDeserializer(), new ByteArrayDeserializer());
        ContainerProperties props = new ContainerProperties(Topic.EXECUTOR_STATUS.topicName());
        props.setMessageListener((MessageListener<String, byte[]>) this::onStatus);
        // never acknowledged, so never committed, and read from the start at every assignment: offsets an earlier
        // version committed in this group would otherwise make a restart with the same instance id skip statuses
        props.setAckMode(ContainerProperties.AckMode.MANUAL);
        props.setAssignmentCommitOption(ContainerProperties.AssignmentCommitOption.NEVER);
        props.setConsumerRebalanceListener(new ConsumerAwareRebalanceListener() {
            @Override
            public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
                consumer.seekToBeginning(partitions);
            }
        });
        props.setClientId("s3c-gateway-status-" + instanceId);
        this.container = new KafkaMessageListenerContainer<>(consumers, props);
        this.container.setBeanName("s3c-gateway-executor-status");
    }

    private void onStatus(ConsumerRecord<String, byte[]> record) {
        try {
            running.apply(record.key(), record.value() == null ? null
                    : JsonCodec.fromBytes(record.value(), ExecutorStatus.class), java.time.Instant.now());
        } catch (RuntimeException e) {
            log.warn("Unreadable executor status at offset {}: {}", record.offset(), e.getMessage());
        }
    }

    @Override
    public void start() {
        container.start();
    }

    @Override
    public void stop() {
        container.stop();
    }

    @Override
    public boolean isRunning() {
        return container.isRunning();
    }
}
