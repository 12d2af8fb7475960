package dev.s3c.monitor.executions;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoCollection;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.s3c.contracts.ErrorType;
import dev.s3c.contracts.ExecutionError;
import dev.s3c.contracts.ExecutionStatus;
import dev.s3c.contracts.InvocationCompleted;
import dev.s3c.contracts.InvocationRequested;
import dev.s3c.contracts.JsonCodec;
import java.time.Instant;
import java.util.List;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** The upserts on a real MongoDB-wire server: in either order, any number of times, one correct document. */
class ExecutionUpsertsTest {

    private static final Instant T0 = Instant.parse("2026-11-27T10:00:00Z");

    private MongoServer server;
    private MongoClient client;
    private MongoCollection<Document> executions;

    @BeforeEach
    void start() {
        server = new MongoServer(new MemoryBackend());
        String uri = server.bindAndGetConnectionString();
        client = com.mongodb.reactivestreams.client.MongoClients.create(uri);
        executions = client.getDatabase("s3c").getCollection("executions");
    }

    @AfterEach
    void stop() {
        client.close();
        server.shutdownNow();
    }

    private void write(Object... messages) {
        var writes = java.util.Arrays.stream(messages).map(m -> m instanceof InvocationRequested r
                ? ExecutionUpserts.requested(r, 0L) : ExecutionUpserts.completed((InvocationCompleted) m)).toList();
        Mono.from(executions.bulkWrite(writes, new BulkWriteOptions().ordered(true))).block();
    }

    private List<Document> all() {
        return reactor.core.publisher.Flux.from(executions.find()).collectList().block();
    }

    private static InvocationRequested request() {
        return new InvocationRequested("e-1", "f-1", 1, JsonCodec.readTree("{\"n\":20}"), T0, null);
    }

    private static InvocationCompleted result(ExecutionStatus status) {
        return new InvocationCompleted("e-1", "f-1", 2, status,
                status == ExecutionStatus.SUCCEEDED ? JsonCodec.readTree("6765") : null,
                status == ExecutionStatus.SUCCEEDED ? null : ExecutionError.of(ErrorType.USER_ERROR, "boom"),
                "log\n", 12, 1, "i-0", true, T0, T0.plusMillis(5), T0.plusMillis(17), null);
    }

    @Test
    void requestThenResultEndsSucceeded() {
        write(request());
        assertThat(all().getFirst().getString("status")).isEqualTo("queued");
        write(result(ExecutionStatus.SUCCEEDED));
        assertFinal();
    }

    @Test
    void resultBeforeRequestStillEndsSucceededWithItsInput() {
        write(result(ExecutionStatus.SUCCEEDED));
        write(request());
        assertFinal();
    }

    @Test
    void duplicatesInOneBatchLeaveOneDocument() {
        write(request(), result(ExecutionStatus.SUCCEEDED), request(), result(ExecutionStatus.SUCCEEDED));
        assertFinal();
    }

    @Test
    void requestAndResultFoldedIntoOneWrite() {
        Mono.from(executions.bulkWrite(List.of(ExecutionUpserts.both(request(), result(ExecutionStatus.SUCCEEDED), 0L)))).block();
        assertFinal();
        // a late duplicate of the request changes nothing
        write(request());
        assertFinal();
    }

    @Test
    void aStartNoticeNeverUndoesAResult() {
        write(request());
        Mono.from(executions.bulkWrite(List.of(ExecutionUpserts.started(
                new dev.s3c.contracts.InvocationStarted("e-1", "f-1", 2, "i-0", 1, T0.plusMillis(5)))))).block();
        Document running = all().getFirst();
        assertThat(running.getString("status")).isEqualTo("queued");
        assertThat(running.get("startedAt")).isNotNull();
        assertThat(running.getString("instanceId")).isEqualTo("i-0");
        write(result(ExecutionStatus.SUCCEEDED));
        // late start notice after the result
        Mono.from(executions.bulkWrite(List.of(ExecutionUpserts.started(
                new dev.s3c.contracts.InvocationStarted("e-1", "f-1", 2, "i-0", 1, T0.plusMillis(5)))))).block();
        assertFinal();
    }

