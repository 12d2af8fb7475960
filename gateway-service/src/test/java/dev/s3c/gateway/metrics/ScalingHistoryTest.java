package dev.s3c.gateway.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.s3c.contracts.ScalingEventRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bson.BsonDocument;
import dev.s3c.gateway.functions.FunctionService;
import dev.s3c.gateway.tenants.Caller;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import reactor.core.publisher.Mono;

/** The scaling history over decisions stored as the monitor writes them, on a MongoDB-wire server. */
class ScalingHistoryTest {

    private static final Instant T0 = Instant.parse("2026-11-27T10:00:00Z");

    private static final Caller ACME = new Caller("acme", null);
    private static final String MINE = "6b0940019a5fe676958c8303";
    private static final String THEIRS = "6b0940019a5fe676958c8304";

    private MongoServer server;
    private MongoClient client;
    private ScalingHistory history;

    @BeforeEach
    void start() {
        server = new MongoServer(new MemoryBackend());
        client = MongoClients.create(server.bindAndGetConnectionString());
        FunctionService functions = org.mockito.Mockito.mock(FunctionService.class);
        org.mockito.Mockito.when(functions.owns(org.mockito.ArgumentMatchers.eq(ACME),
                org.mockito.ArgumentMatchers.anyString())).thenAnswer(call -> Mono.just(MINE.equals(call.getArgument(1))));
        history = new ScalingHistory(new ReactiveMongoTemplate(client, "s3c"), functions);
        List<Document> docs = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Instant at = T0.plusSeconds(10L * i);
            docs.add(new Document("_id", "ev-" + i).append("action", "scale_up").append("fromInstances", i)
                    .append("toInstances", i + 1).append("timestamp", Date.from(at))
                    .append("order", ScalingEventRecord.order(at, "ev-" + i))
                    .append("backlogByFunction", List.of(new Document("functionId", THEIRS).append("backlog", 9L),
                            new Document("functionId", MINE).append("backlog", 2L))));
        }
        Mono.from(client.getDatabase("s3c").getCollection("scaling_events").insertMany(docs)).block();
    }

    @AfterEach
    void stop() {
        client.close();
        server.shutdownNow();
    }

    @Test
    void newestFirstUpToTheLimit() {
        assertThat(history.newest(3, ACME).block()).extracting(ScalingEventView::toInstances).containsExactly(10, 9, 8);
    }

    @Test
    void betweenTwoInstantsOldestFirstBothEndsIncluded() {
        assertThat(history.between(T0.plusSeconds(20), T0.plusSeconds(50), 100, ACME).block())
                .extracting(ScalingEventView::toInstances).containsExactly(3, 4, 5, 6);
        assertThat(history.between(T0.plusSeconds(75), null, 100, ACME).block())
                .extracting(ScalingEventView::toInstances).containsExactly(9, 10);
        assertThat(history.between(T0.plusSeconds(20), null, 2, ACME).block())
                .extracting(ScalingEventView::toInstances).containsExactly(3, 4);
    }

    @Test
    void everyTenantSeesEveryDecisionButOnlyItsOwnFunctionsBacklog() {
        assertThat(history.newest(10, ACME).block()).hasSize(10).allSatisfy(view ->
                assertThat((List<Object>) view.backlogByFunction()).containsExactly(java.util.Map.<String, Object>of("functionId", MINE, "backlog", 2L)));
    }

    @Test
    void everyReadIsARangeOfTheOrderKeyAlone() {
        assertThat(ScalingHistory.newestFilter().toBsonDocument()).isEqualTo(BsonDocument.parse("{order: {$gt: ''}}"));
        assertThat(ScalingHistory.betweenFilter(T0, T0.plusSeconds(1)).toBsonDocument()).isEqualTo(BsonDocument.parse(
                "{order: {$gte: '" + T0.toEpochMilli() + "', $lt: '" + (T0.toEpochMilli() + 1000) + "}'}}"));
    }
}
