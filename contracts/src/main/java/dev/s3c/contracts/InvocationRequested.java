package dev.s3c.contracts;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.NullNode;

/**
 * An accepted invocation, published by the gateway to the invocations topic keyed by execution id.
 *
 * @param functionVersion the version current when the request was accepted; executors run this version or newer
 * @param replyTo the gateway instance holding a synchronous caller, or null for asynchronous invocations
 * @param attempt which attempt this is, from 1 (0 when absent, from older writers, means 1)
 * @param maxRetries retries the caller allows, at most the function's {@code retryCount}; null: the function's
 * @param notBefore a retry is not run before this instant; null for first attempts
 * @param history the attempts made so far (empty for a first attempt)
 * @param series 0 for the original attempt series, n for the n-th redrive from the dead-letter queue
 * @param redeliveries times this attempt was handed back after a platform fault (not counted as attempts)
 * @param lane the partition of the concurrency lanes topic this invocation runs from, when its tenant or function
 *        has a concurrency limit (null: none, it runs from where it is read)
 * @param startBy a synchronous caller in a lane waits no longer: not started by then, it is not run (throttled)
 */
public record InvocationRequested(
        String executionId,
        String functionId,
        long functionVersion,
        JsonNode input,
        Instant requestedAt,
        String replyTo,
        int attempt,
        Integer maxRetries,
        Instant notBefore,
        List<AttemptRecord> history,
        int series,
        int redeliveries,
        Integer lane,
        Instant startBy) {

    public InvocationRequested {
        input = input == null ? NullNode.getInstance() : input;
        attempt = Math.max(1, attempt);
        history = history == null ? List.of() : List.copyOf(history);
    }

    public InvocationRequested(String executionId, String functionId, long functionVersion, JsonNode input,
            Instant requestedAt, String replyTo, int attempt, Integer maxRetries, Instant notBefore,
            List<AttemptRecord> history, int series, int redeliveries) {
        this(executionId, functionId, functionVersion, input, requestedAt, replyTo, attempt, maxRetries, notBefore,
                history, series, redeliveries, null, null);
    }

    public InvocationRequested(String executionId, String functionId, long functionVersion, JsonNode input,
            Instant requestedAt, String replyTo, int attempt, Integer maxRetries, Instant notBefore) {
        this(executionId, functionId, functionVersion, input, requestedAt, replyTo, attempt, maxRetries, notBefore,
                List.of(), 0, 0);
    }

    /** This request in concurrency lane {@code lane}; a synchronous caller's wait ends at {@code startBy}. */
    public InvocationRequested inLane(Integer lane, Instant startBy) {
        return new InvocationRequested(executionId, functionId, functionVersion, input, requestedAt, replyTo, attempt,
                maxRetries, notBefore, history, series, redeliveries, lane, startBy);
    }

    /** A first attempt. */
    public InvocationRequested(String executionId, String functionId, long functionVersion, JsonNode input,
            Instant requestedAt, String replyTo) {
        this(executionId, functionId, functionVersion, input, requestedAt, replyTo, 1, null, null);
    }

    /** The same invocation, attempted again, not before {@code due}, after {@code failed}. */
    public InvocationRequested retry(Instant due, AttemptRecord failed) {
        List<AttemptRecord> next = new ArrayList<>(history);
        next.add(failed);
        return new InvocationRequested(executionId, functionId, functionVersion, input, requestedAt, replyTo,
                attempt + 1, maxRetries, due, next, series, 0, lane, null);
    }

    /** The same attempt again, not before {@code due}, after a platform fault that was not the function's. */
    public InvocationRequested redeliver(Instant due) {
        return new InvocationRequested(executionId, functionId, functionVersion, input, requestedAt, replyTo, attempt,
                maxRetries, due, history, series, redeliveries + 1, lane, startBy);
    }

    /** A new attempt series on the same execution, from the dead-letter queue, with {@code newInput}. */
    public InvocationRequested redrive(JsonNode newInput, Instant at) {
        return new InvocationRequested(executionId, functionId, functionVersion, newInput, at, null, 1, maxRetries,
                null, List.of(), series + 1, 0, lane, null);
    }
}
