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
     * @param functionId null for all dead letters
     * @param cursor null for the newest page
     * @throws ApiException 400 naming {@code cursor} when it is not one of this listing's
     */
    Mono<Page> page(String functionId, int limit, String cursor) {
        String below;
        try {
            below = cursor == null ? null : DeadLetterRecord.below(cursor, functionId);
        } catch (IllegalArgumentException e) {
            return Mono.error(ApiException.badRequest("cursor", cursor.isBlank() ? "must not be empty" : e.getMessage()));
        }
        Document filter = filter(functionId, below);
        String key = functionId == null ? BY_TIME : BY_FUNCTION;
        // one more than asked: whether there is a next page
        return mongo.getCollection(COLLECTION)
                .flatMapMany(c -> Flux.from(c.find(filter).sort(Sorts.descending(key)).limit(limit + 1)))
                .collectList()
                .map(docs -> new Page(docs.stream().limit(limit).map(DeadLetterView::of).toList(),
                        docs.size() > limit ? DeadLetterRecord.cursor(docs.get(limit - 1).getString(key)) : null));
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
