package dev.s3c.contracts;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One version of a function, as published (keyed by function id) to the compacted function-definitions
 * topic. A tombstone (null value) means the function was deleted.
 *
 * @param tenant who owns it (null: published before definitions named their tenant, or a function stored before
 *        tenants existed: the default tenant's)
 * @param env the environment variables its code reads as {@code process.env}, in the order set (empty: none, or
 *        published before functions had them)
 */
public record FunctionDefinition(
        String id,
        String name,
        long version,
        String code,
        CodeStyle style,
        int timeoutMs,
        int retryCount,
        FunctionStatus status,
        Instant updatedAt,
        String tenant,
        Map<String, String> env) {

    /** The tenant of definitions that name none. */
    public static final String DEFAULT_TENANT = "default";

    public FunctionDefinition {
        env = env == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(env));
    }

    public FunctionDefinition(String id, String name, long version, String code, CodeStyle style, int timeoutMs,
            int retryCount, FunctionStatus status, Instant updatedAt, String tenant) {
        this(id, name, version, code, style, timeoutMs, retryCount, status, updatedAt, tenant, null);
    }

    public FunctionDefinition(String id, String name, long version, String code, CodeStyle style, int timeoutMs,
            int retryCount, FunctionStatus status, Instant updatedAt) {
        this(id, name, version, code, style, timeoutMs, retryCount, status, updatedAt, null, null);
    }

    /** Who owns it, the default tenant when the definition names none. */
    public String owner() {
        return tenant == null ? DEFAULT_TENANT : tenant;
    }

    public boolean active() {
        return status == FunctionStatus.ACTIVE;
    }
}
