package dev.s3c.scaler.decide;

import dev.s3c.contracts.LagSample;
import java.time.Instant;
import java.util.List;

/**
 * What the decider keeps between inputs, in one store entry.
 *
 * @param buckets traffic per wall-clock second over the rate window, oldest first
 * @param lastCompletionAt when an execution was last seen finishing
 * @param previousLag the previous lag sample's partitions, to recognise transaction markers
 * @param lastSampleAt the time of the latest lag sample: the scaler's clock
 */
public record DeciderState(ScalingPolicy.State policy, List<Bucket> buckets, Instant lastCompletionAt,
        List<LagSample.PartitionLag> previousLag, Instant lastSampleAt) {

    public DeciderState {
        buckets = buckets == null ? List.of() : List.copyOf(buckets);
        previousLag = previousLag == null ? List.of() : List.copyOf(previousLag);
        policy = policy == null ? ScalingPolicy.State.initial() : policy;
    }

    static DeciderState initial() {
        return new DeciderState(ScalingPolicy.State.initial(), List.of(), null, List.of(), null);
    }

    /** Requests and completions seen in one second. */
    public record Bucket(long second, long requested, long finished) {
    }
}
