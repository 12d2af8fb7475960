package dev.s3c.gateway.metrics;

import static dev.s3c.contracts.ScalingEventRecord.*;

import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bson.Document;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/** Reads the scaler's decisions as the monitor stores them ({@code ScalingEventRecord} defines the shape). */
@Component
public class ScalingHistory {

    private final ReactiveMongoTemplate mongo;

    ScalingHistory(ReactiveMongoTemplate mongo) {
        this.mongo = mongo;
    }

    /** The newest decisions, newest first. */
    Mono<List<ScalingEventView>> newest(int limit) {
        Query query = new Query().with(Sort.by(Sort.Direction.DESC, TIMESTAMP)).limit(limit);
        return mongo.find(query, Document.class, COLLECTION).map(ScalingEventView::of).collectList();
    }

    /** Decisions taken from {@code from} on (to {@code to} when given), oldest first, at most {@code limit}. */
    public Mono<List<ScalingEventView>> between(Instant from, Instant to, int limit) {
        Criteria at = Criteria.where(TIMESTAMP).gte(Date.from(from));
        if (to != null) {
            at = at.lte(Date.from(to));
        }
        Query query = new Query(at).with(Sort.by(Sort.Direction.ASC, TIMESTAMP)).limit(limit);
        return mongo.find(query, Document.class, COLLECTION).map(ScalingEventView::of).collectList();
    }
}
