package dev.s3c.gateway;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.util.unit.DataSize;

/**
 * Settings of one gateway instance.
 *
 * @param instanceId names this instance, so results of its synchronous callers are routed back to it
 * @param syncWait how long a synchronous execute waits for the result by default
 * @param maxSyncWait the longest wait a caller may ask for with {@code ?wait=}
 * @param maxCodeSize largest function code accepted
 * @param maxInputSize largest invocation input accepted (as JSON text)
 * @param seedSamples whether the original product's sample functions are created on first start
 * @param monitorUrl where the monitor serves live metrics, which the gateway forwards on its own origin
 * @param loadTests bounds of the built-in load tester
 * @param idempotencyWindow how long an {@code Idempotency-Key} is remembered: within it, the same key (per function)
 *        with the same request answers with the execution it first made instead of running again
 * @param apiKeys the default tenant's keys (several while one replaces another)
 * @param adminKeys keys that manage tenants and their keys (and nothing else)
 * @param tenantDefaults the limits a tenant made through the API starts with
 * @param queue how long the executors' queue may grow before new invocations wait at the gateway
 * @param schedules how functions with a {@code config.schedule} are fired: its catch-up is shorter than the
 *        idempotency window, which is what keeps a tick from running twice
 * @param functionVersions how many versions of each function are kept, the current one included (older ones can be
 *        read and restored; 1 keeps none but the current)
 */
