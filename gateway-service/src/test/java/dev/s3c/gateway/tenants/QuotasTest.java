package dev.s3c.gateway.tenants;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.MovableClock;
import dev.s3c.gateway.api.FieldError;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.http.HttpStatus;
import reactor.core.publisher.Flux;

/** A tenant's invocation rate, shared by two gateways through a MongoDB-wire server, on a clock the test moves. */
class QuotasTest {

    private static final Caller ACME = new Caller("acme", null);

    private MongoServer server;
    private MongoClient client;
    private TenantStore store;
    private final MovableClock clock = new MovableClock(Instant.parse("2026-12-02T10:00:00.100Z"));
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private Quotas gatewayA;
    private Quotas gatewayB;
    private ReactiveMongoTemplate mongo;

    @BeforeEach
    void start() {
        server = new MongoServer(new MemoryBackend());
        client = MongoClients.create(server.bindAndGetConnectionString());
        mongo = new ReactiveMongoTemplate(client, "s3c");
        store = new TenantStore(mongo);
        store.createTenant("acme", new TenantLimits(20, null, null, null, null, null)).block();
        gatewayA = new Quotas(mongo, store, meters, clock);
        gatewayB = new Quotas(mongo, store, meters, clock);
    }

    @AfterEach
    void stop() {
        client.close();
        server.shutdownNow();
    }

    /** How many of {@code calls} concurrent calls, alternating between the gateways, were admitted. */
    private long admitted(int calls) {
        return Flux.range(0, calls)
                .flatMap(i -> (i % 2 == 0 ? gatewayA : gatewayB).admit(ACME).thenReturn(true)
                        .onErrorResume(ApiException.class, e -> reactor.core.publisher.Mono.just(false)))
                .filter(Boolean::booleanValue).count().block();
    }

    private static long admittedBy(Quotas gateway, int calls) {
        return Flux.range(0, calls).flatMap(i -> gateway.admit(ACME).thenReturn(true)
                        .onErrorResume(ApiException.class, e -> reactor.core.publisher.Mono.just(false)))
                .filter(Boolean::booleanValue).count().block();
    }

    @Test
    void twoGatewaysTogetherAdmitTheTenantsRateEachSecondAndNoMore() {
        assertThat(admitted(50)).isEqualTo(20);
        assertThat(admitted(5)).as("still the same second").isZero();
        clock.advance(Duration.ofSeconds(1));
        assertThat(admitted(15)).isEqualTo(15);
        assertThat(admitted(15)).isEqualTo(5);
        assertThat(meters.get("s3c.gateway.throttled").tag("tenant", "acme").tag("limit", "invocationsPerSecond").counter().count()).isEqualTo(50 - 20 + 5 + 10);
    }

    @Test
    void aGatewayWhoseClockIsBehindNeverResetsTheCountOfANewerSecond() {
        Quotas behind = new Quotas(mongo, store, meters, clock.offset(Duration.ofSeconds(-1)));
        assertThat(admitted(6)).isEqualTo(6);
        assertThat(admittedBy(behind, 10)).as("its second is over for the others").isZero();
        assertThat(admitted(50)).as("the count of this second went on").isEqualTo(14);
    }

    @Test
    void withTheStoreGoneAGatewayAdmitsOneShareASecondAndNoMore() {
        assertThat(admittedBy(gatewayA, 1)).isEqualTo(1);
        server.shutdownNow();
        clock.advance(Duration.ofSeconds(1));
        // its limits are remembered; the count is not reachable (the lease gives up after two seconds)
        assertThat(admittedBy(gatewayA, 10)).as("a tenth of 20, taken without the store").isEqualTo(2);
    }

    @Test
    void overTheRateIsA429NamingTheLimitWithRetryAfter() {
        admitted(20);
        assertThatThrownBy(() -> gatewayA.admit(ACME).block()).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
            assertThat(e.headers()).containsEntry("Retry-After", "1");
            assertThat(e.errors()).extracting(FieldError::field).containsExactly("invocationsPerSecond");
        });
    }

    @Test
    void aTenantWithoutARateLimitIsNeverThrottledAndNewLimitsApplyOnceForgotten() {
        assertThat(Flux.range(0, 500).flatMap(i -> gatewayA.admit(new Caller("default", null)).thenReturn(1)).count()
                .block()).isEqualTo(500);
        assertThat(admitted(40)).isEqualTo(20);
        store.setLimits("acme", TenantLimits.NONE).block();
        clock.advance(Duration.ofSeconds(1));
        assertThat(admitted(40)).as("the old limit is remembered for a while").isEqualTo(20);
        gatewayA.forget("acme");
        gatewayB.forget("acme");
        assertThat(admitted(40)).isEqualTo(40);
    }
}
