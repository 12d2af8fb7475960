package dev.s3c.monitor;

import dev.s3c.contracts.KafkaClientMeters;
import io.micrometer.core.instrument.config.MeterFilter;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.annotation.Bean;

@SpringBootApplication
@ConfigurationPropertiesScan
public class MonitorApplication {

    /** Only the Kafka client metrics worth their series (see {@link KafkaClientMeters}). */
    @Bean
    MeterFilter kafkaClientMeters() {
        return KafkaClientMeters.filter();
    }

    /** Each service reads its own config file, so all of them can share one classpath (local-cluster). */
    public static SpringApplicationBuilder builder() {
        return new SpringApplicationBuilder(MonitorApplication.class).properties("spring.config.name=monitor");
    }

    public static void main(String[] args) {
        builder().run(args);
    }
}
