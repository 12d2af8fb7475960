package dev.s3c.gateway;

import dev.s3c.contracts.JsonSerde;
import dev.s3c.contracts.KafkaClientMeters;
import dev.s3c.contracts.Topic;
import dev.s3c.store.StoreClientConfiguration;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.MicrometerProducerListener;

@Configuration(proxyBeanMethods = false)
// the idempotency keys' expiry
@org.springframework.scheduling.annotation.EnableScheduling
@Import(StoreClientConfiguration.class)
class GatewayConfiguration {

    /** Only the Kafka client metrics worth their series (see {@link KafkaClientMeters}). */
    @Bean
    MeterFilter kafkaClientMeters() {
        return KafkaClientMeters.filter();
    }

    /** The gateway writes function definitions, so it declares their topic. */
    @Bean
    NewTopic functionDefinitionsTopic() {
        return Topic.FUNCTION_DEFINITIONS.newTopic();
    }

    /** The gateway writes invocations, so it declares their topic. */
    @Bean
    NewTopic invocationsTopic() {
        return Topic.INVOCATIONS.newTopic();
    }

    /** The gateway writes dead-letter resolutions, so it declares their topic. */
    @Bean
    NewTopic deadLetterResolutionsTopic() {
        return Topic.DEAD_LETTER_RESOLUTIONS.newTopic();
    }

    /**
     * One producer for both topics; values are contract records as JSON, null stays a tombstone. A bean of its own, so the context closes its producer when it stops (created inside the template's
     * bean method it outlived the context, and in tests kept reconnecting to brokers long gone).
     */
    @Bean
    DefaultKafkaProducerFactory<String, Object> kafkaProducerFactory(KafkaProperties kafka, MeterRegistry meters) {
        var factory = new DefaultKafkaProducerFactory<String, Object>(kafka.buildProducerProperties(),
                new StringSerializer(), JsonSerde.anySerializer());
        factory.addListener(new MicrometerProducerListener<>(meters));
        return factory;
    }

    @Bean
    KafkaTemplate<String, Object> kafkaTemplate(DefaultKafkaProducerFactory<String, Object> kafkaProducerFactory) {
        return new KafkaTemplate<>(kafkaProducerFactory);
    }
}
