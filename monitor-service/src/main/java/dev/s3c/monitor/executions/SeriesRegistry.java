package dev.s3c.monitor.executions;

import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.WriteModel;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@code execution_series}: the newest attempt series of each execution that was ever redriven, kept by the monitor
 * for itself. Few executions are redriven, so reading it for a whole batch is one cheap {@code $in} by id, where
 * filtering every execution write by its series would make the embedded store scan the collection.
 */
final class SeriesRegistry {

    static final String COLLECTION = "execution_series";
    static final String SERIES = "series";

    private static final UpdateOptions UPSERT = new UpdateOptions().upsert(true);

    private final ReactiveMongoTemplate mongo;

    SeriesRegistry(ReactiveMongoTemplate mongo) {
        this.mongo = mongo;
    }

    /** The stored series of those executions that have one above 0. */
    Mono<Map<String, Integer>> current(Collection<String> executionIds) {
        if (executionIds.isEmpty()) {
            return Mono.just(Map.of());
        }
        return mongo.getCollection(COLLECTION)
                .flatMapMany(c -> Flux.from(c.find(byIds(executionIds))))
                .collect(HashMap::new, (map, d) -> map.put(d.getString("_id"), d.getInteger(SERIES, 0)));
    }

    Mono<Void> advance(Map<String, Integer> reached) {
        if (reached.isEmpty()) {
            return Mono.empty();
        }
        return mongo.getCollection(COLLECTION)
                .flatMap(c -> Mono.from(c.bulkWrite(writes(reached), new BulkWriteOptions().ordered(false))))
                .then();
    }

    static List<WriteModel<Document>> writes(Map<String, Integer> reached) {
        return reached.entrySet().stream()
                .<WriteModel<Document>>map(e -> new UpdateOneModel<>(Filters.eq("_id", e.getKey()),
                        new Document("$max", new Document(SERIES, e.getValue())), UPSERT))
                .toList();
    }

    Mono<Void> forget(Collection<String> executionIds) {
        return mongo.getCollection(COLLECTION).flatMap(c -> Mono.from(c.deleteMany(byIds(executionIds)))).then();
    }

    static Bson byIds(Collection<String> executionIds) {
        return Filters.in("_id", executionIds);
    }
}
