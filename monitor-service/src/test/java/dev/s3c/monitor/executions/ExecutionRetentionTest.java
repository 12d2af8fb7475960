package dev.s3c.monitor.executions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.s3c.contracts.ExecutionTimeline;
import dev.s3c.contracts.InvocationRequested;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.contracts.Topic;
import dev.s3c.monitor.RetentionProperties;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import dev.s3c.contracts.DeadLetterRecord;
import dev.s3c.contracts.ScalingEventRecord;
import org.bson.BsonDocument;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The sweeper on a MongoDB-wire server, where TTL indexes expire nothing. */
class ExecutionRetentionTest {

    private static final Instant T0 = Instant.parse("2026-11-01T10:00:00Z");

    private MongoServer server;
    private MongoClient client;
    private ReactiveMongoTemplate mongo;
    private ExecutionRecorder recorder;
    private long offset;

    @BeforeEach
    void start() {
        server = new MongoServer(new MemoryBackend());
        client = MongoClients.create(server.bindAndGetConnectionString());
        mongo = new ReactiveMongoTemplate(client, "s3c");
        recorder = new ExecutionRecorder(mongo, new KafkaProperties(), new SimpleMeterRegistry(), Duration.ZERO);
    }

    @AfterEach
    void stop() {
        client.close();
        server.shutdownNow();
    }

