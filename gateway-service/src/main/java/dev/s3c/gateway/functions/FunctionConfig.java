package dev.s3c.gateway.functions;

/**
 * Per-function limits a user sets.
 *
 * @param maxConcurrency runs of this function at once, across all executors (null: only the tenant's limit); the
 *        rest wait in line (async) or are refused with 429 once their wait is over (sync)
 */
@com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
public record FunctionConfig(int timeoutMs, int retryCount, Integer maxConcurrency) {

    public FunctionConfig(int timeoutMs, int retryCount) {
        this(timeoutMs, retryCount, null);
    }

    public static final int MIN_TIMEOUT_MS = 100;
    public static final int MAX_TIMEOUT_MS = 300_000;
    public static final int DEFAULT_TIMEOUT_MS = 30_000;
    public static final int MAX_RETRIES = 10;
    public static final int DEFAULT_RETRIES = 3;
    public static final int MAX_CONCURRENCY = dev.s3c.gateway.tenants.TenantLimits.MAX_CONCURRENCY;

    public static FunctionConfig defaults() {
        return new FunctionConfig(DEFAULT_TIMEOUT_MS, DEFAULT_RETRIES);
    }
}