@ConfigurationProperties("s3c.gateway")
public record GatewayProperties(
        String instanceId,
        @DefaultValue("30s") Duration syncWait,
        @DefaultValue("60s") Duration maxSyncWait,
        @DefaultValue("256KB") DataSize maxCodeSize,
        @DefaultValue("1MB") DataSize maxInputSize,
        @DefaultValue("true") boolean seedSamples,
        @DefaultValue("http://localhost:8082") java.net.URI monitorUrl,
        @DefaultValue LoadTestLimits loadTests,
        @DefaultValue("24h") Duration idempotencyWindow,
        @DefaultValue List<String> apiKeys,
        @DefaultValue List<String> adminKeys,
        @DefaultValue TenantDefaults tenantDefaults,
        @DefaultValue QueueLimits queue,
        @DefaultValue Schedules schedules,
        @DefaultValue("50") int functionVersions) {

    /** Versions kept per function at most: each holds its code (up to {@code maxCodeSize}). */
    public static final int MAX_FUNCTION_VERSIONS = 1000;

    public GatewayProperties {
        if (instanceId == null || instanceId.isBlank()) {
            instanceId = "gateway-" + UUID.randomUUID().toString().substring(0, 8);
        }
        apiKeys = keys(apiKeys);
        if (functionVersions < 1 || functionVersions > MAX_FUNCTION_VERSIONS) {
            throw new IllegalArgumentException("s3c.gateway.function-versions (S3C_FUNCTION_VERSIONS) must be 1 to "
                    + MAX_FUNCTION_VERSIONS + ", was " + functionVersions);
        }
        adminKeys = keys(adminKeys);
        if (schedules != null && schedules.catchUp().compareTo(idempotencyWindow) >= 0) {
            throw new IllegalArgumentException("s3c.gateway.schedules.catch-up ("
                    + DurationStyle.SIMPLE.print(schedules.catchUp()) + ") must be shorter than the idempotency "
                    + "window (S3C_IDEMPOTENCY_WINDOW, " + DurationStyle.SIMPLE.print(idempotencyWindow) + ")");
        }
    }

    private static List<String> keys(List<String> keys) {
        return keys == null ? List.of() : keys.stream().map(String::strip).filter(k -> !k.isEmpty()).toList();
    }

    /**
     * Every gateway fires the schedules' ticks; an idempotency key per tick lets one of them queue each.
     *
     * @param refresh how often the functions with a schedule are read again (a change made through this gateway is
     *        read at once)
     * @param catchUp how long a tick that could not be queued (broker away, queue full, the tenant's rate) is tried
     *        again; also how far back a gateway that starts looks for ticks no gateway queued
     */
    public record Schedules(
            @DefaultValue("1s") Duration tick,
            @DefaultValue("10s") Duration refresh,
            @DefaultValue("60s") Duration catchUp) {

        public Schedules {
            if (!tick.isPositive() || !refresh.isPositive()) {
                throw new IllegalArgumentException("s3c.gateway.schedules.tick and .refresh must be more than zero");
            }
            if (catchUp.compareTo(tick) < 0) {
                throw new IllegalArgumentException("s3c.gateway.schedules.catch-up must be at least the tick ("
                        + DurationStyle.SIMPLE.print(tick) + "), not " + DurationStyle.SIMPLE.print(catchUp));
            }
        }
    }

    /** A new tenant's limits (see {@code TenantLimits}); 0 is no limit. */
    public record TenantDefaults(
            @DefaultValue("100") int invocationsPerSecond,
            @DefaultValue("100") int maxFunctions,
            @DefaultValue("10MB") DataSize maxCodeSize,
            @DefaultValue("300s") Duration maxTimeout,
            @DefaultValue("10") int maxRetries,
            @DefaultValue("0") int concurrentExecutions) {
    }

    /**
     * The executors' queue (fresh invocations and due retries, not the concurrency lanes) is kept under what they
     * finish in {@code maxWait}, and never below {@code minQueued}: past it, a new invocation waits at the gateway
     * for room, up to {@code hold}, and is then refused with 503 (nothing queued).
     *
     * @param maxWait the queue's bound in time; zero turns the bound off
     * @param minQueued the bound in invocations when the executors finish few (idle, or slow functions)
     * @param hold how long a call waits for room before it is refused: long enough by default to ride out an executor
     *        process that died (its partitions wait out the consumer session, 10 s, before another takes them)
     */
    public record QueueLimits(
            @DefaultValue("2s") Duration maxWait,
            @DefaultValue("1000") int minQueued,
            @DefaultValue("30s") Duration hold) {

        public QueueLimits {
            if (maxWait.isNegative()) {
                throw new IllegalArgumentException("s3c.gateway.queue.max-wait (S3C_QUEUE_MAX_WAIT) must be zero "
                        + "or more, not " + DurationStyle.SIMPLE.print(maxWait));
            }
            if (minQueued < 1) {
                throw new IllegalArgumentException("s3c.gateway.queue.min-queued (S3C_QUEUE_MIN_QUEUED) must be 1 "
                        + "or more, not " + minQueued);
            }
            if (hold.isNegative()) {
                throw new IllegalArgumentException("s3c.gateway.queue.hold (S3C_QUEUE_HOLD) must be zero or more, "
                        + "not " + DurationStyle.SIMPLE.print(hold));
            }
        }

        public boolean bounded() {
            return !maxWait.isZero();
        }
    }

    /**
     * What one load test may ask of this gateway; one runs at a time.
     *
     * @param maxConcurrency most concurrent callers of a closed-loop test
     * @param maxRatePerSecond highest rate of an open-loop test
     * @param maxDuration longest test
     * @param maxOutstanding most calls sent and not finished; beyond it an open-loop test skips calls (counted) and
     * a closed-loop one waits, so a platform that falls behind costs the gateway bounded memory
     * @param resultWait how long one call's result is waited for before it counts as unfinished
     * @param drain after the last call is sent, how long results still outstanding are waited for
     */
    public record LoadTestLimits(
            @DefaultValue("256") int maxConcurrency,
            @DefaultValue("2000") int maxRatePerSecond,
            @DefaultValue("10m") Duration maxDuration,
            @DefaultValue("100000") int maxOutstanding,
            @DefaultValue("60s") Duration resultWait,
            @DefaultValue("30s") Duration drain) {
    }
}
