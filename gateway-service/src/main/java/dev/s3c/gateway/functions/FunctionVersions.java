package dev.s3c.gateway.functions;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.s3c.contracts.CodeStyle;
import dev.s3c.contracts.FunctionStatus;
import dev.s3c.gateway.GatewayProperties;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.mapping.Document;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The versions a function had before its current one, in {@value #COLLECTION} (written and read only here): each
 * update keeps the version it replaces, so a bad deploy can be looked at and undone, as Lambda keeps published
 * versions. The current version lives only in {@code functions}; a function keeps its last {@link #kept()} versions
 * in all, the current one included.
 *
 * <p>Versions are read and removed by their ids ({@code <functionId>:<version>}), which every store serves from its
 * {@code _id} index (the embedded one uses no other): a listing, a prune and a deleted function's removal name the
 * ids of the versions they may find.
 */
@Component
class FunctionVersions {

    static final String COLLECTION = "function_versions";
    /**
     * How far below the versions kept a prune looks, and twice that below a deleted function's version its removal:
     * versions left there by a lowered setting, a failed prune, or an update that kept a version just pruned and then
     * lost its race go with a later prune or the function (further down they stay, unlisted).
     */
    private static final int SWEPT = GatewayProperties.MAX_FUNCTION_VERSIONS;
    private static final Logger log = LoggerFactory.getLogger(FunctionVersions.class);

    private final ReactiveMongoTemplate mongo;
    private final int kept;

    @Autowired
    FunctionVersions(ReactiveMongoTemplate mongo, GatewayProperties properties) {
        this(mongo, properties.functionVersions());
    }

    FunctionVersions(ReactiveMongoTemplate mongo, int kept) {
        this.mongo = mongo;
        this.kept = kept;
    }

    /** A version as stored: the function as it was, whole. */
    @Document(COLLECTION)
    record Stored(@Id String id, String functionId, String tenant, long version, String name, String description,
            String code, CodeStyle style, FunctionConfig config, FunctionStatus status, int codeBytes,
            Instant savedAt, String note) {

        static Stored of(FunctionDocument f) {
            return new Stored(key(f.id(), f.version()), f.id(), f.tenant(), f.version(), f.name(), f.description(),
                    f.code(), f.style(), f.config(), f.status(), f.code() == null ? 0
                            : f.code().getBytes(StandardCharsets.UTF_8).length, f.updatedAt(), f.note());
        }
    }

    /**
     * A version as the API shows it.
     *
     * @param code its code (left out of listings)
     * @param codeBytes the size of its code in UTF-8
     * @param savedAt when it was saved (it was the function's {@code updatedAt} then)
     * @param current whether it is the function's current version
     * @param note what it changed, as its author said (a restore says which version it brought back)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Version(long version, String name, String description, String code, CodeStyle style, FunctionConfig config,
            FunctionStatus status, int codeBytes, Instant savedAt, boolean current, String note) {

        static Version of(Stored s, boolean withCode, boolean current) {
            return new Version(s.version(), s.name(), s.description(), withCode ? s.code() : null, s.style(),
                    s.config(), s.status(), s.codeBytes(), s.savedAt(), current, s.note());
        }
    }

    /** How many versions of each function are kept, the current one included. */
    int kept() {
        return kept;
    }

    static String key(String functionId, long version) {
        return functionId + ":" + version;
    }

    /** The oldest version of a function at {@code current} that is still kept. */
    long oldestKept(long current) {
        return Math.max(1, current - kept + 1);
    }

    /**
     * Keeps the function's version that an update is about to replace. Written before the replacement, so no
     * version is ever replaced without being kept; the same content whoever writes it (a version never changes), so
     * two updates racing, or an update that then fails, write nothing wrong. Not kept at all when only one version is.
     */
    Mono<Void> keep(FunctionDocument replaced) {
        // two writers of the same version may both try to insert it; the content is the same
        return kept < 2 ? Mono.empty() : mongo.save(Stored.of(replaced))
                .onErrorResume(org.springframework.dao.DuplicateKeyException.class, e -> Mono.empty()).then();
    }

    /**
     * After an update to {@code saved}: the version that no longer fits goes, with any left below it. A failure is
     * logged and leaves them stored, unlisted, for the next prune.
     */
    Mono<Void> prune(FunctionDocument saved) {
        long gone = saved.version() - kept;
        if (gone < 1) {
            return Mono.empty();
        }
        return mongo.remove(byIds(keys(saved.id(), Math.max(1, gone - SWEPT), gone)), Stored.class)
                .doOnError(e -> log.warn("Versions up to {} of function {} could not be removed: {}", gone,
                        saved.id(), e.toString()))
                .onErrorResume(e -> Mono.empty()).then();
    }

    /** The ids of the function's versions {@code from} to {@code to}, both included. */
    private static List<String> keys(String functionId, long from, long to) {
        List<String> ids = new ArrayList<>();
        for (long v = from; v <= to; v++) {
            ids.add(key(functionId, v));
        }
        return ids;
    }

    /** The function's versions, newest first, without their code: the current one and those kept before it. */
    Flux<Version> list(FunctionDocument current) {
        List<String> ids = keys(current.id(), oldestKept(current.version()), current.version() - 1);
        Query query = byIds(ids);
        query.fields().exclude("code");
        Flux<Version> earlier = ids.isEmpty() ? Flux.empty() : mongo.find(query, Stored.class)
                .filter(s -> s.functionId().equals(current.id()))
                .map(s -> Version.of(s, false, false))
                .collectSortedList(Comparator.comparingLong(Version::version).reversed())
                .flatMapIterable(list -> list);
        return Flux.concat(Mono.just(Version.of(Stored.of(current), false, true)), earlier);
    }

    /** One version of the function, with its code; empty when it never was or is no longer kept. */
    Mono<Version> find(FunctionDocument current, long version) {
        if (version == current.version()) {
            return Mono.just(Version.of(Stored.of(current), true, true));
        }
        if (version > current.version() || version < oldestKept(current.version())) {
            return Mono.empty();
        }
        return mongo.findOne(byIds(List.of(key(current.id(), version))), Stored.class)
                .filter(s -> s.functionId().equals(current.id()))
                .map(s -> Version.of(s, true, false));
    }

    /**
     * The versions of a function just deleted at {@code version} go with it.
     *
     * @return whether they went (a failure is logged: the delete's outbox entry stays, for the reconciliation)
     */
    Mono<Boolean> removeAll(String functionId, long version) {
        return removeAll(functionId, byIds(keys(functionId, Math.max(1, version - 2L * SWEPT), version)));
    }

    /**
     * The versions of a function deleted by a gateway that did not say at which version (an outbox entry written
     * before versions were kept): found by their function's id, which scans the collection on the embedded store;
     * only the reconciliation of such an entry comes here.
     */
    Mono<Boolean> removeAll(String functionId) {
        return removeAll(functionId, Query.query(Criteria.where("functionId").is(functionId)));
    }

    private Mono<Boolean> removeAll(String functionId, Query versions) {
        return mongo.remove(versions, Stored.class)
                .thenReturn(true)
                .onErrorResume(e -> {
                    log.warn("The versions of deleted function {} could not be removed yet: {}", functionId,
                            e.toString());
                    return Mono.just(false);
                });
    }

    /**
     * Versions by their ids: a query of {@code _id} alone, which the embedded store serves from its index (named by
     * the property, {@code id}: Spring Data maps {@code _id} too, but through an exception built and caught).
     */
    static Query byIds(List<String> ids) {
        return Query.query(Criteria.where("id").in(ids));
    }
}
