package dev.s3c.monitor;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.SmartLifecycle;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.MicrometerConsumerListener;
import org.springframework.kafka.listener.BatchMessageListener;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.util.backoff.FixedBackOff;

/**
 * One of the monitor's batch readers of the platform's topics, started and stopped with the application. The
 * readers differ only in their consumer settings, topics, how they commit and what they do with a batch. A batch
 * that fails (MongoDB unreachable) is kept and tried again: nothing is skipped.
 */
public abstract class TopicReader implements SmartLifecycle, BatchMessageListener<String, byte[]> {

    private final ConcurrentMessageListenerContainer<String, byte[]> container;

    /**
     * @param name client id and container name
     * @param settings consumer settings over the application's (group, isolation level, ...)
     * @param ackMode BATCH commits each batch after it returned; MANUAL leaves every commit to the reader
     */
    protected TopicReader(String name, KafkaProperties kafka, MeterRegistry meters, Map<String, Object> settings,
            ContainerProperties.AckMode ackMode, int concurrency, List<String> topics) {
        Map<String, Object> config = new HashMap<>(kafka.buildConsumerProperties());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // results, retries and dead letters are written in transactions: store only what was committed
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.putAll(settings);
        var consumers = new DefaultKafkaConsumerFactory<>(config, new StringDeserializer(), new ByteArrayDeserializer());
        consumers.addListener(new MicrometerConsumerListener<>(meters));
        ContainerProperties props = new ContainerProperties(topics.toArray(String[]::new));
        props.setAckMode(ackMode);
        props.setMessageListener(this);
        props.setClientId(name);
        container = new ConcurrentMessageListenerContainer<>(consumers, props);
        container.setConcurrency(concurrency);
        DefaultErrorHandler retries = new DefaultErrorHandler(new FixedBackOff(1000L, FixedBackOff.UNLIMITED_ATTEMPTS));
        // a reader that commits itself: the container would otherwise commit a batch it retried up to its end
        retries.setAckAfterHandle(ackMode != ContainerProperties.AckMode.MANUAL);
        container.setCommonErrorHandler(retries);
        container.setBeanName(name);
    }

    /** The container, for a reader that needs more of it than the settings above (before it starts). */
    protected ConcurrentMessageListenerContainer<String, byte[]> container() {
        return container;
    }

    /** Runs before the first poll: declaring the indexes the reader's writes and their readers need. */
    protected void beforeStart() {
    }

    @Override
    public void start() {
        beforeStart();
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
