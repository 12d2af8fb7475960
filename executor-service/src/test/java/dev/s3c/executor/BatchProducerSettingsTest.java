package dev.s3c.executor;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;

/** The settings the instances' transactional producers need beyond Boot's, and that what Boot is given still counts. */
class BatchProducerSettingsTest {

    private static Map<String, Object> batchProducerSettings(Map<String, String> kafkaSettings) {
        KafkaProperties kafka = new Binder(new MapConfigurationPropertySource(kafkaSettings))
                .bindOrCreate("spring.kafka", KafkaProperties.class);
        ExecutorProperties executor = new Binder(new MapConfigurationPropertySource(Map.of()))
                .bindOrCreate("s3c.executor", ExecutorProperties.class);
        return new ExecutorConfiguration().batchProducerFactory(kafka, executor, new SimpleMeterRegistry())
                .getConfigurationProperties();
    }

    @Test
    void aRefusedTransactionalRequestIsRetriedWithinMillisecondsNotAfterKafkasTenthOfASecond() {
        assertThat(batchProducerSettings(Map.of()).get(ProducerConfig.RETRY_BACKOFF_MS_CONFIG)).isEqualTo(1);
    }

    @Test
    void transactionsAreShortLivedAndBoundedAndTheOtherProducerSettingsComeThrough() {
        Map<String, Object> settings = batchProducerSettings(Map.of(
                "spring.kafka.bootstrap-servers", "broker-1:9092",
                "spring.kafka.producer.properties.linger.ms", "5"));

        assertThat(settings.get(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG)).isEqualTo(10_000);
        assertThat(settings.get(ProducerConfig.MAX_BLOCK_MS_CONFIG)).isEqualTo(5_000);
        assertThat(settings.get(ProducerConfig.BATCH_SIZE_CONFIG)).isEqualTo(64 * 1024);
        assertThat(settings.get(ProducerConfig.LINGER_MS_CONFIG)).isEqualTo("5");
        assertThat(settings.get(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG)).asString().contains("broker-1:9092");
    }
}
