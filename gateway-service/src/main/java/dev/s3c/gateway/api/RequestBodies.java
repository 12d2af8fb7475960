package dev.s3c.gateway.api;

import io.swagger.v3.oas.annotations.media.Schema;

/**
 * The shapes of request bodies, for the OpenAPI document only: handlers parse bodies themselves (see
 * {@link JsonBodies}) so that malformed JSON is answered with its line and column.
 */
public final class RequestBodies {

    private RequestBodies() {
    }

    @Schema(name = "FunctionRequest", description = "a function; on PUT, fields left out keep their value")
    public record Function(
            @Schema(description = "unique name", example = "greeter") String name,
            @Schema(description = "what it does") String description,
            @Schema(description = "a script defining handler(input, context), or a function body that returns",
                    example = "async function handler(input, context) { return { hello: input.name }; }") String code,
            Config config,
            @Schema(allowableValues = {"active", "inactive"}) String status,
            @Schema(description = "on an update, the version the change is to, as read: 409 if the function changed "
                    + "since (left out, the update applies to what is stored); ignored on create") Long version,
            @Schema(description = "what this version changes (at most 200 characters), listed with the "
                    + "function's versions; each version has its own: none unless sent, and one sent back as read "
                    + "is not repeated") String note) {
    }

    @Schema(name = "FunctionConfig")
    public record Config(
            @Schema(minimum = "100", maximum = "300000", defaultValue = "30000") Integer timeoutMs,
            @Schema(minimum = "0", maximum = "10", defaultValue = "3") Integer retryCount,
            @Schema(description = "runs at once across all executors; the rest wait in line (async) or get 429 "
                    + "when their wait is over (sync). null removes it", minimum = "1", maximum = "10000")
            Integer maxConcurrency,
            @Schema(description = "environment variables the code reads as process.env: names of letters, digits "
                    + "and '_' (not starting with a digit), string values, 4 KiB in all. On PUT, replaces them all; "
                    + "null or {} removes them", example = "{\"TABLE\": \"orders\"}")
            java.util.Map<String, String> env,
            @Schema(description = "who may call the function's URL, /fn/{id}: public (anyone), key (a key of its "
                    + "tenant), off (no URL; null too). Left out on PUT, it stays as it is",
                    allowableValues = {"public", "key", "off"}, nullable = true) String http,
            @Schema(description = "when it runs by itself: a cron expression (minute hour day-of-month month "
                    + "day-of-week; 6 fields with seconds first), a macro (@hourly, @daily, @weekly, @monthly, "
                    + "@yearly) or @every with an interval from 1s to 24h. Cron expressions and macros are read in "
                    + "UTC, or on the clocks of the zone of a CRON_TZ=<zone> (or TZ=) prefix: an IANA name such as "
                    + "Europe/Paris, or an offset (a local time skipped by daylight saving does not fire that day; a "
                    + "repeated one at a fixed time fires once). Each tick "
                    + "is one async invocation with the input {source: \"schedule\", schedule, time}. null or \"\" "
                    + "removes it; left out on PUT, it stays", example = "*/5 * * * *", nullable = true)
            String schedule) {
    }

    @Schema(name = "InvocationRequest")
    public record Invocation(@Schema(description = "any JSON, passed to the function as input") Object input) {
    }

    @Schema(name = "RedriveRequest", description = "optional: without a body the stored input is used")
    public record Redrive(@Schema(description = "replaces the input") Object input) {
    }

    @Schema(name = "RestoreRequest")
    public record Restore(@Schema(description = "the function's current version, as read: 409 if it has changed since "
            + "(left out, the restore applies to what is stored)") Long version,
            @Schema(description = "the new version's note (at most 200 characters; default: restored version N)")
            String note) {
    }

    @Schema(name = "LoadTestRequest", description = "give concurrency or ratePerSecond, not both")
    public record LoadTest(
            @Schema(description = "the function to call: its id, or its name in the caller's tenant",
                    requiredMode = Schema.RequiredMode.REQUIRED) String functionId,
            @Schema(description = "any JSON, the input of every call") Object input,
            @Schema(allowableValues = {"async", "sync"}, defaultValue = "async") String mode,
            @Schema(description = "callers, each waiting for its call (closed loop)", minimum = "1",
                    defaultValue = "20") Integer concurrency,
            @Schema(description = "calls a second whatever the answers (open loop)", minimum = "1") Integer ratePerSecond,
            @Schema(minimum = "1", maximum = "600", defaultValue = "30") Integer durationSeconds) {
    }
}
