package dev.s3c.contracts;

import java.time.Instant;

/**
 * An execution is still running after a moment (one second by default), published by the executor running it so
 * that pollers see "running". Short executions never produce one: their result says it all.
 */
public record InvocationStarted(
        String executionId,
        String functionId,
        long functionVersion,
        String instanceId,
        int attempt,
        Instant startedAt) {
}
