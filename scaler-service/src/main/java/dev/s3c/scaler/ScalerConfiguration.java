package dev.s3c.scaler;

import dev.s3c.contracts.JsonSerde;
import dev.s3c.contracts.ScalingEvent;
import dev.s3c.contracts.Topic;
import dev.s3c.scaler.decide.ScalerTopology;
import dev.s3c.scaler.decide.ScalingPolicy;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.kstream.KStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.annotation.EnableKafkaStreams;
import org.springframework.kafka.config.StreamsBuilderFactoryBeanConfigurer;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.core.KafkaTemplate;

@Configuration(proxyBeanMethods = false)
@EnableKafkaStreams
@EnableConfigurationProperties(ScalerProperties.class)
class ScalerConfiguration {

    private static final Logger log = LoggerFactory.getLogger(ScalerConfiguration.class);

    /** The scaler writes the lag samples, the scale commands and the scaling events, so it declares them. */
    @Bean
    KafkaAdmin.NewTopics scalerTopics() {
        return new KafkaAdmin.NewTopics(Topic.EXECUTOR_LAG.newTopic(), Topic.SCALE_COMMANDS.newTopic(),
                Topic.SCALING_EVENTS.newTopic());
    }

    @Bean
    ScalingPolicy scalingPolicy(ScalerProperties properties) {
        return new ScalingPolicy(properties.policy());
    }

    /** The topology, on the builder Spring starts and stops with the application. */
    @Bean
    KStream<String, ScalingEvent> scalingEvents(StreamsBuilder builder, ScalingPolicy policy,
            ScalerProperties properties) {
        return ScalerTopology.build(builder, policy, properties.flushInterval());
    }

    /** A failed stream thread (a source topic not created yet, a broker away) is replaced, not left dead. */
    @Bean
    StreamsBuilderFactoryBeanConfigurer replaceFailedStreamThreads() {
        return factory -> factory.setStreamsUncaughtExceptionHandler(e -> {
            log.warn("Scaler stream thread failed, replacing it: {}", e.toString());
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    }

    /** Lag samples out; values are contract records as JSON. */
    @Bean
    KafkaTemplate<String, Object> kafkaTemplate(KafkaProperties kafka) {
        return new KafkaTemplate<>(new DefaultKafkaProducerFactory<>(kafka.buildProducerProperties(),
                new StringSerializer(), JsonSerde.anySerializer()));
    }
}
