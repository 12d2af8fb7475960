package dev.s3c.gateway.loadtests;

import dev.s3c.contracts.FunctionStatus;
import dev.s3c.contracts.InvocationCompleted;
import dev.s3c.contracts.InvocationRequested;
import dev.s3c.gateway.GatewayProperties.LoadTestLimits;
import dev.s3c.gateway.functions.FunctionService;
import dev.s3c.gateway.invoke.ExecutionIds;
import dev.s3c.gateway.invoke.Invocations;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * One load test: sends calls through the same path as the REST API, waits for each final result (routed back to
 * this gateway), and counts what the platform did with them. A closed-loop test keeps {@code concurrency} callers
 * busy; an open-loop test sends at a fixed rate and measures each call from when it was due, so a platform that
 * falls behind shows as latency instead of fewer calls (no coordinated omission).
 */
final class LoadTest {

    private static final Logger log = LoggerFactory.getLogger(LoadTest.class);
    /** How often an open-loop test sends the calls that came due. */
    private static final Duration TICK = Duration.ofMillis(5);
    private static final long HIGHEST_MICROS = TimeUnit.MINUTES.toMicros(15);
    private static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(10);

    final String id;
    /** Whose test it is: only that tenant sees it and its progress. */
    final String tenant;
    private final java.util.function.Supplier<Mono<Void>> admission;
    final LoadTestSpec spec;
    private final String functionName;
    private final FunctionService functions;
    private final Invocations invocations;
    private final LoadTestLimits limits;

    private final Instant startedAt = Instant.now();
    private final long startNanos = System.nanoTime();
    private final long endNanos;
    private volatile Instant endedAt;
    private volatile String state = "running";
    private volatile String stopReason;
    private volatile boolean stopRequested;

    private final LongAdder sent = new LongAdder();
    private final LongAdder accepted = new LongAdder();
    private final LongAdder succeeded = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder timedOut = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder unfinished = new LongAdder();
    private final LongAdder skipped = new LongAdder();
    private final AtomicInteger outstanding = new AtomicInteger();
    private final Histogram latency = new ConcurrentHistogram(HIGHEST_MICROS, 3);
    private final Histogram acceptLatency = new ConcurrentHistogram(HIGHEST_MICROS, 3);
    private final AtomicLongArray sentPerSecond;
    private final AtomicLongArray completedPerSecond;

    /** @param admission completes when one more call fits the tenant's rate (asked once per call) */
    LoadTest(String id, String tenant, LoadTestSpec spec, String functionName, FunctionService functions,
            Invocations invocations, LoadTestLimits limits, java.util.function.Supplier<Mono<Void>> admission) {
        this.id = id;
        this.tenant = tenant;
        this.admission = admission;
        this.spec = spec;
        this.functionName = functionName;
        this.functions = functions;
        this.invocations = invocations;
        this.limits = limits;
        this.endNanos = startNanos + TimeUnit.SECONDS.toNanos(spec.durationSeconds());
        // results may arrive until the later of the drain and the wait for one result
        int seconds = spec.durationSeconds()
                + (int) Math.max(limits.drain().toSeconds(), limits.resultWait().toSeconds()) + 2;
        this.sentPerSecond = new AtomicLongArray(seconds);
        this.completedPerSecond = new AtomicLongArray(seconds);
    }

    /** Sends for the test's duration, waits for the results still out (up to the drain bound), then ends. */
    Mono<Void> run() {
        Mono<Void> sending = spec.concurrency() != null ? closedLoop(spec.concurrency()) : openLoop(spec.ratePerSecond());
        return sending
                .then(Mono.fromRunnable(() -> {
                    if (!stopRequested) {
                        state = "draining";
                    }
                }))
                .then(drained())
                .onErrorResume(e -> {
                    log.warn("Load test {} failed: {}", id, e.toString());
                    stop("the load generator failed: " + e.getMessage());
                    return Mono.empty();
                })
                .then(Mono.fromRunnable(this::end));
    }

    /** Ends the test early: nothing more is sent; results of calls still out are waited for up to the drain bound. */
    synchronized void stop(String reason) {
        if (!stopRequested && !ended()) {
            stopReason = reason;
            stopRequested = true;
            state = "stopping";
        }
    }

