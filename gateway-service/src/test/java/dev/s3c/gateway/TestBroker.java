package dev.s3c.gateway;

import dev.s3c.contracts.Topic;
import java.util.List;
import java.util.Map;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/** One embedded broker for the gateway's test JVM, started by the first test that needs it, with the topics read here. */
public final class TestBroker {

    private static EmbeddedKafkaKraftBroker broker;

    private TestBroker() {
    }

    public static synchronized String bootstrap() {
        if (broker == null) {
            var started = new EmbeddedKafkaKraftBroker(1, 1);
            started.brokerProperties(Map.of("auto.create.topics.enable", "false", "group.initial.rebalance.delay.ms",
                    "0", "transaction.state.log.replication.factor", "1", "transaction.state.log.min.isr", "1",
                    "transaction.state.log.num.partitions", "1"));
            started.afterPropertiesSet();
            started.addTopics(Topic.INVOCATION_RESULTS.newTopic(), Topic.INVOCATION_STARTS.newTopic(),
                    Topic.EXECUTOR_STATUS.newTopic());
            Runtime.getRuntime().addShutdownHook(new Thread(started::destroy, "test-broker-stop"));
            broker = started;
        }
        return broker.getBrokersAsString();
    }

    public static KafkaProperties kafka() {
        KafkaProperties kafka = new KafkaProperties();
        kafka.setBootstrapServers(List.of(bootstrap()));
        return kafka;
    }
}
