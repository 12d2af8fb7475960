package dev.s3c.monitor.executions;

import static dev.s3c.contracts.ExecutionTimeline.*;

import com.mongodb.MongoCommandException;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Updates;
import dev.s3c.contracts.DeadLetterRecord;
import dev.s3c.contracts.ExecutionRecord;
import dev.s3c.contracts.ScalingEventRecord;
import dev.s3c.monitor.RetentionProperties;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Deletes executions past their retention, block by block along each function's timeline: every delete is by
 * {@code _id}, so it is as cheap on the embedded store (where TTL indexes expire nothing) as on real MongoDB. Real
 * MongoDB also gets TTL indexes with the same settings. Dead letters and scaling events past theirs go too.
 *
 * <p>A block is swept only once all its places were handed out before the previous sweep: by then every entry the
 * monitor pushed into it has landed, so no new entry can come after the block is gone. The block a function is still
 * filling is swept once the function went quiet between two sweeps, by pulling the entries of the places handed out.
 */
@Component
class ExecutionRetention implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ExecutionRetention.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final ReactiveMongoTemplate mongo;
    private final RetentionProperties retention;
    private final SeriesRegistry series;
    private final Clock clock;
    private final Counter deleted;
    /** Each function's next place as the previous sweep read it. */
    private Map<String, Long> handedOut = Map.of();
    private volatile ScheduledExecutorService scheduler;

    @Autowired
    ExecutionRetention(ReactiveMongoTemplate mongo, RetentionProperties retention, MeterRegistry meters) {
        this(mongo, retention, meters, Clock.systemUTC());
    }

    ExecutionRetention(ReactiveMongoTemplate mongo, RetentionProperties retention, MeterRegistry meters, Clock clock) {
        this.mongo = mongo;
        this.retention = retention;
        this.series = new SeriesRegistry(mongo);
        this.clock = clock;
        this.deleted = Counter.builder("s3c.monitor.retention.deleted")
                .description("executions deleted past their retention").register(meters);
    }

    /** One sweep; answers how many executions it deleted. */
    synchronized long sweep() {
        Date cutoff = Date.from(clock.instant().minus(retention.executionsFor()));
        Map<String, Long> previous = handedOut;
        Map<String, Long> now = new HashMap<>();
        long count = 0;
        for (Document head : mongo.getCollection(HEADS).flatMapMany(c -> Flux.from(c.find())).collectList()
                .block(TIMEOUT)) {
            String functionId = head.getString(ID);
            now.put(functionId, number(head.get(NEXT)));
            Long safe = previous.get(functionId);
            if (safe != null) {
                count += sweep(functionId, number(head.get(FLOOR)), safe, number(head.get(NEXT)), cutoff);
            }
        }
        handedOut = now;
        mongo.getCollection(DeadLetterRecord.COLLECTION)
                .flatMap(c -> Mono.from(c.deleteMany(deadLettersBefore(clock.instant().minus(retention.deadLettersFor())))))
                .block(TIMEOUT);
        mongo.getCollection(ScalingEventRecord.COLLECTION)
                .flatMap(c -> Mono.from(c.deleteMany(scalingEventsBefore(
                        clock.instant().minus(retention.scalingEventsFor())))))
                .block(TIMEOUT);
        deleted.increment(count);
        return count;
    }

    /**
     * The block a function is still filling, once the function went quiet (no place handed out since the previous
     * sweep) and its newest entry is past the retention: its executions go, the entries are pulled by place (an
     * entry pushed meanwhile for a later place stays), and the floor rises to the places handed out.
     */
    private long sweepQuiet(String functionId, long floor, long handedOut, Date cutoff) {
        if (floor >= handedOut) {
            return 0;
        }
        String blockId = blockId(functionId, blockOf(floor));
        Document doc = mongo.getCollection(BLOCKS).flatMap(c -> Mono.from(c.find(Filters.eq(ID, blockId)).first()))
                .block(TIMEOUT);
        long count = 0;
        if (doc != null) {
            Date newest = doc.getDate(NEWEST);
            if (newest != null && !newest.before(cutoff)) {
                return 0;
            }
            count = deleteExecutions(toDelete(doc.getList(ENTRIES, Document.class, List.of()).stream()
                    .filter(e -> number(e.get(ENTRY_SEQ)) < handedOut).toList(), cutoff));
            mongo.getCollection(BLOCKS).flatMap(c -> Mono.from(c.updateOne(Filters.eq(ID, blockId),
                    Updates.pull(ENTRIES, new Document(ENTRY_SEQ, new Document("$lt", handedOut)))))).block(TIMEOUT);
        }
        mongo.getCollection(HEADS).flatMap(c -> Mono.from(c.updateOne(Filters.eq(ID, functionId),
                Updates.max(FLOOR, handedOut)))).block(TIMEOUT);
        return count;
    }

    /**
     * The executions of these entries to delete: all but those a redrive listed again at a newer place since the
     * cutoff, which go with that place's block. Only redriven executions (the small series registry says which) are
     * read, by one {@code $in} on {@code _id} as every read here. Both marks are needed: a place beyond the block alone
     * could also be one whose entry was never pushed (a batch cut off between its two writes), which would then
     * never be swept.
     */
    private List<String> toDelete(List<Document> entries, Date cutoff) {
        Map<String, Long> places = new HashMap<>();
        entries.forEach(e -> places.merge(e.getString(ENTRY_ID), number(e.get(ENTRY_SEQ)), Math::max));
        Map<String, Integer> redriven = series.current(places.keySet()).block(TIMEOUT);
        if (redriven.isEmpty()) {
            return List.copyOf(places.keySet());
        }
        Set<String> listedLater = new HashSet<>();
        mongo.getCollection(ExecutionRecord.COLLECTION)
                .flatMapMany(c -> Flux.from(c.find(executionsByIds(redriven.keySet()))
                        .projection(new Document(ExecutionRecord.SEQ, 1).append(ExecutionRecord.REQUESTED_AT, 1))))
                .doOnNext(d -> {
                    Date requestedAt = d.getDate(ExecutionRecord.REQUESTED_AT);
                    if (number(d.get(ExecutionRecord.SEQ)) > places.get(d.getString(ExecutionRecord.ID))
                            && requestedAt != null && !requestedAt.before(cutoff)) {
                        listedLater.add(d.getString(ExecutionRecord.ID));
                    }
                })
                .then().block(TIMEOUT);
        return places.keySet().stream().filter(id -> !listedLater.contains(id)).toList();
    }

    /** Deletes the executions by {@code _id}, and their series registrations; answers how many ids there were. */
    private long deleteExecutions(List<String> ids) {
        if (!ids.isEmpty()) {
            mongo.getCollection(ExecutionRecord.COLLECTION)
                    .flatMap(c -> Mono.from(c.deleteMany(executionsByIds(ids)))).block(TIMEOUT);
            series.forget(ids).block(TIMEOUT);
        }
        return ids.size();
    }

    /** One {@code $in} on {@code _id} alone, which the embedded store answers from its index too. */
    static Bson executionsByIds(Collection<String> ids) {
        return Filters.in(ExecutionRecord.ID, ids);
    }

    /** A range of the time key alone, so both stores delete from its index instead of reading every document. */
    static Document deadLettersBefore(Instant cutoff) {
        return new Document(DeadLetterRecord.BY_TIME, new Document("$lt", DeadLetterRecord.byTimeFrom(cutoff)));
    }

    static Document scalingEventsBefore(Instant cutoff) {
        return new Document(ScalingEventRecord.ORDER, new Document("$lt", ScalingEventRecord.orderFrom(cutoff)));
    }

    private long sweep(String functionId, long floor, long handedOutBefore, long next, Date cutoff) {
        long count = 0;
        while (true) {
            long block = blockOf(floor);
            long end = (block + 1) * BLOCK_SIZE;
            if (end > handedOutBefore) {
                return count + (next == handedOutBefore ? sweepQuiet(functionId, floor, handedOutBefore, cutoff) : 0);
            }
            String blockId = blockId(functionId, block);
            Document doc = mongo.getCollection(BLOCKS).flatMap(c -> Mono.from(c.find(Filters.eq(ID, blockId)).first()))
                    .block(TIMEOUT);
            if (doc != null) {
                Date newest = doc.getDate(NEWEST);
                if (newest != null && !newest.before(cutoff)) {
                    return count;
                }
                count += deleteExecutions(toDelete(doc.getList(ENTRIES, Document.class, List.of()), cutoff));
                mongo.getCollection(BLOCKS).flatMap(c -> Mono.from(c.deleteOne(Filters.eq(ID, blockId))))
                        .block(TIMEOUT);
            }
            mongo.getCollection(HEADS).flatMap(c -> Mono.from(c.updateOne(Filters.eq(ID, functionId),
                    Updates.max(FLOOR, end)))).block(TIMEOUT);
            floor = end;
        }
    }

    /** TTL indexes for real MongoDB; the embedded store creates them and expires nothing, which the sweep covers. */
    void declareIndexes() {
        ttl(ExecutionRecord.COLLECTION, ExecutionRecord.REQUESTED_AT, retention.executionsFor());
        ttl(DeadLetterRecord.COLLECTION, DeadLetterRecord.DEAD_LETTERED_AT, retention.deadLettersFor());
        ttl(ScalingEventRecord.COLLECTION, ScalingEventRecord.TIMESTAMP, retention.scalingEventsFor());
    }

    private void ttl(String collection, String field, Duration after) {
        try {
            mongo.getCollection(collection).flatMap(c -> Mono.from(c.createIndex(Indexes.ascending(field),
                    new IndexOptions().name("retention").expireAfter(after.toSeconds(), TimeUnit.SECONDS))))
                    .block(TIMEOUT);
        } catch (MongoCommandException e) {
            // an index made with another retention: MongoDB keeps it until it is changed with collMod
            log.warn("TTL index on {}.{} not changed to {}: {}", collection, field, after, e.getErrorMessage());
        }
    }

    @Override
    public void start() {
        declareIndexes();
        ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("s3c-retention").daemon().factory());
        long every = retention.sweepInterval().toMillis();
        s.scheduleWithFixedDelay(() -> {
            try {
                long n = sweep();
                if (n > 0) {
                    log.info("Deleted {} executions past their retention of {}", n, retention.executions());
                }
            } catch (RuntimeException e) {
                log.warn("Retention sweep failed; trying again in {}", retention.sweepEvery(), e);
            }
        }, every, every, TimeUnit.MILLISECONDS);
        scheduler = s;
    }

    @Override
    public void stop() {
        ScheduledExecutorService s = scheduler;
        scheduler = null;
        if (s != null) {
            s.shutdownNow();
        }
    }

    @Override
    public boolean isRunning() {
        return scheduler != null;
    }

    private static long number(Object value) {
        return value instanceof Number n ? n.longValue() : 0;
    }
}
