package dev.s3c.gateway.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.s3c.gateway.MovableClock;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.api.FieldError;
import java.time.Duration;
import java.time.Instant;
import org.bson.BsonDocument;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.http.HttpStatus;

/** Keys claimed, replayed, refused and expired on a MongoDB-wire server. */
class IdempotencyKeysTest {

    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

    private MongoServer server;
    private MongoClient client;
    private final MovableClock clock = new MovableClock(T0);
    private IdempotencyKeys keys;

    @BeforeEach
    void start() {
        server = new MongoServer(new MemoryBackend());
        client = MongoClients.create(server.bindAndGetConnectionString());
        keys = new IdempotencyKeys(new ReactiveMongoTemplate(client, "s3c"), Duration.ofHours(24), clock);
        keys.ensureIndexes().block();
    }

    @AfterEach
    void stop() {
        client.close();
        server.shutdownNow();
    }

    @Test
    void theFirstRequestClaimsTheKeyAndTheSameRequestGetsItsExecutionBack() {
        var first = keys.claim("f-1", "k", "fp", "e-1").block();
        assertThat(first).usingRecursiveComparison().ignoringFields("claimedAt")
                .isEqualTo(new IdempotencyKeys.Claim("e-1", true));
        assertThat(keys.claim("f-1", "k", "fp", "e-2").block()).usingRecursiveComparison().ignoringFields("claimedAt")
                .isEqualTo(new IdempotencyKeys.Claim("e-1", false));
        // per function
        assertThat(keys.claim("f-2", "k", "fp", "e-3").block()).usingRecursiveComparison().ignoringFields("claimedAt")
                .isEqualTo(new IdempotencyKeys.Claim("e-3", true));
    }

    @Test
    void aClaimConfirmedQueuedIsSaidToBeSoToWhoeverFindsItAfter() {
        keys.claim("f-1", "k", "fp", "e-1").block();
        assertThat(keys.claim("f-1", "k", "fp", "e-2").block()).usingRecursiveComparison().ignoringFields("claimedAt")
                .isEqualTo(new IdempotencyKeys.Claim("e-1", false, false, null));
        keys.confirm("f-1", "k").block();
        assertThat(keys.claim("f-1", "k", "fp", "e-3").block()).usingRecursiveComparison().ignoringFields("claimedAt")
                .isEqualTo(new IdempotencyKeys.Claim("e-1", false, true, null));
    }

    @Test
    void anotherRequestWithTheKeyIsRefusedNamingTheHeader() {
        keys.claim("f-1", "k", "fp", "e-1").block();
        assertThatThrownBy(() -> keys.claim("f-1", "k", "other", "e-2").block()).isInstanceOfSatisfying(
                ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT);
                    assertThat(e.errors()).extracting(FieldError::field).containsExactly("Idempotency-Key");
                });
    }

    @Test
    void aKeyIsFreeAgainAfterItsWindowOrWhenReleased() {
        keys.claim("f-1", "k", "fp", "e-1").block();
        keys.release("f-1", "k").block();
        assertThat(keys.claim("f-1", "k", "other", "e-2").block()).usingRecursiveComparison().ignoringFields("claimedAt")
                .isEqualTo(new IdempotencyKeys.Claim("e-2", true));

        clock.set(T0.plus(Duration.ofHours(25)));
        // past the window and not swept yet: a new claim
        assertThat(keys.claim("f-1", "k", "third", "e-3").block()).usingRecursiveComparison().ignoringFields("claimedAt")
                .isEqualTo(new IdempotencyKeys.Claim("e-3", true));
        // taken over once: a second request right after gets the new execution, not a third
        assertThat(keys.claim("f-1", "k", "third", "e-9").block()).usingRecursiveComparison().ignoringFields("claimedAt")
                .isEqualTo(new IdempotencyKeys.Claim("e-3", false));
        keys.claim("f-1", "old", "fp", "e-4").block();
        clock.set(T0.plus(Duration.ofHours(50)));
        assertThat(keys.sweep()).isEqualTo(2);
        assertThat(keys.sweep()).isZero();
    }

    @Test
    void keysAreCheckedAndExpiryIsARangeOfOneIndexedKey() {
        assertThat(IdempotencyKeys.check("3f1c-ok_key.1")).isEqualTo("3f1c-ok_key.1");
        for (String bad : new String[] {"", "with space", "x".repeat(256), "ключ"}) {
            assertThatThrownBy(() -> IdempotencyKeys.check(bad)).isInstanceOfSatisfying(ApiException.class,
                    e -> assertThat(e.errors()).extracting(FieldError::field).containsExactly("Idempotency-Key"));
        }
        assertThat(IdempotencyKeys.fingerprint("a", "b")).isNotEqualTo(IdempotencyKeys.fingerprint("ab", ""));
        assertThat(IdempotencyKeys.expiredBefore(T0).toBsonDocument()).isEqualTo(BsonDocument.parse(
                "{byTime: {$lt: '" + T0.toEpochMilli() + "'}}"));
    }
}
