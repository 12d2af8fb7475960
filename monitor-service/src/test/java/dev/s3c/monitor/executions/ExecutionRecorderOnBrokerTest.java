package dev.s3c.monitor.executions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.mongodb.client.model.Filters;
import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.s3c.contracts.ExecutionStatus;
import dev.s3c.contracts.InvocationCompleted;
import dev.s3c.contracts.InvocationRequested;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.contracts.Topic;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mockito.Mockito;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import reactor.core.publisher.Mono;

/**
 * The recorder on the test JVM's embedded broker, committing as it runs in the platform: a request held for its
 * result is not committed, and is stored with it in one write; one whose result does not come is stored when its
 * hold is up, though nothing else arrives; a batch retried after a failed write is not committed past a held
 * request; and a recorder stopped while it holds a request has not committed it, so the next one stores it.
 */
class ExecutionRecorderOnBrokerTest {

    private static String brokers;

    private final String group = "recorder-test-" + UUID.randomUUID();
    private MongoServer server;
    private MongoClient client;
    private KafkaProducer<String, byte[]> producer;
    private final List<ExecutionRecorder> recorders = new ArrayList<>();

    @BeforeAll
    static void topics() throws Exception {
        brokers = System.getProperty("spring.embedded.kafka.brokers");
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers))) {
            admin.createTopics(List.of(Topic.INVOCATIONS.newTopic(), Topic.INVOCATION_RESULTS.newTopic(),
                    Topic.INVOCATION_STARTS.newTopic())).all().get();
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
    }

    @BeforeEach
    void start() throws Exception {
        server = new MongoServer(new MemoryBackend());
        client = MongoClients.create(server.bindAndGetConnectionString());
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers),
                new StringSerializer(), new ByteArraySerializer());
        // the group starts where the topics end: the other tests' messages are not this one's
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers))) {
            Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
            for (Topic topic : List.of(Topic.INVOCATIONS, Topic.INVOCATION_RESULTS, Topic.INVOCATION_STARTS)) {
                for (int p = 0; p < topic.partitions(); p++) {
                    ends.put(new TopicPartition(topic.topicName(), p), OffsetSpec.latest());
                }
            }
            Map<TopicPartition, OffsetAndMetadata> start = new HashMap<>();
            admin.listOffsets(ends).all().get().forEach((tp, end) -> start.put(tp, new OffsetAndMetadata(end.offset())));
            admin.alterConsumerGroupOffsets(group, start).all().get();
        }
    }

    @AfterEach
    void stop() {
        recorders.forEach(ExecutionRecorder::stop);
        producer.close();
        client.close();
        server.shutdownNow();
    }

    private ExecutionRecorder recorder(SimpleMeterRegistry meters, Duration hold) {
        return recorder(new ReactiveMongoTemplate(client, "s3c"), meters, hold);
    }

    private ExecutionRecorder recorder(ReactiveMongoTemplate mongo, SimpleMeterRegistry meters, Duration hold) {
        KafkaProperties kafka = new KafkaProperties();
        kafka.setBootstrapServers(List.of(brokers));
        kafka.getConsumer().setGroupId(group);
        kafka.getConsumer().setAutoOffsetReset("earliest");
        ExecutionRecorder recorder = new ExecutionRecorder(mongo, kafka, meters, hold);
        recorders.add(recorder);
        recorder.start();
        return recorder;
    }

    private RecordMetadata send(Topic topic, int partition, String id, Object message) throws Exception {
        return producer.send(new ProducerRecord<>(topic.topicName(), partition, id, JsonCodec.toBytes(message))).get();
    }

    private RecordMetadata send(Topic topic, String id, Object message) throws Exception {
        return producer.send(new ProducerRecord<>(topic.topicName(), id, JsonCodec.toBytes(message))).get();
    }

    private Document execution(String id) {
        return Mono.from(client.getDatabase("s3c").getCollection("executions").find(Filters.eq("_id", id)).first())
                .block();
    }

    private long committed(TopicPartition partition) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers))) {
            OffsetAndMetadata offset = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get()
                    .get(partition);
            return offset == null ? -1 : offset.offset();
        }
    }

    private static InvocationRequested request(String id) {
        return new InvocationRequested(id, "f-" + id, 1, JsonCodec.readTree("{\"n\":1}"), Instant.now(), null);
    }

    private static InvocationCompleted result(String id) {
        Instant now = Instant.now();
        return new InvocationCompleted(id, "f-" + id, 1, ExecutionStatus.SUCCEEDED, JsonCodec.readTree("2"), null, "",
                1, 1, "i-0", false, now, now, now, null).withHistory(List.of(), 0);
    }

    private static double held(SimpleMeterRegistry meters) {
        return meters.get("s3c.monitor.requests.held").gauge().value();
    }

    private static double writes(SimpleMeterRegistry meters, String of) {
        return meters.get("s3c.monitor.execution.writes").tag("of", of).counter().count();
    }

    @Test
    void aRequestIsHeldUncommittedUntilItsResultComesAndBothAreOneWrite() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        recorder(meters, Duration.ofMinutes(10));
        String id = "e-" + UUID.randomUUID();
        RecordMetadata request = send(Topic.INVOCATIONS, id, request(id));
        TopicPartition partition = new TopicPartition(request.topic(), request.partition());
        await().atMost(Duration.ofSeconds(30)).until(() -> held(meters) == 1);
        assertThat(execution(id)).isNull();
        assertThat(committed(partition)).isLessThanOrEqualTo(request.offset());

        send(Topic.INVOCATION_RESULTS, id, result(id));
        // counted once the batch is done, after the execution is readable
        await().atMost(Duration.ofSeconds(30)).until(() -> writes(meters, "request and result") == 1);
        assertThat(writes(meters, "request")).isZero();
        assertThat(execution(id).getString("status")).isEqualTo("succeeded");
        assertThat(execution(id).getString("input")).isEqualTo("{\"n\":1}");
        await().atMost(Duration.ofSeconds(30)).until(() -> committed(partition) == request.offset() + 1);
    }

    @Test
    void aRequestWithoutAResultIsStoredWhenItsHoldIsUpThoughNothingElseArrives() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        recorder(meters, Duration.ofSeconds(1));
        String id = "e-" + UUID.randomUUID();
        RecordMetadata lonely = send(Topic.INVOCATIONS, id, request(id));
        // no batch follows: the idle reader writes it, then commits past it
        await().atMost(Duration.ofSeconds(30)).until(() -> writes(meters, "request") == 1);
        assertThat(execution(id).getString("status")).isEqualTo("queued");
        TopicPartition partition = new TopicPartition(lonely.topic(), lonely.partition());
        await().atMost(Duration.ofSeconds(30)).until(() -> committed(partition) == lonely.offset() + 1);
    }

    @Test
    void aBatchRetriedAfterAFailedWriteIsNotCommittedPastAHeldRequest() throws Exception {
        ReactiveMongoTemplate mongo = Mockito.spy(new ReactiveMongoTemplate(client, "s3c"));
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        recorder(mongo, meters, Duration.ofMinutes(10));
        String waiting = "e-" + UUID.randomUUID();
        RecordMetadata held = send(Topic.INVOCATIONS, 3, waiting, request(waiting));
        await().atMost(Duration.ofSeconds(30)).until(() -> held(meters) == 1);

        // the next write of executions fails once: the error handler delivers that batch again. A redrive (of
        // an execution not stored here) is written as it comes, so the batch's write has a request after the
        // held one in the same partition
        Mockito.doReturn(Mono.error(new IllegalStateException("the store is away"))).doCallRealMethod()
                .when(mongo).getCollection("executions");
        String retried = "e-" + UUID.randomUUID();
        send(Topic.INVOCATIONS, 3, retried, request(retried).redrive(JsonCodec.readTree("{}"), Instant.now()));
        await().atMost(Duration.ofSeconds(30)).until(() -> execution(retried) != null);
        Mockito.verify(mongo, Mockito.atLeast(2)).getCollection("executions");
        // the container polls on: nothing it commits by itself may pass the held request
        TopicPartition partition = new TopicPartition(held.topic(), 3);
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                .until(() -> committed(partition) <= held.offset());
        assertThat(execution(waiting)).isNull();
    }

    @Test
    void aRecorderStoppedWhileItHoldsARequestLeavesItUncommittedForTheNextOne() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ExecutionRecorder first = recorder(meters, Duration.ofMinutes(10));
        String id = "e-" + UUID.randomUUID();
        RecordMetadata sent = send(Topic.INVOCATIONS, id, request(id));
        await().atMost(Duration.ofSeconds(30)).until(() -> held(meters) == 1);
        first.stop();
        assertThat(execution(id)).isNull();
        assertThat(committed(new TopicPartition(sent.topic(), sent.partition()))).isLessThanOrEqualTo(sent.offset());

        recorder(new SimpleMeterRegistry(), Duration.ZERO);
        await().atMost(Duration.ofSeconds(30)).until(() -> execution(id) != null);
        assertThat(execution(id).getString("status")).isEqualTo("queued");
    }
}
