package dev.s3c.gateway.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.s3c.gateway.tenants.Caller;
import dev.s3c.gateway.tenants.TenantStore;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;

/** Configured and stored keys, on a MongoDB-wire server. */
class ApiKeysTest {

    private MongoServer server;
    private MongoClient client;
    private TenantStore store;

    @BeforeEach
    void start() {
        server = new MongoServer(new MemoryBackend());
        client = MongoClients.create(server.bindAndGetConnectionString());
        store = new TenantStore(new ReactiveMongoTemplate(client, "s3c"));
        store.ensureIndexes().block();
    }

    @AfterEach
    void stop() {
        client.close();
        server.shutdownNow();
    }

    @Test
    void configuredKeysAreTheDefaultTenantsOrAdminsAndNothingElseIsAKey() {
        String old = ApiKeys.newKey();
        String replacement = ApiKeys.newKey();
        String admin = ApiKeys.newKey();
        ApiKeys keys = new ApiKeys(List.of(old, replacement), List.of(admin), store);
        assertThat(keys.callerOf(old).block()).isEqualTo(new Caller(ApiKeys.DEFAULT_TENANT, null));
        assertThat(keys.callerOf(replacement).block().tenant()).isEqualTo(ApiKeys.DEFAULT_TENANT);
        assertThat(keys.callerOf(admin).block().admin()).isTrue();
        assertThat(keys.callerOf(old + "x").block()).isNull();
        assertThat(keys.callerOf("").block()).isNull();
        assertThat(keys.callerOf(null).block()).isNull();
        assertThat(new ApiKeys(List.of(), List.of(), store).callerOf(old).block()).isNull();
    }

    @Test
    void whetherATokenMayBeAKeyIsDecidedWithoutTheStore() {
        String configured = "a-configured-key-of-any-shape";
        ApiKeys keys = new ApiKeys(List.of(configured), List.of(), store);
        // the store is gone: nothing here asks it
        client.close();
        server.shutdownNow();
        assertThat(keys.mayBeKey(configured)).isTrue();
        assertThat(keys.mayBeKey(ApiKeys.sessionToken(configured))).as("its console session").isTrue();
        assertThat(keys.mayBeKey(ApiKeys.newKey())).as("a stored key's shape").isTrue();
        assertThat(keys.mayBeKey(ApiKeys.sessionToken(ApiKeys.newKey()))).as("a stored session's shape").isTrue();
        assertThat(keys.mayBeKey("eyJhbGciOiJIUzI1NiJ9.a-callers-own-token")).isFalse();
        assertThat(keys.mayBeKey("")).isFalse();
        assertThat(keys.mayBeKey(null)).isFalse();
    }

    @Test
    void aShortConfiguredKeyIsRefusedAtStart() {
        assertThatThrownBy(() -> new ApiKeys(List.of("secret"), List.of(), store))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("shorter than 16");
        assertThatThrownBy(() -> new ApiKeys(List.of(), List.of("admin"), store))
                .hasMessageContaining("S3C_ADMIN_KEY");
    }

    @Test
    void aStoredKeyIsItsTenantsUntilDeleted() {
        ApiKeys keys = new ApiKeys(List.of(), List.of(), store);
        String key = ApiKeys.newKey();
        store.addKey("acme", "key_00000000000000aa", ApiKeys.hash(key), ApiKeys.hash(ApiKeys.sessionToken(key)))
                .block();
        assertThat(keys.callerOf(key).block()).isEqualTo(new Caller("acme", "key_00000000000000aa"));
        assertThat(keys.callerOfSession(ApiKeys.sessionToken(key)).block().tenant()).isEqualTo("acme");
        assertThat(keys.callerOf(ApiKeys.sessionToken(key)).block()).as("a session token is no key").isNull();

        store.deleteKey("acme", "key_00000000000000aa").block();
        assertThat(keys.callerOf(key).block()).as("remembered for a while").isNotNull();
        keys.forgetStored();
        assertThat(keys.callerOf(key).block()).isNull();
        assertThat(keys.callerOfSession(ApiKeys.sessionToken(key)).block()).isNull();
    }

    @Test
    void theConsolesCookieHoldsATokenThatIsNotTheKeyAndNotAKey() {
        String key = ApiKeys.newKey();
        ApiKeys keys = new ApiKeys(List.of(key), List.of(), store);
        String token = ApiKeys.sessionToken(key);
        assertThat(token).doesNotContain(key).isNotEqualTo(ApiKeys.sessionToken(ApiKeys.newKey()));
        assertThat(keys.callerOfSession(token).block().tenant()).isEqualTo(ApiKeys.DEFAULT_TENANT);
        assertThat(keys.callerOf(token).block()).isNull();
        assertThat(keys.callerOfSession(key).block()).isNull();
    }

    @Test
    void newKeysAreLongRandomAndRecognisable() {
        String a = ApiKeys.newKey();
        assertThat(a).startsWith("s3c_").hasSize(4 + 43).matches("s3c_[A-Za-z0-9_-]+");
        assertThat(ApiKeys.newKey()).isNotEqualTo(a);
        assertThat(ApiKeys.hash(a)).hasSize(64).isNotEqualTo(ApiKeys.hash(ApiKeys.newKey()));
        // what the admin routes take to delete one
        assertThat(ApiKeys.newKeyId()).matches("key_[0-9a-f]{16}").isNotEqualTo(ApiKeys.newKeyId());
    }
}
