package dev.s3c.gateway.api;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.bson.Document;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import reactor.core.publisher.Mono;

/**
 * The gateway's health ({@code store} and {@code kafka} beside the result reader's) includes what every call needs: Kafka (invocations are published there) and the store
 * (functions are read from it). Both answer within two seconds or count as down; the embedded MongoDB-wire server
 * answers {@code ping}, unlike the {@code hello} Boot's own MongoDB indicator sends.
 */
@Configuration(proxyBeanMethods = false)
class DependenciesHealth {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    @Bean
    ReactiveHealthIndicator storeHealthIndicator(ReactiveMongoTemplate mongo) {
        return () -> mongo.executeCommand(new Document("ping", 1))
                .timeout(TIMEOUT)
                .map(answer -> Health.up().build())
                .onErrorResume(e -> Mono.just(Health.down().withDetail("reason", "store did not answer a ping: "
                        + e.getClass().getSimpleName()).build()));
    }

    @Bean
    KafkaHealth kafkaHealthIndicator(KafkaProperties kafka) {
        return new KafkaHealth(kafka);
    }

    static final class KafkaHealth implements HealthIndicator, DisposableBean {

        private final Admin admin;

        KafkaHealth(KafkaProperties kafka) {
            Map<String, Object> config = new HashMap<>(kafka.buildAdminProperties());
            config.put(AdminClientConfig.CLIENT_ID_CONFIG, "s3c-gateway-health");
            config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
            config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
            this.admin = Admin.create(config);
        }

        @Override
        public Health health() {
            try {
                int brokers = admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) TIMEOUT.toMillis()))
                        .nodes().get(TIMEOUT.toMillis() + 500, TimeUnit.MILLISECONDS).size();
                return brokers > 0 ? Health.up().withDetail("brokers", brokers).build()
                        : Health.down().withDetail("reason", "no broker").build();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Health.down().withDetail("reason", "interrupted").build();
            } catch (Exception e) {
                return Health.down().withDetail("reason", "Kafka did not answer: " + e.getClass().getSimpleName())
                        .build();
            }
        }

        @Override
        public void destroy() {
            admin.close(Duration.ofSeconds(1));
        }
    }
}
