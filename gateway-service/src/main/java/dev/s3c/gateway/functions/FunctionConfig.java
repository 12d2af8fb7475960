package dev.s3c.gateway.functions;

/** Per-function limits a user sets. */
public record FunctionConfig(int timeoutMs, int retryCount) {

    public static final int MIN_TIMEOUT_MS = 100;
    public static final int MAX_TIMEOUT_MS = 300_000;
    public static final int DEFAULT_TIMEOUT_MS = 30_000;
    public static final int MAX_RETRIES = 10;
    public static final int DEFAULT_RETRIES = 3;

    public static FunctionConfig defaults() {
        return new FunctionConfig(DEFAULT_TIMEOUT_MS, DEFAULT_RETRIES);
    }
}
