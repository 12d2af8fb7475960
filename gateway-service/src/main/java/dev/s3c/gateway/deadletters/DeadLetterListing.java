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
     * Reads at most this many times the page's size per page when the caller owns only some of the functions: a
     * page may then hold fewer items, with a cursor to go on from, so a small tenant's page never reads everyone's.
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
        // one function's (checked by the caller) are all owned; across functions, read more and keep the owned
        int read = functionId == null ? limit * SCAN_FACTOR : limit;
        // one more than read: whether there is a next page
        return mongo.getCollection(COLLECTION)
                .flatMapMany(c -> Flux.from(c.find(filter).sort(Sorts.descending(key)).limit(read + 1)))
                .collectList()
                .flatMap(docs -> Flux.fromIterable(docs.subList(0, Math.min(read, docs.size())))
                        .filterWhen(d -> functionId != null ? Mono.just(true) : owned.apply(d.getString(FUNCTION_ID)))
                        .take(limit)
                        .collectList()
                        .map(kept -> new Page(kept.stream().map(DeadLetterView::of).toList(),
                                next(docs, kept, limit, read, key))));
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