    boolean ended() {
        return endedAt != null;
    }

    private boolean sending() {
        return !stopRequested && System.nanoTime() < endNanos;
    }

    private Mono<Void> closedLoop(int callers) {
        Mono<Void> next = Mono.defer(() -> {
            if (!sending()) {
                return Mono.empty();
            }
            if (outstanding.get() >= limits.maxOutstanding()) {
                return Mono.delay(Duration.ofMillis(20)).then(); // async callers wait for results to come back
            }
            return call(System.nanoTime());
        });
        return Flux.range(0, callers)
                .flatMap(caller -> next.repeat(this::sending), callers)
                .then();
    }

    private Mono<Void> openLoop(int ratePerSecond) {
        long total = (long) ratePerSecond * spec.durationSeconds();
        double periodNanos = 1e9 / ratePerSecond;
        long[] dispatched = {0}; // only the interval's one thread touches it
        return Flux.interval(TICK, Schedulers.parallel())
                .doOnNext(tick -> {
                    long due = Math.min(total, (long) ((System.nanoTime() - startNanos) / periodNanos) + 1);
                    while (dispatched[0] < due && !stopRequested) {
                        long intended = startNanos + (long) (dispatched[0]++ * periodNanos);
                        if (outstanding.get() >= limits.maxOutstanding()) {
                            skipped.increment();
                        } else {
                            call(intended).subscribe();
                        }
                    }
                })
                .takeUntil(tick -> dispatched[0] >= total || stopRequested)
                .then();
    }

    /** One call; completes when the caller may go on: on its result for sync tests, once queued for async ones. */
    private Mono<Void> call(long intendedNanos) {
        sent.increment();
        count(sentPerSecond, intendedNanos);
        outstanding.incrementAndGet();
        return functions.lookup(spec.functionId())
                .timeout(LOOKUP_TIMEOUT) // a store that never answers must not hold a caller (and the test) forever
                .filter(f -> f.status() == FunctionStatus.ACTIVE)
                .switchIfEmpty(Mono.fromRunnable(() -> {
                    refused();
                    stop("function " + functionName + " was deleted or deactivated");
                }))
                // the tenant's rate holds for its load tests too: a call over it counts as rejected
                .flatMap(function -> admission.get().thenReturn(function))
                // and the executors' queue's bound: a call waits for room as an API call would (a sync one at most
                // the result wait); one refused after the hold counts as rejected
                .flatMap(function -> invocations.awaitRoom(spec.sync() ? limits.resultWait() : null)
                        .thenReturn(function))
                // concurrency limits hold too: in a lane, calls wait in line (a sync call's wait is the result wait)
                .flatMap(function -> invocations.place(function.tenant(), function, new InvocationRequested(
                        ExecutionIds.next(), function.id(), function.version(), spec.input(), Instant.now(),
                        invocations.replyTo()), null))
                .flatMap(placed -> {
                    var request = placed.request();
                    Mono<Void> result = invocations.awaitResult(request.executionId())
                            .timeout(limits.resultWait())
                            .doOnNext(r -> completed(r, intendedNanos))
                            .onErrorResume(TimeoutException.class, e -> Mono.fromRunnable(this::notFinished))
                            .doFinally(signal -> invocations.forget(request.executionId()))
                            .then();
                    return invocations.publish(request, spec.mode())
                            .then(Mono.fromCallable(() -> {
                                queued(intendedNanos);
                                return true;
                            }))
                            .onErrorResume(e -> {
                                invocations.forget(request.executionId());
                                refused();
                                return Mono.just(false);
                            })
                            .flatMap(queued -> !queued ? Mono.<Void>empty()
                                    : spec.sync() ? result : Mono.fromRunnable(result::subscribe));
                })
                .onErrorResume(e -> { // the function store failed to answer, or the queue had no room
                    refused();
                    return Mono.empty();
                })
                .then();
    }

