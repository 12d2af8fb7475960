package dev.s3c.contracts;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The shape of a function's timeline: its executions in the order they were accepted, so a listing reads newest first
 * and pages by a cursor. Written only by the monitor, read by the gateway. Every read and write is a lookup by
 * {@code _id} (a single key or {@code $in}): the only query the embedded MongoDB-wire server answers from an index,
 * and a cheap one on real MongoDB.
 *
 * <ul>
 * <li>{@value #HEADS}: one document per function, {@code {_id: functionId, next, floor}}; {@code next} is the next
 * place to hand out, places below {@code floor} were deleted by retention.</li>
 * <li>{@value #BLOCKS}: {@value #BLOCK_SIZE} places per document, {@code {_id: functionId#block, functionId, newest,
 * entries: [{s: place, id: executionId, t: requestedAt}]}}, entries in any order.</li>
 * </ul>
 *
 * An execution carries its place in {@link ExecutionRecord#SEQ}; an entry whose execution has another place (a batch
 * replayed after a crash, or a redrive, listed it again) is stale and skipped.
 */
public final class ExecutionTimeline {

    public static final String HEADS = "execution_timeline_heads";
    public static final String BLOCKS = "execution_timeline_blocks";

    public static final String ID = "_id";
    public static final String NEXT = "next";
    public static final String FLOOR = "floor";
    public static final String FUNCTION_ID = "functionId";
    public static final String NEWEST = "newest";
    public static final String ENTRIES = "entries";
    public static final String ENTRY_SEQ = "s";
    public static final String ENTRY_ID = "id";
    public static final String ENTRY_AT = "t";

    public static final int BLOCK_SIZE = 256;

    private static final String CURSOR_PREFIX = "v1:";

    private ExecutionTimeline() {
    }

    public static long blockOf(long seq) {
        return seq / BLOCK_SIZE;
    }

    public static String blockId(String functionId, long block) {
        return functionId + "#" + block;
    }

    /** An opaque cursor: the listing continues with places below {@code before}. */
    public static String cursor(String functionId, long before) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((CURSOR_PREFIX + functionId + ":" + before).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The place a cursor continues below.
     *
     * @throws IllegalArgumentException when it is not a cursor of this function's listing
     */
    public static long before(String cursor, String functionId) {
        String text;
        try {
            text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("is not a cursor this API handed out");
        }
        String prefix = CURSOR_PREFIX + functionId + ":";
        if (!text.startsWith(prefix)) {
            throw new IllegalArgumentException("is not a cursor of this function's listing");
        }
        try {
            long before = Long.parseLong(text.substring(prefix.length()));
            if (before < 0) {
                throw new NumberFormatException();
            }
            return before;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("is not a cursor this API handed out");
        }
    }
}
