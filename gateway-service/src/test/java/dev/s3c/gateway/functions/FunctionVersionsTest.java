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
import dev.s3c.contracts.FunctionStatus;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.tenants.Caller;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;
import org.springframework.http.HttpStatus;
import reactor.core.publisher.Mono;

/**
 * A function's earlier versions are kept as updates replace them, listed newest first, read with their code,
 * restored as a new version, pruned past the setting and removed with the function. On a MongoDB-wire server.
 */
class FunctionVersionsTest {

    private static final CodeChecker CHECKER = new CodeChecker();
    private static final Caller OWNER = new Caller(Caller.DEFAULT_TENANT, null);
    private static final Caller OTHER = new Caller("globex", "key_0000000000000002");

    private final MongoServer server = new MongoServer(new MemoryBackend());
    private final MongoClient client = MongoClients.create(server.bindAndGetConnectionString());
    private final ReactiveMongoTemplate mongo = new ReactiveMongoTemplate(client, "s3c");
    /** What reached the definitions topic, as "id@version". */
    private final List<String> topic = new ArrayList<>();

    @AfterEach
    void stop() {
        client.close();
        server.shutdownNow();
    }

    @AfterAll
    static void closeChecker() {
        CHECKER.close();
    }

    private FunctionService functions(int kept) {
        DefinitionPublisher publisher = mock(DefinitionPublisher.class);
        when(publisher.publish(any())).thenAnswer(call -> Mono.fromRunnable(() -> topic.add(
                call.<dev.s3c.contracts.FunctionDefinition>getArgument(0).id() + "@"
                        + call.<dev.s3c.contracts.FunctionDefinition>getArgument(0).version())));
        when(publisher.tombstone(anyString())).thenReturn(Mono.empty());
        var service = new FunctionService(mongo, publisher, CHECKER, new dev.s3c.gateway.tenants.Quotas(mongo,
                new dev.s3c.gateway.tenants.TenantStore(mongo),
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry()), new FunctionVersions(mongo, kept));
        service.ensureIndexes().block();
        return service;
    }

    private static FunctionSpec code(String code) {
        return new FunctionSpec(null, null, code, null, null, null);
    }

    private static List<Long> listed(FunctionService functions, String id) {
        FunctionDocument current = functions.find(id).block();
        return functions.versions(current).map(FunctionVersions.Version::version).collectList().block();
    }

    private List<String> storedIds() {
        return mongo.findAll(Document.class, FunctionVersions.COLLECTION).map(d -> d.getString("_id")).collectList()
                .block();
    }

    @Test
    void eachUpdateKeepsTheVersionItReplacesAndTheListingShowsThemNewestFirst() {
        FunctionService functions = functions(50);
        FunctionDocument v1 = functions.create(OWNER.tenant(), new FunctionSpec("kept", "first", "return 1;", 1000,
                1, null)).block();
        String id = v1.id();
        assertThat(listed(functions, id)).containsExactly(1L);
        assertThat(storedIds()).isEmpty();

        functions.update(OWNER, id, new FunctionSpec(null, "second", "return 2;", 2000, null, null)).block();
        functions.update(OWNER, id, code("return 3;")).block();
        assertThat(listed(functions, id)).containsExactly(3L, 2L, 1L);
        assertThat(storedIds()).containsExactlyInAnyOrder(id + ":1", id + ":2");

        FunctionDocument current = functions.find(id).block();
        List<FunctionVersions.Version> versions = functions.versions(current).collectList().block();
        assertThat(versions).extracting(FunctionVersions.Version::current).containsExactly(true, false, false);
        // a listing leaves the code out, and says how much there is
        assertThat(versions).allSatisfy(v -> assertThat(v.code()).isNull());
        assertThat(versions).extracting(FunctionVersions.Version::codeBytes).containsExactly(9, 9, 9);
        assertThat(versions.get(2).description()).isEqualTo("first");
        assertThat(versions.get(2).config().timeoutMs()).isEqualTo(1000);
        assertThat(versions.get(2).savedAt()).isEqualTo(v1.updatedAt());

        FunctionVersions.Version first = functions.version(current, 1).block();
        assertThat(first.code()).isEqualTo("return 1;");
        assertThat(first.current()).isFalse();
        assertThat(functions.version(current, 3).block().code()).isEqualTo("return 3;");
        assertThat(functions.version(current, 3).block().current()).isTrue();
    }

