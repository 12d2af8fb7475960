package dev.s3c.contracts;

import java.time.Instant;

/** One attempt of an execution: when, where, how long, and how it ended. */
public record AttemptRecord(int attempt, String instanceId, Instant startedAt, long durationMs, ExecutionStatus status,
        ExecutionError error) {

    public static AttemptRecord of(InvocationCompleted result) {
        return new AttemptRecord(result.attempt(), result.instanceId(), result.startedAt(), result.durationMs(),
                result.status(), result.error());
    }
}
