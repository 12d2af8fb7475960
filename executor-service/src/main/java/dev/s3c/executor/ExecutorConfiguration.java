package dev.s3c.executor;

import dev.s3c.contracts.JsonSerde;
import dev.s3c.contracts.KafkaClientMeters;
import dev.s3c.contracts.Topic;
import dev.s3c.executor.runtime.JsEngine;
import dev.s3c.executor.runtime.Watchdog;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.MicrometerProducerListener;
import org.springframework.kafka.support.ProducerListener;

@Configuration(proxyBeanMethods = false)
class ExecutorConfiguration {

    /** How soon the instances' transactional producers retry a request the broker refused for now. */
    static final int TRANSACTION_RETRY_BACKOFF_MS = 1;

    /** Only the Kafka client metrics worth their series (see {@link KafkaClientMeters}). */
    @Bean
    MeterFilter kafkaClientMeters() {
        return KafkaClientMeters.filter();
    }

    /** The executor writes the results topic, so it declares it. */
    @Bean
    NewTopic invocationResultsTopic() {
        return Topic.INVOCATION_RESULTS.newTopic();
    }

    @Bean(destroyMethod = "close")
    JsEngine jsEngine() {
        return new JsEngine();
    }

    @Bean(destroyMethod = "close")
    Watchdog watchdog(ExecutorProperties properties) {
        return new Watchdog(properties.sandbox().heapPressure());
    }

    /** The executor announces running executions, so it declares that topic. */
    @Bean
    NewTopic invocationStartsTopic() {
        return Topic.INVOCATION_STARTS.newTopic();
    }

    /** Each executor process reports its instance count, so the executor declares that topic. */
    @Bean
    NewTopic executorStatusTopic() {
        return Topic.EXECUTOR_STATUS.newTopic();
    }

    /**
     * The executor writes the retry tiers, the retries-due topic, the concurrency and slow lanes and the dead
     * letters, so it declares them.
     */
    @Bean
    KafkaAdmin.NewTopics retryTopics() {
        return new KafkaAdmin.NewTopics(java.util.stream.Stream.concat(Topic.retryTiers().stream(),
                java.util.stream.Stream.of(Topic.RETRIES_DUE, Topic.INVOCATION_LANES, Topic.FAIR_LANES, Topic.SLOW_LANE,
                        Topic.DEAD_LETTERS))
                .map(Topic::newTopic)
                .toArray(NewTopic[]::new));
    }

    /**
     * One producer for results and running notices; values are contract records as JSON. A bean of its own, so the context closes its producer when it stops (created inside the template's
     * bean method it outlived the context, and in tests kept reconnecting to brokers long gone).
     */
    @Bean
    @Primary
    DefaultKafkaProducerFactory<String, Object> kafkaProducerFactory(KafkaProperties kafka, MeterRegistry meters) {
        var factory = new DefaultKafkaProducerFactory<String, Object>(kafka.buildProducerProperties(),
                new StringSerializer(), JsonSerde.anySerializer());
        factory.addListener(new MicrometerProducerListener<>(meters));
        return factory;
    }

    @Bean
    @Primary
    KafkaTemplate<String, Object> kafkaTemplate(DefaultKafkaProducerFactory<String, Object> kafkaProducerFactory) {
        return new KafkaTemplate<>(kafkaProducerFactory);
    }

    /**
     * Transactional producers for the instances' batches (results, retries, dead letters and the consumed offsets in
     * one transaction), one per instance at a time from the factory's cache.
     */
    @Bean
    DefaultKafkaProducerFactory<String, Object> batchProducerFactory(KafkaProperties kafka, ExecutorProperties properties,
            MeterRegistry meters) {
        Map<String, Object> config = new HashMap<>(kafka.buildProducerProperties());
        // a transaction a crashed executor left open holds back every read_committed reader of the partitions it
        // wrote to until the broker aborts it; ours last milliseconds, so the broker may abort after 10 s
        config.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 10_000);
        // with the broker gone, a commit gives up within seconds (the batch runs again later) instead of holding
        // the instance, and a stopping executor, for the client's default minute
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        // a transaction's results for one partition leave in one batch when it commits (Kafka's 16 KiB default
        // filled and sent a batch every few dozen results: about a third more produce requests under load)
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
        // a transaction that begins while the broker still writes the last one's commit markers is told
        // CONCURRENT_TRANSACTIONS (transactions v2, Kafka 4), and the client retries its offset commit after this
        // backoff, its sender thread asleep: with Kafka's 100 ms default, one offset commit in four to six under sync
        // load waited 100 ms for markers written in a few milliseconds (the README's twenty-fourth round); with
        // transactions back to back (the instances commit whenever the last one has ended), 5 ms was most of a
        // busy sync call's wait (the twenty-eighth round). Transactional requests retry at this fixed interval (a
        // coordinator that is loading is asked a thousand times a second: the accepted cost); produce and metadata
        // retries still back off exponentially from it, up to 1 s
        config.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, TRANSACTION_RETRY_BACKOFF_MS);
        var factory = new DefaultKafkaProducerFactory<String, Object>(config, new StringSerializer(),
                JsonSerde.anySerializer());
        factory.setTransactionIdPrefix("s3c-executor-" + properties.instancePrefix() + "-");
        factory.addListener(new MicrometerProducerListener<>(meters));
        return factory;
    }

    @Bean
    KafkaTemplate<String, Object> batchTemplate(
            @Qualifier("batchProducerFactory") DefaultKafkaProducerFactory<String, Object> batchProducerFactory) {
        var template = new KafkaTemplate<>(batchProducerFactory);
        // an aborted batch is logged once by its listener, not once per record on the console
        template.setProducerListener(new ProducerListener<>() {
        });
        return template;
    }
}
