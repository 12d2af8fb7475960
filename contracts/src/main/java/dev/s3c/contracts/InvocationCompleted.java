package dev.s3c.contracts;

import java.time.Instant;
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
        String replyTo) {

    public InvocationCompleted {
        // JSON null and a missing value are the same result; keep one representation so equality holds
        output = output == null ? NullNode.getInstance() : output;
    }
}
