package dev.s3c.gateway.executions;

import static dev.s3c.contracts.ExecutionTimeline.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandSucceededEvent;
import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.s3c.contracts.ExecutionStatus;
import dev.s3c.gateway.api.ApiException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.BsonDocument;
import org.bson.BsonString;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import reactor.core.publisher.Mono;

/** Listings over timelines stored as the monitor writes them, on a MongoDB-wire server. */
class ExecutionListingTest {

    private static final Instant T0 = Instant.parse("2026-11-27T10:00:00Z");

    private MongoServer server;
    private MongoClient client;
    private ExecutionListing listing;

    /** Timeline blocks the store answered, counted from the driver's replies. */
    private final AtomicInteger blocksRead = new AtomicInteger();

    @BeforeEach
    void start() {
        server = new MongoServer(new MemoryBackend());
        client = MongoClients.create(MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString(server.bindAndGetConnectionString()))
                .addCommandListener(new CommandListener() {
                    @Override
                    public void commandSucceeded(CommandSucceededEvent event) {
                        BsonDocument cursor = event.getResponse().getDocument("cursor", null);
                        String namespace = cursor == null ? "" : cursor.getString("ns", new BsonString("")).getValue();
                        if (namespace.endsWith("." + BLOCKS)) {
                            blocksRead.addAndGet(cursor.getArray(cursor.containsKey("firstBatch") ? "firstBatch"
                                    : "nextBatch").size());
                        }
                    }
                })
                .build());
        listing = new ExecutionListing(new ReactiveMongoTemplate(client, "s3c"));
    }

    @AfterEach
    void stop() {
        client.close();
        server.shutdownNow();
    }

    /** Executions at places floor … n-1, input {i: place}; every tenth failed. */
    private void store(String functionId, int n, long floor) {
        var db = client.getDatabase("s3c");
        List<Document> executions = new ArrayList<>();
        Map<Long, List<Document>> blocks = new LinkedHashMap<>();
        for (int i = (int) floor; i < n; i++) {
            String id = functionId + "-e-" + i;
            executions.add(new Document("_id", id).append("functionId", functionId)
                    .append("status", i % 10 == 0 ? "failed" : "succeeded").append("seq", (long) i)
                    .append("input", "{\"i\":" + i + "}").append("requestedAt", Date.from(T0.plusSeconds(i))));
            blocks.computeIfAbsent(blockOf(i), b -> new ArrayList<>()).add(new Document(ENTRY_SEQ, (long) i)
                    .append(ENTRY_ID, id).append(ENTRY_AT, Date.from(T0.plusSeconds(i))));
        }
        Mono.from(db.getCollection("executions").insertMany(executions)).block();
        blocks.forEach((b, entries) -> Mono.from(db.getCollection(BLOCKS).insertOne(new Document(ID,
                blockId(functionId, b)).append(FUNCTION_ID, functionId).append(ENTRIES, entries))).block());
        Mono.from(db.getCollection(HEADS).insertOne(new Document(ID, functionId).append(NEXT, (long) n)
                .append(FLOOR, floor))).block();
    }

    private static List<Integer> inputs(ExecutionListing.Page page) {
        return page.items().stream().map(v -> v.input().get("i").asInt()).toList();
    }

    @Test
    void pagesGoNewestFirstAndTheCursorContinuesWhereThePageStopped() {
        // function ids look like ObjectIds; they are stored as the text they are
        String f = "6b0940019a5fe676958c8303";
        store(f, 600, 0);
        var first = listing.page(f, v -> true, 250, null).block();
        assertThat(inputs(first)).hasSize(250).startsWith(599, 598).endsWith(350);
        var second = listing.page(f, v -> true, 250, first.next()).block();
        assertThat(inputs(second)).hasSize(250).startsWith(349).endsWith(100);
        var last = listing.page(f, v -> true, 250, second.next()).block();
        assertThat(inputs(last)).hasSize(100).startsWith(99).endsWith(0);
        assertThat(last.next()).isNull();
    }

    @Test
    void aPageReadsTheBlocksItsPlacesAreInFirstAndMoreOnlyWhenItNeedsThem() {
        // blocks 0 and 1 are full (256 places each), block 2 holds places 512-599
        store("f", 600, 0);
        assertThat(inputs(listing.page("f", v -> true, 50, null).block())).hasSize(50).startsWith(599).endsWith(550);
        assertThat(blocksRead.getAndSet(0)).isEqualTo(1);
        assertThat(inputs(listing.page("f", v -> true, 250, null).block())).hasSize(250).endsWith(350);
        assertThat(blocksRead.getAndSet(0)).isEqualTo(2);
        // every tenth failed: block 2 has eight, the rest comes from the blocks below, read together
        var failed = listing.page("f", v -> v.status() == ExecutionStatus.FAILED, 20, null).block();
        assertThat(inputs(failed)).hasSize(20).startsWith(590).endsWith(400);
        assertThat(blocksRead.getAndSet(0)).isEqualTo(3);
    }

    @Test
    void aStatusFilterSkipsWhatDoesNotMatchAndStaleEntriesAreNotShown() {
        store("f", 300, 0);
        // f-e-295 was listed again at a newer place by a replayed batch: its old place is stale
        var db = client.getDatabase("s3c");
        Mono.from(db.getCollection("executions").updateOne(new Document("_id", "f-e-295"),
                new Document("$set", new Document("seq", 999L)))).block();
        var failed = listing.page("f", v -> v.status() == ExecutionStatus.FAILED, 5, null).block();
        assertThat(inputs(failed)).containsExactly(290, 280, 270, 260, 250);
        var all = listing.page("f", v -> true, 1000, null).block();
        assertThat(inputs(all)).hasSize(299).doesNotContain(295).doesNotHaveDuplicates();
    }

    @Test
    void anEmptyOrUnknownFunctionListsNothing() {
        var page = listing.page("nobody", v -> true, 50, null).block();
        assertThat(page.items()).isEmpty();
        assertThat(page.next()).isNull();
    }

    @Test
    void aMalformedForeignOrExpiredCursorIsABadRequestNamingCursor() {
        store("f", 600, 300);
        assertThatThrownBy(() -> listing.page("f", v -> true, 10, "%%%").block())
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.errors().getFirst().field())
                        .isEqualTo("cursor"));
        assertThatThrownBy(() -> listing.page("f", v -> true, 10, cursor("g", 400)).block())
                .isInstanceOf(ApiException.class).hasMessageContaining("cursor");
        assertThatThrownBy(() -> listing.page("f", v -> true, 10, cursor("f", 100)).block())
                .isInstanceOf(ApiException.class).hasMessageContaining("expired");
        // the oldest kept execution ends the listing
        var end = listing.page("f", v -> true, 10, cursor("f", 305)).block();
        assertThat(inputs(end)).containsExactly(304, 303, 302, 301, 300);
        assertThat(end.next()).isNull();
    }
}
