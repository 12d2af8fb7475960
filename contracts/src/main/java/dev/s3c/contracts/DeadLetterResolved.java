package dev.s3c.contracts;

import java.time.Instant;

/**
 * A dead letter was dealt with through the API (published by the gateway): redriven or discarded.
 *
 * @param series the attempt series whose dead letter this resolves; a newer series' dead letter stays
 */
public record DeadLetterResolved(String executionId, Resolution resolution, Instant resolvedAt, int series) {

    public enum Resolution {
        @com.fasterxml.jackson.annotation.JsonProperty("redriven") REDRIVEN,
        @com.fasterxml.jackson.annotation.JsonProperty("discarded") DISCARDED
    }
}
