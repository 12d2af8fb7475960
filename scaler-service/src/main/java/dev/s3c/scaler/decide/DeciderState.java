package dev.s3c.scaler.decide;

import dev.s3c.contracts.LagSample;
import java.time.Instant;
import java.util.List;

/**
 * What the decider keeps between inputs, in one store entry.
 *
 * @param buckets traffic per wall-clock second over the rate window, oldest first
 * @param lastCompletionAt when an execution was last seen finishing, or the group last moved past a record
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

    /**
     * One second's traffic, from both sources: the requests and results the scaler counted (per function, and late
     * when the machine is saturated), and, from the lag samples, the records appended to the partitions the group
     * consumes and the records the group committed past (the whole pool, as fresh as the sample).
     */
    public record Bucket(long second, long requested, long finished, long appended, long drained) {

        Bucket plus(Bucket other) {
            return new Bucket(second, requested + other.requested, finished + other.finished,
                    appended + other.appended, drained + other.drained);
        }
    }
}
