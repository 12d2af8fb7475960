package dev.s3c.contracts;

import java.time.Instant;

/** A dead letter was dealt with through the API (published by the gateway): redriven or discarded. */
public record DeadLetterResolved(String executionId, Resolution resolution, Instant resolvedAt) {

    public enum Resolution {
        @com.fasterxml.jackson.annotation.JsonProperty("redriven") REDRIVEN,
        @com.fasterxml.jackson.annotation.JsonProperty("discarded") DISCARDED
    }
}
