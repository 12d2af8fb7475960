package dev.s3c.contracts;

import java.time.Instant;

/**
 * One version of a function, as published (keyed by function id) to the compacted function-definitions
 * topic. A tombstone (null value) means the function was deleted.
 */
public record FunctionDefinition(
        String id,
        String name,
        long version,
        String code,
        CodeStyle style,
        int timeoutMs,
        int retryCount,
        FunctionStatus status,
        Instant updatedAt) {

    public boolean active() {
        return status == FunctionStatus.ACTIVE;
    }
}
