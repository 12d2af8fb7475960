package dev.s3c.monitor.executions;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.s3c.contracts.ErrorType;
import dev.s3c.contracts.ExecutionError;
import dev.s3c.contracts.ExecutionStatus;
import dev.s3c.contracts.InvocationCompleted;
import dev.s3c.contracts.InvocationRequested;
import dev.s3c.contracts.InvocationStarted;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.contracts.Topic;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import com.mongodb.client.model.UpdateOneModel;
import org.bson.BsonDocument;
import org.bson.BsonString;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import reactor.core.publisher.Flux;

/**
 * Batches as Kafka may deliver them (any order across the three topics, replays after a crash, redrives) written to a
 * MongoDB-wire server: one correct execution document each, listed once in its function's timeline.
 */
class ExecutionRecorderTest {

    private static final Instant T0 = Instant.parse("2026-11-27T10:00:00Z");

    private MongoServer server;
    private MongoClient client;
    private ExecutionRecorder recorder;
    private SimpleMeterRegistry meters;
    private long offset;

    @BeforeEach
    void start() {
        server = new MongoServer(new MemoryBackend());
        client = MongoClients.create(server.bindAndGetConnectionString());
        meters = new SimpleMeterRegistry();
        recorder = new ExecutionRecorder(new ReactiveMongoTemplate(client, "s3c"), new KafkaProperties(), meters,
                Duration.ZERO);
    }

    @AfterEach
    void stop() {
        client.close();
        server.shutdownNow();
    }

    private void deliver(Object... messages) {
        recorder.record(this, Arrays.stream(messages).map(this::record).toList(), Set.of(0), 0);
    }

    private ConsumerRecord<String, byte[]> record(Object m) {
        Topic topic = switch (m) {
            case InvocationRequested r -> Topic.INVOCATIONS;
            case InvocationStarted s -> Topic.INVOCATION_STARTS;
            default -> Topic.INVOCATION_RESULTS;
        };
        return new ConsumerRecord<>(topic.topicName(), 0, offset++, "e", JsonCodec.toBytes(m));
    }

    private List<Document> all(String collection) {
        return Flux.from(client.getDatabase("s3c").getCollection(collection).find()).collectList().block();
    }

    private Document execution(String id) {
        return all("executions").stream().filter(d -> d.getString("_id").equals(id)).findFirst().orElseThrow();
    }

    private static InvocationRequested request(String id) {
        return new InvocationRequested(id, "f-1", 1, JsonCodec.readTree("{\"id\":\"" + id + "\"}"), T0, null);
    }

    private static InvocationCompleted result(String id, ExecutionStatus status, int series) {
        return new InvocationCompleted(id, "f-1", 1, status, status == ExecutionStatus.SUCCEEDED
                ? JsonCodec.readTree("1") : null, status == ExecutionStatus.SUCCEEDED ? null
                : ExecutionError.of(ErrorType.USER_ERROR, "boom"), "", 3, 1, "i-0", false, T0, T0.plusMillis(1),
                T0.plusMillis(4), null).withHistory(List.of(), series);
    }

    @Test
    void requestsAreListedInTheirFunctionsTimelineInOrder() {
        deliver(request("a"), request("b"));
        deliver(request("c"), result("a", ExecutionStatus.SUCCEEDED, 0));
        Document head = all("execution_timeline_heads").getFirst();
        assertThat(head.getString("_id")).isEqualTo("f-1");
        assertThat(head.getLong("next")).isEqualTo(3);
        Document block = all("execution_timeline_blocks").getFirst();
        assertThat(block.getString("_id")).isEqualTo("f-1#0");
        assertThat(block.getList("entries", Document.class)).extracting(e -> e.getString("id") + "@" + e.getLong("s"))
                .containsExactly("a@0", "b@1", "c@2");
        assertThat(execution("a").getLong("seq")).isZero();
        assertThat(execution("a").getString("status")).isEqualTo("succeeded");
        assertThat(execution("c").getLong("seq")).isEqualTo(2);
    }

    @Test
    void aBatchListsItsRequestsInTheOrderTheyWereMadeWhateverPartitionTheyCameFrom() {
        InvocationRequested later = new InvocationRequested("late", "f-1", 1, JsonCodec.readTree("{}"), T0.plusMillis(5), null);
        InvocationRequested earlier = request("early");
        deliver(later, earlier);
        assertThat(execution("early").getLong("seq")).isZero();
        assertThat(execution("late").getLong("seq")).isEqualTo(1);
    }

