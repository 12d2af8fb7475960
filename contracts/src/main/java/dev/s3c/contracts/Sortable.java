package dev.s3c.contracts;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/** Keys that sort as text in time order, and the opaque cursors listings hand out for them. */
public final class Sortable {

    private Sortable() {
    }

    /** Milliseconds since the epoch in 13 digits: text order is time order until the year 2286. */
    public static String millis(Instant at) {
        return "%013d".formatted(Math.max(0, at.toEpochMilli()));
    }

    static String encode(String text) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /** @throws IllegalArgumentException when it is not a cursor with that prefix */
    static String decode(String cursor, String prefix) {
        String text;
        try {
            text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("is not a cursor this API handed out");
        }
        if (!text.startsWith(prefix)) {
            throw new IllegalArgumentException("is not a cursor this API handed out");
        }
        return text.substring(prefix.length());
    }
}
