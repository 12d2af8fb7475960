package dev.s3c.contracts;

import java.time.Instant;
import java.util.List;

/**
 * The executor group's position on each partition it consumes, measured through the admin API by the scaler
 * once a second and fed to its topology. The lag of a partition is its end offset minus the group's committed
 * offset (or minus the log start when the group has none).
 */
public record LagSample(String group, Instant at, List<PartitionLag> partitions) {

    public LagSample {
        partitions = partitions == null ? List.of() : List.copyOf(partitions);
    }

    /** One partition's offsets. */
    public record PartitionLag(String topic, int partition, long endOffset, long committedOffset) {

        public long lag() {
            return Math.max(0, endOffset - committedOffset);
        }

        public String name() {
            return topic + "-" + partition;
        }
    }
}
