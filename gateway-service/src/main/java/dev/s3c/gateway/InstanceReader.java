package dev.s3c.gateway;

import dev.s3c.contracts.Topic;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.SmartLifecycle;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.listener.ConsumerAwareRebalanceListener;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.KafkaMessageListenerContainer;
import org.springframework.kafka.listener.MessageListener;

/**
 * A reader of one topic for this gateway instance alone: in a consumer group of the instance's own that commits
 * nothing, and placed at every assignment at the topic's start (to know every key's latest value) or its end (to
 * follow only what comes next). Offsets an earlier version committed in such a group would otherwise make a restart
 * with the same instance id skip records. Started and stopped with the gateway.
 */
public abstract class InstanceReader implements SmartLifecycle {

    private final KafkaMessageListenerContainer<String, byte[]> container;

    /**
     * @param name names the group, the client and the container, with the instance id appended
     * @param fromStart whether each assignment starts at the topic's start rather than its end
     */
    protected InstanceReader(KafkaProperties kafka, Topic topic, String name, String instanceId, boolean fromStart) {
        Map<String, Object> config = new HashMap<>(kafka.buildConsumerProperties());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, name + "-" + instanceId);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, fromStart ? "earliest" : "latest");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        var consumers = new DefaultKafkaConsumerFactory<>(config, new StringDeserializer(),
                new ByteArrayDeserializer());
        ContainerProperties props = new ContainerProperties(topic.topicName());
        props.setMessageListener((MessageListener<String, byte[]>) this::onRecord);
        // never acknowledged, so never committed
        props.setAckMode(ContainerProperties.AckMode.MANUAL);
        props.setAssignmentCommitOption(ContainerProperties.AssignmentCommitOption.NEVER);
        props.setConsumerRebalanceListener(new ConsumerAwareRebalanceListener() {
            @Override
            public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
                if (fromStart) {
                    consumer.seekToBeginning(partitions);
                } else {
                    consumer.seekToEnd(partitions);
                }
            }
        });
        props.setClientId(name + "-" + instanceId);
        this.container = new KafkaMessageListenerContainer<>(consumers, props);
        this.container.setBeanName(name);
    }

    /** One record, on the reader's own thread. */
    protected abstract void onRecord(ConsumerRecord<String, byte[]> record);

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
