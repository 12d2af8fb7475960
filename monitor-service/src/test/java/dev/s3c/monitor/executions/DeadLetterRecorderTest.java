package dev.s3c.monitor.executions;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.s3c.contracts.AttemptRecord;
import dev.s3c.contracts.DeadLetterResolved;
import dev.s3c.contracts.DeadLettered;
import dev.s3c.contracts.ErrorType;
import dev.s3c.contracts.ExecutionError;
import dev.s3c.contracts.ExecutionStatus;
import dev.s3c.contracts.InvocationRequested;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.contracts.Topic;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import reactor.core.publisher.Flux;

/** Dead letters and their resolutions on a MongoDB-wire server, in the orders Kafka may deliver them. */
class DeadLetterRecorderTest {

    private static final Instant T0 = Instant.parse("2026-11-27T10:00:00Z");

    private MongoServer server;
    private MongoClient client;
    private DeadLetterRecorder recorder;
    private long offset;

    @BeforeEach
    void start() {
        server = new MongoServer(new MemoryBackend());
        client = MongoClients.create(server.bindAndGetConnectionString());
        recorder = new DeadLetterRecorder(new ReactiveMongoTemplate(client, "s3c"), new KafkaProperties(),
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    }

    @AfterEach
    void stop() {
        client.close();
        server.shutdownNow();
    }

    private static DeadLettered dead(int series) {
        var attempt = new AttemptRecord(1, "i-0", T0, 3, ExecutionStatus.FAILED, ExecutionError.of(ErrorType.USER_ERROR,
                "boom " + series));
        var request = new InvocationRequested("e-1", "f-1", 1, JsonCodec.readTree("{\"s\":" + series + "}"), T0, null,
                1, null, null, List.of(), series, 0);
        return new DeadLettered("e-1", "f-1", request, attempt, T0);
    }

    private ConsumerRecord<String, byte[]> record(Topic topic, Object value) {
        return new ConsumerRecord<>(topic.topicName(), 0, offset++, "e-1", JsonCodec.toBytes(value));
    }

    private void deliver(Object... messages) {
        recorder.onMessage(java.util.Arrays.stream(messages).map(m -> m instanceof DeadLettered
                ? record(Topic.DEAD_LETTERS, m) : record(Topic.DEAD_LETTER_RESOLUTIONS, m)).toList());
    }

    private List<Document> all() {
        return Flux.from(client.getDatabase("s3c").getCollection("dead_letters").find()).collectList().block();
    }

    private static DeadLetterResolved resolved(int series) {
        return new DeadLetterResolved("e-1", DeadLetterResolved.Resolution.REDRIVEN, T0, series);
    }

    @Test
    void aResolutionRemovesItsDeadLetter() {
        deliver(dead(0));
        assertThat(all()).hasSize(1);
        assertThat(all().getFirst().getInteger("attempts")).isEqualTo(1);
        deliver(resolved(0));
        assertThat(all()).isEmpty();
    }

    @Test
    void theRedrivesOwnDeadLetterSurvivesTheResolutionOfTheOneBefore() {
        deliver(dead(0));
        // the redriven series failed again fast: its dead letter and the earlier resolution arrive together
        deliver(dead(1), resolved(0));
        List<Document> left = all();
        assertThat(left).hasSize(1);
        assertThat(left.getFirst().getInteger("series")).isEqualTo(1);
        assertThat(left.getFirst().getString("input")).isEqualTo("{\"s\":1}");
    }

    @Test
    void anOlderDeadLetterNeverReplacesANewerOne() {
        deliver(dead(1));
        deliver(dead(0), resolved(1));
        assertThat(all()).isEmpty();
        deliver(dead(2), dead(1));
        assertThat(all()).singleElement().satisfies(d -> assertThat(d.getInteger("series")).isEqualTo(2));
    }

    @Test
    void everyWriteFiltersByIdAlone() {
        var writes = DeadLetterRecorder.writes(List.of(dead(0), dead(1)), java.util.Map.of("e-2", 0));
        assertThat(writes).singleElement().isInstanceOf(com.mongodb.client.model.ReplaceOneModel.class);
        // e-1 replaced, e-2 (stored, resolved by nothing here) untouched; then a resolution deletes
        var deletes = DeadLetterRecorder.writes(List.of(resolved(0)), java.util.Map.of("e-1", 0));
        assertThat(deletes).singleElement().isInstanceOf(com.mongodb.client.model.DeleteOneModel.class);
        for (var write : java.util.stream.Stream.concat(writes.stream(), deletes.stream()).toList()) {
            var filter = write instanceof com.mongodb.client.model.ReplaceOneModel<Document> r ? r.getFilter()
                    : ((com.mongodb.client.model.DeleteOneModel<Document>) write).getFilter();
            assertThat(filter.toBsonDocument().keySet()).containsExactly("_id");
        }
    }

    @Test
    void aDeadLetterCarriesItsListingKeys() {
        deliver(dead(0));
        assertThat(all()).singleElement().satisfies(d -> {
            assertThat(d.getString("byFunction")).isEqualTo("f-1|" + T0.toEpochMilli() + "|e-1");
            assertThat(d.getString("byTime")).isEqualTo(T0.toEpochMilli() + "|e-1");
        });
    }

    @Test
    void deadLettersStoredBeforeTheKeysGetThemAtStart() {
        var collection = client.getDatabase("s3c").getCollection("dead_letters");
        reactor.core.publisher.Mono.from(collection.insertOne(new Document("_id", "e-old").append("functionId", "f-1")
                .append("deadLetteredAt", java.util.Date.from(T0)))).block();
        recorder.beforeStart();
        assertThat(all()).singleElement().satisfies(d -> {
            assertThat(d.getString("byFunction")).isEqualTo("f-1|" + T0.toEpochMilli() + "|e-old");
            assertThat(d.getString("byTime")).isEqualTo(T0.toEpochMilli() + "|e-old");
        });
        // and a second start finds nothing to do
        recorder.beforeStart();
        assertThat(all()).hasSize(1);
    }
}
