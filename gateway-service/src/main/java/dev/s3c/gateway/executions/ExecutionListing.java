package dev.s3c.gateway.executions;

import static dev.s3c.contracts.ExecutionTimeline.*;

import com.mongodb.client.model.Filters;
import dev.s3c.contracts.ExecutionRecord;
import dev.s3c.gateway.api.ApiException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.bson.Document;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A function's executions, newest first, read through its timeline ({@link dev.s3c.contracts.ExecutionTimeline}):
 * blocks of places and then the executions, each by {@code _id}, so a page costs the same with ten executions stored
 * or ten million. A page ends at the limit, at the oldest kept execution, or after {@value #MAX_EXAMINED} places
 * examined (a filter that matches little); the cursor then continues where it stopped.
 */
final class ExecutionListing {

    static final int MAX_EXAMINED = 4096;
    /**
     * Blocks read at once after a first read that did not fill the page: a filter passing few, stale places, or the
     * newest places, handed out by the monitor before it pushed their entries.
     */
    private static final int BLOCKS_PER_READ = 4;

    record Page(List<ExecutionView> items, String next) {
    }

    private final ReactiveMongoTemplate mongo;

    ExecutionListing(ReactiveMongoTemplate mongo) {
        this.mongo = mongo;
    }

    /**
     * @param cursor null for the newest page
     * @throws ApiException 400 naming {@code cursor} when it is not one of this listing's, or has expired
     */
    Mono<Page> page(String functionId, Predicate<ExecutionView> filter, int limit, String cursor) {
        Long before;
        try {
            before = cursor == null ? null : before(cursor, functionId);
        } catch (IllegalArgumentException e) {
            return Mono.error(ApiException.badRequest("cursor", e.getMessage()));
        }
        // by the driver, not the template: the template would turn an id that looks like an ObjectId into one
        return mongo.getCollection(HEADS).flatMap(c -> Mono.from(c.find(Filters.eq(ID, functionId)).first()))
                .defaultIfEmpty(new Document())
                .flatMap(head -> {
                    long next = Math.max(0, number(head.get(NEXT)));
                    long floor = Math.max(0, number(head.get(FLOOR)));
                    if (before != null && before < floor) {
                        return Mono.error(ApiException.badRequest("cursor",
                                "has expired: the executions it continues with are past their retention"));
                    }
                    Walk walk = new Walk(functionId, filter, limit, floor, before == null ? next : Math.min(before, next));
                    return walk.step();
                });
    }

    /** One listing in progress: places are taken newest first from a buffer filled block by block. */
    private final class Walk {

        private final String functionId;
        private final Predicate<ExecutionView> filter;
        private final int limit;
        private final long floor;
        private final List<ExecutionView> items = new ArrayList<>();
        private final Deque<Document> buffer = new ArrayDeque<>();
        /** Places at and above it are in the buffer or done; the next block read starts below it. */
        private long unread;
        /** Places at and above it are done. */
        private long done;
        private int examined;
        /** Until the first read of blocks: that one takes only what the page spans. */
        private boolean firstRead = true;

        Walk(String functionId, Predicate<ExecutionView> filter, int limit, long floor, long before) {
            this.functionId = functionId;
            this.filter = filter;
            this.limit = limit;
            this.floor = floor;
            this.unread = before;
            this.done = before;
        }

        Mono<Page> step() {
            if (items.size() >= limit) {
                return Mono.just(new Page(items, done > floor ? cursor(functionId, done) : null));
            }
            if (buffer.isEmpty()) {
                if (unread <= floor) {
                    return Mono.just(new Page(items, null));
                }
                if (examined >= MAX_EXAMINED) {
                    return Mono.just(new Page(items, cursor(functionId, done)));
                }
                return fill().then(Mono.defer(this::step));
            }
            int wanted = limit - items.size();
            List<Document> chunk = new ArrayList<>();
            while (!buffer.isEmpty() && chunk.size() < Math.max(wanted, 16)) {
                chunk.add(buffer.poll());
            }
            examined += chunk.size();
            List<String> ids = chunk.stream().map(e -> e.getString(ENTRY_ID)).toList();
            return mongo.getCollection(ExecutionRecord.COLLECTION)
                    .flatMapMany(c -> Flux.from(c.find(Filters.in(ExecutionRecord.ID, ids))))
                    .collectMap(d -> d.getString(ExecutionRecord.ID))
                    .flatMap(found -> {
                        take(chunk, found);
                        return step();
                    });
        }

        /** Adds the chunk's executions in place order, stopping at the limit; stale and filtered places are passed. */
        private void take(List<Document> chunk, Map<String, Document> found) {
            for (int i = 0; i < chunk.size(); i++) {
                Document entry = chunk.get(i);
                long place = number(entry.get(ENTRY_SEQ));
                Document execution = found.get(entry.getString(ENTRY_ID));
                done = place;
                if (execution != null && number(execution.get(ExecutionRecord.SEQ)) == place) {
                    ExecutionView view = ExecutionView.of(execution);
                    if (filter.test(view)) {
                        items.add(view);
                        if (items.size() >= limit) {
                            // what the chunk held beyond the limit is read again by the next page
                            for (int j = chunk.size() - 1; j > i; j--) {
                                buffer.push(chunk.get(j));
                            }
                            return;
                        }
                    }
                }
            }
        }

        /**
         * Reads the next blocks below what was read, their places below {@code unread}, newest first: at first only
         * those the rest of the page would take if every place listed one (the newest page of 50 mostly reads one
         * block, not four: a block is 256 entries, decoded by the store and the driver), then a few at a time.
         */
        private Mono<Void> fill() {
            long top = blockOf(unread - 1);
            long needed = firstRead ? top - blockOf(Math.max(floor, unread - (limit - items.size()))) + 1
                    : BLOCKS_PER_READ;
            firstRead = false;
            long bottom = Math.max(blockOf(floor), top - Math.min(needed, BLOCKS_PER_READ) + 1);
            List<String> blockIds = new ArrayList<>();
            for (long b = top; b >= bottom; b--) {
                blockIds.add(blockId(functionId, b));
            }
            long below = unread;
            long lowest = bottom * BLOCK_SIZE;
            return mongo.getCollection(BLOCKS)
                    .flatMapMany(c -> Flux.from(c.find(Filters.in(ID, blockIds))))
                    .flatMapIterable(block -> block.getList(ENTRIES, Document.class, List.of()))
                    .filter(e -> {
                        long place = number(e.get(ENTRY_SEQ));
                        return place < below && place >= floor;
                    })
                    .collectList()
                    .doOnNext(entries -> {
                        entries.sort(Comparator.comparingLong((Document e) -> number(e.get(ENTRY_SEQ))).reversed());
                        buffer.addAll(entries);
                        unread = lowest;
                        if (buffer.isEmpty()) {
                            // nothing listed in these blocks (retention, or a gap): they count as done
                            done = Math.max(lowest, floor);
                        }
                    })
                    .then();
        }
    }

    /** -1 where there is none: no place is negative. */
    private static long number(Object value) {
        return value instanceof Number n ? n.longValue() : -1;
    }
}