    // after the end (a call held for room until then) it is not counted: the report is final
    private synchronized void queued(long intendedNanos) {
        if (ended()) {
            return;
        }
        accepted.increment();
        acceptLatency.recordValue(micros(intendedNanos));
    }

    // settling a call and ending the test hold the test's lock, so a late result is counted once: as a result, or
    // (after the end) as unfinished
    private synchronized void completed(InvocationCompleted result, long intendedNanos) {
        if (ended()) {
            return;
        }
        outstanding.decrementAndGet();
        switch (result.status()) {
            case SUCCEEDED -> succeeded.increment();
            case FAILED -> failed.increment();
            case TIMED_OUT -> timedOut.increment();
            default -> rejected.increment();
        }
        latency.recordValue(micros(intendedNanos));
        count(completedPerSecond, System.nanoTime());
    }

    private synchronized void refused() {
        if (!ended()) {
            outstanding.decrementAndGet();
            rejected.increment();
        }
    }

    private synchronized void notFinished() {
        if (!ended()) {
            outstanding.decrementAndGet();
            unfinished.increment();
        }
    }

    private long micros(long fromNanos) {
        return Math.min(HIGHEST_MICROS, Math.max(0, (System.nanoTime() - fromNanos) / 1000));
    }

    private void count(AtomicLongArray perSecond, long atNanos) {
        int second = (int) Math.max(0, (atNanos - startNanos) / 1_000_000_000L);
        perSecond.incrementAndGet(Math.min(second, perSecond.length() - 1));
    }

    /** Completes once no call is outstanding, or the drain bound passed since the last call was sent. */
    private Mono<Void> drained() {
        return Mono.defer(() -> {
            long deadline = System.nanoTime() + limits.drain().toNanos();
            return Flux.interval(Duration.ZERO, Duration.ofMillis(50))
                    .takeUntil(t -> outstanding.get() <= 0 || System.nanoTime() > deadline)
                    .then();
        });
    }

    /** Ends the test once: what is still outstanding counts as unfinished. */
    synchronized void end() {
        if (ended()) {
            return;
        }
        state = stopRequested ? "stopped" : "finished";
        unfinished.add(Math.max(0, outstanding.get()));
        endedAt = Instant.now();
        log.info("Load test {} {}: {} sent, {} succeeded, {} failed, {} timed out, {} rejected, {} unfinished",
                id, state, sent.sum(), succeeded.sum(), failed.sum(), timedOut.sum(), rejected.sum(),
                unfinished.sum());
    }

    LoadTestReport report() {
        Instant end = endedAt;
        double elapsed = (end == null ? System.nanoTime() - startNanos
                : Duration.between(startedAt, end).toNanos()) / 1e9;
        int lastSecond = Math.min(sentPerSecond.length() - 1, (int) elapsed);
        List<LoadTestReport.Second> seconds = new ArrayList<>(lastSecond + 1);
        for (int s = 0; s <= lastSecond; s++) {
            seconds.add(new LoadTestReport.Second(s, sentPerSecond.get(s), completedPerSecond.get(s)));
        }
        return new LoadTestReport(id, spec.functionId(), functionName, spec.mode(), spec.concurrency(),
                spec.ratePerSecond(), spec.durationSeconds(), end == null ? state : state, startedAt, end,
                stopReason, Math.round(elapsed * 10) / 10.0, sent.sum(), accepted.sum(), succeeded.sum(),
                failed.sum(), timedOut.sum(), rejected.sum(), unfinished.sum(), skipped.sum(),
                end == null ? Math.max(0, outstanding.get()) : 0, percentiles(latency),
                percentiles(acceptLatency), seconds, null);
    }

    private static LoadTestReport.Percentiles percentiles(Histogram histogram) {
        Histogram copy = histogram.copy();
        if (copy.getTotalCount() == 0) {
            return null;
        }
        return new LoadTestReport.Percentiles(copy.getTotalCount(), ms(copy.getValueAtPercentile(50)),
                ms(copy.getValueAtPercentile(95)), ms(copy.getValueAtPercentile(99)), ms(copy.getMaxValue()));
    }

    private static double ms(long micros) {
        return Math.round(micros / 100.0) / 10.0;
    }
}
