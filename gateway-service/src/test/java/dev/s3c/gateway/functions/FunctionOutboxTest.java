package dev.s3c.gateway.functions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.s3c.contracts.FunctionDefinition;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.tenants.Caller;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.http.HttpStatus;
import reactor.core.publisher.Mono;

/**
 * Function changes reach the definitions topic even when a publish fails: every stored version carries an
 * undelivered mark until the topic has it, a delete leaves an outbox entry until its tombstone is out, and the
 * reconciliation delivers what is left. On a MongoDB-wire server; the topic is a recording stub that can be down.
 */
class FunctionOutboxTest {

    private static final CodeChecker CHECKER = new CodeChecker();
    private static final Caller OWNER = new Caller(Caller.DEFAULT_TENANT, null);

    private MongoServer server;
    private MongoClient client;
    private ReactiveMongoTemplate mongo;
    private FunctionService functions;
    private final AtomicBoolean kafkaDown = new AtomicBoolean();
    /** What reached the topic: definitions as "id@version", tombstones as "id@deleted". */
    private final List<String> topic = new ArrayList<>();
    /** Runs while a definition is on its way, before it lands on the topic (a concurrent change, say). */
    private Runnable duringPublish = () -> { };

    @BeforeEach
    void start() {
        server = new MongoServer(new MemoryBackend());
        client = MongoClients.create(server.bindAndGetConnectionString());
        mongo = new ReactiveMongoTemplate(client, "s3c");
        DefinitionPublisher publisher = mock(DefinitionPublisher.class);
        when(publisher.publish(any())).thenAnswer(call -> Mono.defer(() -> {
            FunctionDefinition d = call.getArgument(0);
            if (kafkaDown.get()) {
                return Mono.error(new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "Kafka unavailable", List.of()));
            }
            // what happens while this publish is on its way (another change and its publish) lands before it
            Runnable hook = duringPublish;
            duringPublish = () -> { };
            hook.run();
            topic.add(d.id() + "@" + d.version());
            return Mono.empty();
        }));
        when(publisher.tombstone(anyString())).thenAnswer(call -> Mono.defer(() -> {
            if (kafkaDown.get()) {
                return Mono.error(new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "Kafka unavailable", List.of()));
            }
            topic.add(call.getArgument(0) + "@deleted");
            return Mono.empty();
        }));
        functions = new FunctionService(mongo, publisher, CHECKER, new dev.s3c.gateway.tenants.Quotas(mongo,
                new dev.s3c.gateway.tenants.TenantStore(mongo), new io.micrometer.core.instrument.simple.SimpleMeterRegistry()),
                new FunctionVersions(mongo, 50));
        functions.ensureIndexes().block();
    }

    @AfterEach
    void stop() {
        client.close();
        server.shutdownNow();
    }

    @AfterAll
    static void closeChecker() {
        CHECKER.close();
    }

    private static FunctionSpec spec(String name, String code) {
        return new FunctionSpec(name, null, code, null, null, null);
    }

    private Document stored(String id) {
        return mongo.findOne(Query.query(Criteria.where("_id").is(id)), Document.class, FunctionDocument.COLLECTION)
                .block();
    }

    @Test
    void aVersionStoredWhileKafkaWasDownIsDeliveredByTheReconciliation() {
        kafkaDown.set(true);
        assertThatThrownBy(() -> functions.create(OWNER.tenant(), spec("late", "return 1;")).block())
                .isInstanceOfSatisfying(ApiException.class,
                        e -> assertThat(e.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE));
        String id = functions.all().blockFirst().id();
        assertThat(stored(id).getBoolean(FunctionDocument.UNDELIVERED)).isTrue();
        // still down: the reconciliation stops at the first failure (and runs again later); nothing is lost
        assertThatThrownBy(() -> functions.reconcile().block()).isInstanceOf(ApiException.class);
        assertThat(stored(id).getBoolean(FunctionDocument.UNDELIVERED)).isTrue();

        kafkaDown.set(false);
        assertThat(functions.reconcile().block()).isEqualTo(1);
        assertThat(topic).containsExactly(id + "@1");
        assertThat(stored(id)).doesNotContainKey(FunctionDocument.UNDELIVERED);
        assertThat(functions.reconcile().block()).isZero();
        assertThat(topic).hasSize(1);
    }

    @Test
    void aDeliveredVersionCarriesNoMarkAndTheApiNeverShowsIt() {
        FunctionDocument created = functions.create(OWNER.tenant(), spec("on-time", "return 1;")).block();
        assertThat(topic).containsExactly(created.id() + "@1");
        assertThat(stored(created.id())).doesNotContainKey(FunctionDocument.UNDELIVERED);
        assertThat(JsonCodec.toJson(created)).doesNotContain(FunctionDocument.UNDELIVERED);
        assertThat(functions.reconcile().block()).isZero();
    }

    @Test
    void aNewerVersionStoredWhileAnOlderOneIsDeliveredIsDeliveredAfterIt() {
        kafkaDown.set(true);
        assertThatThrownBy(() -> functions.create(OWNER.tenant(), spec("moving", "return 1;")).block())
                .isInstanceOf(ApiException.class);
        String id = functions.all().blockFirst().id();
        kafkaDown.set(false);
        // while the reconciliation publishes version 1, a user stores version 2 (and its own publish is lost)
        duringPublish = () -> {
            kafkaDown.set(true);
            try {
                functions.update(OWNER, id, spec(null, "return 2;")).block();
            } catch (ApiException expected) {
                // stored, not delivered
            }
            kafkaDown.set(false);
        };

        functions.reconcile().block();

        // the topic's last word is the newest version, never the older one published late
        assertThat(topic).containsExactly(id + "@1", id + "@2");
        assertThat(stored(id)).doesNotContainKey(FunctionDocument.UNDELIVERED);
    }

    @Test
    void aPublishThatLandsAfterANewerVersionIsFollowedByTheNewestAgain() {
        // while version 1 is on its way, another gateway stores and publishes version 2, which lands first
        duringPublish = () -> functions.update(OWNER, functions.all().blockFirst().id(), spec(null, "return 2;")).block();

        FunctionDocument created = functions.create(OWNER.tenant(), spec("racing", "return 1;")).block();

        assertThat(topic).containsExactly(created.id() + "@2", created.id() + "@1", created.id() + "@2");
        assertThat(stored(created.id())).doesNotContainKey(FunctionDocument.UNDELIVERED);
    }

    @Test
    void aVersionThatLandsAfterItsFunctionsTombstoneIsFollowedByTheTombstoneAgain() {
        kafkaDown.set(true);
        assertThatThrownBy(() -> functions.create(OWNER.tenant(), spec("short-lived", "return 1;")).block())
                .isInstanceOf(ApiException.class);
        String id = functions.all().blockFirst().id();
        kafkaDown.set(false);
        // while the reconciliation publishes it, the function is deleted and its tombstone lands first
        duringPublish = () -> functions.delete(OWNER, id).block();

        functions.reconcile().block();

        assertThat(topic).last().isEqualTo(id + "@deleted");
    }

    @Test
    void aDeleteWhoseTombstoneFailedIsDeliveredByTheReconciliation() {
        FunctionDocument created = functions.create(OWNER.tenant(), spec("doomed", "return 1;")).block();
        kafkaDown.set(true);
        assertThatThrownBy(() -> functions.delete(OWNER, created.id()).block()).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE));
        assertThat(functions.find(created.id()).block()).isNull();

        kafkaDown.set(false);
        assertThat(functions.reconcile().block()).isEqualTo(1);
        assertThat(topic).containsExactly(created.id() + "@1", created.id() + "@deleted");
        assertThat(mongo.count(new Query(), FunctionService.TOMBSTONES).block()).isZero();

        // a delete that went through leaves nothing behind; one of an unknown function is a 404 and leaves nothing
        FunctionDocument other = functions.create(OWNER.tenant(), spec("gone", "return 1;")).block();
        functions.delete(OWNER, other.id()).block();
        assertThatThrownBy(() -> functions.delete(OWNER, "0123456789abcdef01234567").block())
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(HttpStatus.NOT_FOUND));
        assertThat(mongo.count(new Query(), FunctionService.TOMBSTONES).block()).isZero();
        assertThat(functions.reconcile().block()).isZero();
    }
}
