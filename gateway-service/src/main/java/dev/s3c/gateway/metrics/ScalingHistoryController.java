package dev.s3c.gateway.metrics;

import static dev.s3c.contracts.ScalingEventRecord.*;

import dev.s3c.gateway.api.JsonBodies;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bson.Document;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** The scaler's decisions, which the monitor stores, newest first (the original product's route). */
@RestController
class ScalingHistoryController {

    static final int MAX_LIMIT = 1000;

    /** One decision as the API shows it. */
    record ScalingEventView(String id, String action, int fromInstances, int toInstances, String reason,
            Instant timestamp, long lag, List<?> lagByPartition, double arrivalRate, double completionRate,
            List<?> backlogByFunction, int reportedInstances, List<?> processes) {

        static ScalingEventView of(Document d) {
            Date at = d.getDate(TIMESTAMP);
            return new ScalingEventView(d.getString(ID), d.getString(ACTION), number(d, FROM_INSTANCES),
                    number(d, TO_INSTANCES), d.getString(REASON), at == null ? null : at.toInstant(),
                    ((Number) d.getOrDefault(LAG, 0L)).longValue(), pairs(d, LAG_BY_PARTITION),
                    ((Number) d.getOrDefault(ARRIVAL_RATE, 0.0)).doubleValue(),
                    ((Number) d.getOrDefault(COMPLETION_RATE, 0.0)).doubleValue(), pairs(d, BACKLOG_BY_FUNCTION),
                    number(d, REPORTED_INSTANCES), d.getList(PROCESSES, String.class, List.of()));
        }

        private static int number(Document d, String field) {
            return ((Number) d.getOrDefault(field, 0)).intValue();
        }

        private static List<Map<String, Object>> pairs(Document d, String field) {
            return d.getList(field, Document.class, List.of()).stream()
                    .map(p -> (Map<String, Object>) new java.util.LinkedHashMap<String, Object>(p)).toList();
        }
    }

    private final ReactiveMongoTemplate mongo;

    ScalingHistoryController(ReactiveMongoTemplate mongo) {
        this.mongo = mongo;
    }

    @GetMapping("/api/metrics/scaling/history")
    Mono<List<ScalingEventView>> history(@RequestParam(defaultValue = "50") String limit) {
        int max = JsonBodies.boundedInt("limit", limit, 1, MAX_LIMIT);
        Query query = new Query().with(Sort.by(Sort.Direction.DESC, TIMESTAMP)).limit(max);
        return mongo.find(query, Document.class, COLLECTION).map(ScalingEventView::of).collectList();
    }
}
