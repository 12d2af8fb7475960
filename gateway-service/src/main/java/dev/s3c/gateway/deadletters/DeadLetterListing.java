package dev.s3c.gateway.deadletters;

import static dev.s3c.contracts.DeadLetterRecord.*;

import com.mongodb.client.model.Sorts;
import dev.s3c.contracts.DeadLetterRecord;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.deadletters.DeadLetterController.DeadLetterView;
import java.util.List;
import org.bson.Document;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Dead letters newest first, of one function ({@link DeadLetterRecord#BY_FUNCTION}) or all ({@link
 * DeadLetterRecord#BY_TIME}), a page at a time below a cursor: one range query on one indexed key, so a page reads
 * its own documents and no others, on real MongoDB and on the local run's store.
 */
final class DeadLetterListing {

    record Page(List<DeadLetterView> items, String next) {
    }

    private final ReactiveMongoTemplate mongo;

    DeadLetterListing(ReactiveMongoTemplate mongo) {
        this.mongo = mongo;
    }

    /**
     * Across functions, a page looks at up to this many times its size (their function and place only) for the
     * caller's: a page may then hold fewer items, even none, with a cursor to go on from while there is more, so a
     * small tenant's page never reads everyone's.
     */
    static final int SCAN_FACTOR = 5;

    /**
     * @param functionId null for all dead letters
     * @param cursor null for the newest page
     * @param owned whether a function is the caller's; only its dead letters are listed
     * @throws ApiException 400 naming {@code cursor} when it is not one of this listing's
     */
    Mono<Page> page(String functionId, int limit, String cursor,
            java.util.function.Function<String, Mono<Boolean>> owned) {
        String below;
        try {
            below = cursor == null ? null : DeadLetterRecord.below(cursor, functionId);
        } catch (IllegalArgumentException e) {
            return Mono.error(ApiException.badRequest("cursor", cursor.isBlank() ? "must not be empty" : e.getMessage()));
        }
        Document filter = filter(functionId, below);
        String key = functionId == null ? BY_TIME : BY_FUNCTION;
        if (functionId != null) {
            // one function's (the caller checked it is theirs): the page itself, one more to tell if there is a next
            return mongo.getCollection(COLLECTION)
                    .flatMapMany(c -> Flux.from(c.find(filter).sort(Sorts.descending(key)).limit(limit + 1)))
                    .collectList()
                    .map(docs -> new Page(docs.stream().limit(limit).map(DeadLetterView::of).toList(),
                            docs.size() > limit ? DeadLetterRecord.cursor(docs.get(limit - 1).getString(key)) : null));
        }
        // across functions: read more, but only each one's function and place, keep the caller's, then read those
        int read = limit * SCAN_FACTOR;
        Document heads = new Document(FUNCTION_ID, 1).append(key, 1);
        return mongo.getCollection(COLLECTION)
                .flatMapMany(c -> Flux.from(c.find(filter).projection(heads).sort(Sorts.descending(key))
                        .limit(read + 1)))
                .collectList()
                .flatMap(docs -> Flux.fromIterable(docs.subList(0, Math.min(read, docs.size())))
                        .filterWhen(d -> owned.apply(d.getString(FUNCTION_ID)))
                        .take(limit)
                        .collectList()
                        .flatMap(kept -> Flux.fromIterable(kept)
                                // each by its id (the index every store uses); one gone meanwhile is left out
                                .flatMapSequential(d -> mongo.getCollection(COLLECTION).flatMap(c ->
                                        Mono.from(c.find(new Document(ID, d.get(ID))).first())), 16)
                                .map(DeadLetterView::of)
                                .collectList()
                                .map(items -> new Page(items, next(docs, kept, limit, read, key)))));
    }

    /**
     * Below the last item of a full page, when more were read after it; else below the last document read, when
     * there are more to read.
     */
    private static String next(List<Document> read, List<Document> kept, int limit, int readLimit, String key) {
        if (kept.size() == limit && read.indexOf(kept.getLast()) < read.size() - 1) {
            return DeadLetterRecord.cursor(kept.getLast().getString(key));
        }
        return read.size() > readLimit ? DeadLetterRecord.cursor(read.get(readLimit - 1).getString(key)) : null;
    }

    /** A range of one listing key alone, below the cursor's key (anything else would be read by a scan). */
    static Document filter(String functionId, String below) {
        if (functionId == null) {
            return new Document(BY_TIME, new Document("$lt", below == null ? "~" : below));
        }
        return new Document(BY_FUNCTION, new Document("$gt", functionLow(functionId))
                .append("$lt", below == null ? functionHigh(functionId) : below));
    }
}
