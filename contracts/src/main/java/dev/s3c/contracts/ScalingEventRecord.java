package dev.s3c.contracts;

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

    private ScalingEventRecord() {
    }
}
