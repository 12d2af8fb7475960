package dev.s3c.monitor.executions;

import static dev.s3c.contracts.ExecutionRecord.*;

import com.mongodb.client.model.Filters;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.WriteModel;
import dev.s3c.contracts.AttemptRecord;
import dev.s3c.contracts.ExecutionError;
import dev.s3c.contracts.ExecutionStatus;
import dev.s3c.contracts.InvocationCompleted;
import dev.s3c.contracts.InvocationRequested;
import dev.s3c.contracts.InvocationStarted;
import dev.s3c.contracts.JsonCodec;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * The upserts that fold requests and results into one execution document per execution id. They commute: a request
 * never overwrites a final status, so it does not matter which of the two topics is read first, nor how often.
 * Every filter is exactly {@code {_id: id}}: the one shape the embedded MongoDB-wire server serves from its index
 * (any other top-level key, or an {@code $and}, makes it scan the whole collection under its lock). Which attempt
 * series may write is decided before, by {@link ExecutionRecorder} from the series registry.
 */
final class ExecutionUpserts {

    private static final UpdateOptions UPSERT = new UpdateOptions().upsert(true);

    private ExecutionUpserts() {
    }

    /**
     * @param seq the request's place in its function's timeline (see {@link FunctionTimelineWriter}), when it was
     *        listed in this batch; null keeps the place the execution has
     */
    static WriteModel<Document> requested(InvocationRequested r, Long seq) {
        if (r.series() > 0) {
            // a redrive starts a new series on the stored execution: back to queued, the old outcome cleared (an
            // upsert: its first request may be in the same batch, folded into this write)
            Document set = requestSet(r).append(STATUS, ExecutionStatus.QUEUED.wire()).append(SERIES, r.series())
                    .append(ATTEMPTS, 0).append(UPDATED_AT, new Date());
            Document unset = new Document();
            for (String field : List.of(OUTPUT, ERROR, LOGS, DURATION_MS, INSTANCE_ID, COLD_START, STARTED_AT,
                    FINISHED_AT, HISTORY)) {
                unset.append(field, "");
            }
            return new UpdateOneModel<>(byId(r.executionId()), withPlace(new Document("$set", set).append("$unset", unset)
                    .append("$setOnInsert", new Document(FUNCTION_ID, r.functionId())
                            .append(FUNCTION_VERSION, r.functionVersion())), seq), UPSERT);
        }
        return upsert(r.executionId(), requestSet(r), requestSetOnInsert(r), seq);
    }

    /**
     * A redrive's request read after its series already reached the store (its result came first, or the batch is
     * replayed): the outcome stays, the input, request time and place are the redrive's.
     */
    static WriteModel<Document> redriveSeen(InvocationRequested r, Long seq) {
        return upsert(r.executionId(), requestSet(r), new Document(FUNCTION_ID, r.functionId())
                .append(FUNCTION_VERSION, r.functionVersion()), seq);
    }

    static WriteModel<Document> completed(InvocationCompleted r) {
        return upsert(r.executionId(), resultSet(r), new Document(REQUESTED_AT, date(r.requestedAt())), null);
    }

    /** The one filter shape of every write: see the class comment. */
    static Bson byId(String executionId) {
        return Filters.eq(ID, executionId);
    }

    static Document attempt(AttemptRecord a) {
        return new Document("attempt", a.attempt())
                .append(INSTANCE_ID, a.instanceId())
                .append(STARTED_AT, date(a.startedAt()))
                .append(DURATION_MS, a.durationMs())
                .append(STATUS, a.status() == null ? null : a.status().wire())
                .append(ERROR, error(a.error()));
    }

    /**
     * A still-running execution: when and where it started. Status stays as it is ("queued" when new); readers show
     * a queued execution that has started as running, so this never races with a final status.
     */
    static WriteModel<Document> started(InvocationStarted r) {
        // not filtered by series: a notice only ever sets when and where, on whatever series is current
        return upsert(r.executionId(), new Document(STARTED_AT, date(r.startedAt())).append(INSTANCE_ID, r.instanceId()),
                new Document(STATUS, ExecutionStatus.QUEUED.wire())
                        .append(FUNCTION_ID, r.functionId())
                        .append(FUNCTION_VERSION, r.functionVersion())
                        .append(ATTEMPTS, 0)
                        .append(UPDATED_AT, new Date()), null);
    }

    /** Request and result of one execution seen in the same batch: one write instead of two (first series only). */
    static WriteModel<Document> both(InvocationRequested request, InvocationCompleted result, Long seq) {
        Document set = requestSet(request);
        set.putAll(resultSet(result));
        return upsert(result.executionId(), set, null, seq);
    }

    private static Document requestSet(InvocationRequested r) {
        return new Document(INPUT, JsonCodec.toJson(r.input())).append(REQUESTED_AT, date(r.requestedAt()));
    }

    /**
     * Points the execution at its place in the timeline, unless it already points at a newer one. Places only grow,
     * and each write of one is followed by the push of its entry; so the newest listing wins (an entry a replayed
     * batch left behind no longer matches and is not shown), also when an earlier attempt's write lands after its
     * retry's (a write that timed out on the client but was still queued on the server), which a plain {@code $set}
     * would point at a place whose entry the failed attempt never pushed: stored, but never listed.
     */
    private static Document withPlace(Document update, Long seq) {
        if (seq != null) {
            update.append("$max", new Document(SEQ, seq));
        }
        return update;
    }

    // a request never overwrites what a result already set
    private static Document requestSetOnInsert(InvocationRequested r) {
        return new Document(STATUS, ExecutionStatus.QUEUED.wire())
                .append(FUNCTION_ID, r.functionId())
                .append(FUNCTION_VERSION, r.functionVersion())
                .append(ATTEMPTS, 0)
                .append(UPDATED_AT, new Date());
    }

    private static Document resultSet(InvocationCompleted r) {
        return new Document(STATUS, r.status().wire())
                .append(FUNCTION_ID, r.functionId())
                .append(FUNCTION_VERSION, r.functionVersion())
                .append(OUTPUT, r.status() == ExecutionStatus.SUCCEEDED ? JsonCodec.toJson(r.output()) : null)
                .append(ERROR, error(r.error()))
                .append(LOGS, r.logs())
                .append(DURATION_MS, r.durationMs())
                .append(ATTEMPTS, r.attempt())
                .append(INSTANCE_ID, r.instanceId())
                .append(COLD_START, r.coldStart())
                .append(STARTED_AT, date(r.startedAt()))
                .append(FINISHED_AT, date(r.finishedAt()))
                .append(HISTORY, r.history().stream().map(ExecutionUpserts::attempt).toList())
                .append(SERIES, r.series())
                .append(UPDATED_AT, new Date());
    }

    private static WriteModel<Document> upsert(String id, Document set, Document setOnInsert, Long seq) {
        Document update = new Document("$set", set);
        if (setOnInsert != null) {
            update.append("$setOnInsert", setOnInsert);
        }
        return new UpdateOneModel<>(byId(id), withPlace(update, seq), UPSERT);
    }

    static Document error(ExecutionError e) {
        if (e == null) {
            return null;
        }
        return new Document(ERROR_TYPE, e.type() == null ? null : e.type().name().toLowerCase(Locale.ROOT))
                .append(ERROR_NAME, e.name())
                .append(ERROR_MESSAGE, e.message())
                .append(ERROR_LINE, e.line())
                .append(ERROR_COLUMN, e.column())
                .append(ERROR_STACK, e.stack());
    }

    static Date date(Instant instant) {
        return instant == null ? null : Date.from(instant);
    }
}