    private void request(String function, int count, Instant at) {
        List<ConsumerRecord<String, byte[]>> batch = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            var r = new InvocationRequested(function + "-" + at.getEpochSecond() + "-" + i, function, 1,
                    JsonCodec.readTree("{}"), at, null);
            batch.add(new ConsumerRecord<>(Topic.INVOCATIONS.topicName(), 0, offset++, r.executionId(),
                    JsonCodec.toBytes(r)));
        }
        recorder.record(this, batch, Set.of(0), 0);
    }

    private long count(String collection) {
        return Mono.from(client.getDatabase("s3c").getCollection(collection).countDocuments()).block();
    }

    private ExecutionRetention retention(Instant now) {
        return new ExecutionRetention(mongo, new RetentionProperties("7d", "30d", "30d", "1m"),
                new SimpleMeterRegistry(), Clock.fixed(now, ZoneOffset.UTC));
    }

    @Test
    void executionsPastTheirRetentionGoBlockByBlockAndTheFloorRises() {
        int block = ExecutionTimeline.BLOCK_SIZE;
        request("f-old", block + 10, T0);
        request("f-new", 5, T0.plus(Duration.ofDays(7)));
        ExecutionRetention sweeper = retention(T0.plus(Duration.ofDays(7)).plusSeconds(60));
        // the first sweep only notes what was handed out: entries pushed after it could still be landing
        assertThat(sweeper.sweep()).isZero();
        // f-old is still adding to its last block: only the full one goes
        request("f-old", 1, T0.plusSeconds(1));
        assertThat(sweeper.sweep()).isEqualTo(block);
        assertThat(count("executions")).isEqualTo(11 + 5);
        assertThat(head("f-old").getLong("floor")).isEqualTo(block);
        // quiet since: the places of its last block handed out by then go too, the young f-new stays
        assertThat(sweeper.sweep()).isEqualTo(11);
        assertThat(count("executions")).isEqualTo(5);
        assertThat(head("f-old").getLong("floor")).isEqualTo(block + 11);
        assertThat(Mono.from(client.getDatabase("s3c").getCollection(ExecutionTimeline.BLOCKS)
                .find(new Document("_id", "f-old#1")).first()).block().getList("entries", Document.class)).isEmpty();
        // what comes later is listed from the floor on and kept
        request("f-old", 2, T0.plus(Duration.ofDays(7)));
        assertThat(sweeper.sweep()).isZero();
        assertThat(sweeper.sweep()).isZero();
        assertThat(count("executions")).isEqualTo(7);
        assertThat(Mono.from(client.getDatabase("s3c").getCollection(ExecutionTimeline.BLOCKS)
                .find(new Document("_id", "f-old#1")).first()).block().getList("entries", Document.class)).hasSize(2);
    }

    private Document head(String functionId) {
        return Mono.from(client.getDatabase("s3c").getCollection(ExecutionTimeline.HEADS)
                .find(new Document("_id", functionId)).first()).block();
    }

    @Test
    void aRedrivenExecutionIsKeptForTheRetentionFromItsRedrive() {
        int block = ExecutionTimeline.BLOCK_SIZE;
        request("f-1", block + 10, T0);
        String redriven = "f-1-" + T0.getEpochSecond() + "-3";
        InvocationRequested redrive = new InvocationRequested(redriven, "f-1", 1, JsonCodec.readTree("{}"), T0, null)
                .redrive(JsonCodec.readTree("{\"again\":true}"), T0.plus(Duration.ofDays(6)));
        recorder.record(this, List.of(new ConsumerRecord<>(Topic.INVOCATIONS.topicName(), 0, offset++, redriven,
                JsonCodec.toBytes(redrive))), Set.of(0), 0);

        ExecutionRetention sweeper = retention(T0.plus(Duration.ofDays(7)).plusSeconds(60));
        sweeper.sweep();
        // the first block goes but for the redriven execution, listed again in the second, which the redrive keeps
        // (with the ten older executions listed in it: a block goes as a whole once its newest entry is past)
        assertThat(sweeper.sweep()).isEqualTo(block - 1);
        assertThat(count("executions")).isEqualTo(11);
        assertThat(Mono.from(client.getDatabase("s3c").getCollection("executions")
                .find(new Document("_id", redriven)).first()).block().getString("input")).isEqualTo("{\"again\":true}");

        ExecutionRetention later = retention(T0.plus(Duration.ofDays(13)).plusSeconds(60));
        later.sweep();
        assertThat(later.sweep()).isEqualTo(11);
        assertThat(count("executions")).isZero();
    }

    @Test
    void anOldExecutionPointingBeyondItsBlockStillGoesWithItAsDoesAnOldRedrive() {
        int block = ExecutionTimeline.BLOCK_SIZE;
        request("f-1", block + 10, T0);
        // a place whose entry was never pushed (a batch cut off between its writes): not a redrive, so not kept
        String stray = "f-1-" + T0.getEpochSecond() + "-5";
        Mono.from(client.getDatabase("s3c").getCollection("executions").updateOne(new Document("_id", stray),
                new Document("$set", new Document("seq", (long) block + 100)))).block();
        // and one redriven, listed again, but past the retention itself by now
        String redriven = "f-1-" + T0.getEpochSecond() + "-6";
        InvocationRequested redrive = new InvocationRequested(redriven, "f-1", 1, JsonCodec.readTree("{}"), T0, null)
                .redrive(JsonCodec.readTree("{}"), T0.plusSeconds(30));
        recorder.record(this, List.of(new ConsumerRecord<>(Topic.INVOCATIONS.topicName(), 0, offset++, redriven,
                JsonCodec.toBytes(redrive))), Set.of(0), 0);
        ExecutionRetention sweeper = retention(T0.plus(Duration.ofDays(7)).plusSeconds(60));
        sweeper.sweep();
        // still adding to its last block: only the full one goes
        request("f-1", 1, T0.plusSeconds(1));
        assertThat(sweeper.sweep()).isEqualTo(block);
        assertThat(Mono.from(client.getDatabase("s3c").getCollection("executions")
                .find(new Document("_id", stray)).first()).block()).isNull();
        assertThat(Mono.from(client.getDatabase("s3c").getCollection("executions")
                .find(new Document("_id", redriven)).first()).block()).isNull();
    }

    @Test
    void nothingYoungerThanTheRetentionIsTouched() {
        request("f-1", ExecutionTimeline.BLOCK_SIZE * 2, T0);
        ExecutionRetention sweeper = retention(T0.plus(Duration.ofDays(6)));
        sweeper.sweep();
        assertThat(sweeper.sweep()).isZero();
        assertThat(count("executions")).isEqualTo(ExecutionTimeline.BLOCK_SIZE * 2);
    }

    @Test
    void deadLettersPastTheirRetentionGo() {
        var dead = client.getDatabase("s3c").getCollection("dead_letters");
        Mono.from(dead.insertMany(List.of(
                new Document("_id", "old").append("byTime", DeadLetterRecord.byTime(T0, "old")),
                new Document("_id", "new").append("byTime", DeadLetterRecord.byTime(T0.plus(Duration.ofDays(29)),
                        "new"))))).block();
        retention(T0.plus(Duration.ofDays(31))).sweep();
        assertThat(Flux.from(dead.find()).map(d -> d.getString("_id")).collectList().block()).containsExactly("new");
    }

    @Test
    void retentionDeletesByARangeOfOneIndexedKeyAlone() {
        // the shape both stores serve from the key's index; $and or another field would read every document
        assertThat(ExecutionRetention.deadLettersBefore(T0).toBsonDocument()).isEqualTo(BsonDocument.parse(
                "{byTime: {$lt: '" + T0.toEpochMilli() + "'}}"));
        assertThat(ExecutionRetention.scalingEventsBefore(T0).toBsonDocument()).isEqualTo(BsonDocument.parse(
                "{order: {$lt: '" + T0.toEpochMilli() + "'}}"));
        // executions are read (their places) and deleted by _id alone
        assertThat(ExecutionRetention.executionsByIds(List.of("a", "b")).toBsonDocument()).isEqualTo(BsonDocument.parse(
                "{_id: {$in: ['a', 'b']}}"));
    }

    @Test
    void scalingEventsPastTheirRetentionGo() {
        var events = client.getDatabase("s3c").getCollection("scaling_events");
        Mono.from(events.insertMany(List.of(new Document("_id", "old").append("order", ScalingEventRecord.order(T0, "old")),
                new Document("_id", "new").append("order", ScalingEventRecord.order(T0.plus(Duration.ofDays(29)),
                        "new"))))).block();
        retention(T0.plus(Duration.ofDays(31))).sweep();
        assertThat(Flux.from(events.find()).map(d -> d.getString("_id")).collectList().block()).containsExactly("new");
    }

    @Test
    void aRetentionThatDoesNotParseNamesItsVariable() {
        assertThatThrownBy(() -> new RetentionProperties("a week", "30d", "30d", "1m"))
                .hasMessageContaining("S3C_EXECUTION_RETENTION").hasMessageContaining("a week");
        assertThatThrownBy(() -> new RetentionProperties("7d", "0s", "30d", "1m"))
                .hasMessageContaining("S3C_DEAD_LETTER_RETENTION");
    }
}
