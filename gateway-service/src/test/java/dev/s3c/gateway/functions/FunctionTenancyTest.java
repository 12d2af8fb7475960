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
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.tenants.Caller;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.index.Index;
import org.springframework.http.HttpStatus;
import reactor.core.publisher.Mono;

/** Functions belong to a tenant: names are unique per tenant, and another tenant's function is not found. */
class FunctionTenancyTest {

    private static final CodeChecker CHECKER = new CodeChecker();
    private static final Caller ACME = new Caller("acme", "key_0000000000000001");
    private static final Caller GLOBEX = new Caller("globex", "key_0000000000000002");

    private MongoServer server;
    private MongoClient client;
    private ReactiveMongoTemplate mongo;
    private FunctionService functions;
    private dev.s3c.gateway.tenants.TenantStore tenants;

    @BeforeEach
    void start() {
        server = new MongoServer(new MemoryBackend());
        client = MongoClients.create(server.bindAndGetConnectionString());
        mongo = new ReactiveMongoTemplate(client, "s3c");
        tenants = new dev.s3c.gateway.tenants.TenantStore(mongo);
        functions = gateway();
    }

    /** A gateway's functions over the one store. */
    private FunctionService gateway() {
        DefinitionPublisher publisher = mock(DefinitionPublisher.class);
        when(publisher.publish(any())).thenReturn(Mono.empty());
        when(publisher.tombstone(anyString())).thenReturn(Mono.empty());
        return new FunctionService(mongo, publisher, CHECKER, new dev.s3c.gateway.tenants.Quotas(mongo, tenants,
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry()), new FunctionVersions(mongo, 50));
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

    private static FunctionSpec spec(String name) {
        return new FunctionSpec(name, null, "return 1;", null, null, null);
    }

    @Test
    void anotherTenantsFunctionIsNotFoundAnywhereAndNamesAreEachTenantsOwn() {
        functions.ensureIndexes().block();
        FunctionDocument mine = functions.create(ACME.tenant(), spec("resize")).block();
        FunctionDocument theirs = functions.create(GLOBEX.tenant(), spec("resize")).block();
        assertThat(mine.tenant()).isEqualTo("acme");
        assertThat(theirs.id()).isNotEqualTo(mine.id());

        assertThat(functions.find(GLOBEX, mine.id()).block()).isNull();
        assertThat(functions.lookup(GLOBEX, mine.id()).block()).isNull();
        assertThat(functions.find(ACME, mine.id()).block()).isNotNull();
        for (var call : java.util.List.<Runnable>of(
                () -> functions.update(GLOBEX, mine.id(), spec("taken")).block(),
                () -> functions.delete(GLOBEX, mine.id()).block(),
                () -> functions.lookupOr404(GLOBEX, mine.id()).block())) {
            assertThatThrownBy(call::run).isInstanceOfSatisfying(ApiException.class,
                    e -> assertThat(e.status()).isEqualTo(HttpStatus.NOT_FOUND));
        }
        assertThat(functions.find(ACME, mine.id()).block().version()).as("untouched").isEqualTo(1);
        assertThat(functions.list("acme", null, null, 0, 10).collectList().block()).extracting(FunctionDocument::id)
                .containsExactly(mine.id());
        assertThat(functions.countOwnedBy("globex").block()).isEqualTo(1);

        assertThatThrownBy(() -> functions.create(ACME.tenant(), spec("resize")).block())
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(HttpStatus.CONFLICT));
        functions.delete(ACME, mine.id()).block();
        assertThat(functions.find(GLOBEX, theirs.id()).block()).isNotNull();
    }

    @Test
    void aNameIsTheCallersTenantsAndAWriteShowsAtOnceWhereItWasMade() {
        functions.ensureIndexes().block();
        FunctionDocument mine = functions.create(ACME.tenant(), spec("resize")).block();
        FunctionDocument theirs = functions.create(GLOBEX.tenant(), spec("resize")).block();
        assertThat(functions.lookupOr404ByIdOrName(ACME, "resize").block().id()).isEqualTo(mine.id());
        assertThat(functions.lookupOr404ByIdOrName(GLOBEX, "resize").block().id()).isEqualTo(theirs.id());
        assertThat(functions.idOf(GLOBEX, "resize").block()).isEqualTo(theirs.id());

        // not found (and so cached), then created here: found at once
        assertNotFound(() -> functions.lookupOr404ByIdOrName(ACME, "thumb"));
        FunctionDocument thumb = functions.create(ACME.tenant(), spec("thumb")).block();
        assertThat(functions.lookupOr404ByIdOrName(ACME, "thumb").block().id()).isEqualTo(thumb.id());
        // renamed here: the old name finds nothing at once, the new one the function
        functions.update(ACME, mine.id(), spec("resize-v2")).block();
        assertNotFound(() -> functions.lookupOr404ByIdOrName(ACME, "resize"));
        assertThat(functions.lookupOr404ByIdOrName(ACME, "resize-v2").block().id()).isEqualTo(mine.id());

        // on another gateway, thumb is renamed and its name given to a new function: a change by that name here
        // reads the store, and reaches the new holder (a call by name may meet the old one within the second)
        FunctionService other = gateway();
        other.update(ACME, thumb.id(), spec("thumb-old")).block();
        FunctionDocument newThumb = other.create(ACME.tenant(), spec("thumb")).block();
        assertThat(functions.idOf(ACME, "thumb").block()).isEqualTo(newThumb.id());
        assertThat(functions.idOf(ACME, "thumb-old").block()).isEqualTo(thumb.id());
        assertNotFound(() -> functions.idOf(GLOBEX, "thumb").map(id -> (FunctionDocument) null));
    }