    @Test
    void aReplayedBatchListsAgainAndTheExecutionPointsAtItsNewestPlace() {
        deliver(request("a"), result("a", ExecutionStatus.SUCCEEDED, 0));
        // the batch was written but not committed: Kafka delivers it again
        deliver(request("a"), result("a", ExecutionStatus.SUCCEEDED, 0));
        assertThat(all("executions")).hasSize(1);
        // the listing reads place 0 as stale: its execution says 1
        assertThat(execution("a").getLong("seq")).isEqualTo(1);
        assertThat(execution("a").getString("status")).isEqualTo("succeeded");
    }

    @Test
    void aLateResultOfTheFirstSeriesNeverOverwritesARedrive() {
        deliver(request("a"));
        InvocationRequested redrive = request("a").redrive(JsonCodec.readTree("{\"again\":true}"), T0.plusSeconds(60));
        // the results partition lagged: the redrive is read before the first series' final result
        deliver(redrive);
        deliver(result("a", ExecutionStatus.FAILED, 0));
        Document queued = execution("a");
        assertThat(queued.getString("status")).isEqualTo("queued");
        assertThat(queued.getInteger("series")).isEqualTo(1);
        assertThat(queued.getString("input")).isEqualTo("{\"again\":true}");

        deliver(result("a", ExecutionStatus.SUCCEEDED, 1));
        assertThat(execution("a").getString("status")).isEqualTo("succeeded");
    }

    @Test
    void aRedriveIsListedAnewAtTheTimeOfTheRedriveAndItsOldEntryNoLongerMatches() {
        deliver(request("a"), result("a", ExecutionStatus.FAILED, 0), request("b"));
        InvocationRequested redrive = request("a").redrive(JsonCodec.readTree("{}"), T0.plusSeconds(60));
        deliver(redrive);
        assertThat(all("execution_timeline_blocks").getFirst().getList("entries", Document.class))
                .extracting(e -> e.getString("id") + "@" + e.getLong("s")).containsExactly("a@0", "b@1", "a@2");
        // listings show an entry only where its execution points: "a" once, as the newest
        assertThat(execution("a").getLong("seq")).isEqualTo(2);
        assertThat(execution("b").getLong("seq")).isEqualTo(1);
    }

    @Test
    void aRedrivesResultReadBeforeItsRequestIsNotUndone() {
        deliver(request("a"), result("a", ExecutionStatus.FAILED, 0));
        InvocationRequested redrive = request("a").redrive(JsonCodec.readTree("{}"), T0.plusSeconds(60));
        deliver(result("a", ExecutionStatus.SUCCEEDED, 1));
        deliver(redrive);
        // listed anew by its request, though its result came first
        assertThat(execution("a").getLong("seq")).isEqualTo(1);
        // and a replay of both changes nothing either (but the place: listed again, the newest entry shown)
        deliver(redrive, result("a", ExecutionStatus.FAILED, 0), result("a", ExecutionStatus.SUCCEEDED, 1));
        Document done = execution("a");
        assertThat(done.getString("status")).isEqualTo("succeeded");
        assertThat(done.getInteger("series")).isEqualTo(1);
        assertThat(done.getString("output")).isEqualTo("1");
        // the redrive's own input, though its request was read after its result
        assertThat(done.getString("input")).isEqualTo("{}");
        assertThat(done.getLong("seq")).isEqualTo(2);
    }

    @Test
    void aFirstRequestAndItsRedriveInOneBatchAreStoredAndListed() {
        // the recorder lagged: the first request, its result and the redrive the user made meanwhile arrive together
        InvocationRequested redrive = request("a").redrive(JsonCodec.readTree("{\"n\":3}"), T0.plusSeconds(60));
        deliver(request("a"), result("a", ExecutionStatus.FAILED, 0), redrive);
        Document queued = execution("a");
        assertThat(queued.getString("status")).isEqualTo("queued");
        assertThat(queued.getInteger("series")).isEqualTo(1);
        assertThat(queued.getString("input")).isEqualTo("{\"n\":3}");
        assertThat(queued.getString("functionId")).isEqualTo("f-1");
        // listed once, at the redrive's time
        assertThat(queued.getLong("seq")).isZero();
        assertThat(all("execution_timeline_heads").getFirst().getLong("next")).isEqualTo(1);
        assertThat(all("execution_timeline_blocks").getFirst().getList("entries", Document.class))
                .extracting(e -> e.get("t")).containsExactly(java.util.Date.from(T0.plusSeconds(60)));
    }

