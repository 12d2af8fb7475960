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
 * @param http who may call it at its function URL, {@code /fn/{id}}: {@value #HTTP_PUBLIC} (anyone),
 *        {@value #HTTP_KEY} (its tenant's keys), or null: it has none
 * @param schedule when it runs by itself ({@link Schedule}), as given, or null: only when called
 */
@com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
public record FunctionConfig(int timeoutMs, int retryCount, Integer maxConcurrency, Map<String, String> env,
        String http, String schedule) {

    public FunctionConfig {
        env = env == null || env.isEmpty() ? null : Collections.unmodifiableMap(new LinkedHashMap<>(env));
    }

    public FunctionConfig(int timeoutMs, int retryCount, Integer maxConcurrency, Map<String, String> env,
            String http) {
        this(timeoutMs, retryCount, maxConcurrency, env, http, null);
    }

    public FunctionConfig(int timeoutMs, int retryCount, Integer maxConcurrency, Map<String, String> env) {
        this(timeoutMs, retryCount, maxConcurrency, env, null, null);
    }

    public FunctionConfig(int timeoutMs, int retryCount, Integer maxConcurrency) {
        this(timeoutMs, retryCount, maxConcurrency, null, null, null);
    }

    public FunctionConfig(int timeoutMs, int retryCount) {
        this(timeoutMs, retryCount, null, null, null, null);
    }

    public static final int MIN_TIMEOUT_MS = 100;
    public static final int MAX_TIMEOUT_MS = 300_000;
    public static final int DEFAULT_TIMEOUT_MS = 30_000;
    public static final int MAX_RETRIES = 10;
    public static final int DEFAULT_RETRIES = 3;
    public static final int MAX_CONCURRENCY = dev.s3c.gateway.tenants.TenantLimits.MAX_CONCURRENCY;
    /** The name of the stored field its schedule is in, which the schedulers' query reads. */
    static final String SCHEDULE_FIELD = "config.schedule";
    /** Bytes of UTF-8 in all names and values together: Lambda's limit. */
    public static final int MAX_ENV_BYTES = 4096;

    /** Anyone may call its function URL. */
    public static final String HTTP_PUBLIC = "public";
    /** Callers of its function URL present a key of its tenant. */
    public static final String HTTP_KEY = "key";

    public static FunctionConfig defaults() {
        return new FunctionConfig(DEFAULT_TIMEOUT_MS, DEFAULT_RETRIES);
    }
}
