package dev.s3c.contracts;

import java.time.Instant;

/**
 * The shape of a document in the {@code scaling_events} collection: written only by the monitor (from the
 * scaling-events topic), read by the gateway's scaling history. Per-partition lag and per-function backlog are
 * stored as arrays of pairs: topic names hold dots, which do not belong in MongoDB field names.
 */
public final class ScalingEventRecord {

    public static final String COLLECTION = "scaling_events";

    public static final String ID = "_id";
    public static final String GROUP = "group";
    public static final String ACTION = "action";
    public static final String FROM_INSTANCES = "fromInstances";
    public static final String TO_INSTANCES = "toInstances";
    public static final String REASON = "reason";
    public static final String TIMESTAMP = "timestamp";
    public static final String LAG = "lag";
    /** Array of {partition, lag}. */
    public static final String LAG_BY_PARTITION = "lagByPartition";
    public static final String ARRIVAL_RATE = "arrivalRate";
    public static final String COMPLETION_RATE = "completionRate";
    /** Array of {functionId, backlog}, largest first. */
    public static final String BACKLOG_BY_FUNCTION = "backlogByFunction";
    public static final String REPORTED_INSTANCES = "reportedInstances";
    public static final String PROCESSES = "processes";

    /**
     * {@code timestamp millis|eventId}, with a unique index: the history and retention read ranges of it, which real
     * MongoDB and the local run's store both serve from the index.
     */
    public static final String ORDER = "order";

    private ScalingEventRecord() {
    }

    public static String order(Instant timestamp, String eventId) {
        return Sortable.millis(timestamp) + "|" + eventId;
    }

    /** Every {@link #ORDER} key of a decision taken at or after {@code at} is at or above this. */
    public static String orderFrom(Instant at) {
        return Sortable.millis(at);
    }

    /** Every {@link #ORDER} key of a decision taken at or before {@code at} is below this. */
    public static String orderThrough(Instant at) {
        return Sortable.millis(at) + "}";
    }
}
