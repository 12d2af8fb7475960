package dev.s3c.gateway.deadletters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.s3c.contracts.DeadLetterRecord;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.api.FieldError;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bson.BsonDocument;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import reactor.core.publisher.Mono;

/** Dead-letter pages over documents stored as the monitor writes them, on a MongoDB-wire server. */
class DeadLetterListingTest {

    private static final Instant T0 = Instant.parse("2026-11-27T10:00:00Z");
    private static final String F = "6b0940019a5fe676958c8303";
    private static final String G = "6b0940019a5fe676958c8304";

    private MongoServer server;
    private MongoClient client;
    private DeadLetterListing listing;

    @BeforeEach
    void start() {
        server = new MongoServer(new MemoryBackend());
        client = MongoClients.create(server.bindAndGetConnectionString());
        listing = new DeadLetterListing(new ReactiveMongoTemplate(client, "s3c"));
        // 25 dead letters of F and 5 of G, one a second, interleaved
        List<Document> docs = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            String function = i % 6 == 5 ? G : F;
            String id = "e-" + i;
            Instant at = T0.plusSeconds(i);
            docs.add(new Document("_id", id).append("functionId", function).append("input", "{\"i\":" + i + "}")
                    .append("attempts", 1).append("deadLetteredAt", Date.from(at))
                    .append("byFunction", DeadLetterRecord.byFunction(function, at, id))
                    .append("byTime", DeadLetterRecord.byTime(at, id)));
        }
        Mono.from(client.getDatabase("s3c").getCollection("dead_letters").insertMany(docs)).block();
    }

    @AfterEach
    void stop() {
        client.close();
        server.shutdownNow();
    }

    private static final java.util.function.Function<String, reactor.core.publisher.Mono<Boolean>> ALL =
            id -> reactor.core.publisher.Mono.just(true);

    private static List<Integer> inputs(DeadLetterListing.Page page) {
        return page.items().stream().map(v -> v.input().get("i").asInt()).toList();
    }

    @Test
    void oneFunctionsDeadLettersPageNewestFirstUntilTheLast() {
        var first = listing.page(F, 10, null, ALL).block();
        assertThat(inputs(first)).containsExactly(28, 27, 26, 25, 24, 22, 21, 20, 19, 18);
        var second = listing.page(F, 10, first.next(), ALL).block();
        assertThat(inputs(second)).containsExactly(16, 15, 14, 13, 12, 10, 9, 8, 7, 6);
        var third = listing.page(F, 10, second.next(), ALL).block();
        assertThat(inputs(third)).containsExactly(4, 3, 2, 1, 0);
        assertThat(third.next()).isNull();
        assertThat(listing.page(G, 10, null, ALL).block().items()).extracting(v -> v.executionId())
                .containsExactly("e-29", "e-23", "e-17", "e-11", "e-5");
    }

    @Test
    void allDeadLettersPageByTime() {
        var first = listing.page(null, 20, null, ALL).block();
        assertThat(inputs(first)).hasSize(20).startsWith(29, 28).endsWith(10);
        var second = listing.page(null, 20, first.next(), ALL).block();
        assertThat(inputs(second)).hasSize(10).startsWith(9).endsWith(0);
        assertThat(second.next()).isNull();
        // a page that ends exactly at the last one has no next
        assertThat(listing.page(G, 5, null, ALL).block().next()).isNull();
    }

    @Test
    void acrossFunctionsOnlyTheCallersAreListedAndAShortPageStillLeadsOn() {
        java.util.function.Function<String, reactor.core.publisher.Mono<Boolean>> onlyG =
                id -> reactor.core.publisher.Mono.just(G.equals(id));
        // G has every sixth dead letter: a page of 3 reads up to 15, so the first page is full
        var first = listing.page(null, 3, null, onlyG).block();
        assertThat(first.items()).extracting(v -> v.executionId()).containsExactly("e-29", "e-23", "e-17");
        var second = listing.page(null, 3, first.next(), onlyG).block();
        assertThat(second.items()).extracting(v -> v.executionId()).containsExactly("e-11", "e-5");
        // fifteen read and more below: the cursor leads on, to an empty last page
        var third = listing.page(null, 3, second.next(), onlyG).block();
        assertThat(third.items()).isEmpty();
        assertThat(third.next()).isNull();
        var none = listing.page(null, 1, null, id -> reactor.core.publisher.Mono.just(false)).block();
        assertThat(none.items()).isEmpty();
        assertThat(none.next()).as("nothing of the caller's in what was read, but more to read").isNotNull();
    }

    @Test
    void aCursorOfAnotherListingOrNoneAtAllIsRefusedNamingCursor() {
        String ofF = listing.page(F, 2, null, ALL).block().next();
        String ofAll = listing.page(null, 2, null, ALL).block().next();
        for (var attempt : List.<Runnable>of(() -> listing.page(G, 10, ofF, ALL).block(),
                () -> listing.page(F, 10, ofAll, ALL).block(), () -> listing.page(F, 10, "bogus!", ALL).block(),
                () -> listing.page(null, 10, ofF, ALL).block(), () -> listing.page(F, 10, "", ALL).block())) {
            assertThatThrownBy(attempt::run).isInstanceOfSatisfying(ApiException.class,
                    e -> assertThat(e.errors()).extracting(FieldError::field).containsExactly("cursor"));
        }
    }

    @Test
    void aPageIsARangeOfOneIndexedKeyAlone() {
        assertThat(DeadLetterListing.filter(F, null).toBsonDocument()).isEqualTo(BsonDocument.parse(
                "{byFunction: {$gt: '" + F + "|', $lt: '" + F + "}'}}"));
        assertThat(DeadLetterListing.filter(null, "123|e-1").toBsonDocument())
                .isEqualTo(BsonDocument.parse("{byTime: {$lt: '123|e-1'}}"));
    }
}
