package dev.s3c.monitor;

import dev.s3c.contracts.KafkaClientMeters;
import dev.s3c.store.StoreClientConfiguration;
import io.micrometer.core.instrument.config.MeterFilter;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

@Configuration(proxyBeanMethods = false)
@Import(StoreClientConfiguration.class)
class MonitorConfiguration {

    /** Only the Kafka client metrics worth their series (see {@link KafkaClientMeters}). */
    @Bean
    MeterFilter kafkaClientMeters() {
        return KafkaClientMeters.filter();
    }
}
