package dev.s3c.monitor.live;

import dev.s3c.contracts.ExecutionStatus;

/** Counts and latencies of one second (or a merged window), for one function or for all. Not thread-safe. */
final class Stats {

    long accepted;
    long completed;
    long succeeded;
    long failed;
    long timedOut;
    long rejected;
    long retried;
    long deadLettered;
    long coldStarts;
    final Latencies queueWait = new Latencies();
    final Latencies execution = new Latencies();

    void completed(ExecutionStatus status, long queueWaitMs, long executionMs, boolean coldStart, boolean ran) {
        completed++;
        switch (status) {
            case SUCCEEDED -> succeeded++;
            case TIMED_OUT -> timedOut++;
            case REJECTED -> rejected++;
            default -> failed++;
        }
        if (ran) {
            if (queueWaitMs >= 0) {
                queueWait.add(queueWaitMs);
            }
            execution.add(executionMs);
            if (coldStart) {
                coldStarts++;
            }
        }
    }

    void addAll(Stats other) {
        accepted += other.accepted;
        completed += other.completed;
        succeeded += other.succeeded;
        failed += other.failed;
        timedOut += other.timedOut;
        rejected += other.rejected;
        retried += other.retried;
        deadLettered += other.deadLettered;
        coldStarts += other.coldStarts;
        queueWait.addAll(other.queueWait);
        execution.addAll(other.execution);
    }

    /** As JSON: counts over {@code seconds}, their per-second rates, and latency percentiles. */
    View view(int seconds) {
        return new View(accepted, completed, succeeded, failed, timedOut, rejected, retried, deadLettered, coldStarts,
                rate(accepted, seconds), rate(completed, seconds),
                new Percentiles(queueWait.percentile(0.5), queueWait.percentile(0.95), queueWait.percentile(0.99)),
                new Percentiles(execution.percentile(0.5), execution.percentile(0.95), execution.percentile(0.99)));
    }

    private static double rate(long count, int seconds) {
        return Math.round(count * 100.0 / Math.max(1, seconds)) / 100.0;
    }

    record Percentiles(long p50, long p95, long p99) {
    }

    /** What clients see; latencies in milliseconds. */
    record View(long accepted, long completed, long succeeded, long failed, long timedOut, long rejected, long retried,
            long deadLettered, long coldStarts, double acceptedPerSecond, double completedPerSecond,
            Percentiles queueWaitMs, Percentiles executionMs) {
    }
}
