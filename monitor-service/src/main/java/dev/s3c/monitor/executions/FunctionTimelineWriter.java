package dev.s3c.monitor.executions;

import static dev.s3c.contracts.ExecutionTimeline.*;

import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.WriteModel;
import dev.s3c.contracts.InvocationRequested;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bson.Document;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Appends accepted executions to their function's timeline ({@link dev.s3c.contracts.ExecutionTimeline}): one
 * {@code $inc} of the function's head per function in a batch hands out consecutive places, then, once the executions
 * are written with their places, one upsert per block pushes the entries.
 */
final class FunctionTimelineWriter {

    private static final UpdateOptions UPSERT = new UpdateOptions().upsert(true);
    private static final FindOneAndUpdateOptions INC = new FindOneAndUpdateOptions().upsert(true)
            .returnDocument(ReturnDocument.AFTER);

    private final ReactiveMongoTemplate mongo;

    FunctionTimelineWriter(ReactiveMongoTemplate mongo) {
        this.mongo = mongo;
    }

    /** Hands out the requests' places (one {@code $inc} per function); {@link #push} lists them there. */
    Mono<Map<String, Long>> reserve(List<InvocationRequested> requests) {
        if (requests.isEmpty()) {
            return Mono.just(Map.of());
        }
        Map<String, List<InvocationRequested>> byFunction = new LinkedHashMap<>();
        requests.forEach(r -> byFunction.computeIfAbsent(r.functionId(), f -> new ArrayList<>()).add(r));
        return Flux.fromIterable(byFunction.entrySet())
                .concatMap(e -> mongo.getCollection(HEADS)
                        .flatMap(c -> Mono.from(c.findOneAndUpdate(Filters.eq(ID, e.getKey()),
                                new Document("$inc", new Document(NEXT, (long) e.getValue().size())), INC)))
                        .map(head -> places(e.getValue(), ((Number) head.get(NEXT)).longValue())))
                .collect(HashMap<String, Long>::new, Map::putAll);
    }

    private static Map<String, Long> places(List<InvocationRequested> requests, long next) {
        Map<String, Long> places = new HashMap<>();
        long place = next - requests.size();
        for (InvocationRequested r : requests) {
            places.put(r.executionId(), place++);
        }
        return places;
    }

    /**
     * Pushes the entries into their blocks. Called once the executions carry their places: a reader that finds an
     * entry finds its execution.
     */
    Mono<Void> push(List<InvocationRequested> requests, Map<String, Long> places) {
        if (requests.isEmpty()) {
            return Mono.empty();
        }
        return mongo.getCollection(BLOCKS)
                .flatMap(c -> Mono.from(c.bulkWrite(blockWrites(requests, places), new BulkWriteOptions().ordered(false))))
                .then();
    }

    static List<WriteModel<Document>> blockWrites(List<InvocationRequested> requests, Map<String, Long> places) {
        Map<String, List<Document>> entries = new LinkedHashMap<>();
        Map<String, Date> newest = new HashMap<>();
        Map<String, String> functions = new HashMap<>();
        for (InvocationRequested r : requests) {
            long place = places.get(r.executionId());
            String block = blockId(r.functionId(), blockOf(place));
            Date at = Date.from(r.requestedAt());
            entries.computeIfAbsent(block, b -> new ArrayList<>())
                    .add(new Document(ENTRY_SEQ, place).append(ENTRY_ID, r.executionId()).append(ENTRY_AT, at));
            newest.merge(block, at, (a, b) -> a.after(b) ? a : b);
            functions.put(block, r.functionId());
        }
        List<WriteModel<Document>> writes = new ArrayList<>();
        entries.forEach((block, list) -> writes.add(new UpdateOneModel<>(Filters.eq(ID, block),
                new Document("$push", new Document(ENTRIES, new Document("$each", list)))
                        .append("$max", new Document(NEWEST, newest.get(block)))
                        .append("$setOnInsert", new Document(FUNCTION_ID, functions.get(block))),
                UPSERT)));
        return writes;
    }
}
