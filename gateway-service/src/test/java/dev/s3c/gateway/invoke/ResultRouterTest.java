package dev.s3c.gateway.invoke;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.s3c.contracts.ExecutionStatus;
import dev.s3c.contracts.InvocationCompleted;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.contracts.Topic;
import dev.s3c.gateway.CallerLoop;
import dev.s3c.gateway.TestBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Status;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** The router between the broker and the waiting callers, on a real broker, as the executors write results. */
class ResultRouterTest {

    private static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");
    @Test
    void aCallerGetsOnlyItsCommittedResultAddressedToThisInstanceAndTheRouterCommitsNoOffsets() throws Exception {
        Scheduler workers = Schedulers.newSingle("result-router-test");
        PendingResults pending = new PendingResults(workers, new CallerLoop(() -> null));
        ResultRouter router = new ResultRouter(pending, "gw-a", TestBroker.kafka());
        router.start();
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> router.health().getStatus().equals(Status.UP));
            var mine = pending.register("e-1");
            var started = pending.started("e-1");
            pending.register("e-2");
            pending.register("e-3");

            try (var producer = new KafkaProducer<>(Map.<String, Object>of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestBroker.bootstrap(),
                    ProducerConfig.TRANSACTIONAL_ID_CONFIG, "result-router-test"), new StringSerializer(),
                    new ByteArraySerializer())) {
                producer.initTransactions();
                // a run whose transaction is aborted (its batch runs again): never handed to a caller
                producer.beginTransaction();
                producer.send(result("e-3", "gw-a"));
                producer.flush();
                producer.abortTransaction();
                producer.beginTransaction();
                producer.send(addressed(new ProducerRecord<>(Topic.INVOCATION_STARTS.topicName(), "e-1", new byte[0]),
                        "gw-a"));
                // same execution id's caller, but waiting on another gateway instance
                producer.send(result("e-2", "gw-b"));
                producer.send(result("e-1", "gw-a"));
                producer.commitTransaction();
            }

            StepVerifier.create(started).expectNext(true).expectComplete().verify(Duration.ofSeconds(30));
            StepVerifier.create(mine).assertNext(r -> assertThat(r.executionId()).isEqualTo("e-1")).expectComplete()
                    .verify(Duration.ofSeconds(30));
            // read before e-1's on the same partition: e-2's result is for gw-b's caller, e-3's only one was aborted
            assertThat(pending.size()).isEqualTo(2);
        } finally {
            router.stop();
            workers.dispose();
        }
        // a new assignment starts from the end: the container's default commit after every poll was a broker
        // request per result or two under load, for offsets nobody reads
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                TestBroker.bootstrap()))) {
            assertThat(admin.listConsumerGroupOffsets("s3c-gateway-gw-a").partitionsToOffsetAndMetadata().get())
                    .isEmpty();
        }
    }

    /** On one partition, so that by the time the last one is handed over the router has read those before it. */
    private static ProducerRecord<String, byte[]> result(String executionId, String gateway) {
        var completed = new InvocationCompleted(executionId, "f-1", 1, ExecutionStatus.SUCCEEDED,
                JsonCodec.readTree("{\"n\":2}"), null, "", 1, 1, "exec-1/0", false, T0, T0, T0, gateway);
        return addressed(new ProducerRecord<>(Topic.INVOCATION_RESULTS.topicName(), 0, executionId,
                JsonCodec.toBytes(completed)), gateway);
    }

    private static ProducerRecord<String, byte[]> addressed(ProducerRecord<String, byte[]> record, String gateway) {
        record.headers().add(ResultRouter.REPLY_TO_HEADER, gateway.getBytes(StandardCharsets.UTF_8));
        return record;
    }
}
