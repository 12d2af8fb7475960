package dev.s3c.contracts;

import java.time.Instant;

/**
 * An execution is still running after a moment (one second by default), published by the executor running it so
 * that pollers see "running". Short executions never produce one: their result says it all. A synchronous call in
 * a concurrency lane is announced as it starts, with the gateway waiting for it as {@code replyTo} (also a header):
 * that gateway then knows its caller's run began before the caller's wait ran out.
 */
public record InvocationStarted(
        String executionId,
        String functionId,
        long functionVersion,
        String instanceId,
        int attempt,
        Instant startedAt,
        String replyTo) {

    public InvocationStarted(String executionId, String functionId, long functionVersion, String instanceId,
            int attempt, Instant startedAt) {
        this(executionId, functionId, functionVersion, instanceId, attempt, startedAt, null);
    }
}
