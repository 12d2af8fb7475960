package dev.s3c.gateway;

import dev.s3c.contracts.Topic;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;

/**
 * The test JVM's one broker, spring-kafka's global embedded broker (started before any test, see the parent pom),
 * with the topics the gateway reads created by the first test that asks for it.
 */
public final class TestBroker {

    private static boolean topicsCreated;

    private TestBroker() {
    }

    public static synchronized String bootstrap() {
        String brokers = System.getProperty("spring.embedded.kafka.brokers");
        if (brokers == null) {
            throw new IllegalStateException("no embedded broker: spring.kafka.global.embedded.enabled is not set");
        }
        if (!topicsCreated) {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers))) {
                admin.createTopics(List.of(Topic.INVOCATION_RESULTS.newTopic(), Topic.INVOCATION_STARTS.newTopic(),
                        Topic.EXECUTOR_STATUS.newTopic())).all().get();
            } catch (Exception e) {
                throw new IllegalStateException("cannot create the gateway's topics on the test broker", e);
            }
            topicsCreated = true;
        }
        return brokers;
    }

    public static KafkaProperties kafka() {
        KafkaProperties kafka = new KafkaProperties();
        kafka.setBootstrapServers(List.of(bootstrap()));
        return kafka;
    }
}
