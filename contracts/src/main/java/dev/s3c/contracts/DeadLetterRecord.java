package dev.s3c.contracts;

/**
 * The shape of a document in the {@code dead_letters} collection: written only by the monitor (from the dead-letter
 * topic, removed on a resolution), read by the gateway's dead-letter API.
 */
public final class DeadLetterRecord {

    public static final String COLLECTION = "dead_letters";

    public static final String ID = "_id";
    public static final String FUNCTION_ID = "functionId";
    /** The last attempt's request as JSON text: what a redrive starts from. */
    public static final String REQUEST = "request";
    public static final String INPUT = "input";
    public static final String ATTEMPTS = "attempts";
    public static final String HISTORY = "history";
    public static final String LAST_ERROR = "lastError";
    public static final String DEAD_LETTERED_AT = "deadLetteredAt";
    /** The attempt series that ended here (0 unless redriven before). */
    public static final String SERIES = "series";

    private DeadLetterRecord() {
    }
}
