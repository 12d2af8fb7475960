package dev.s3c.contracts;

/**
 * The shape of a document in the {@code executions} collection: written only by the monitor, read by the gateway.
 * Input and output are kept as JSON text, so any JSON value (including keys MongoDB would refuse) is stored as sent.
 */
public final class ExecutionRecord {

    public static final String COLLECTION = "executions";

    public static final String ID = "_id";
    public static final String FUNCTION_ID = "functionId";
    public static final String FUNCTION_VERSION = "functionVersion";
    public static final String STATUS = "status";
    public static final String INPUT = "input";
    public static final String OUTPUT = "output";
    public static final String ERROR = "error";
    public static final String LOGS = "logs";
    public static final String DURATION_MS = "durationMs";
    public static final String ATTEMPTS = "attempts";
    public static final String INSTANCE_ID = "instanceId";
    public static final String COLD_START = "coldStart";
    public static final String REQUESTED_AT = "requestedAt";
    public static final String STARTED_AT = "startedAt";
    public static final String FINISHED_AT = "finishedAt";
    public static final String UPDATED_AT = "updatedAt";
    /** Every attempt of the current series: attempt, instanceId, startedAt, durationMs, status, error. */
    public static final String HISTORY = "history";
    /** 0 for the original attempt series, n after the n-th redrive; older series never overwrite newer ones. */
    public static final String SERIES = "series";
    /** The execution's place in its function's {@link ExecutionTimeline}; entries with another place are stale. */
    public static final String SEQ = "seq";

    /** Fields of the embedded error document. */
    public static final String ERROR_TYPE = "type";
    public static final String ERROR_NAME = "name";
    public static final String ERROR_MESSAGE = "message";
    public static final String ERROR_LINE = "line";
    public static final String ERROR_COLUMN = "column";
    public static final String ERROR_STACK = "stack";

    private ExecutionRecord() {
    }
}
