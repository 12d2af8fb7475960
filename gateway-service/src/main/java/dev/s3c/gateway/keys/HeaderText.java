package dev.s3c.gateway.keys;

/**
 * What Spring Security's firewall accepts in header names and values, without its regular expressions: a name of
 * assigned, non-control characters, a value that may also hold tabs. The firewall checks a header on every read of
 * it, and routing a call alone reads {@code Content-Type} once per mapping it tries: with the library's patterns that
 * was 7% of the gateway's event-loop CPU samples under async load.
 */
final class HeaderText {

    private HeaderText() {
    }

    /** As {@code [\p{IsAssigned}&&[^\p{IsControl}]]*}; {@code null} passes, as in the firewall. */
    static boolean isAllowedName(String text) {
        return text == null || allowed(text, false);
    }

    /** As {@code [\p{IsAssigned}&&[[^\p{IsControl}]||\t]]*}; {@code null} passes, as in the firewall. */
    static boolean isAllowedValue(String text) {
        return text == null || allowed(text, true);
    }

    private static boolean allowed(String text, boolean tab) {
        for (int i = 0; i < text.length(); ) {
            char c = text.charAt(i);
            if (c >= 0x20 && c < 0x7f) { // printable ASCII: nearly every header
                i++;
                continue;
            }
            int codePoint = text.codePointAt(i);
            int type = Character.getType(codePoint);
            if (type == Character.UNASSIGNED || (type == Character.CONTROL && !(tab && codePoint == '\t'))) {
                return false;
            }
            i += Character.charCount(codePoint);
        }
        return true;
    }
}
