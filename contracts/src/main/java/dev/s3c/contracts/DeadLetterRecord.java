package dev.s3c.contracts;

import java.time.Instant;

/**
 * The shape of a document in the {@code dead_letters} collection: written only by the monitor (from the dead-letter
 * topic, removed on a resolution), read by the gateway's dead-letter API.
 *
 * <p>Listings and retention read by two keys with unique indexes ({@link #BY_FUNCTION}, {@link #BY_TIME}): a range on
 * one of them, sorted by it, is served from its index by real MongoDB and by the local run's store alike, so a page
 * costs the same with ten dead letters stored or a million.
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

    /** {@code functionId|deadLetteredAt millis|executionId}: one function's dead letters in time order. */
    public static final String BY_FUNCTION = "byFunction";
    /** {@code deadLetteredAt millis|executionId}: all dead letters in time order (listing and retention). */
    public static final String BY_TIME = "byTime";

    private static final String CURSOR_PREFIX = "dl1:";

    private DeadLetterRecord() {
    }

    public static String byTime(Instant deadLetteredAt, String executionId) {
        return Sortable.millis(deadLetteredAt) + "|" + executionId;
    }

    public static String byFunction(String functionId, Instant deadLetteredAt, String executionId) {
        return functionId + "|" + byTime(deadLetteredAt, executionId);
    }

    /** Every {@link #BY_TIME} key of a dead letter from {@code at} on is at or above this. */
    public static String byTimeFrom(Instant at) {
        return Sortable.millis(at);
    }

    /** Every {@link #BY_FUNCTION} key of a function lies strictly between these two. */
    public static String functionLow(String functionId) {
        return functionId + "|";
    }

    public static String functionHigh(String functionId) {
        return functionId + "}";
    }

    /** An opaque cursor: the listing continues below the key of the last dead letter it returned. */
    public static String cursor(String key) {
        return Sortable.encode(CURSOR_PREFIX + key);
    }

    /**
     * The key a cursor continues below, checked against the listing it is used with.
     *
     * @param functionId the listing's function, or null for all dead letters
     * @throws IllegalArgumentException when it is not a cursor of that listing
     */
    public static String below(String cursor, String functionId) {
        String key = Sortable.decode(cursor, CURSOR_PREFIX);
        String rest = functionId == null ? key
                : key.startsWith(functionLow(functionId)) ? key.substring(functionLow(functionId).length()) : null;
        if (rest == null || !rest.matches("\\d{13}\\|[^|]+")) {
            throw new IllegalArgumentException(functionId == null ? "is not a cursor of this listing"
                    : "is not a cursor of this function's listing");
        }
        return key;
    }
}