    @Test
    void aBatchReplayedAfterAFailedWriteStillResetsForTheRedrive() {
        deliver(request("a"), result("a", ExecutionStatus.FAILED, 0));
        InvocationRequested redrive = request("a").redrive(JsonCodec.readTree("{}"), T0.plusSeconds(60));
        // the series registry is written last: had the batch failed after the executions write, the replay decides
        // the same, so delivering it twice is what a replay does
        deliver(redrive);
        deliver(redrive);
        Document queued = execution("a");
        assertThat(queued.getString("status")).isEqualTo("queued");
        assertThat(queued.get("error")).isNull();
    }

    @Test
    void aRedriveAndItsResultInOneBatchEndInTheResult() {
        deliver(request("a"), result("a", ExecutionStatus.FAILED, 0));
        InvocationRequested redrive = request("a").redrive(JsonCodec.readTree("{\"n\":2}"), T0.plusSeconds(60));
        deliver(result("a", ExecutionStatus.SUCCEEDED, 1), redrive, new InvocationStarted("a", "f-1", 1, "i-1", 1, T0));
        Document done = execution("a");
        assertThat(done.getString("status")).isEqualTo("succeeded");
        assertThat(done.getString("input")).isEqualTo("{\"n\":2}");
        assertThat(done.getInteger("series")).isEqualTo(1);
    }

    @Test
    void theTimelineAndSeriesWritesFilterByIdAlone() {
        BsonDocument byId = new BsonDocument("_id", new BsonString("f-1#0"));
        assertThat(FunctionTimelineWriter.blockWrites(List.of(request("a"), request("b")), Map.of("a", 0L, "b", 1L)))
                .singleElement()
                .satisfies(w -> assertThat(((UpdateOneModel<Document>) w).getFilter().toBsonDocument()).isEqualTo(byId));
        assertThat(SeriesRegistry.writes(Map.of("a", 2))).singleElement().satisfies(w ->
                assertThat(((UpdateOneModel<Document>) w).getFilter().toBsonDocument())
                        .isEqualTo(new BsonDocument("_id", new BsonString("a"))));
        // reads of a batch: one $in on _id, which the embedded store answers from its index too
        assertThat(SeriesRegistry.byIds(List.of("a", "b")).toBsonDocument().keySet()).containsExactly("_id");
    }

    @Test
    void storedResultsAndTheirPersistenceLagAreMeasured() {
        deliver(request("a"), result("a", ExecutionStatus.SUCCEEDED, 0), result("b", ExecutionStatus.FAILED, 0));
        assertThat(meters.get("s3c.monitor.results.stored").counter().count()).isEqualTo(2);
        assertThat(meters.get("s3c.monitor.persistence.lag").timer().count()).isEqualTo(2);
    }

    /** A recorder that holds requests for a second, fed batches at chosen moments and from chosen partitions. */
    private final class Holding {

        final SimpleMeterRegistry meters = new SimpleMeterRegistry();
        final ExecutionRecorder held = new ExecutionRecorder(new ReactiveMongoTemplate(client, "s3c"),
                new KafkaProperties(), meters, Duration.ofSeconds(1));
        final Map<String, Long> offsets = new java.util.HashMap<>();

        ConsumerRecord<String, byte[]> at(int partition, Object m) {
            String topic = switch (m) {
                case InvocationRequested r -> Topic.INVOCATIONS.topicName();
                case InvocationStarted s -> Topic.INVOCATION_STARTS.topicName();
                default -> Topic.INVOCATION_RESULTS.topicName();
            };
            long next = offsets.merge(topic + "-" + partition, 1L, Long::sum) - 1;
            return new ConsumerRecord<>(topic, partition, next, "e", JsonCodec.toBytes(m));
        }

