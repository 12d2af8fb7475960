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
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.index.Index;
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
 * {@code _id} index (the embedded one uses no other); only a deleted function's versions are found by
 * {@code functionId}, rarely.
 */
@Component
public class FunctionVersions {

    static final String COLLECTION = "function_versions";
    static final String FUNCTION_ID = "functionId";
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
            Instant savedAt) {

        static Stored of(FunctionDocument f) {
            return new Stored(key(f.id(), f.version()), f.id(), f.tenant(), f.version(), f.name(), f.description(),
                    f.code(), f.style(), f.config(), f.status(), f.code() == null ? 0
                            : f.code().getBytes(StandardCharsets.UTF_8).length, f.updatedAt());
        }
    }

    /**
     * A version as the API shows it.
     *
     * @param code its code (left out of listings)
     * @param codeBytes the size of its code in UTF-8
     * @param savedAt when it was saved (it was the function's {@code updatedAt} then)
     * @param current whether it is the function's current version
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Version(long version, String name, String description, String code, CodeStyle style, FunctionConfig config,
            FunctionStatus status, int codeBytes, Instant savedAt, boolean current) {

        static Version of(Stored s, boolean withCode) {
            return new Version(s.version(), s.name(), s.description(), withCode ? s.code() : null, s.style(),
                    s.config(), s.status(), s.codeBytes(), s.savedAt(), false);
        }

        static Version current(FunctionDocument f, boolean withCode) {
            Stored s = Stored.of(f);
            return new Version(s.version(), s.name(), s.description(), withCode ? s.code() : null, s.style(),
                    s.config(), s.status(), s.codeBytes(), s.savedAt(), true);
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

    /** A deleted function's versions are found by its id. */
    Mono<Void> ensureIndexes() {
        return mongo.indexOps(COLLECTION).createIndex(new Index().on(FUNCTION_ID, Sort.Direction.ASC)
                .named("function_id")).then();
    }

    /**
     * Keeps the function's version that an update is about to replace. Written before the replacement, so no
     * version is ever replaced without being kept; the same content whoever writes it (a version never changes), so
     * two updates racing, or an update that then fails, write nothing wrong. Not kept at all when only one version is.
     */
    Mono<Void> keep(FunctionDocument replaced) {
        return kept < 2 ? Mono.empty() : mongo.save(Stored.of(replaced)).then();
    }

    /** After an update to {@code saved}: the version that no longer fits goes (a failure only leaves it unlisted). */
    Mono<Void> prune(FunctionDocument saved) {
        long gone = saved.version() - kept;
        if (kept < 2 || gone < 1) {
            return Mono.empty();
        }
        return mongo.remove(byIds(List.of(key(saved.id(), gone))), COLLECTION)
                .doOnError(e -> log.warn("Version {} of function {} could not be removed: {}", gone, saved.id(),
                        e.toString()))
                .onErrorResume(e -> Mono.empty()).then();
    }

    /** The function's versions, newest first, without their code: the current one and those kept before it. */
    Flux<Version> list(FunctionDocument current) {
        List<String> ids = new ArrayList<>();
        for (long v = current.version() - 1; v >= oldestKept(current.version()); v--) {
            ids.add(key(current.id(), v));
        }
        Query query = byIds(ids);
        query.fields().exclude("code");
        Flux<Version> earlier = ids.isEmpty() ? Flux.empty() : mongo.find(query, Stored.class)
                .filter(s -> s.functionId().equals(current.id()))
                .map(s -> Version.of(s, false))
                .collectSortedList(Comparator.comparingLong(Version::version).reversed())
                .flatMapIterable(list -> list);
        return Flux.concat(Mono.just(Version.current(current, false)), earlier);
    }

    /** One version of the function, with its code; empty when it never was or is no longer kept. */
    Mono<Version> find(FunctionDocument current, long version) {
        if (version == current.version()) {
            return Mono.just(Version.current(current, true));
        }
        if (version > current.version() || version < oldestKept(current.version())) {
            return Mono.empty();
        }
        return mongo.findOne(byIds(List.of(key(current.id(), version))), Stored.class)
                .filter(s -> s.functionId().equals(current.id()))
                .map(s -> Version.of(s, true));
    }

    /** The versions of a function just deleted go with it. */
    Mono<Void> removeAll(String functionId) {
        return mongo.remove(Query.query(Criteria.where(FUNCTION_ID).is(functionId)), COLLECTION)
                .doOnError(e -> log.warn("The versions of deleted function {} could not be removed: {}", functionId,
                        e.toString()))
                .onErrorResume(e -> Mono.empty()).then();
    }

    /** Versions by their ids: a query of {@code _id} alone, which the embedded store serves from its index. */
    static Query byIds(List<String> ids) {
        return Query.query(Criteria.where("_id").in(ids));
    }
}
