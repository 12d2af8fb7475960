package dev.s3c.contracts;

import java.time.Instant;

/**
 * An invocation whose retries are exhausted (or not taken: a developer error), published by the executor to the
 * dead-letter topic keyed by execution id. {@code request} is the last attempt's request; with {@code lastAttempt}
 * it holds the whole attempt history.
 */
public record DeadLettered(String executionId, String functionId, InvocationRequested request, AttemptRecord lastAttempt,
        Instant deadLetteredAt) {
}
