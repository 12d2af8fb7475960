package dev.s3c.gateway.idempotency;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import dev.s3c.contracts.Sortable;
import dev.s3c.gateway.GatewayProperties;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.api.FieldError;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * {@code Idempotency-Key}: a caller's own name for one request to a function. The first request with a key claims it
 * for the execution it makes; a later request with the same key and the same request gets that execution back, never
 * a second run; the same key with another request is refused. Keys live in the store (the gateway is the one writer
 * and reader of {@value #COLLECTION}), so they hold across gateway instances and restarts, for the idempotency window.
 *
 * <p>Documents: {@code {_id: functionId|key, fingerprint, executionId, createdAt, byTime: millis|_id}}. The claim is an
 * insert by {@code _id} (a second one fails on the unique index, on real MongoDB and the embedded store alike);
 * expiry deletes a range of {@code byTime}, which both serve from its unique index.
 */
@Component
public class IdempotencyKeys {

    public static final String HEADER = "Idempotency-Key";
    static final String COLLECTION = "idempotency_keys";
    private static final Logger log = LoggerFactory.getLogger(IdempotencyKeys.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /**
     * What a request with a key comes to: run it as {@code executionId} ({@code fresh}), or answer with that one.
     *
     * @param queued whether the claimer said its invocation was queued ({@link #confirm}); only schedules say so
     * @param claimedAt when another request claimed the key (null when this one did)
     */
    public record Claim(String executionId, boolean fresh, boolean queued, Instant claimedAt) {

        public Claim(String executionId, boolean fresh) {
            this(executionId, fresh, false, null);
        }
    }

    /** The field a claimer sets once its invocation is queued, for others that found the claim and wait on it. */
    static final String QUEUED = "queued";

    private final ReactiveMongoTemplate mongo;
    private final Duration window;
    private final Clock clock;

    @Autowired
    IdempotencyKeys(ReactiveMongoTemplate mongo, GatewayProperties properties) {
        this(mongo, properties.idempotencyWindow(), Clock.systemUTC());
    }

    public IdempotencyKeys(ReactiveMongoTemplate mongo, Duration window, Clock clock) {
        this.mongo = mongo;
        this.window = window;
        this.clock = clock;
    }

    /**
     * @return the key, checked: 1–255 visible ASCII characters
     * @throws ApiException 400 naming the header
     */
    public static String check(String key) {
        if (key.isEmpty() || key.length() > 255 || !key.chars().allMatch(c -> c > 32 && c < 127)) {
            throw ApiException.badRequest(HEADER, "must be 1 to 255 visible ASCII characters (a UUID, say)");
        }
        return key;
    }

    /** A digest of what makes two requests the same one. */
    public static String fingerprint(String... parts) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : parts) {
                sha.update(String.valueOf(part).getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Claims {@code key} of {@code functionId} for a new execution {@code executionId}, or finds the execution a
     * request with the same fingerprint claimed it for before.
     *
     * @throws ApiException 422 naming the header when the key was used for another request
     */
    public Mono<Claim> claim(String functionId, String key, String fingerprint, String executionId) {
        String id = functionId + "|" + key;
        Document claim = claimDocument(id, fingerprint, executionId, clock.instant());
        return mongo.getCollection(COLLECTION)
                .flatMap(c -> Mono.from(c.insertOne(claim)))
                .thenReturn(new Claim(executionId, true))
                .onErrorResume(MongoWriteException.class, e -> e.getError().getCategory()
                        != ErrorCategory.DUPLICATE_KEY ? Mono.error(e) : existing(id, fingerprint, functionId, key,
                                executionId));
    }

    private static Document claimDocument(String id, String fingerprint, String executionId, Instant now) {
        return new Document("_id", id).append("fingerprint", fingerprint).append("executionId", executionId)
                .append("createdAt", Date.from(now)).append("byTime", byTime(now, id));
    }

    private Mono<Claim> existing(String id, String fingerprint, String functionId, String key, String executionId) {
        return mongo.getCollection(COLLECTION)
                .flatMap(c -> Mono.from(c.find(Filters.eq("_id", id)).first()))
                .flatMap(found -> {
                    Date created = found.getDate("createdAt");
                    if (created != null && created.toInstant().isBefore(clock.instant().minus(window))) {
                        // past the window, not swept yet: the key is free again. Replaced only if it still names
                        // that execution, so of two requests taking it over at once one wins, the other replays
                        Document fresh = claimDocument(id, fingerprint, executionId, clock.instant());
                        return mongo.getCollection(COLLECTION)
                                .flatMap(c -> Mono.from(c.replaceOne(new Document("_id", id).append("executionId",
                                        found.getString("executionId")), fresh)))
                                .flatMap(r -> r.getMatchedCount() == 1 ? Mono.just(new Claim(executionId, true))
                                        : claim(functionId, key, fingerprint, executionId));
                    }
                    if (!fingerprint.equals(found.getString("fingerprint"))) {
                        return Mono.error(usedForAnother(key));
                    }
                    return Mono.just(new Claim(found.getString("executionId"), false,
                            Boolean.TRUE.equals(found.getBoolean(QUEUED)), created == null ? null : created.toInstant()));
                })
                // deleted between the insert and the read (swept, or released by a failed publish): claim again
                .switchIfEmpty(Mono.defer(() -> claim(functionId, key, fingerprint, executionId)));
    }

    /**
     * The execution a request with {@code key} and the same fingerprint made within the window, without claiming
     * the key when there is none.
     *
     * @throws ApiException 422 naming the header when the key was used for another request
     */
    public Mono<Claim> find(String functionId, String key, String fingerprint) {
        return mongo.getCollection(COLLECTION)
                .flatMap(c -> Mono.from(c.find(Filters.eq("_id", functionId + "|" + key)).first()))
                .filter(found -> {
                    Date created = found.getDate("createdAt");
                    return created == null || !created.toInstant().isBefore(clock.instant().minus(window));
                })
                .flatMap(found -> fingerprint.equals(found.getString("fingerprint"))
                        ? Mono.just(new Claim(found.getString("executionId"), false))
                        : Mono.error(usedForAnother(key)));
    }

    private ApiException usedForAnother(String key) {
        return new ApiException(HttpStatus.UNPROCESSABLE_CONTENT, HEADER + " " + key
                + " was used for a different request to this function",
                List.of(new FieldError(HEADER, "was used for a different request (another input or "
                        + "retries) within the last " + window.toHours() + " h")));
    }

    /**
     * Says the claim's invocation is queued: another claimer that found the claim before this ({@link Claim#queued}
     * false) may wait for it rather than take the claimer's word before it could keep it.
     */
    public Mono<Void> confirm(String functionId, String key) {
        return mongo.getCollection(COLLECTION)
                .flatMap(c -> Mono.from(c.updateOne(Filters.eq("_id", functionId + "|" + key),
                        new Document("$set", new Document(QUEUED, true)))))
                .then();
    }

    /** Frees a key whose execution was never queued (its publish failed), so a retry with it runs. */
    public Mono<Void> release(String functionId, String key) {
        return mongo.getCollection(COLLECTION)
                .flatMap(c -> Mono.from(c.deleteOne(Filters.eq("_id", functionId + "|" + key))))
                .then();
    }

    static String byTime(Instant at, String id) {
        return Sortable.millis(at) + "|" + id;
    }

    /** Keys past the window: a range of {@code byTime} alone, served from its index. */
    static Document expiredBefore(Instant cutoff) {
        return new Document("byTime", new Document("$lt", Sortable.millis(cutoff)));
    }

    /** Deletes keys past the window; answers how many. */
    long sweep() {
        Long deleted = mongo.getCollection(COLLECTION)
                .flatMap(c -> Mono.from(c.deleteMany(expiredBefore(clock.instant().minus(window)))))
                .map(r -> r.getDeletedCount())
                .block(TIMEOUT);
        return deleted == null ? 0 : deleted;
    }

    @Scheduled(fixedDelayString = "${s3c.gateway.idempotency-sweep:60s}", initialDelayString = "${s3c.gateway.idempotency-sweep:60s}")
    void sweepNow() {
        try {
            long n = sweep();
            if (n > 0) {
                log.debug("Deleted {} idempotency keys past their window", n);
            }
        } catch (RuntimeException e) {
            log.debug("Sweeping idempotency keys failed; trying again later: {}", e.toString());
        }
    }

    /** The unique index expiry reads by; sparse, so documents without it cannot collide. */
    public Mono<Void> ensureIndexes() {
        return mongo.getCollection(COLLECTION)
                .flatMap(c -> Mono.from(c.createIndex(Indexes.ascending("byTime"),
                        new IndexOptions().name("byTime").unique(true).sparse(true))))
                .then();
    }
}
