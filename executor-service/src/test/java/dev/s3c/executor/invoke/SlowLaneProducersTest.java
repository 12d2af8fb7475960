package dev.s3c.executor.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;

class SlowLaneProducersTest {

    @Test
    void theSlowLanesProducersKeepTheBatchProducersSettingsUnderTransactionalIdsOfTheirOwn() {
        var batches = new DefaultKafkaProducerFactory<String, Object>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "broker-1:9092",
                ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 5,
                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 10_000), new StringSerializer(), null);
        batches.setTransactionIdPrefix("s3c-executor-vm-1-");

        ProducerFactory<String, Object> own = ExecutorPool.ownProducers(new KafkaTemplate<>(batches))
                .getProducerFactory();

        assertThat(own).isNotSameAs(batches);
        // a slow run commits on its own: a refused offset commit must not wait Kafka's 100 ms there either
        assertThat(own.getConfigurationProperties())
                .containsEntry(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 5)
                .containsEntry(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 10_000);
        assertThat(own.getTransactionIdPrefix()).isEqualTo("s3c-executor-vm-1-slow-");
    }
}
