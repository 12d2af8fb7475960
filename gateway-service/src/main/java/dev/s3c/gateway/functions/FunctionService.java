package dev.s3c.gateway.functions;

import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.s3c.contracts.CodeStyle;
import dev.s3c.contracts.FunctionStatus;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.api.FieldError;
import dev.s3c.gateway.api.JsonBodies;
import dev.s3c.gateway.tenants.Caller;
import dev.s3c.gateway.tenants.Quotas;
import dev.s3c.gateway.tenants.TenantLimits;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.bson.types.ObjectId;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.FindAndReplaceOptions;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.index.Index;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Functions: stored in MongoDB (the gateway is the one writer of {@code functions}), then published to the
 * definitions topic. Store first, publish second, with an outbox: every stored version is marked undelivered in
 * the same write, and the mark is removed once the topic has it; a delete leaves an entry in
 * {@value #TOMBSTONES} until the topic has its tombstone. {@link #reconcile} delivers what a failed publish left.
 */
@Service
public class FunctionService {

    private final ReactiveMongoTemplate mongo;
    private final DefinitionPublisher publisher;
    private final CodeChecker checker;
    static final java.time.Duration LOOKUP_TTL = java.time.Duration.ofSeconds(1);
    static final java.time.Duration STALE_LIMIT = java.time.Duration.ofSeconds(30);

    /**
     * Functions by id for the invoke path (see {@link #lookup(String)}): refreshed in the background once older than
     * {@link #LOOKUP_TTL}, the known value answered meanwhile, for at most {@link #STALE_LIMIT} more.
     */
    private final AsyncLoadingCache<String, Optional<FunctionDocument>> lookups = Caffeine.newBuilder()
            .refreshAfterWrite(LOOKUP_TTL).expireAfterWrite(LOOKUP_TTL.plus(STALE_LIMIT)).maximumSize(100_000)
            .buildAsync((id, executor) -> read(id));
    /**
     * Functions by tenant and name, for calls by name: never answered past {@link #LOOKUP_TTL}, since a name may be
     * another function's by then. A write here invalidates the names it changes.
     */
    private final AsyncLoadingCache<NameKey, Optional<FunctionDocument>> byName = Caffeine.newBuilder()
            .expireAfterWrite(LOOKUP_TTL).maximumSize(100_000)
            .buildAsync((key, executor) -> findNamed(key).map(Optional::of).defaultIfEmpty(Optional.empty())
                    .toFuture());

    /**
     * Functions by id for decisions that must not outlive a change (who may call a function URL): never answered
     * past {@link #LOOKUP_TTL}. A write here invalidates its id.
     */
    private final AsyncLoadingCache<String, Optional<FunctionDocument>> freshById = Caffeine.newBuilder()
            .expireAfterWrite(LOOKUP_TTL).maximumSize(100_000)
            .buildAsync((id, executor) -> read(id));

    private record NameKey(String tenant, String name) {
    }

    private final Quotas quotas;
    private final FunctionVersions versions;

    FunctionService(ReactiveMongoTemplate mongo, DefinitionPublisher publisher, CodeChecker checker, Quotas quotas,
            FunctionVersions versions) {
        this.versions = versions;
        this.quotas = quotas;
        this.mongo = mongo;
        this.publisher = publisher;
        this.checker = checker;
    }

    /**
     * Names are unique per tenant. Functions stored before tenants existed become the default tenant's, and the
     * index that made names unique across the platform goes.
     */
    Mono<Void> ensureIndexes() {
        var indexes = mongo.indexOps(FunctionDocument.COLLECTION);
        return mongo.updateMulti(Query.query(Criteria.where(FunctionDocument.TENANT).exists(false)),
                        Update.update(FunctionDocument.TENANT, Caller.DEFAULT_TENANT), FunctionDocument.class)
                .then(indexes.getIndexInfo().any(i -> i.getName().equals("name_unique")))
                // another gateway starting at the same time may have dropped it first
                .flatMap(old -> old ? indexes.dropIndex("name_unique").onErrorResume(e -> Mono.empty()) : Mono.empty())
                .then(indexes.createIndex(new Index().on(FunctionDocument.TENANT, Sort.Direction.ASC)
                        .on("name", Sort.Direction.ASC).unique().named("tenant_name_unique")))
                .then();
    }

    Mono<FunctionDocument> find(String id) {
        return mongo.findById(id, FunctionDocument.class);
    }

    /** A read by id for the caches: a function that is not there is a value too (empty), so it is cached. */
    private CompletableFuture<Optional<FunctionDocument>> read(String id) {
        return find(id).map(Optional::of).defaultIfEmpty(Optional.empty()).toFuture();
    }

    /** The function as stored now, if it is the caller's: another tenant's function is not found, like a missing one. */
    public Mono<FunctionDocument> find(Caller caller, String id) {
        return find(id).filter(f -> caller.owns(f.tenant()));
    }

    /** {@link #lookup(String)}, if the function is the caller's. */
    public Mono<FunctionDocument> lookup(Caller caller, String id) {
        return lookup(id).filter(f -> caller.owns(f.tenant()));
    }

    /** The caller's function, or a 404 naming it (whether it is missing or another tenant's). */
    public Mono<FunctionDocument> lookupOr404(Caller caller, String id) {
        return lookup(caller, id).switchIfEmpty(Mono.error(() -> ApiException.notFound("function " + id)));
    }

    /** What a route's {@code {id}} may be, for the API's description. */
    public static final String ID_OR_NAME = "the function's id, or its name in the caller's tenant (URL-encoded)";

    /**
     * A route's {@code {id}} checked before anything else is read: a function id, or a name a function could have
     * (400 naming {@code id} when it is neither).
     */
    public static String idOrName(String text) {
        return idOrName("id", text);
    }

    /** {@link #idOrName(String)} for a function named by {@code field}. */
    public static String idOrName(String field, String text) {
        if (!JsonBodies.isFunctionId(text) && !FunctionSpec.isName(text)) {
            throw ApiException.badRequest(field, "must be a function id (24 hexadecimal characters) or a function's "
                    + "name");
        }
        return text;
    }

    /**
     * The caller's function that a route's {@code {id}} names, read as {@link #lookupOr404} does: by id, or, for
     * text that is not an id, by name in the caller's tenant, as Lambda, OpenWhisk and OpenFaaS address functions.
     * (A name of 24 lowercase hexadecimal digits, which a new name cannot be, is read as an id.)
     */
    public Mono<FunctionDocument> lookupOr404ByIdOrName(Caller caller, String idOrName) {
        if (JsonBodies.isFunctionId(idOrName)) {
            return lookupOr404(caller, idOrName);
        }
        String name = idOrName(idOrName);
        if (caller.tenant() == null) {
            return Mono.error(ApiException.notFound("function " + name));
        }
        return cached(byName.get(new NameKey(caller.tenant(), name)))
                .filter(f -> caller.owns(f.tenant()))
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("function " + name)));
    }

    /** The caller's function, as stored now, that a route's {@code {id}} names: by id, or by name (one read). */
    public Mono<FunctionDocument> findByIdOrName(Caller caller, String idOrName) {
        if (JsonBodies.isFunctionId(idOrName)) {
            return find(caller, idOrName);
        }
        String name = idOrName(idOrName);
        return caller.tenant() == null ? Mono.empty() : mongo.findOne(named(caller.tenant(), name),
                FunctionDocument.class);
    }

    /**
     * The id of the caller's function that a route's {@code {id}} names, for the routes that read or change it:
     * a name is read from the store, not the cache, so a rename elsewhere never turns a change onto another function.
     */
    public Mono<String> idOf(Caller caller, String idOrName) {
        if (JsonBodies.isFunctionId(idOrName)) {
            return Mono.just(idOrName);
        }
        String name = idOrName(idOrName);
        Query query = named(caller.tenant(), name);
        query.fields().include("_id");
        return (caller.tenant() == null ? Mono.<org.bson.Document>empty()
                : mongo.findOne(query, org.bson.Document.class, FunctionDocument.COLLECTION))
                .map(d -> d.get("_id") instanceof ObjectId objectId ? objectId.toHexString()
                        : String.valueOf(d.get("_id")))
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("function " + name)));
    }

    private Mono<FunctionDocument> findNamed(NameKey key) {
        return mongo.findOne(named(key.tenant(), key.name()), FunctionDocument.class);
    }

    private static Query named(String tenant, String name) {
        return Query.query(Criteria.where(FunctionDocument.TENANT).is(tenant).and("name").is(name));
    }

    /**
     * Whether the function is, or was until deleted, the caller's: its executions and dead letters stay the
     * owner's after the function is gone (until their retention ends), and no one else's.
     */
    public Mono<Boolean> owns(Caller caller, String functionId) {
        return lookup(functionId).map(f -> caller.owns(f.tenant()))
                // suppressing cancel: a caller that goes away must not cancel the read others wait on too
                .switchIfEmpty(Mono.defer(() -> Mono.fromFuture(() -> formerOwners.get(functionId, (id, executor) ->
                                mongo.findById(id, org.bson.Document.class, DELETED)
                                        .map(d -> java.util.Optional.ofNullable(d.getString(FunctionDocument.TENANT)))
                                        .defaultIfEmpty(java.util.Optional.empty()).toFuture()), true)
                        .map(owner -> owner.isPresent() && caller.owns(owner.get()))));
    }

    /** Completes when the function is or was the caller's; else a 404 naming it. */
    public Mono<Void> ownsOr404(Caller caller, String functionId) {
        return owns(caller, functionId).flatMap(mine -> mine ? Mono.<Void>empty()
                : Mono.error(ApiException.notFound("function " + functionId)));
    }

    /** Deleted functions' owners, kept in {@value #DELETED} (ids are never reused). */
    private final com.github.benmanes.caffeine.cache.AsyncCache<String, java.util.Optional<String>> formerOwners =
            com.github.benmanes.caffeine.cache.Caffeine.newBuilder().expireAfterWrite(java.time.Duration.ofMinutes(1))
                    .maximumSize(10_000).buildAsync();
    static final String DELETED = "deleted_functions";

    public Mono<Long> countOwnedBy(String tenant) {
        return mongo.count(Query.query(Criteria.where(FunctionDocument.TENANT).is(tenant)), FunctionDocument.class);
    }

    /**
     * The function as the invoke path sees it: read from MongoDB at most once per {@link #LOOKUP_TTL} per gateway.
     * Past that, the known value is still answered while one background read refreshes it (for at most
     * {@link #STALE_LIMIT}): a store busy with other writes must not hold up invocations, which measured as
     * multi-second sync latencies right after a burst. Another gateway's change shows here within about the TTL;
     * the executor decides by its own, current view anyway.
     */
    public Mono<FunctionDocument> lookup(String id) {
        return cached(lookups.get(id));
    }

    /**
     * The function as read from MongoDB within the last {@link #LOOKUP_TTL}, never older: another gateway's change
     * shows here within that second, and while the store does not answer, neither does this.
     */
    public Mono<FunctionDocument> lookupFresh(String id) {
        return cached(freshById.get(id));
    }

    /**
     * A cached read as a Mono. A caller that goes away does not cancel it: others may wait on the same read.
     * (Caffeine drops a read's value when a write here invalidated its entry while it ran.)
     */
    private static Mono<FunctionDocument> cached(CompletableFuture<Optional<FunctionDocument>> read) {
        return Mono.fromFuture(read, true).flatMap(Mono::justOrEmpty);
    }

    /** After a write here: the entries of its id and of the names it had and has. */
    private void forget(String id, String tenant, String... names) {
        writesHere.incrementAndGet();
        lookups.synchronous().invalidate(id);
        freshById.synchronous().invalidate(id);
        for (String name : names) {
            byName.synchronous().invalidate(new NameKey(tenant, name));
        }
    }

    /**
     * The listing's order, named by the document's properties: a name that is not one ({@code _id} for {@code id})
     * is still mapped, but Spring Data finds that out by building and catching an exception, stack trace and all,
     * on every listing.
     */
    static final Sort LIST_ORDER = Sort.by("createdAt", "id");

    Flux<FunctionDocument> list(String tenant, String name, String search, int page, int size) {
        return mongo.find(listQuery(tenant, name, search).with(LIST_ORDER).skip((long) page * size).limit(size),
                FunctionDocument.class);
    }

    Mono<Long> count(String tenant, String name, String search) {
        return mongo.count(listQuery(tenant, name, search), FunctionDocument.class);
    }

    /** Counts the creates, updates and deletes made through this gateway: a reader of {@link #scheduled} reads again. */
    private final java.util.concurrent.atomic.AtomicLong writesHere = new java.util.concurrent.atomic.AtomicLong();

    public long writesHere() {
        return writesHere.get();
    }

    /** Every active function with a schedule, of all tenants, without its code. */
    public Flux<FunctionDocument> scheduled() {
        Query query = Query.query(Criteria.where(FunctionConfig.SCHEDULE_FIELD).exists(true)
                .and("status").is(FunctionStatus.ACTIVE));
        query.fields().exclude("code");
        return mongo.find(query, FunctionDocument.class);
    }

    Flux<FunctionDocument> all() {
        return mongo.findAll(FunctionDocument.class);
    }

    /** The tenant's, by exact name, and/or names or descriptions containing the search text (any case). */
    private static Query listQuery(String tenant, String name, String search) {
        Query query = Query.query(Criteria.where(FunctionDocument.TENANT).is(tenant));
        if (name != null) {
            query.addCriteria(Criteria.where("name").is(name));
        }
        if (search != null && !search.isBlank()) {
            String quoted = java.util.regex.Pattern.quote(search.strip());
            query.addCriteria(new Criteria().orOperator(Criteria.where("name").regex(quoted, "i"),
                    Criteria.where("description").regex(quoted, "i")));
        }
        return query;
    }

    /**
     * Within the tenant's limits: its number of functions and total code size (checked against what is stored, so
     * two creates at the same moment may both pass), and a timeout and retries no higher than its maxima (the
     * defaults are lowered to them).
     */
    Mono<FunctionDocument> create(String tenant, FunctionSpec spec) {
        CodeStyle style = check(spec.code());
        return quotas.limits(tenant).flatMap(limits -> {
            checkConfig(spec, limits);
            Mono<Void> count = limits.maxFunctions() == null ? Mono.empty() : countOwnedBy(tenant).flatMap(n ->
                    n < limits.maxFunctions() ? Mono.empty() : Mono.error(new ApiException(HttpStatus.FORBIDDEN,
                            "tenant " + tenant + " has its limit of " + limits.maxFunctions() + " functions; delete "
                                    + "one first or ask an admin for more", List.of(new FieldError("maxFunctions",
                                    "is " + limits.maxFunctions() + " for tenant " + tenant)))));
            return count.then(checkCodeSize(tenant, limits, 0, spec.code())).then(Mono.fromCallable(() -> {
                Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
                FunctionConfig defaults = FunctionConfig.defaults();
                return new FunctionDocument(new ObjectId().toHexString(), tenant, spec.name(),
                        spec.description() == null ? "" : spec.description(), spec.code(), style,
                        new FunctionConfig(spec.timeoutMs() == null ? atMost(defaults.timeoutMs(), limits.maxTimeoutMs())
                                : spec.timeoutMs(), spec.retryCount() == null
                                ? atMost(defaults.retryCount(), limits.maxRetries()) : spec.retryCount(),
                                spec.maxConcurrency(), spec.env(), urlAccess(spec.http(), null),
                                schedule(spec.schedule(), null)),
                        spec.status() == null ? FunctionStatus.ACTIVE : spec.status(), 1, now, now, spec.note());
            }));
        }).flatMap(doc -> mongo.insert(doc)
                .onErrorMap(DuplicateKeyException.class, e -> nameTaken(spec.name()))
                .doOnNext(saved -> forget(saved.id(), saved.tenant(), saved.name())))
                .flatMap(this::deliver);
    }

    /** Who may call the function URL after a create or update: as asked, none for "off", else as it was. */
    private static String urlAccess(String asked, String current) {
        return asked == null ? current : FunctionSpec.HTTP_OFF.equals(asked) ? null : asked;
    }

    /** The schedule after a create or update: as asked, none when taken away, else as it was. */
    private static String schedule(String asked, String current) {
        return asked == null ? current : FunctionSpec.SCHEDULE_OFF.equals(asked) ? null : asked;
    }

    private static int atMost(int value, Integer max) {
        return max == null ? value : Math.min(value, max);
    }

    /** A timeout or retries asked for above the tenant's maximum: 400 naming the field. */
    private static void checkConfig(FunctionSpec spec, TenantLimits limits) {
        if (spec.timeoutMs() != null && limits.maxTimeoutMs() != null && spec.timeoutMs() > limits.maxTimeoutMs()) {
            throw ApiException.badRequest("config.timeoutMs", "is above this tenant's maximum of "
                    + limits.maxTimeoutMs() + " ms");
        }
        if (spec.retryCount() != null && limits.maxRetries() != null && spec.retryCount() > limits.maxRetries()) {
            throw ApiException.badRequest("config.retryCount", "is above this tenant's maximum of "
                    + limits.maxRetries());
        }
    }

    /** The tenant's code with {@code replaced} bytes taken out and {@code code} put in stays within its limit. */
    private Mono<Void> checkCodeSize(String tenant, TenantLimits limits, long replaced, String code) {
        if (limits.maxCodeBytes() == null || code == null) {
            return Mono.empty();
        }
        long added = code.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        return codeBytesOwnedBy(tenant).flatMap(stored -> stored - replaced + added <= limits.maxCodeBytes()
                ? Mono.<Void>empty()
                : Mono.error(new ApiException(HttpStatus.FORBIDDEN, "this code would bring tenant " + tenant
                        + "'s code to " + (stored - replaced + added) + " bytes, over its limit of "
                        + limits.maxCodeBytes(), List.of(new FieldError("code", "would exceed the tenant's limit of "
                        + limits.maxCodeBytes() + " bytes of code")))));
    }

    /** The size of all the tenant's functions' code, in UTF-8 bytes. */
    public Mono<Long> codeBytesOwnedBy(String tenant) {
        Query owned = Query.query(Criteria.where(FunctionDocument.TENANT).is(tenant));
        owned.fields().include("code");
        return mongo.find(owned, org.bson.Document.class, FunctionDocument.COLLECTION)
                .map(d -> (long) d.getString("code").getBytes(java.nio.charset.StandardCharsets.UTF_8).length)
                .reduce(0L, Long::sum);
    }

    /**
     * Publishes a stored version, then removes its undelivered mark. When the stored function changed meanwhile (a
     * newer version, or deleted), this publish may have landed after that change's: the newest state is published
     * again, so the topic's last word is never an older version.
     */
    private Mono<FunctionDocument> deliver(FunctionDocument saved) {
        return publisher.publish(saved.definition())
                .then(markDelivered(saved))
                .flatMap(marked -> marked ? Mono.just(saved) : deliverNewest(saved.id(), 5, true).thenReturn(saved));
    }

    /**
     * A function by its id, named as its property ({@code id}): Spring Data maps {@code _id} to the same query, but
     * only after building and catching an exception for a name that is no property of {@link FunctionDocument}.
     */
    static Query byId(String id) {
        return Query.query(Criteria.where("id").is(id));
    }

    /** The function as it was at that version: an optimistic write changes nothing if it has changed since. */
    static Query sameVersion(String id, long version) {
        return Query.query(Criteria.where("id").is(id).and("version").is(version));
    }

    private Mono<Boolean> markDelivered(FunctionDocument delivered) {
        Query same = sameVersion(delivered.id(), delivered.version());
        return mongo.updateFirst(same, new Update().unset(FunctionDocument.UNDELIVERED), FunctionDocument.class)
                .map(r -> r.getMatchedCount() == 1);
    }

    /**
     * A new version from an update's fields. A note sent back as read (the current version's own, in a function read,
     * changed and sent back whole) is not the new version's: a note is never kept from the version before.
     */
    Mono<FunctionDocument> update(Caller caller, String id, FunctionSpec spec) {
        return update(caller, id, spec, false);
    }

    /** @param sameNoteIsNew whether a note equal to the current one is the new version's too (a restore's) */
    private Mono<FunctionDocument> update(Caller caller, String id, FunctionSpec spec, boolean sameNoteIsNew) {
        CodeStyle checkedStyle = spec.code() == null ? null : check(spec.code());
        return find(caller, id)
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("function " + id)))
                .flatMap(current -> {
                    // sent back as read, but changed since: applying it would undo that change unseen (checked
                    // first: it is the answer the caller needs, whatever else the body holds)
                    if (spec.expectedVersion() != null && spec.expectedVersion() != current.version()) {
                        return Mono.error(new ApiException(HttpStatus.CONFLICT, "function " + id + " is at version "
                                + current.version() + ", not " + spec.expectedVersion() + ": read it again, and "
                                + "apply the change to that", List.of(new FieldError("version", "is "
                                        + current.version() + ", not " + spec.expectedVersion()))));
                    }
                    return Mono.just(current);
                })
                .flatMap(current -> quotas.limits(current.tenant()).flatMap(limits -> {
                    checkConfig(spec, limits);
                    return checkCodeSize(current.tenant(), limits,
                            current.code().getBytes(java.nio.charset.StandardCharsets.UTF_8).length, spec.code());
                }).thenReturn(current))
                .flatMap(current -> {
                    var config = new FunctionConfig(
                            spec.timeoutMs() == null ? current.config().timeoutMs() : spec.timeoutMs(),
                            spec.retryCount() == null ? current.config().retryCount() : spec.retryCount(),
                            spec.removesMaxConcurrency() ? null : spec.maxConcurrency() == null
                                    ? current.config().maxConcurrency() : spec.maxConcurrency(),
                            spec.env() == null ? current.config().env() : spec.env(),
                            urlAccess(spec.http(), current.config().http()),
                            schedule(spec.schedule(), current.config().schedule()));
                    var next = new FunctionDocument(id, current.tenant(),
                            spec.name() == null ? current.name() : spec.name(),
                            spec.description() == null ? current.description() : spec.description(),
                            spec.code() == null ? current.code() : spec.code(),
                            checkedStyle == null ? current.style() : checkedStyle,
                            config,
                            spec.status() == null ? current.status() : spec.status(),
                            current.version() + 1, current.createdAt(), Instant.now().truncatedTo(ChronoUnit.MILLIS),
                            sameNoteIsNew || !java.util.Objects.equals(spec.note(), current.note()) ? spec.note()
                                    : null);
                    // optimistic: only replace the version we read, and only once it is kept
                    Query same = sameVersion(id, current.version());
                    return versions.keep(current).then(mongo.findAndReplace(same, next,
                                    FindAndReplaceOptions.options().returnNew())
                            .onErrorMap(DuplicateKeyException.class, e -> nameTaken(next.name())))
                            .switchIfEmpty(Mono.error(() -> new ApiException(HttpStatus.CONFLICT,
                                    "function " + id + " was changed concurrently; read it again and retry",
                                    List.of(new FieldError("version", "is no longer " + current.version())))))
                            .doOnNext(saved -> forget(id, current.tenant(), current.name(), saved.name()))
                            .flatMap(saved -> versions.prune(saved).thenReturn(saved));
                })
                .flatMap(this::deliver);
    }

    /**
     * A new version with the code, description and settings of version {@code version} (its name and status stay as
     * they are): a rollback, checked and stored as any update is.
     *
     * @param expectedVersion the current version the caller means to replace (409 when it has changed), or null
     * @param note what the restore is for, or null: "restored version N"
     */
    Mono<FunctionDocument> restore(Caller caller, String id, long version, Long expectedVersion, String note) {
        return find(caller, id)
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("function " + id)))
                .flatMap(current -> {
                    if (version == current.version()) {
                        return Mono.error(new ApiException(HttpStatus.CONFLICT, "version " + version + " of function "
                                + id + " is its current version", List.of(new FieldError("version",
                                "is the current version already"))));
                    }
                    return versions.find(current, version)
                            .switchIfEmpty(Mono.error(() -> versionNotFound(current, version)))
                            .flatMap(old -> update(caller, id, restoring(old,
                                    expectedVersion == null ? current.version() : expectedVersion,
                                    note == null ? "restored version " + version : note), true));
                });
    }

    /** What an update needs to bring back an old version: every setting as it was, absent ones taken away. */
    private static FunctionSpec restoring(FunctionVersions.Version old, long expectedVersion, String note) {
        FunctionConfig config = old.config();
        if (config.schedule() != null) {
            try {
                // read by this gateway's rules and time zones, which may have changed since it was stored
                Schedule.parse(config.schedule());
            } catch (IllegalArgumentException e) {
                throw new ApiException(HttpStatus.CONFLICT, "version " + old.version() + "'s schedule is not one any "
                        + "more: " + e.getMessage(), List.of(new FieldError("config.schedule", "of version "
                        + old.version() + ": " + e.getMessage())));
            }
        }
        return new FunctionSpec(null, old.description() == null ? "" : old.description(), old.code(),
                config.timeoutMs(), config.retryCount(), null, config.maxConcurrency(),
                config.maxConcurrency() == null, expectedVersion,
                config.env() == null ? java.util.Map.of() : config.env(),
                config.http() == null ? FunctionSpec.HTTP_OFF : config.http(),
                config.schedule() == null ? FunctionSpec.SCHEDULE_OFF : config.schedule(), note);
    }

    /** A version the function never had, or no longer keeps: 404, saying which it keeps. */
    ApiException versionNotFound(FunctionDocument current, long version) {
        long oldest = versions.oldestKept(current.version());
        return new ApiException(HttpStatus.NOT_FOUND, "version " + version + " of function " + current.id()
                + " not found: " + (version > current.version() ? "it is at version " + current.version()
                : "it keeps versions " + oldest + " to " + current.version()), List.of());
    }

    /** The caller's function's versions, newest first (the current one first), without their code. */
    Flux<FunctionVersions.Version> versions(FunctionDocument current) {
        return versions.list(current);
    }

    /** One version of the caller's function, with its code, or a 404. */
    Mono<FunctionVersions.Version> version(FunctionDocument current, long version) {
        return versions.find(current, version).switchIfEmpty(Mono.error(() -> versionNotFound(current, version)));
    }

    /**
     * The tombstone's outbox entry is written before the function is removed, so a crash or a failed publish after
     * the removal still ends with the executors told; it is deleted once the topic has the tombstone.
     */
    /** Remembers whose the function was first, so its executions and dead letters stay its owner's. */
    Mono<Void> delete(Caller caller, String id) {
        return find(caller, id).switchIfEmpty(Mono.error(() -> ApiException.notFound("function " + id)))
                .flatMap(f -> mongo.upsert(Query.query(Criteria.where("_id").is(id)), new Update()
                        .set(FunctionDocument.TENANT, f.tenant()).set("name", f.name())
                        .set("deletedAt", new java.util.Date()), DELETED).thenReturn(f))
                .flatMap(f -> delete(id, f.version()));
    }

    /** @param version the function's version as last read: its versions kept go with it */
    private Mono<Void> delete(String id, long version) {
        org.bson.Document pending = new org.bson.Document("at", new java.util.Date()).append(TOMBSTONE_VERSION,
                version);
        Query entry = Query.query(Criteria.where("_id").is(id));
        return mongo.upsert(entry, Update.fromDocument(new org.bson.Document("$set", pending)), TOMBSTONES)
                .flatMap(upserted -> mongo.findAndRemove(byId(id), FunctionDocument.class)
                        // nothing to delete: the entry goes, unless another delete under way wrote it
                        .switchIfEmpty(Mono.defer(() -> (upserted.getUpsertedId() != null
                                ? mongo.remove(entry, TOMBSTONES).then() : Mono.<Void>empty())
                                .then(Mono.error(ApiException.notFound("function " + id))))))
                .doOnNext(removed -> forget(id, removed.tenant(), removed.name()))
                // changed since it was read: the entry names the version it was removed at, for the reconciliation
                .flatMap(removed -> removed.version() == version ? Mono.just(removed)
                        : mongo.updateFirst(entry, new Update().max(TOMBSTONE_VERSION, removed.version()), TOMBSTONES)
                                .thenReturn(removed))
                .flatMap(removed -> publisher.tombstone(id).then(versions.removeAll(id, removed.version())))
                // versions left by a failed removal keep the entry, so the reconciliation removes them
                .flatMap(removed -> removed ? mongo.remove(entry, TOMBSTONES).then() : Mono.<Void>empty());
    }

    /** The version a deleted function was at, in its outbox entry: how far back its kept versions go. */
    private static final String TOMBSTONE_VERSION = "version";

    static final String TOMBSTONES = "function_tombstones";
    /** An outbox entry of a delete still under way is left alone this long. */
    private static final java.time.Duration DELETE_UNDER_WAY = java.time.Duration.ofMinutes(2);

    /**
     * Delivers what a failed publish left undelivered: each function version still marked (the newest one: a
     * version published late never stays the topic's last word, because the mark is checked again after each
     * publish), and each tombstone whose function is gone. Several gateways may do it at once; publishing a version
     * twice changes nothing for the executors.
     *
     * @return how many definitions and tombstones were delivered
     */
    Mono<Long> reconcile() {
        Flux<Boolean> versions = mongo.find(Query.query(Criteria.where(FunctionDocument.UNDELIVERED).is(true))
                        .limit(RECONCILE_BATCH), FunctionDocument.class)
                .concatMap(doc -> deliverNewest(doc.id(), 5, false));
        java.util.Date settled = java.util.Date.from(Instant.now().minus(DELETE_UNDER_WAY));
        Flux<Boolean> tombstones = mongo.find(new Query().limit(RECONCILE_BATCH), org.bson.Document.class, TOMBSTONES)
                .concatMap(entry -> {
                    // Spring Data stores an id that reads as an ObjectId as one, like the functions' own ids
                    String id = String.valueOf(entry.get("_id"));
                    Query sameEntry = Query.query(Criteria.where("_id").is(id));
                    return mongo.exists(byId(id), FunctionDocument.class).flatMap(stillThere -> {
                        if (!stillThere) {
                            Number version = entry.get(TOMBSTONE_VERSION, Number.class);
                            return publisher.tombstone(id)
                                    .then(version == null ? this.versions.removeAll(id)
                                            : this.versions.removeAll(id, version.longValue()))
                                    .flatMap(removed -> removed ? mongo.remove(sameEntry, TOMBSTONES).then()
                                            : Mono.<Void>empty())
                                    .thenReturn(true);
                        }
                        java.util.Date at = entry.getDate("at");
                        // the delete never removed it (it failed before): no tombstone is owed
                        return at != null && at.before(settled) ? mongo.remove(sameEntry, TOMBSTONES).thenReturn(false)
                                : Mono.just(false);
                    });
                });
        return Flux.concat(versions, tombstones).filter(Boolean::booleanValue).count();
    }

    private static final int RECONCILE_BATCH = 500;

    /**
     * Publishes the function as stored now (with {@code again}, also when it carries no mark: an older version was
     * just published and may have landed last) and removes its mark, until the stored version stays put.
     */
    private Mono<Boolean> deliverNewest(String id, int tries, boolean again) {
        return find(id)
                .flatMap(doc -> !again && !Boolean.TRUE.equals(doc.undelivered()) ? Mono.just(false)
                        : publisher.publish(doc.definition()).then(markDelivered(doc)).flatMap(marked -> marked
                                ? Mono.just(true)
                                // changed again while this one was on its way: deliver that one too; out of tries,
                                // the mark stays for the next reconciliation
                                : tries > 1 ? deliverNewest(id, tries - 1, true) : markUndelivered(id).thenReturn(true)))
                // deleted meanwhile: its tombstone may have landed before the version just published
                .switchIfEmpty(Mono.defer(() -> again ? publisher.tombstone(id).thenReturn(true) : Mono.just(false)));
    }

    private Mono<Void> markUndelivered(String id) {
        return mongo.updateFirst(byId(id), new Update().set(FunctionDocument.UNDELIVERED, true),
                FunctionDocument.class).then();
    }

    /** Publishes every stored function again: repairs the topic after a fresh broker. */
    Mono<Long> republishAll() {
        return all().concatMap(this::deliver).count();
    }

    private CodeStyle check(String code) {
        try {
            return checker.check(code);
        } catch (CodeChecker.CodeSyntaxException e) {
            String reason = "does not parse: " + e.getMessage() + " (line " + e.line + ", column " + e.column + ")";
            throw new ApiException(HttpStatus.BAD_REQUEST, "code " + reason,
                    List.of(new FieldError("code", reason, e.line, e.column)));
        }
    }

    private static ApiException nameTaken(String name) {
        return new ApiException(HttpStatus.CONFLICT, "a function named '" + name + "' already exists",
                List.of(new FieldError("name", "is already taken")));
    }
}
