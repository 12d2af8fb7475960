package dev.s3c.gateway.deadletters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.idempotency.IdempotencyKeys;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.http.HttpStatus;

/** The claims that keep a redrive from running twice, on a MongoDB-wire server (so across gateways sharing it). */
class RedriveClaimsTest {

    private MongoServer server;
    private MongoClient client;
    private RedriveClaims claims;
    private RedriveClaims otherGateway;

    @BeforeEach
    void start() {
        server = new MongoServer(new MemoryBackend());
        client = MongoClients.create(server.bindAndGetConnectionString());
        var mongo = new ReactiveMongoTemplate(client, "s3c");
        claims = new RedriveClaims(new IdempotencyKeys(mongo, Duration.ofHours(24), Clock.systemUTC()));
        otherGateway = new RedriveClaims(new IdempotencyKeys(mongo, Duration.ofHours(24), Clock.systemUTC()));
    }

    @AfterEach
    void stop() {
        client.close();
        server.shutdownNow();
    }

    @Test
    void aSeriesIsRedrivenOnceAcrossGatewaysUnlessItsRedriveWasReleased() {
        assertThat(claims.claimSeries("e-1", 0).block()).isTrue();
        assertThat(otherGateway.claimSeries("e-1", 0).block()).isFalse();
        // the next series of the same execution, and another execution, are claims of their own
        assertThat(otherGateway.claimSeries("e-1", 1).block()).isTrue();
        assertThat(claims.claimSeries("e-2", 0).block()).isTrue();

        // its publish failed before it left the gateway: a retry may redrive it
        claims.releaseSeries("e-1", 0).block();
        assertThat(otherGateway.claimSeries("e-1", 0).block()).isTrue();
    }

    @Test
    void aKeyAnswersWithTheSeriesItsFirstCallStartedAndRefusesAnotherBody() {
        assertThat(claims.claimKey("e-1", "k", "body-a", 1).block()).isEmpty();
        assertThat(otherGateway.claimKey("e-1", "k", "body-a", 7).block()).isEqualTo(Optional.of(1));
        assertThatThrownBy(() -> otherGateway.claimKey("e-1", "k", "body-b", 1).block())
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT);
                    assertThat(e.errors()).extracting(f -> f.field()).containsExactly(IdempotencyKeys.HEADER);
                });
        // the same key on another execution is another call
        assertThat(claims.claimKey("e-2", "k", "body-b", 1).block()).isEmpty();

        // once the dead letter is gone the key still answers; a key never used answers nothing and stays unused
        assertThat(otherGateway.earlier("e-1", "k", "body-a").block()).isEqualTo(1);
        assertThat(claims.earlier("e-1", "unused", "body-a").blockOptional()).isEmpty();
        assertThat(claims.claimKey("e-1", "unused", "body-c", 3).block()).isEmpty();
    }
}