    private static void assertNotFound(java.util.concurrent.Callable<Mono<FunctionDocument>> call) {
        assertThatThrownBy(() -> call.call().block()).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.status()).isEqualTo(HttpStatus.NOT_FOUND));
    }

    @Test
    void aTenantsFunctionsStayWithinItsLimits() {
        // the tenant as the tenants' store keeps it, with its limits
        mongo.insert(new Document("_id", "acme").append("createdAt", new java.util.Date()).append("limits",
                new Document("maxFunctions", 2).append("maxCodeBytes", 40L).append("maxTimeoutMs", 10_000)
                        .append("maxRetries", 1)), "tenants").block();
        FunctionDocument first = functions.create("acme", spec("a")).block();
        assertThat(first.config().timeoutMs()).as("the default, lowered to the maximum").isEqualTo(10_000);
        assertThat(first.config().retryCount()).isEqualTo(1);
        assertRefused(() -> functions.create("acme", new FunctionSpec("b", null, "return 1;", 20_000, null, null)),
                HttpStatus.BAD_REQUEST, "config.timeoutMs");
        assertRefused(() -> functions.update(ACME, first.id(), new FunctionSpec(null, null, null, null, 2, null)),
                HttpStatus.BAD_REQUEST, "config.retryCount");
        // 9 bytes stored; 40 allowed
        assertRefused(() -> functions.create("acme", new FunctionSpec("big", null, "return '" + "x".repeat(30) + "';",
                null, null, null)), HttpStatus.FORBIDDEN, "code");
        functions.create("acme", spec("b")).block();
        assertRefused(() -> functions.create("acme", spec("c")), HttpStatus.FORBIDDEN, "maxFunctions");
        // a change that keeps the code within the limit is fine; the default tenant has no limits
        assertThat(functions.update(ACME, first.id(), new FunctionSpec(null, null, "return 22;", null, null, null))
                .block().version()).isEqualTo(2);
        assertThat(functions.create(Caller.DEFAULT_TENANT, new FunctionSpec("c", null, "return 1;", 300_000, 10, null))
                .block()).isNotNull();
    }

    private static void assertRefused(java.util.concurrent.Callable<Mono<FunctionDocument>> call, HttpStatus status,
            String field) {
        assertThatThrownBy(() -> call.call().block()).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).isEqualTo(status);
            assertThat(e.errors()).extracting(dev.s3c.gateway.api.FieldError::field).containsExactly(field);
        });
    }

    @Test
    void functionsStoredBeforeTenantsBecomeTheDefaultTenantsAndTheOldNameIndexGoes() {
        var collection = mongo.indexOps(FunctionDocument.COLLECTION);
        collection.createIndex(new Index().on("name", Sort.Direction.ASC).unique().named("name_unique")).block();
        mongo.insert(new Document("_id", new org.bson.types.ObjectId("6b0940019a5fe676958c8303")).append("name", "resize").append("code", "return 1;")
                .append("status", "ACTIVE").append("version", 1L)
                .append("config", new Document("timeoutMs", 5000).append("retryCount", 3)),
                FunctionDocument.COLLECTION).block();

        functions.ensureIndexes().block();

        Caller owner = new Caller(Caller.DEFAULT_TENANT, null);
        assertThat(functions.find(owner, "6b0940019a5fe676958c8303").block().tenant()).isEqualTo("default");
        assertThat(collection.getIndexInfo().map(i -> i.getName()).collectList().block())
                .contains("tenant_name_unique").doesNotContain("name_unique");
        // the same name is free for another tenant now
        assertThat(functions.create(ACME.tenant(), spec("resize")).block().tenant()).isEqualTo("acme");
    }
}
