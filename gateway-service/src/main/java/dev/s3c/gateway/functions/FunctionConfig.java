package dev.s3c.gateway.functions;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Per-function limits a user sets.
 *
 * @param maxConcurrency runs of this function at once, across all executors (null: only the tenant's limit); the
 *        rest wait in line (async) or are refused with 429 once their wait is over (sync)
 * @param env environment variables its code reads as {@code process.env}, in the order set (null: none)
 */
@com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
public record FunctionConfig(int timeoutMs, int retryCount, Integer maxConcurrency, Map<String, String> env) {

    public FunctionConfig {
        env = env == null || env.isEmpty() ? null : Collections.unmodifiableMap(new LinkedHashMap<>(env));
    }

    public FunctionConfig(int timeoutMs, int retryCount, Integer maxConcurrency) {
        this(timeoutMs, retryCount, maxConcurrency, null);
    }

    public FunctionConfig(int timeoutMs, int retryCount) {
        this(timeoutMs, retryCount, null, null);
    }

    public static final int MIN_TIMEOUT_MS = 100;
    public static final int MAX_TIMEOUT_MS = 300_000;
    public static final int DEFAULT_TIMEOUT_MS = 30_000;
    public static final int MAX_RETRIES = 10;
    public static final int DEFAULT_RETRIES = 3;
    public static final int MAX_CONCURRENCY = dev.s3c.gateway.tenants.TenantLimits.MAX_CONCURRENCY;
    /** Bytes of UTF-8 in all names and values together: Lambda's limit. */
    public static final int MAX_ENV_BYTES = 4096;

    public static FunctionConfig defaults() {
        return new FunctionConfig(DEFAULT_TIMEOUT_MS, DEFAULT_RETRIES);
    }
}
