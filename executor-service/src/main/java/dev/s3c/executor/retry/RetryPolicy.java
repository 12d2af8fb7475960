package dev.s3c.executor.retry;

import java.time.Duration;

/**
 * Exponential backoff between attempts: the n-th retry waits {@code base * multiplier^(n-1)}, at most {@code cap}.
 */
public record RetryPolicy(Duration base, double multiplier, Duration cap) {

    public RetryPolicy {
        if (base.isNegative() || base.isZero() || multiplier < 1 || cap.compareTo(base) < 0) {
            throw new IllegalArgumentException("retry policy needs base > 0, multiplier >= 1, cap >= base");
        }
    }

    /** How long the attempt numbered {@code nextAttempt} (2 for the first retry) waits. */
    public Duration delayBefore(int nextAttempt) {
        int retry = Math.max(1, nextAttempt - 1);
        double millis = base.toMillis() * Math.pow(multiplier, retry - 1);
        return millis >= cap.toMillis() ? cap : Duration.ofMillis(Math.round(millis));
    }
}
