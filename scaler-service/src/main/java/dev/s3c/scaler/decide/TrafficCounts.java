package dev.s3c.scaler.decide;

import java.time.Instant;
import java.util.Map;

/**
 * Invocations requested and executions finished per function, counted by one partition's task since its last
 * flush. Internal to the scaler: it travels only on the topology's own repartition topic.
 */
public record TrafficCounts(Instant at, Map<String, Count> byFunction) {

    public TrafficCounts {
        byFunction = byFunction == null ? Map.of() : Map.copyOf(byFunction);
    }

    public record Count(long requested, long finished) {

        Count plus(Count other) {
            return new Count(requested + other.requested, finished + other.finished);
        }
    }
}
