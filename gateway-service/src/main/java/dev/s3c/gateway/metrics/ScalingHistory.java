package dev.s3c.gateway.metrics;

import static dev.s3c.contracts.ScalingEventRecord.*;

import com.mongodb.client.model.Sorts;
import dev.s3c.gateway.functions.FunctionService;
import dev.s3c.gateway.tenants.Caller;
import java.time.Instant;
import java.util.List;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Reads the scaler's decisions as the monitor stores them ({@code ScalingEventRecord} defines the shape). The pool
 * is shared, so every tenant sees every decision; of the backlog per function, only its own functions'.
 */
@Component
public class ScalingHistory {

    private final ReactiveMongoTemplate mongo;
    private final FunctionService functions;

    ScalingHistory(ReactiveMongoTemplate mongo, FunctionService functions) {
        this.mongo = mongo;
        this.functions = functions;
    }

    /** The newest decisions, newest first. */
    Mono<List<ScalingEventView>> newest(int limit, Caller caller) {
        return read(newestFilter(), Sorts.descending(ORDER), limit).flatMap(views -> scoped(views, caller));
    }

    /** Decisions taken from {@code from} on (to {@code to} when given), oldest first, at most {@code limit}. */
    public Mono<List<ScalingEventView>> between(Instant from, Instant to, int limit, Caller caller) {
        return read(betweenFilter(from, to), Sorts.ascending(ORDER), limit).flatMap(views -> scoped(views, caller));
    }

    private Mono<List<ScalingEventView>> scoped(List<ScalingEventView> views, Caller caller) {
        return Flux.fromIterable(views).concatMap(view -> Flux.fromIterable(view.backlogByFunction())
                        .filterWhen(entry -> entry instanceof java.util.Map<?, ?> pair
                                && pair.get("functionId") instanceof String id ? functions.owns(caller, id)
                                : Mono.just(false))
                        .collectList()
                        .map(view::withBacklogByFunction))
                .collectList();
    }

    /** Ranges of {@code ORDER} alone: real MongoDB and the local run's store both serve them from its index. */
    static Document newestFilter() {
        return new Document(ORDER, new Document("$gt", ""));
    }

    static Document betweenFilter(Instant from, Instant to) {
        Document range = new Document("$gte", orderFrom(from));
        if (to != null) {
            range.append("$lt", orderThrough(to));
        }
        return new Document(ORDER, range);
    }

    private Mono<List<ScalingEventView>> read(Document filter, Bson sort, int limit) {
        return mongo.getCollection(COLLECTION)
                .flatMapMany(c -> Flux.from(c.find(filter).sort(sort).limit(limit)))
                .map(ScalingEventView::of).collectList();
    }
}
