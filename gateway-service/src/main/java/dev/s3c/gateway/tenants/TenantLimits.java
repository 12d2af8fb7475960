package dev.s3c.gateway.tenants;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.s3c.gateway.api.ApiException;
import org.bson.Document;
import tools.jackson.databind.JsonNode;

/**
 * What a tenant may use; a limit left out (null) is no limit. Tenants made through the API start with the
 * configured defaults ({@code s3c.gateway.tenant-defaults}); the default tenant, the platform's own, has none until
 * an admin sets some.
 *
 * @param invocationsPerSecond invocations accepted per second, across all gateways (execute and redrive)
 * @param maxFunctions functions the tenant may have
 * @param maxCodeBytes total size of its functions' code
 * @param maxTimeoutMs the longest {@code config.timeoutMs} its functions may have
 * @param maxRetries the most {@code config.retryCount} its functions may have
 * @param concurrentExecutions executions of its functions running at once, across all executors; the rest wait in
 *        line (async) or are refused with 429 once their wait is over (sync)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TenantLimits(Integer invocationsPerSecond, Integer maxFunctions, Long maxCodeBytes, Integer maxTimeoutMs,
        Integer maxRetries, Integer concurrentExecutions) {

    public static final TenantLimits NONE = new TenantLimits(null, null, null, null, null, null);
    /** The most a concurrency limit can be: beyond it, as many as the executors run. */
    public static final int MAX_CONCURRENCY = 10_000;
    static final String[] FIELDS = {"invocationsPerSecond", "maxFunctions", "maxCodeBytes", "maxTimeoutMs",
        "maxRetries", "concurrentExecutions"};

    /**
     * These limits with the fields of {@code json} applied: a number sets a limit, {@code null} removes it, a field
     * left out keeps it.
     *
     * @throws ApiException 400 naming {@code limits.<field>} for an unknown field or a value out of range
     */
    TenantLimits with(JsonNode json) {
        if (!json.isObject()) {
            throw ApiException.badRequest("limits", "must be an object such as {\"invocationsPerSecond\": 100}");
        }
        for (String field : json.propertyNames()) {
            if (!java.util.Arrays.asList(FIELDS).contains(field)) {
                throw ApiException.badRequest("limits." + field, "is not a limit (one of "
                        + String.join(", ", FIELDS) + ")");
            }
        }
        return new TenantLimits(
                integer(json, "invocationsPerSecond", invocationsPerSecond, 1, 1_000_000),
                integer(json, "maxFunctions", maxFunctions, 0, 1_000_000),
                json.has("maxCodeBytes") ? (Long) number(json, "maxCodeBytes", 0, Long.MAX_VALUE / 2) : maxCodeBytes,
                integer(json, "maxTimeoutMs", maxTimeoutMs, 100, 300_000),
                integer(json, "maxRetries", maxRetries, 0, 10),
                integer(json, "concurrentExecutions", concurrentExecutions, 1, MAX_CONCURRENCY));
    }

    private static Integer integer(JsonNode json, String field, Integer current, int min, int max) {
        if (!json.has(field)) {
            return current;
        }
        Long value = number(json, field, min, max);
        return value == null ? null : value.intValue();
    }

    private static Long number(JsonNode json, String field, long min, long max) {
        JsonNode value = json.get(field);
        if (value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || value.asLong() < min || value.asLong() > max) {
            throw ApiException.badRequest("limits." + field, "must be a whole number from " + min + " to " + max
                    + ", or null for no limit");
        }
        return value.asLong();
    }

    Document toDocument() {
        Document d = new Document();
        if (invocationsPerSecond != null) {
            d.append("invocationsPerSecond", invocationsPerSecond);
        }
        if (maxFunctions != null) {
            d.append("maxFunctions", maxFunctions);
        }
        if (maxCodeBytes != null) {
            d.append("maxCodeBytes", maxCodeBytes);
        }
        if (maxTimeoutMs != null) {
            d.append("maxTimeoutMs", maxTimeoutMs);
        }
        if (maxRetries != null) {
            d.append("maxRetries", maxRetries);
        }
        if (concurrentExecutions != null) {
            d.append("concurrentExecutions", concurrentExecutions);
        }
        return d;
    }

    static TenantLimits of(Document d) {
        if (d == null) {
            return NONE;
        }
        Number code = d.get("maxCodeBytes", Number.class);
        return new TenantLimits(d.getInteger("invocationsPerSecond"), d.getInteger("maxFunctions"),
                code == null ? null : code.longValue(), d.getInteger("maxTimeoutMs"), d.getInteger("maxRetries"),
                d.getInteger("concurrentExecutions"));
    }
}