        /** The offsets the batch lets the consumer commit, as topic-partition to offset. */
        Map<String, Long> deliver(long atMillis, List<ConsumerRecord<String, byte[]>> records) {
            Map<String, Long> commits = new java.util.TreeMap<>();
            held.record(this, records, Set.of(0, 1), atMillis * 1_000_000L)
                    .forEach((tp, o) -> commits.put(tp.topic() + "-" + tp.partition(), o.offset()));
            return commits;
        }

        double writes(String of) {
            return meters.get("s3c.monitor.execution.writes").tag("of", of).counter().count();
        }

        double held() {
            return meters.get("s3c.monitor.requests.held").gauge().value();
        }
    }

    @Test
    void aRequestWaitsForItsResultSoBothAreOneWriteAndItsPartitionIsCommittedOnlyUpToIt() {
        Holding h = new Holding();
        Map<String, Long> commits = h.deliver(0, List.of(h.at(0, request("a")), h.at(0, request("b")),
                h.at(1, request("c"))));
        assertThat(all("executions")).isEmpty();
        // nothing held may be committed: after a crash the next reader starts at the oldest held request
        assertThat(commits).containsEntry("s3c.invocations-0", 0L).containsEntry("s3c.invocations-1", 0L);
        assertThat(h.held()).isEqualTo(3);
        // counted once written: nothing yet
        assertThat(h.meters.get("s3c.monitor.executions.recorded").counter().count()).isZero();

        commits = h.deliver(200, List.of(h.at(0, result("b", ExecutionStatus.SUCCEEDED, 0))));
        Document b = execution("b");
        assertThat(b.getString("status")).isEqualTo("succeeded");
        assertThat(b.getString("input")).isEqualTo("{\"id\":\"b\"}");
        assertThat(b.getLong("seq")).isZero();
        assertThat(h.writes("request and result")).isEqualTo(1);
        assertThat(h.writes("request")).isZero();
        assertThat(h.writes("result")).isZero();
        // "a" is still held, below "b": the requests' partitions stay where they were committed
        assertThat(commits).doesNotContainKeys("s3c.invocations-0", "s3c.invocations-1")
                .containsEntry("s3c.invocation-results-0", 1L);

        commits = h.deliver(400, List.of(h.at(0, result("a", ExecutionStatus.FAILED, 0))));
        assertThat(execution("a").getString("status")).isEqualTo("failed");
        assertThat(commits).containsEntry("s3c.invocations-0", 2L).doesNotContainKey("s3c.invocations-1");

        // no result for "c" within the hold (its second, and the millisecond the results waited for an executor):
        // stored as queued, alone, and its partition committed past it
        commits = h.deliver(1000, List.of());
        assertThat(all("executions")).hasSize(2);
        commits = h.deliver(1001, List.of());
        assertThat(execution("c").getString("status")).isEqualTo("queued");
        assertThat(commits).containsEntry("s3c.invocations-1", 1L);
        assertThat(h.writes("request and result")).isEqualTo(2);
        assertThat(h.writes("request")).isEqualTo(1);
        assertThat(h.held()).isZero();
        // three requests and two results
        assertThat(h.meters.get("s3c.monitor.executions.recorded").counter().count()).isEqualTo(5);
    }

    /** Another execution's result, whose run started 2.5 s after its request: the executors lag. */
    private static InvocationCompleted late(String id) {
        return new InvocationCompleted(id, "f-1", 1, ExecutionStatus.SUCCEEDED, JsonCodec.readTree("1"), null, "", 3,
                1, "i-0", false, T0, T0.plusMillis(2500), T0.plusMillis(2503), null);
    }

    @Test
    void whileTheExecutorsLagARequestIsHeldPastTheSecondAndStillWrittenWithItsResult() {
        Holding h = new Holding();
        h.deliver(0, List.of(h.at(0, request("a"))));
        h.deliver(300, List.of(h.at(1, late("x"))));
        assertThat(h.meters.get("s3c.monitor.requests.hold").gauge().value()).isEqualTo(3.5);

        Map<String, Long> commits = h.deliver(1500, List.of());
        assertThat(all("executions")).extracting(d -> d.getString("_id")).containsExactly("x");
        assertThat(commits).doesNotContainKey("s3c.invocations-0");
        h.deliver(1800, List.of(h.at(1, late("y"))));
        // a batch with nothing new looks at what is due
        h.deliver(2250, List.of());
        assertThat(all("executions")).extracting(d -> d.getString("_id")).containsExactlyInAnyOrder("x", "y");

        h.deliver(2800, List.of(h.at(0, result("a", ExecutionStatus.SUCCEEDED, 0))));
        assertThat(execution("a").getString("status")).isEqualTo("succeeded");
        assertThat(h.writes("request and result")).isEqualTo(1);
        assertThat(h.writes("request")).isZero();
    }

