package dev.s3c.gateway.loadtests;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.s3c.gateway.metrics.ScalingEventView;
import java.time.Instant;
import java.util.List;

/**
 * A load test as the API shows it: while it runs (progress) and after (the result).
 *
 * @param state {@code running}, {@code draining} (all sent, results still arriving), {@code finished}, or
 * {@code stopping} then {@code stopped} (ended early)
 * @param stopReason why it ended before its duration, when it did
 * @param sent calls made
 * @param accepted calls the platform queued
 * @param succeeded calls that ended {@code succeeded}, counted when the result reached this gateway (what a sync
 * caller is answered; an async call's stored execution follows within the persistence lag)
 * @param failed calls that ended {@code failed} (after their retries)
 * @param timedOut calls that ended {@code timed_out}
 * @param rejected calls the platform refused (function deleted or deactivated, queue unavailable) or ended
 * {@code rejected}
 * @param unfinished accepted calls whose result did not arrive within the wait bound
 * @param skipped calls of an open-loop test not sent because too many were outstanding
 * @param outstanding calls sent and not finished yet
 * @param latencyMs from when a call was due to be sent (open loop) or was sent (closed loop) to its final result
 * @param acceptLatencyMs from the same start to the platform queueing the call
 * @param seconds one entry a second from the start: calls sent and results received in that second
 * @param scalingDecisions the scaler's decisions taken while the test ran (in the answer of GET by id only)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record LoadTestReport(String id, String functionId, String functionName, String mode, Integer concurrency,
        Integer ratePerSecond, int durationSeconds, String state, Instant startedAt, Instant endedAt,
        String stopReason, double elapsedSeconds, long sent, long accepted, long succeeded, long failed, long timedOut, long rejected,
        long unfinished, long skipped, long outstanding, Percentiles latencyMs, Percentiles acceptLatencyMs,
        List<Second> seconds, List<ScalingEventView> scalingDecisions) {

    /** Latency percentiles in milliseconds over every call counted. */
    record Percentiles(long count, double p50, double p95, double p99, double max) {
    }

    /** What happened in one second of the test. */
    record Second(int second, long sent, long completed) {
    }

    LoadTestReport withScalingDecisions(List<ScalingEventView> decisions) {
        return new LoadTestReport(id, functionId, functionName, mode, concurrency, ratePerSecond, durationSeconds,
                state, startedAt, endedAt, stopReason, elapsedSeconds, sent, accepted, succeeded, failed, timedOut, rejected,
                unfinished, skipped, outstanding, latencyMs, acceptLatencyMs, seconds, decisions);
    }
}