    @Test
    void aRestoreStoresANewVersionWithTheOldCodeAndSettingsAndKeepsNameAndStatus() {
        FunctionService functions = functions(50);
        String id = functions.create(OWNER.tenant(), new FunctionSpec("restored", "as it was", "return 'old';",
                1500, 2, null, 3, false, null, Map.of("MODE", "old"), null, null)).block().id();
        // version 2 changes everything a version holds: its name and status stay through the restore
        functions.update(OWNER, id, new FunctionSpec("renamed", "new", "return 'new';", 5000, 0,
                FunctionStatus.INACTIVE, null, true, null, Map.of("MODE", "new", "EXTRA", "x"), "public",
                "@every 1h")).block();

        FunctionDocument restored = functions.restore(OWNER, id, 1, 2L, null).block();

        assertThat(restored.version()).isEqualTo(3);
        assertThat(restored.code()).isEqualTo("return 'old';");
        assertThat(restored.description()).isEqualTo("as it was");
        assertThat(restored.config()).isEqualTo(new FunctionConfig(1500, 2, 3, Map.of("MODE", "old")));
        assertThat(restored.name()).isEqualTo("renamed");
        assertThat(restored.status()).isEqualTo(FunctionStatus.INACTIVE);
        assertThat(topic).last().isEqualTo(id + "@3");
        assertThat(listed(functions, id)).containsExactly(3L, 2L, 1L);
        // what it replaced is kept like any replaced version
        FunctionDocument current = functions.find(id).block();
        assertThat(functions.version(current, 2).block().config().schedule()).isEqualTo("@every 1h");
    }

    @Test
    void eachVersionKeepsItsOwnNoteAndARestoreSaysWhichVersionItBroughtBack() {
        FunctionService functions = functions(50);
        String id = functions.create(OWNER.tenant(), new FunctionSpec("noted", null, "return 1;", null, null, null,
                null, false, null, null, null, null, "first cut")).block().id();
        functions.update(OWNER, id, new FunctionSpec(null, null, "return 2;", null, null, null, null, false, null,
                null, null, null, "faster")).block();
        // a version saved without a note has none: the one before does not carry over, also when it is sent back
        // as read
        assertThat(functions.update(OWNER, id, new FunctionSpec(null, null, "return 3;", null, null, null, null,
                false, null, null, null, null, "faster")).block().note()).isNull();
        assertThat(functions.restore(OWNER, id, 1, null, null).block().note()).isEqualTo("restored version 1");
        assertThat(functions.restore(OWNER, id, 2, null, "back to the fast one").block().note())
                .isEqualTo("back to the fast one");
        // restored again with the same words: they are that version's note too
        assertThat(functions.restore(OWNER, id, 2, null, "back to the fast one").block().note())
                .isEqualTo("back to the fast one");

        FunctionDocument current = functions.find(id).block();
        assertThat(functions.versions(current).map(v -> v.version() + ":" + v.note()).collectList().block())
                .containsExactly("6:back to the fast one", "5:back to the fast one", "4:restored version 1", "3:null",
                        "2:faster", "1:first cut");
        assertThat(functions.version(current, 2).block().note()).isEqualTo("faster");
    }

