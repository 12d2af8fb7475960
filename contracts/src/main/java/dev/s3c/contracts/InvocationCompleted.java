package dev.s3c.contracts;

import java.time.Instant;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.NullNode;

/**
 * The one final result of an execution, published by an executor to the results topic keyed by execution id.
 *
 * @param output the function's JSON result when it succeeded, otherwise null
 * @param error why it did not succeed, otherwise null
 * @param logs captured console output (bounded)
 * @param durationMs time spent running the function's code
 * @param attempt which attempt this result comes from, starting at 1
 * @param coldStart whether a new sandbox context had to be created for this execution
 * @param history every attempt of this series, this one last (absent from older writers)
 * @param series 0 for the original attempt series, n for the n-th redrive
 */
public record InvocationCompleted(
        String executionId,
        String functionId,
        long functionVersion,
        ExecutionStatus status,
        JsonNode output,
        ExecutionError error,
        String logs,
        long durationMs,
        int attempt,
        String instanceId,
        boolean coldStart,
        Instant requestedAt,
        Instant startedAt,
        Instant finishedAt,
        String replyTo,
        List<AttemptRecord> history,
        int series) {

    public InvocationCompleted {
        // JSON null and a missing value are the same result; keep one representation so equality holds
        output = output == null ? NullNode.getInstance() : output;
        history = history == null ? List.of() : List.copyOf(history);
    }

    public InvocationCompleted(String executionId, String functionId, long functionVersion, ExecutionStatus status,
            JsonNode output, ExecutionError error, String logs, long durationMs, int attempt, String instanceId,
            boolean coldStart, Instant requestedAt, Instant startedAt, Instant finishedAt, String replyTo) {
        this(executionId, functionId, functionVersion, status, output, error, logs, durationMs, attempt, instanceId,
                coldStart, requestedAt, startedAt, finishedAt, replyTo, List.of(), 0);
    }

    /** This result with the attempts before it, and itself, as its history. */
    public InvocationCompleted withHistory(List<AttemptRecord> before, int seriesNumber) {
        InvocationCompleted base = new InvocationCompleted(executionId, functionId, functionVersion, status, output,
                error, logs, durationMs, attempt, instanceId, coldStart, requestedAt, startedAt, finishedAt, replyTo,
                List.of(), seriesNumber);
        List<AttemptRecord> all = new java.util.ArrayList<>(before);
        all.add(AttemptRecord.of(base));
        return new InvocationCompleted(executionId, functionId, functionVersion, status, output, error, logs,
                durationMs, attempt, instanceId, coldStart, requestedAt, startedAt, finishedAt, replyTo, all,
                seriesNumber);
    }
}
