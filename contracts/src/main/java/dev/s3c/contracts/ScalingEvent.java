package dev.s3c.contracts;

import java.time.Instant;
import java.util.Map;

/**
 * One scaling decision and the measurements that explain it, published by the scaler and kept by the monitor
 * in {@code scaling_events}. The original product's fields (action, from/to instances, reason, timestamp) plus
 * the inputs.
 *
 * @param fromInstances the desired pool size before the decision
 * @param toInstances the desired pool size after it (equal for rebalance and stalled)
 * @param lag invocations queued for the executor group (fresh and due retries), markers discounted
 * @param lagByPartition the queued invocations per "topic-partition", non-zero ones only
 * @param arrivalRate invocations requested per second, over the scaler's rate window
 * @param completionRate executions finished per second, over the same window
 * @param backlogByFunction requested minus finished per function id, largest first (at most ten)
 * @param reportedInstances instances the live executor processes say they run
 * @param processes live executor process ids
 */
public record ScalingEvent(
        String eventId,
        String group,
        ScalingAction action,
        int fromInstances,
        int toInstances,
        String reason,
        Instant timestamp,
        long lag,
        Map<String, Long> lagByPartition,
        double arrivalRate,
        double completionRate,
        Map<String, Long> backlogByFunction,
        int reportedInstances,
        java.util.List<String> processes) {

    public ScalingEvent {
        // copies that keep their order (partition order; largest backlog first)
        lagByPartition = lagByPartition == null ? Map.of()
                : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(lagByPartition));
        backlogByFunction = backlogByFunction == null ? Map.of()
                : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(backlogByFunction));
        processes = processes == null ? java.util.List.of() : java.util.List.copyOf(processes);
    }
}
