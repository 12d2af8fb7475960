package dev.s3c.gateway.executions;

import dev.s3c.contracts.ExecutionRecord;
import dev.s3c.contracts.ExecutionStatus;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.api.JsonBodies;
import dev.s3c.gateway.invoke.RecentlyAccepted;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.bson.Document;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** Reads executions, which the monitor stores. */
@RestController
class ExecutionController {

    static final int MAX_LIMIT = 1000;

    private final ReactiveMongoTemplate mongo;
    private final RecentlyAccepted recent;

    ExecutionController(ReactiveMongoTemplate mongo, RecentlyAccepted recent) {
        this.mongo = mongo;
        this.recent = recent;
    }

    @GetMapping("/api/executions/{id}")
    Mono<ExecutionView> get(@PathVariable String id) {
        JsonBodies.executionId(id);
        return mongo.findById(id, Document.class, ExecutionRecord.COLLECTION)
                .map(ExecutionView::of)
                .switchIfEmpty(Mono.defer(() -> Mono.justOrEmpty(recent.find(id).map(ExecutionView::queued))))
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("execution " + id)));
    }

    /** The function's executions, newest first. */
    @GetMapping("/api/functions/{id}/logs")
    Mono<List<ExecutionView>> logs(@PathVariable String id, @RequestParam(required = false) String status,
            @RequestParam(defaultValue = "50") String limit) {
        JsonBodies.functionId(id);
        int max = JsonBodies.boundedInt("limit", limit, 1, MAX_LIMIT);
        Criteria criteria = Criteria.where(ExecutionRecord.FUNCTION_ID).is(id);
        if (status != null && !status.isBlank()) {
            ExecutionStatus wanted = ExecutionStatus.fromWire(status.strip()).orElseThrow(() -> ApiException.badRequest(
                    "status", "must be one of " + Arrays.stream(ExecutionStatus.values()).map(ExecutionStatus::wire)
                            .collect(Collectors.joining(", "))));
            // "running" is stored as queued with a start time (see ExecutionView)
            criteria = switch (wanted) {
                case RUNNING -> criteria.and(ExecutionRecord.STATUS).is(ExecutionStatus.QUEUED.wire())
                        .and(ExecutionRecord.STARTED_AT).ne(null);
                case QUEUED -> criteria.and(ExecutionRecord.STATUS).is(ExecutionStatus.QUEUED.wire())
                        .and(ExecutionRecord.STARTED_AT).is(null);
                default -> criteria.and(ExecutionRecord.STATUS).is(wanted.wire());
            };
        }
        Query query = Query.query(criteria).with(Sort.by(Sort.Direction.DESC, ExecutionRecord.REQUESTED_AT)).limit(max);
        return mongo.find(query, Document.class, ExecutionRecord.COLLECTION).map(ExecutionView::of).collectList();
    }

}