    @Test
    void theQueueWaitIsNeverNegativeNorUnbounded() {
        assertThat(ExecutionRecorder.queueWaitNanos(T0, T0.minusSeconds(1))).isZero();
        assertThat(ExecutionRecorder.queueWaitNanos(T0, T0.plusMillis(1500))).isEqualTo(1_500_000_000L);
        assertThat(ExecutionRecorder.queueWaitNanos(Instant.MIN, Instant.MAX))
                .isEqualTo(3_600_000_000_000L + 999_999_999);
    }

    @Test
    void aBatchOfNewRequestsNeverCommitsTheirPartitionPastOneStillHeld() {
        Holding h = new Holding();
        h.deliver(0, List.of(h.at(0, request("a"))));
        Map<String, Long> commits = h.deliver(100, List.of(h.at(0, request("b")),
                h.at(0, result("b", ExecutionStatus.SUCCEEDED, 0))));
        assertThat(execution("b").getString("status")).isEqualTo("succeeded");
        // "b" is stored, but "a", before it, is held
        assertThat(commits.getOrDefault("s3c.invocations-0", 0L)).isZero();
    }

    @Test
    void aBatchDeliveredAgainAfterItsPartitionCameBackWritesOnlyBelowWhereItIsReadAgain() {
        Holding h = new Holding();
        TopicPartition requests = new TopicPartition(Topic.INVOCATIONS.topicName(), 0);
        TopicPartition results = new TopicPartition(Topic.INVOCATION_RESULTS.topicName(), 0);
        MockConsumer<String, byte[]> consumer = new MockConsumer<>("earliest");
        consumer.assign(List.of(requests, results));
        consumer.seek(requests, 2);
        consumer.seek(results, 0);
        h.held.onMessage(List.of(h.at(0, request("a")), h.at(0, request("b"))), consumer);
        assertThat(consumer.committed(Set.of(requests)).get(requests).offset()).isZero();

        // a failed batch (a result and a newer request) waits for its retry; meanwhile the group rebalanced, the
        // partitions came back, reset to what was committed, and what was held was forgotten
        var later = h.at(0, request("c"));
        var result = h.at(0, result("b", ExecutionStatus.SUCCEEDED, 0));
        h.held.forget(consumer, List.of(requests, results));
        consumer.seek(requests, 0);
        consumer.seek(results, 1);
        h.held.onMessage(List.of(later, result), consumer);
        // "c" is read again from offset 0 with "a" and "b": held now, the commit would pass both
        assertThat(consumer.committed(Set.of(requests)).get(requests).offset()).isZero();
        assertThat(h.held()).isZero();
        assertThat(execution("b").getString("status")).isEqualTo("succeeded");
    }

    @Test
    void aHeldRequestsRedriveOrLateResultStillEndsRight() {
        Holding h = new Holding();
        h.deliver(0, List.of(h.at(0, request("a")), h.at(0, request("b"))));
        // "a" is redriven before its first result was read: the redrive resets, the held request comes first
        InvocationRequested redrive = request("a").redrive(JsonCodec.readTree("{\"n\":2}"), T0.plusSeconds(60));
        h.deliver(100, List.of(h.at(0, redrive)));
        assertThat(execution("a").getInteger("series")).isEqualTo(1);
        assertThat(execution("a").getString("input")).isEqualTo("{\"n\":2}");
        h.deliver(200, List.of(h.at(0, result("a", ExecutionStatus.FAILED, 0)),
                h.at(0, result("a", ExecutionStatus.SUCCEEDED, 1))));
        assertThat(execution("a").getString("status")).isEqualTo("succeeded");

        // "b" released by its hold, its result read later: the request never overwrites it
        h.deliver(1100, List.of());
        h.deliver(1200, List.of(h.at(0, result("b", ExecutionStatus.SUCCEEDED, 0))));
        assertThat(execution("b").getString("status")).isEqualTo("succeeded");
        assertThat(execution("b").getString("input")).isEqualTo("{\"id\":\"b\"}");
    }
}
