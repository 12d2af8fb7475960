package dev.s3c.executor.invoke;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.s3c.contracts.ErrorType;
import dev.s3c.contracts.ExecutionStatus;
import dev.s3c.contracts.InvocationCompleted;
import java.time.Duration;

/**
 * The functions of this process that lately used much CPU in one run, timed out or hit a sandbox limit. Their invocations go to the
 * slow lane: an instance runs its records one after another, so one looping function polled in front of fast ones
 * would otherwise hold them up for its whole timeout. A function stays slow for a while after its last slow run
 * (runs in the slow lane keep it there), then gets another chance among the fast.
 */
final class SlowFunctions {

    private final boolean enabled;
    private final long thresholdNanos;
    private final Cache<String, Boolean> slow;

    SlowFunctions(Duration threshold, Duration memory) {
        this(true, threshold, memory);
    }

    private SlowFunctions(boolean enabled, Duration threshold, Duration memory) {
        this.enabled = enabled;
        this.thresholdNanos = threshold.toNanos();
        this.slow = Caffeine.newBuilder().expireAfterWrite(memory).maximumSize(100_000)
                // its upkeep on the caller's thread: the common pool's workers, made by whoever submits
                // first, would inherit an instance's lower priority for the whole JVM
                .executor(Runnable::run).build();
    }

    /** Nothing is ever slow: everything runs where it is read (a process without a slow lane). */
    static SlowFunctions none() {
        return new SlowFunctions(false, Duration.ZERO, Duration.ofSeconds(1));
    }

    /** A run of {@code functionId} used {@code cpuNanos} of its thread's CPU, with {@code result} (null: none). */
    void ran(String functionId, long cpuNanos, InvocationCompleted result) {
        if (!enabled || functionId == null) {
            return;
        }
        boolean cut = result != null && (result.status() == ExecutionStatus.TIMED_OUT || (result.error() != null
                && result.error().type() == ErrorType.LIMIT_EXCEEDED));
        if (cut || cpuNanos > thresholdNanos) {
            slow.put(functionId, Boolean.TRUE);
        }
    }

    /** A run of {@code functionId} used its CPU budget on a fast instance and was handed to the slow lane. */
    void handedOff(String functionId) {
        if (enabled && functionId != null) {
            slow.put(functionId, Boolean.TRUE);
        }
    }

    /**
     * The CPU a run on a fast instance may use before it is handed to the slow lane (0: none, no slow lane): the
     * threshold of slowness, so a function's first slow run, and several fired at once, hold a fast instance no
     * longer than that, not up to their timeout.
     */
    long handOffNanos() {
        return enabled ? thresholdNanos : 0;
    }

    boolean isSlow(String functionId) {
        return functionId != null && slow.getIfPresent(functionId) != null;
    }
}
