package dev.s3c.gateway.tenants;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import org.bson.Document;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.index.Index;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Tenants ({@value #TENANTS}) and their stored keys ({@value #KEYS}): the one writer and reader of both. A key is
 * stored as its SHA-256 hash (the document's id, so a call's key is found by the id index) beside the hash of the
 * console's session token for it; the key itself is shown once, when it is made, and never stored.
 */
@Component
public class TenantStore {

    static final String TENANTS = "tenants";
    static final String KEYS = "api_keys";
    static final String TENANT = "tenant";
    static final String KEY_ID = "keyId";
    static final String SESSION = "session";
    static final String CREATED_AT = "createdAt";
    static final String LIMITS = "limits";
    static final String DELETED_AT = "deletedAt";

    private final ReactiveMongoTemplate mongo;

    public TenantStore(ReactiveMongoTemplate mongo) {
        this.mongo = mongo;
    }

    public Mono<Void> ensureIndexes() {
        var keys = mongo.indexOps(KEYS);
        return keys.createIndex(new Index().on(SESSION, Sort.Direction.ASC).unique().named("session_unique"))
                .then(keys.createIndex(new Index().on(KEY_ID, Sort.Direction.ASC).unique().named("key_id_unique")))
                .then(keys.createIndex(new Index().on(TENANT, Sort.Direction.ASC).named("by_tenant")))
                .then();
    }

    record Tenant(String id, Instant createdAt, TenantLimits limits) {
    }

    public record StoredKey(String id, String tenant, Instant createdAt) {
    }

    /** @return false when a tenant of that id exists already */
    Mono<Boolean> createTenant(String id, TenantLimits limits) {
        return mongo.insert(new Document("_id", id).append(CREATED_AT, now()).append(LIMITS, limits.toDocument()),
                        TENANTS).thenReturn(true)
                .onErrorResume(DuplicateKeyException.class, e -> Mono.just(false));
    }

    /** @return false when there is no such tenant */
    Mono<Boolean> setLimits(String id, TenantLimits limits) {
        return mongo.updateFirst(Query.query(Criteria.where("_id").is(id)),
                        new org.springframework.data.mongodb.core.query.Update().set(LIMITS, limits.toDocument()), TENANTS)
                .map(r -> r.getMatchedCount() > 0);
    }

    /** The tenant, unless deleted. */
    Mono<Tenant> tenant(String id) {
        return mongo.findById(id, Document.class, TENANTS).filter(d -> !d.containsKey(DELETED_AT))
                .map(TenantStore::tenantOf);
    }

    Flux<Tenant> tenants() {
        return mongo.find(new Query().with(Sort.by(CREATED_AT, "_id")), Document.class, TENANTS)
                .filter(d -> !d.containsKey(DELETED_AT)).map(TenantStore::tenantOf);
    }

    /**
     * Removes the tenant's keys first, so no key outlives its tenant even when this stops half way. The tenant's
     * document stays, marked deleted: its id is never given out again, so a later tenant of that name does not
     * inherit what the old one left (executions and dead letters until their retention ends).
     */
    Mono<Boolean> deleteTenant(String id) {
        return mongo.remove(Query.query(Criteria.where(TENANT).is(id)), KEYS)
                .then(mongo.updateFirst(Query.query(Criteria.where("_id").is(id).and(DELETED_AT).exists(false)),
                        new org.springframework.data.mongodb.core.query.Update().set(DELETED_AT, now()), TENANTS))
                .map(r -> r.getModifiedCount() > 0);
    }

    public Mono<StoredKey> addKey(String tenant, String keyId, String keyHash, String sessionHash) {
        Instant at = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        return mongo.insert(new Document("_id", keyHash).append(KEY_ID, keyId).append(TENANT, tenant)
                        .append(SESSION, sessionHash).append(CREATED_AT, Date.from(at)), KEYS)
                .thenReturn(new StoredKey(keyId, tenant, at));
    }

    Flux<StoredKey> keys(String tenant) {
        return mongo.find(Query.query(Criteria.where(TENANT).is(tenant)), Document.class, KEYS)
                .map(d -> new StoredKey(d.getString(KEY_ID), d.getString(TENANT), d.getDate(CREATED_AT).toInstant()))
                .sort(java.util.Comparator.comparing(StoredKey::createdAt));
    }

    public Mono<Boolean> deleteKey(String tenant, String keyId) {
        return mongo.remove(Query.query(Criteria.where(KEY_ID).is(keyId).and(TENANT).is(tenant)), KEYS)
                .map(r -> r.getDeletedCount() > 0);
    }

    /** The caller a stored key stands for, by the key's hash. */
    public Mono<Caller> byKeyHash(String keyHash) {
        return mongo.findById(keyHash, Document.class, KEYS).mapNotNull(TenantStore::callerOf);
    }

    /** The caller a console session stands for, by its token's hash. */
    public Mono<Caller> bySessionHash(String sessionHash) {
        return mongo.findOne(Query.query(Criteria.where(SESSION).is(sessionHash)), Document.class, KEYS)
                .mapNotNull(TenantStore::callerOf);
    }

    /** A stored key is always a tenant's: one without a tenant is no key at all. */
    private static Caller callerOf(Document key) {
        String tenant = key.getString(TENANT);
        return tenant == null ? null : new Caller(tenant, key.getString(KEY_ID));
    }

    private static Tenant tenantOf(Document d) {
        return new Tenant(d.getString("_id"), d.getDate(CREATED_AT).toInstant(),
                TenantLimits.of(d.get(LIMITS, Document.class)));
    }

    private static Date now() {
        return Date.from(Instant.now().truncatedTo(ChronoUnit.MILLIS));
    }
}
