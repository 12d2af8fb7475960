package dev.s3c.executor.runtime;

import dev.s3c.contracts.ErrorType;
import dev.s3c.contracts.ExecutionError;
import dev.s3c.contracts.ExecutionStatus;

/**
 * What one run of a function produced.
 *
 * @param outputJson the JSON text of the result when it succeeded
 */
public record RunOutcome(ExecutionStatus status, String outputJson, ExecutionError error, String logs,
        long durationMs, boolean coldStart) {

    static RunOutcome succeeded(String outputJson, String logs, long durationMs, boolean coldStart) {
        return new RunOutcome(ExecutionStatus.SUCCEEDED, outputJson, null, logs, durationMs, coldStart);
    }

    static RunOutcome failed(ExecutionError error, String logs, long durationMs, boolean coldStart) {
        ExecutionStatus status = error.type() == ErrorType.TIMEOUT ? ExecutionStatus.TIMED_OUT
                : error.type() == ErrorType.REJECTED ? ExecutionStatus.REJECTED : ExecutionStatus.FAILED;
        return new RunOutcome(status, null, error, logs, durationMs, coldStart);
    }
}
