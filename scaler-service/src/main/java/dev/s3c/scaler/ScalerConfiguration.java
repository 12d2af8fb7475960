package dev.s3c.scaler;

import dev.s3c.contracts.JsonSerde;
import dev.s3c.contracts.KafkaClientMeters;
import dev.s3c.contracts.ScalingAction;
import dev.s3c.contracts.ScalingEvent;
import dev.s3c.contracts.Topic;
import dev.s3c.scaler.decide.ScalerTopology;
import dev.s3c.scaler.decide.ScalingPolicy;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.springframework.kafka.core.MicrometerProducerListener;

@Configuration(proxyBeanMethods = false)
@EnableKafkaStreams
@EnableConfigurationProperties(ScalerProperties.class)
class ScalerConfiguration {

    private static final Logger log = LoggerFactory.getLogger(ScalerConfiguration.class);

    /** Only the Kafka client metrics worth their series (see {@link KafkaClientMeters}). */
    @Bean
    MeterFilter kafkaClientMeters() {
        return KafkaClientMeters.filter();
    }

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

    /**
     * A scaler that stops leaves its group at once. Kafka Streams stays in it by default until its session times out
     * (45 s), so a scaler started again within that time waited in its first rebalance for the member it replaced,
     * deciding nothing, and a stop meanwhile waited out the close timeout and logged an error. Kafka Streams removes
     * only a static member on close, hence the scaler's {@code group.instance.id} (scaler.yml). The price: a failed
     * stream thread no longer leaves either, so its replacement waits for its session to end (10 s, scaler.yml).
     */
    @Bean
    StreamsBuilderFactoryBeanConfigurer leaveGroupOnStop() {
        return factory -> factory.setLeaveGroupOnClose(true);
    }

    /** A failed stream thread (a source topic not created yet, a broker away) is replaced, not left dead. */
    @Bean
    StreamsBuilderFactoryBeanConfigurer replaceFailedStreamThreads() {
        return factory -> factory.setStreamsUncaughtExceptionHandler(e -> {
            log.warn("Scaler stream thread failed, replacing it: {}", e.toString());
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    }

    private static io.micrometer.core.instrument.Counter decisions(MeterRegistry meters, ScalingAction action) {
        return io.micrometer.core.instrument.Counter.builder("s3c.scaler.decisions")
                .description("scaling decisions by action").tag("action", action.name().toLowerCase(java.util.Locale.ROOT))
                .register(meters);
    }

    /**
     * Lag samples out; values are contract records as JSON. A bean of its own, so the context closes its producer when it stops (created inside the template's
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

    /** Decisions as metrics: the desired pool size and a count per action. */
    @Bean
    AtomicInteger desiredInstances(KStream<String, ScalingEvent> scalingEvents, MeterRegistry meters) {
        AtomicInteger desired = new AtomicInteger(-1);
        Gauge.builder("s3c.scaler.desired.instances", desired, AtomicInteger::get)
                .description("the pool size of the scaler's latest decision (-1 until it decides)").register(meters);
        // every action exported from the start, at zero, so dashboards and alerts see the series before it moves
        for (ScalingAction action : ScalingAction.values()) {
            decisions(meters, action);
        }
        scalingEvents.foreach((group, event) -> {
            desired.set(event.toInstances());
            decisions(meters, event.action()).increment();
        });
        return desired;
    }
}
