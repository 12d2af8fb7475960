package dev.s3c.gateway.functions;

import dev.s3c.contracts.FunctionStatus;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.api.FieldError;
import dev.s3c.gateway.api.JsonBodies;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.springframework.http.HttpStatus;
import tools.jackson.databind.JsonNode;

/**
 * A validated create or update request. On update, absent fields are null and keep their stored value.
 *
 * @param env the environment variables, all of them (an update replaces the stored ones; empty: none), or null:
 *        left out
 * @param http who may call its function URL ({@link FunctionConfig#http()}), {@value #HTTP_OFF} for no URL, or null:
 *        left out
 * @param schedule when it runs by itself ({@link Schedule}, checked), {@value #SCHEDULE_OFF} for never, or null:
 *        left out
 * @param note what the version this makes changes, or null: none (a note is the version's own, never kept from the
 *        one before)
 */
record FunctionSpec(String name, String description, String code, Integer timeoutMs, Integer retryCount,
        FunctionStatus status, Integer maxConcurrency, boolean removesMaxConcurrency, Long expectedVersion,
        Map<String, String> env, String http, String schedule, String note) {

    FunctionSpec(String name, String description, String code, Integer timeoutMs, Integer retryCount,
            FunctionStatus status, Integer maxConcurrency, boolean removesMaxConcurrency, Long expectedVersion,
            Map<String, String> env, String http, String schedule) {
        this(name, description, code, timeoutMs, retryCount, status, maxConcurrency, removesMaxConcurrency,
                expectedVersion, env, http, schedule, null);
    }

    FunctionSpec(String name, String description, String code, Integer timeoutMs, Integer retryCount,
            FunctionStatus status) {
        this(name, description, code, timeoutMs, retryCount, status, null, false, null, null, null, null, null);
    }

    /** {@code config.schedule} that takes a schedule away (as do JSON null and a blank string). */
    static final String SCHEDULE_OFF = "";

    /** {@code config.http} that takes a function URL away (as does JSON null). */
    static final String HTTP_OFF = "off";

    static final int MAX_NAME = 64;
    static final int MAX_DESCRIPTION = 1024;
    static final int MAX_NOTE = 200;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9 ._-]*");
    /** As a shell (and Lambda) takes them. */
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    /**
     * Names that are not kept as given: Spring Data reads a stored map's {@code _class} as the map's Java type, and a
     * browser's object takes {@code __proto__} as its prototype.
     */
    private static final Set<String> RESERVED_ENV_NAMES = Set.of("_class", "__proto__");

    /** What a request may set. */
    private static final Set<String> FIELDS = Set.of("name", "description", "code", "config", "status", "note");
    /**
     * What a function as read has besides, so that a function read, changed and sent back is accepted: ignored, but
     * for {@code version}, which an update takes as the version it changes (409 if the function has changed since).
     */
    private static final Set<String> READ_ONLY = Set.of("id", "tenant", "style", "version", "createdAt", "updatedAt");
    private static final Set<String> SETTINGS = Set.of("timeoutMs", "retryCount", "maxConcurrency", "env", "http",
            "schedule");

    /**
     * Reads and checks every field, reporting all problems at once. A field it does not know is one of them (a
     * misspelled setting would otherwise leave the function on the default without a word).
     */
    static FunctionSpec parse(JsonNode body, boolean creating, long maxCodeBytes) {
        List<FieldError> errors = new ArrayList<>();
        for (String field : body.propertyNames()) {
            if (SETTINGS.contains(field)) {
                errors.add(new FieldError(field, "is a setting: send it in config, as {\"config\": {\"" + field
                        + "\": ...}}"));
            } else if (!FIELDS.contains(field) && !READ_ONLY.contains(field)) {
                errors.add(new FieldError(field, "is not a field of a function (" + String.join(", ",
                        new TreeSet<>(FIELDS)) + ")"));
            }
        }
        String name = string(body, "name", errors);
        if (name != null) {
            name = name.strip();
            if (name.isEmpty() || name.length() > MAX_NAME) {
                errors.add(new FieldError("name", "must be 1 to " + MAX_NAME + " characters"));
            } else if (!NAME.matcher(name).matches()) {
                errors.add(new FieldError("name", "may contain letters, digits, spaces, '.', '_' and '-', "
                        + "and must start with a letter or digit"));
            } else if (JsonBodies.isFunctionId(name)) {
                // a path that holds it is read as an id, so the function could not be reached by its name
                errors.add(new FieldError("name", "must not look like a function id (24 hexadecimal digits)"));
            }
        } else if (creating && !hasField(errors, "name")) {
            errors.add(new FieldError("name", "is required"));
        }
        String description = string(body, "description", errors);
        if (description != null && description.length() > MAX_DESCRIPTION) {
            errors.add(new FieldError("description", "must be at most " + MAX_DESCRIPTION + " characters"));
        }
        String note = note(body.get("note"), errors);
        String code = string(body, "code", errors);
        boolean codeTooLarge = false;
        if (code != null) {
            if (code.isBlank()) {
                errors.add(new FieldError("code", "must not be blank"));
            } else if (code.getBytes(StandardCharsets.UTF_8).length > maxCodeBytes) {
                errors.add(new FieldError("code", "is larger than " + maxCodeBytes + " bytes"));
                codeTooLarge = true;
            }
        } else if (creating && !hasField(errors, "code")) {
            errors.add(new FieldError("code", "is required"));
        }
        Integer timeoutMs = null;
        Integer retryCount = null;
        Integer maxConcurrency = null;
        boolean removesMaxConcurrency = false;
        Map<String, String> env = null;
        String http = null;
        String schedule = null;
        JsonNode config = body.get("config");
        if (config != null && !config.isNull()) {
            if (!config.isObject()) {
                errors.add(new FieldError("config", "must be an object"));
            } else {
                timeoutMs = integer(config, "config.timeoutMs", "timeoutMs", FunctionConfig.MIN_TIMEOUT_MS,
                        FunctionConfig.MAX_TIMEOUT_MS, errors);
                retryCount = integer(config, "config.retryCount", "retryCount", 0, FunctionConfig.MAX_RETRIES, errors);
                maxConcurrency = integer(config, "config.maxConcurrency", "maxConcurrency", 1,
                        FunctionConfig.MAX_CONCURRENCY, errors);
                // null takes a limit away (left out keeps it)
                removesMaxConcurrency = config.has("maxConcurrency") && config.get("maxConcurrency").isNull();
                env = env(config.get("env"), errors);
                http = http(config.get("http"), errors);
                schedule = schedule(config.get("schedule"), errors);
                for (String setting : config.propertyNames()) {
                    if (!SETTINGS.contains(setting)) {
                        errors.add(new FieldError("config." + setting, "is not a setting (" + String.join(", ",
                                new TreeSet<>(SETTINGS)) + ")"));
                    }
                }
            }
        }
        Long expectedVersion = null;
        JsonNode version = body.get("version");
        if (!creating && version != null && !version.isNull()) {
            if (version.isIntegralNumber() && version.canConvertToLong() && version.asLong() >= 1) {
                expectedVersion = version.asLong();
            } else {
                errors.add(new FieldError("version", "must be the version of the function as read (a whole number "
                        + "from 1), or left out"));
            }
        }
        FunctionStatus status = null;
        String statusText = string(body, "status", errors);
        if (statusText != null) {
            status = FunctionStatus.fromWire(statusText).orElse(null);
            if (status == null) {
                errors.add(new FieldError("status", "must be \"active\" or \"inactive\""));
            }
        }
        if (!errors.isEmpty()) {
            HttpStatus refusal = codeTooLarge && errors.size() == 1 ? HttpStatus.CONTENT_TOO_LARGE
                    : HttpStatus.BAD_REQUEST;
            throw new ApiException(refusal, "invalid function: " + errors.getFirst().field() + " "
                    + errors.getFirst().reason(), errors);
        }
        return new FunctionSpec(name, description, code, timeoutMs, retryCount, status, maxConcurrency,
                removesMaxConcurrency, expectedVersion, env, http, schedule, note);
    }

    /**
     * A version's {@code note} (a create's, an update's or a restore's): stripped, at most {@value #MAX_NOTE}
     * characters; left out, null or blank is none (null).
     */
    static String note(JsonNode node, List<FieldError> errors) {
        if (node == null || node.isNull()) {
            return null;
        }
        String note = node.isString() ? node.asString().strip() : null;
        if (note == null || note.length() > MAX_NOTE) {
            errors.add(new FieldError("note", "must be text of at most " + MAX_NOTE + " characters"));
            return null;
        }
        return note.isEmpty() ? null : note;
    }

    /** {@code config.schedule}: left out is null (kept as stored); JSON null or blank is {@value #SCHEDULE_OFF}. */
    private static String schedule(JsonNode node, List<FieldError> errors) {
        if (node == null) {
            return null;
        }
        if (node.isNull() || node.isString() && node.asString().isBlank()) {
            return SCHEDULE_OFF;
        }
        if (!node.isString()) {
            errors.add(new FieldError("config.schedule", "must be a string: a cron expression such as "
                    + "\"*/5 * * * *\", a macro such as \"@hourly\", or \"@every 30s\"; null removes it"));
            return null;
        }
        try {
            return Schedule.parse(node.asString()).expression().strip();
        } catch (IllegalArgumentException e) {
            errors.add(new FieldError("config.schedule", e.getMessage()));
            return null;
        }
    }

    /** {@code config.http}: left out is null (kept as stored); JSON null is {@value #HTTP_OFF}. */
    private static String http(JsonNode node, List<FieldError> errors) {
        if (node == null) {
            return null;
        }
        if (node.isNull()) {
            return HTTP_OFF;
        }
        String value = node.isString() ? node.asString() : null;
        if (FunctionConfig.HTTP_PUBLIC.equals(value) || FunctionConfig.HTTP_KEY.equals(value) || HTTP_OFF.equals(value)) {
            return value;
        }
        errors.add(new FieldError("config.http", "must be \"public\" (anyone may call its URL), \"key\" (callers "
                + "present a key of its tenant) or \"off\" (no URL)"));
        return null;
    }

    /** {@code config.env}: left out is null (kept as stored); JSON null or {} is none. */
    private static Map<String, String> env(JsonNode node, List<FieldError> errors) {
        if (node == null) {
            return null;
        }
        if (node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            errors.add(new FieldError("config.env", "must be an object of names and string values, like "
                    + "{\"TABLE\": \"orders\"}"));
            return null;
        }
        Map<String, String> env = new LinkedHashMap<>();
        long bytes = 0;
        int before = errors.size();
        for (var entry : node.properties()) {
            String variable = entry.getKey();
            JsonNode value = entry.getValue();
            if (!ENV_NAME.matcher(variable).matches()) {
                errors.add(new FieldError("config.env." + variable, "is not a variable name: letters, digits and "
                        + "'_', not starting with a digit"));
            } else if (RESERVED_ENV_NAMES.contains(variable)) {
                errors.add(new FieldError("config.env." + variable, "is reserved"));
            } else if (!value.isString()) {
                errors.add(new FieldError("config.env." + variable, "must be a string (send numbers and flags "
                        + "as text, as a shell has them)"));
            } else {
                env.put(variable, value.asString());
                bytes += variable.getBytes(StandardCharsets.UTF_8).length
                        + value.asString().getBytes(StandardCharsets.UTF_8).length;
            }
        }
        if (bytes > FunctionConfig.MAX_ENV_BYTES) {
            errors.add(new FieldError("config.env", "is " + bytes + " bytes of names and values; the limit is "
                    + FunctionConfig.MAX_ENV_BYTES));
        }
        return errors.size() == before ? env : null;
    }

    /** Whether the text could be a function's name (as stored: stripped). */
    static boolean isName(String text) {
        return text != null && !text.isEmpty() && text.length() <= MAX_NAME && text.strip().equals(text)
                && NAME.matcher(text).matches();
    }

    private static boolean hasField(List<FieldError> errors, String field) {
        return errors.stream().anyMatch(e -> e.field().equals(field));
    }

    private static String string(JsonNode body, String field, List<FieldError> errors) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isString()) {
            errors.add(new FieldError(field, "must be a string"));
            return null;
        }
        return node.asString();
    }

    private static Integer integer(JsonNode config, String path, String field, int min, int max,
            List<FieldError> errors) {
        JsonNode node = config.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt()) {
            errors.add(new FieldError(path, "must be a whole number between " + min + " and " + max));
            return null;
        }
        int value = node.asInt();
        if (value < min || value > max) {
            errors.add(new FieldError(path, "must be between " + min + " and " + max + ", was " + value));
            return null;
        }
        return value;
    }
}
