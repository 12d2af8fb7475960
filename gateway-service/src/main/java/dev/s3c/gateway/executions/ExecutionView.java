package dev.s3c.gateway.executions;

import static dev.s3c.contracts.ExecutionRecord.*;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.s3c.contracts.AttemptRecord;
import dev.s3c.contracts.ErrorType;
import dev.s3c.contracts.ExecutionError;
import dev.s3c.contracts.ExecutionStatus;
import dev.s3c.contracts.InvocationCompleted;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.gateway.invoke.RecentlyAccepted;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bson.Document;
import tools.jackson.databind.JsonNode;

/**
 * An execution as the API shows it: from a live result, a stored record, or a just-accepted request.
 *
 * @param series 0 for the original attempts, n after the n-th redrive (null for a just-accepted request)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ExecutionView(
        String executionId,
        String functionId,
        Long functionVersion,
        ExecutionStatus status,
        JsonNode input,
        JsonNode output,
        ExecutionError error,
        String logs,
        Long durationMs,
        Integer attempts,
        String instanceId,
        Boolean coldStart,
        Instant requestedAt,
        Instant startedAt,
        Instant finishedAt,
        List<AttemptRecord> history,
        Integer series) {

    public static ExecutionView of(InvocationCompleted r) {
        return new ExecutionView(r.executionId(), r.functionId(), r.functionVersion(), r.status(), null,
                r.status() == ExecutionStatus.SUCCEEDED ? r.output() : null, r.error(), r.logs(), r.durationMs(),
                r.attempt(), r.instanceId(), r.coldStart(), r.requestedAt(), r.startedAt(), r.finishedAt(),
                r.history().isEmpty() ? null : r.history(), r.series());
    }

    /** A just-accepted call the monitor has not stored yet: its input and the rest appear once it is. */
    public static ExecutionView queued(RecentlyAccepted.Accepted r) {
        return new ExecutionView(r.executionId(), r.functionId(), r.functionVersion(), ExecutionStatus.QUEUED, null,
                null, null, null, null, 0, null, null, r.requestedAt(), null, null, null, null);
    }

    public static ExecutionView of(Document d) {
        ExecutionStatus status = ExecutionStatus.fromWire(d.getString(STATUS)).orElse(ExecutionStatus.QUEUED);
        if (status == ExecutionStatus.QUEUED && d.get(STARTED_AT) != null) {
            // an executor announced it is still running it (final statuses always win)
            status = ExecutionStatus.RUNNING;
        }
        ExecutionError error = error(d.get(ERROR, Document.class));
        return new ExecutionView(d.getString(ID), d.getString(FUNCTION_ID), number(d.get(FUNCTION_VERSION)), status,
                json(d.getString(INPUT)), status == ExecutionStatus.SUCCEEDED ? json(d.getString(OUTPUT)) : null, error,
                d.getString(LOGS), number(d.get(DURATION_MS)), d.getInteger(ATTEMPTS), d.getString(INSTANCE_ID),
                d.getBoolean(COLD_START), instant(d.get(REQUESTED_AT)), instant(d.get(STARTED_AT)),
                instant(d.get(FINISHED_AT)), history(d.getList(HISTORY, Document.class)),
                d.getInteger(SERIES, 0));
    }

    /** Attempts as stored by the monitor (see its ExecutionUpserts.attempt). */
    public static List<AttemptRecord> history(List<Document> attempts) {
        if (attempts == null || attempts.isEmpty()) {
            return null;
        }
        return attempts.stream().map(a -> new AttemptRecord(a.getInteger("attempt", 0), a.getString(INSTANCE_ID),
                instant(a.get(STARTED_AT)), number(a.get(DURATION_MS)) == null ? 0 : number(a.get(DURATION_MS)),
                ExecutionStatus.fromWire(a.getString(STATUS)).orElse(null), error(a.get(ERROR, Document.class))))
                .toList();
    }

    public static ExecutionError error(Document e) {
        return e == null ? null : new ExecutionError(enumOf(e.getString(ERROR_TYPE)), e.getString(ERROR_NAME),
                e.getString(ERROR_MESSAGE), e.getInteger(ERROR_LINE), e.getInteger(ERROR_COLUMN), e.getString(ERROR_STACK));
    }

    private static ErrorType enumOf(String wire) {
        for (ErrorType t : ErrorType.values()) {
            if (t.name().equalsIgnoreCase(wire)) {
                return t;
            }
        }
        return ErrorType.SYSTEM_ERROR;
    }

    private static JsonNode json(String text) {
        return text == null ? null : JsonCodec.readTree(text);
    }

    private static Long number(Object value) {
        return value instanceof Number n ? n.longValue() : null;
    }

    private static Instant instant(Object value) {
        return value instanceof Date date ? date.toInstant() : null;
    }
}
