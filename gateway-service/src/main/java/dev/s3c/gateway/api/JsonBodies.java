package dev.s3c.gateway.api;

import dev.s3c.contracts.JsonCodec;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.regex.Pattern;
import org.springframework.boot.convert.DurationStyle;
import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.MissingNode;

/** Request bodies are parsed here rather than by the codec, so malformed JSON gets an answer with its position. */
public final class JsonBodies {

    private static final Pattern OBJECT_ID = Pattern.compile("[0-9a-f]{24}");
    private static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private JsonBodies() {
    }

    /** The body as a JSON tree; an empty body is a missing node. */
    public static JsonNode parse(String body) {
        if (body == null || body.isBlank()) {
            return MissingNode.getInstance();
        }
        try {
            return JsonCodec.readTree(body);
        } catch (JacksonException e) {
            TokenStreamLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            String what = e.getOriginalMessage();
            int newline = what.indexOf('\n');
            throw ApiException.badRequest("body", "is not valid JSON" + where + ": "
                    + (newline < 0 ? what : what.substring(0, newline)));
        }
    }

    /** A JSON object body, refusing other JSON values. */
    public static JsonNode parseObject(String body) {
        JsonNode node = parse(body);
        if (node.isMissingNode()) {
            throw ApiException.badRequest("body", "is required (a JSON object)");
        }
        if (!node.isObject()) {
            throw ApiException.badRequest("body", "must be a JSON object");
        }
        return node;
    }

    /**
     * The {@code input} of an invocation's body ({@code {"input": ...}}), or null when it has none. Any other field
     * is a 400 naming it: a caller who sent the input itself as the body (or misspelled {@code input}) would
     * otherwise run the function with no input and not know why.
     */
    public static JsonNode input(JsonNode object) {
        JsonNode input = object.get("input");
        if (object.size() > (input == null ? 0 : 1)) {
            for (String field : object.propertyNames()) {
                if (!field.equals("input")) {
                    throw ApiException.badRequest(field, "is not a field of an invocation: send the function's "
                            + "input as {\"input\": ...}");
                }
            }
        }
        return input;
    }

    /** A whole-number query parameter within bounds, or a 400 naming it. */
    public static int boundedInt(String field, String text, int min, int max) {
        try {
            int value = Integer.parseInt(text.strip());
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw ApiException.badRequest(field, "must be a whole number between " + min + " and " + max);
    }

    /** Whether the text is a function id (24 hexadecimal characters). */
    public static boolean isFunctionId(String text) {
        return text != null && OBJECT_ID.matcher(text).matches();
    }

    public static String executionId(String id) {
        if (id == null || !UUID.matcher(id).matches()) {
            throw ApiException.badRequest("id", "must be an execution id (a UUID)");
        }
        return id;
    }

    /**
     * A {@code wait} query parameter (execute's, and a read of an execution's): seconds when the unit is left out
     * ({@code 5}), else as Boot reads durations: {@code 500ms}, {@code 2s}, {@code PT2S}; 0 to {@code max}.
     */
    public static Duration waitParameter(String wait, Duration byDefault, Duration max) {
        if (wait == null || wait.isBlank()) {
            return byDefault;
        }
        try {
            Duration asked = DurationStyle.detectAndParse(wait.strip(), ChronoUnit.SECONDS);
            if (!asked.isNegative() && asked.compareTo(max) <= 0) {
                return asked;
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw ApiException.badRequest("wait", "must be seconds (or e.g. 500ms) from 0 to " + max.toSeconds());
    }
}
