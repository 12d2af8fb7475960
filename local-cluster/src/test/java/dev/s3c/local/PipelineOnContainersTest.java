package dev.s3c.local;

import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.mongodb.MongoDBContainer;

/** The same pipeline on real Kafka and MongoDB; reported as skipped where no Docker engine runs. */
@Testcontainers(disabledWithoutDocker = true)
class PipelineOnContainersTest extends PipelineContract {

    @Container
    static final KafkaContainer KAFKA = new KafkaContainer("apache/kafka:4.1.2")
            .withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false");

    @Container
    static final MongoDBContainer MONGO = new MongoDBContainer("mongo:8.0.15");

    @Override
    LocalCluster startCluster() {
        // the pool stays at its 3 instances, as on the embedded broker (PipelineOnEmbeddedTest says why); the
        // contract's concurrency tests count on three that could run at once
        return LocalCluster.start(LocalCluster.Options.forTests(KAFKA.getBootstrapServers(),
                MONGO.getReplicaSetUrl("s3c")).withServiceArgs("--s3c.scaler.min-instances=3",
                "--s3c.scaler.max-instances=3"));
    }
}