    @Test
    void aRestoreIsRefusedForTheCurrentVersionAChangedFunctionAVersionNotKeptAndAnotherTenant() {
        FunctionService functions = functions(50);
        String id = functions.create(OWNER.tenant(), new FunctionSpec("guarded", null, "return 1;", null, null,
                null)).block().id();
        functions.update(OWNER, id, code("return 2;")).block();

        assertRefused(() -> functions.restore(OWNER, id, 2, null, null).block(), HttpStatus.CONFLICT, "version");
        // the caller read version 1 as current; it has changed since
        assertRefused(() -> functions.restore(OWNER, id, 1, 1L, null).block(), HttpStatus.CONFLICT, "version");
        assertThatThrownBy(() -> functions.restore(OWNER, id, 7, null, null).block())
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(HttpStatus.NOT_FOUND);
                    assertThat(e.getMessage()).contains("it is at version 2");
                });
        assertThatThrownBy(() -> functions.restore(OTHER, id, 1, null, null).block())
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status())
                        .isEqualTo(HttpStatus.NOT_FOUND));
        assertThat(functions.find(id).block().version()).isEqualTo(2);
    }

    @Test
    void onlyTheLastVersionsAreKeptAndTheRestAreRemovedAsTheyFallOut() {
        FunctionService functions = functions(3);
        String id = functions.create(OWNER.tenant(), new FunctionSpec("pruned", null, "return 1;", null, null,
                null)).block().id();
        for (int v = 2; v <= 6; v++) {
            functions.update(OWNER, id, code("return " + v + ";")).block();
        }
        assertThat(listed(functions, id)).containsExactly(6L, 5L, 4L);
        assertThat(storedIds()).containsExactlyInAnyOrder(id + ":4", id + ":5");
        FunctionDocument current = functions.find(id).block();
        assertThatThrownBy(() -> functions.version(current, 3).block())
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(HttpStatus.NOT_FOUND);
                    assertThat(e.getMessage()).contains("it keeps versions 4 to 6");
                });
        assertThat(functions.restore(OWNER, id, 4, null, null).block().code()).isEqualTo("return 4;");
    }

    @Test
    void versionsBeyondALoweredSettingGoWithTheNextUpdate() {
        FunctionService generous = functions(50);
        String id = generous.create(OWNER.tenant(), new FunctionSpec("lowered", null, "return 1;", null, null,
                null)).block().id();
        for (int v = 2; v <= 11; v++) {
            generous.update(OWNER, id, code("return " + v + ";")).block();
        }
        assertThat(storedIds()).hasSize(10);

        FunctionService sparing = functions(3);
        sparing.update(OWNER, id, code("return 12;")).block();
        assertThat(listed(sparing, id)).containsExactly(12L, 11L, 10L);
        assertThat(storedIds()).containsExactlyInAnyOrder(id + ":10", id + ":11");
    }

    @Test
    void aDeleteThatDidNotFinishLeavesItsVersionsToTheReconciliation() {
        FunctionService functions = functions(50);
        String id = functions.create(OWNER.tenant(), new FunctionSpec("half-deleted", null, "return 1;", null, null,
                null)).block().id();
        functions.update(OWNER, id, code("return 2;")).block();
        functions.update(OWNER, id, code("return 3;")).block();
        // its outbox entry names the version it was deleted at
        halfDeleted(id, new Update().set("at", new java.util.Date()).set("version", 3L));
        assertThat(storedIds()).hasSize(2);

        assertThat(functions.reconcile().block()).isEqualTo(1);

        assertThat(storedIds()).isEmpty();
        assertThat(mongo.findAll(Document.class, FunctionService.TOMBSTONES).collectList().block()).isEmpty();

        // an entry that names no version (written by a gateway before versions were kept): found by the function
        String older = functions.create(OWNER.tenant(), new FunctionSpec("older-entry", null, "return 1;", null,
                null, null)).block().id();
        functions.update(OWNER, older, code("return 2;")).block();
        halfDeleted(older, new Update().set("at", new java.util.Date()));
        assertThat(functions.reconcile().block()).isEqualTo(1);
        assertThat(storedIds()).isEmpty();
    }

    @Test
    void withOneVersionKeptNothingIsStoredBesideTheFunction() {
        FunctionService functions = functions(1);
        String id = functions.create(OWNER.tenant(), new FunctionSpec("single", null, "return 1;", null, null,
                null)).block().id();
        functions.update(OWNER, id, code("return 2;")).block();
        assertThat(listed(functions, id)).containsExactly(2L);
        assertThat(storedIds()).isEmpty();
    }

    @Test
    void aDeletedFunctionsVersionsGoWithIt() {
        FunctionService functions = functions(50);
        String gone = functions.create(OWNER.tenant(), new FunctionSpec("gone", null, "return 1;", null, null,
                null)).block().id();
        String stays = functions.create(OWNER.tenant(), new FunctionSpec("stays", null, "return 1;", null, null,
                null)).block().id();
        functions.update(OWNER, gone, code("return 2;")).block();
        functions.update(OWNER, stays, code("return 2;")).block();

        functions.delete(OWNER, gone).block();

        assertThat(storedIds()).containsExactly(stays + ":1");
    }

    @Test
    void aFailedUpdateLeavesTheListingAsItWas() {
        FunctionService functions = functions(50);
        functions.create(OWNER.tenant(), new FunctionSpec("taken", null, "return 1;", null, null, null)).block();
        String id = functions.create(OWNER.tenant(), new FunctionSpec("mine", null, "return 1;", null, null,
                null)).block().id();
        // the version about to be replaced is kept first; the replacement then fails on the name
        assertRefused(() -> functions.update(OWNER, id, new FunctionSpec("taken", null, null, null, null, null))
                .block(), HttpStatus.CONFLICT, "name");
        assertThat(listed(functions, id)).containsExactly(1L);
        functions.update(OWNER, id, code("return 2;")).block();
        assertThat(listed(functions, id)).containsExactly(2L, 1L);
        FunctionDocument current = functions.find(id).block();
        assertThat(functions.version(current, 1).block().code()).isEqualTo("return 1;");
    }

    /** What a delete leaves when it stops after removing the function: its outbox entry ({@code entry}). */
    private void halfDeleted(String id, Update entry) {
        mongo.upsert(Query.query(Criteria.where("_id").is(id)), entry, FunctionService.TOMBSTONES).block();
        mongo.remove(FunctionService.byId(id), FunctionDocument.class).block();
    }

    private static void assertRefused(Runnable call, HttpStatus status, String field) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).isEqualTo(status);
            assertThat(e.errors()).extracting(dev.s3c.gateway.api.FieldError::field).contains(field);
        });
    }
}