    @Test
    void everyWriteFiltersByIdAlone() {
        // the embedded store uses its _id index only for a filter whose keys are exactly {_id}; $and or any other
        // key makes it scan the whole collection under its lock, once per write
        InvocationRequested redrive = request().redrive(JsonCodec.readTree("{}"), T0.plusSeconds(60));
        var writes = List.of(ExecutionUpserts.requested(request(), 7L), ExecutionUpserts.requested(redrive, null),
                ExecutionUpserts.redriveSeen(redrive, 8L),
                ExecutionUpserts.completed(result(ExecutionStatus.SUCCEEDED)),
                ExecutionUpserts.completed(result(ExecutionStatus.SUCCEEDED).withHistory(List.of(), 1)),
                ExecutionUpserts.both(request(), result(ExecutionStatus.SUCCEEDED), 7L),
                ExecutionUpserts.started(new dev.s3c.contracts.InvocationStarted("e-1", "f-1", 2, "i-0", 1, T0)));
        for (var write : writes) {
            assertThat(((com.mongodb.client.model.UpdateOneModel<Document>) write).getFilter().toBsonDocument())
                    .isEqualTo(new org.bson.BsonDocument("_id", new org.bson.BsonString("e-1")));
        }
    }

    @Test
    void aRedriveResetsTheOutcomeAndItsResultSetsTheNewSeries() {
        write(request(), result(ExecutionStatus.FAILED));
        InvocationRequested again = request().redrive(JsonCodec.readTree("{\"n\":5}"), T0.plusSeconds(60));
        Mono.from(executions.bulkWrite(List.of(ExecutionUpserts.requested(again, null)))).block();
        Document queued = all().getFirst();
        assertThat(queued.getString("status")).isEqualTo("queued");
        assertThat(queued.getInteger("series")).isEqualTo(1);
        assertThat(queued.get("error")).isNull();
        assertThat(queued.getString("input")).isEqualTo("{\"n\":5}");
        // the redrive keeps the execution where its function's timeline listed it
        assertThat(queued.getLong("seq")).isEqualTo(0L);

        write(result(ExecutionStatus.SUCCEEDED).withHistory(List.of(), 1));
        Document done = all().getFirst();
        assertThat(done.getString("status")).isEqualTo("succeeded");
        assertThat(done.getInteger("series")).isEqualTo(1);
        assertThat(done.getList("history", Document.class)).hasSize(1);
    }

    @Test
    void anEarlierAttemptsWriteLandingAfterItsRetryKeepsTheNewerPlace() {
        // attempt 1 listed the request at place 3, timed out on the client while its write was still queued on the
        // server; the retry listed it at place 4, wrote and pushed entry 4; then attempt 1's write landed
        Mono.from(executions.bulkWrite(List.of(ExecutionUpserts.both(request(), result(ExecutionStatus.SUCCEEDED), 4L))))
                .block();
        Mono.from(executions.bulkWrite(List.of(ExecutionUpserts.both(request(), result(ExecutionStatus.SUCCEEDED), 3L),
                ExecutionUpserts.requested(request(), 2L)))).block();
        // still at place 4, whose entry exists: pointed at 3 it would be stored but never listed
        assertThat(all().getFirst().getLong("seq")).isEqualTo(4L);
        assertFinal();
    }

    @Test
    void failuresKeepTheErrorAndNoOutput() {
        write(request(), result(ExecutionStatus.FAILED));
        Document d = all().getFirst();
        assertThat(d.getString("status")).isEqualTo("failed");
        assertThat(d.get("output")).isNull();
        assertThat(d.get("error", Document.class).getString("type")).isEqualTo("user_error");
        assertThat(d.get("error", Document.class).getString("message")).isEqualTo("boom");
    }

    private void assertFinal() {
        List<Document> docs = all();
        assertThat(docs).hasSize(1);
        Document d = docs.getFirst();
        assertThat(d.getString("_id")).isEqualTo("e-1");
        assertThat(d.getString("status")).isEqualTo("succeeded");
        assertThat(d.getString("input")).isEqualTo("{\"n\":20}");
        assertThat(d.getString("output")).isEqualTo("6765");
        // the version that actually ran, not the one requested
        assertThat(d.getLong("functionVersion")).isEqualTo(2);
        assertThat(d.getInteger("attempts")).isEqualTo(1);
    }
}
