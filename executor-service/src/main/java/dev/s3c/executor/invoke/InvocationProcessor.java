package dev.s3c.executor.invoke;

import dev.s3c.contracts.AttemptRecord;
import dev.s3c.contracts.DeadLettered;
import dev.s3c.contracts.ErrorType;
import dev.s3c.contracts.ExecutionError;
import dev.s3c.contracts.ExecutionStatus;
import dev.s3c.contracts.FunctionDefinition;
import dev.s3c.contracts.InvocationCompleted;
import dev.s3c.contracts.InvocationRequested;
import dev.s3c.contracts.InvocationStarted;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.executor.catalog.FunctionCatalog;
import dev.s3c.executor.retry.RetryPolicy;
import dev.s3c.executor.runtime.FunctionSandbox;
import dev.s3c.executor.runtime.HandedOff;
import dev.s3c.executor.runtime.RunOutcome;
import dev.s3c.executor.runtime.Watchdog;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Consumer;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/** Turns one invocation request into its one result, on the calling instance's sandbox. */
final class InvocationProcessor {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(InvocationProcessor.class);

    private final FunctionCatalog catalog;
    private final Duration definitionWait;
    private final Watchdog watchdog;
    private final Duration runningNotice;
    private final Consumer<InvocationStarted> starts;
    private final RetryPolicy retries;

    /**
     * What to publish for one request: its result, or, when the attempt failed with retries left, the next attempt
     * (and then {@code result} is only this attempt's outcome, not published).
     *
     * @param outputChars the length of the result's output as JSON text (0: none)
     */
    record Step(InvocationCompleted result, InvocationRequested retry, DeadLettered deadLetter,
            InvocationRequested toLane, InvocationRequested toSlowLane, InvocationRequested toFairLane,
            int fairLane, int outputChars) {

        Step(InvocationCompleted result, InvocationRequested retry, DeadLettered deadLetter) {
            this(result, retry, deadLetter, null, null, null, 0, 0);
        }

        static Step done(InvocationCompleted result) {
            return new Step(result, null, null);
        }

        /** Not run here: it goes to its concurrency lane, where it waits in line. */
        static Step moveToLane(InvocationRequested request) {
            return new Step(null, null, null, request, null, null, 0, 0);
        }

        /**
         * Not run here: its tenant takes more than its share of the instances, so it waits in that tenant's partition
         * {@code lane} of the fair lanes, as it is (no lane of a limit: a slow function there still goes to the slow
         * lane, a first slow run is still handed off).
         */
        static Step moveToFairLane(InvocationRequested request, int lane) {
            return new Step(null, null, null, null, null, request, lane, 0);
        }

        /** Not run here: its function ran slow lately, so it goes to the slow lane, out of the way of fast ones. */
        static Step moveToSlowLane(InvocationRequested request) {
            return new Step(null, null, null, null, request, null, 0, 0);
        }

        boolean moved() {
            return toLane != null || toSlowLane != null || toFairLane != null;
        }

        /** The same attempt handed back after a platform fault: neither a retry nor a run of the function. */
        boolean redelivery() {
            return retry != null && retry.redeliveries() > 0;
        }
    }

    /**
     * @param runningNotice after this long, a still-running execution is announced through {@code starts}
     */
    InvocationProcessor(FunctionCatalog catalog, Duration definitionWait, Watchdog watchdog, Duration runningNotice,
            Consumer<InvocationStarted> starts, RetryPolicy retries) {
        this.retries = retries;
        this.catalog = catalog;
        this.definitionWait = definitionWait;
        this.watchdog = watchdog;
        this.runningNotice = runningNotice;
        this.starts = starts;
    }

    Step process(InvocationRequested request, FunctionSandbox sandbox, String instanceId) throws InterruptedException {
        return process(request, sandbox, instanceId, 0);
    }

    /**
     * @param cpuBudgetNanos CPU a run may use here (0: no bound but its timeout); a run that uses it is stopped and
     *        the request goes to the slow lane, where it starts again
     */
    Step process(InvocationRequested request, FunctionSandbox sandbox, String instanceId, long cpuBudgetNanos)
            throws InterruptedException {
        // a redelivered request waited in its delay tier already: a definition on its way has arrived by now, and
        // waiting again on every redelivery would hold the instance up
        Duration wait = request.redeliveries() == 0 ? definitionWait : Duration.ZERO;
        if (pastItsCallersWait(request)) {
            // checked first too, so a refused request does not hold its lane while a definition is waited for
            return throttled(request, instanceId);
        }
        long lookupStart = System.nanoTime();
        FunctionCatalog.Lookup lookup = catalog.await(request.functionId(), request.functionVersion(), wait);
        long waitedMillis = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lookupStart);
        if (waitedMillis >= 1000) {
            // the definitions topic is behind: the instance sat idle this long (rare; a sign to look into)
            log.info("Instance {} waited {} ms for version {} of function {} ({})", instanceId, waitedMillis,
                    request.functionVersion(), request.functionId(), lookup.definition() != null ? "arrived"
                            : lookup.deleted() ? "deleted" : "not arrived");
        }
        Instant startedAt = Instant.now();
        FunctionDefinition function = lookup.definition();
        if (function != null && function.version() < request.functionVersion()) {
            // never run an older version than the caller was promised
            return systemFault(request, "version " + request.functionVersion() + " of function "
                    + request.functionId() + " has not reached this executor yet", instanceId);
        }
        if (function == null) {
            if (lookup.deleted()) {
                return Step.done(rejected(request, "function " + request.functionId() + " was deleted", instanceId));
            }
            // the gateway checked that it exists before queueing the call: its definition has not arrived yet (a
            // publish that failed is repeated by the gateway's reconciliation), so this is the platform's fault
            return systemFault(request, "function " + request.functionId() + " has not reached this executor yet",
                    instanceId);
        }
        if (!function.active()) {
            return Step.done(rejected(request, "function " + function.name() + " is inactive", instanceId));
        }
        if (pastItsCallersWait(request)) {
            return throttled(request, instanceId);
        }
        boolean waitedFor = request.startBy() != null;
        var started = new InvocationStarted(request.executionId(), function.id(), function.version(), instanceId,
                request.attempt(), startedAt, waitedFor ? request.replyTo() : null);
        ScheduledFuture<?> notice = null;
        if (waitedFor) {
            // a sync caller waiting in a lane is told now, before the run (its gateway refuses it with 429 unless
            // it hears of a start): sent off this thread, and never taken back however short the run
            starts.accept(started);
        } else {
            notice = watchdog.schedule(() -> starts.accept(started), runningNotice.toMillis());
        }
        RunOutcome outcome;
        try {
            outcome = sandbox.run(function, JsonCodec.toJson(request.input()), contextJson(request, function),
                    handsOff(function, cpuBudgetNanos) ? cpuBudgetNanos : 0);
        } catch (HandedOff e) {
            // no result, nothing of it kept: the same attempt starts afresh in the slow lane, with its whole timeout
            log.debug("Instance {}: execution {} handed to the slow lane: {}", instanceId, request.executionId(),
                    e.getMessage());
            return Step.moveToSlowLane(request);
        } finally {
            if (notice != null) {
                notice.cancel(false);
            }
        }
        JsonNode output = null;
        ExecutionStatus status = outcome.status();
        ExecutionError error = outcome.error();
        if (outcome.outputJson() != null) {
            try {
                output = JsonCodec.readTree(outcome.outputJson());
            } catch (JacksonException e) {
                // valid JSON from JSON.stringify, but beyond what the platform carries (e.g. nested too deep)
                status = ExecutionStatus.FAILED;
                error = ExecutionError.of(ErrorType.DEVELOPER_ERROR, "result cannot be carried: "
                        + e.getOriginalMessage());
            }
        }
        var result = new InvocationCompleted(request.executionId(), request.functionId(), function.version(), status,
                output, error, outcome.logs(), outcome.durationMs(), request.attempt(), instanceId, outcome.coldStart(),
                request.requestedAt(), startedAt, Instant.now(), request.replyTo())
                .withHistory(request.history(), request.series());
        if (result.error() != null && result.error().type() == ErrorType.SYSTEM_ERROR) {
            // it started: its sync caller heard so, and the attempt handed back must not be refused as throttled
            return systemFault(request.inLane(request.lane(), null), result.error().message(), instanceId);
        }
        if (retryable(result) || failsAgain(result)) {
            AttemptRecord attempt = AttemptRecord.of(result);
            if (retryable(result) && request.attempt() <= allowedRetries(request, function)) {
                Instant due = Instant.now().plus(retries.delayBefore(request.attempt() + 1));
                return new Step(result, request.retry(due, attempt), null);
            }
            // out of retries, or a failure a retry would only repeat: the result is final, and the request goes to
            // the dead-letter queue, to redrive once the function is fixed
            return new Step(result, null, new DeadLettered(request.executionId(), request.functionId(), request, attempt,
                    Instant.now()));
        }
        // the length of its output's JSON: what a batch holding it until its transaction keeps in memory
        return new Step(result, null, null, null, null, null, 0,
                outcome.outputJson() == null ? 0 : outcome.outputJson().length());
    }

    /**
     * A platform fault is not the function's: the same attempt is handed back (through the retry tiers, 1 s, then
     * 2, 4, 8 and 16 s: about two minutes in all) without counting against its retries, up to
     * {@link #MAX_REDELIVERIES} times; then it ends as a system error.
     */
    Step systemFault(InvocationRequested request, String why, String instanceId) {
        InvocationCompleted failed = failed(request, ErrorType.SYSTEM_ERROR, why, instanceId);
        // rare, and otherwise invisible until the redeliveries run out: say which execution and why
        log.info("Instance {}: platform fault on execution {} (attempt {}, {} redeliveries so far, {}): {}",
                instanceId, request.executionId(), request.attempt(), request.redeliveries(),
                request.redeliveries() < MAX_REDELIVERIES ? "handed back" : "final", why);
        if (request.redeliveries() < MAX_REDELIVERIES) {
            return new Step(failed, request.redeliver(Instant.now().plus(redeliveryDelay(request.redeliveries()))),
                    null);
        }
        // out of redeliveries: final, and redrivable once the platform is healthy again
        return new Step(failed, null, new DeadLettered(request.executionId(), request.functionId(), request,
                AttemptRecord.of(failed), Instant.now()));
    }

    /**
     * Whether a run of {@code function} is handed to the slow lane once it used {@code cpuBudgetNanos}: not when its
     * timeout is within twice that. Such a run ends soon anyway, and starting it again elsewhere, at a lower priority,
     * could only make it late, or time it out.
     */
    static boolean handsOff(FunctionDefinition function, long cpuBudgetNanos) {
        return cpuBudgetNanos > 0 && java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(function.timeoutMs())
                > 2 * cpuBudgetNanos;
    }

    /**
     * A sync caller waiting in a concurrency lane whose wait is over: its gateway answers it 429, so it must never
     * start now.
     */
    private static boolean pastItsCallersWait(InvocationRequested request) {
        return request.startBy() != null && Instant.now().isAfter(request.startBy());
    }

    private static Step throttled(InvocationRequested request, String instanceId) {
        return Step.done(failed(request, ErrorType.THROTTLED, "not started within the caller's wait: every run its "
                + "concurrency limit allows was busy", instanceId));
    }

    static final int MAX_REDELIVERIES = 10;

    /** Before redelivery {@code n + 1}: 1 s doubling up to 16 s. */
    static Duration redeliveryDelay(int redeliveriesSoFar) {
        return Duration.ofSeconds(1L << Math.min(redeliveriesSoFar, 4));
    }

    /** The function's own failures are retried; rejections and platform faults are not theirs to retry. */
    static boolean retryable(InvocationCompleted result) {
        if (result.status() == ExecutionStatus.TIMED_OUT) {
            return true;
        }
        return result.status() == ExecutionStatus.FAILED && result.error() != null
                && (result.error().type() == ErrorType.USER_ERROR || result.error().type() == ErrorType.LIMIT_EXCEEDED);
    }

    /**
     * The function's own failures that the same code would repeat on the same input (its code defines no handler, or
     * its result cannot be carried): never retried, but dead-lettered like a failure out of retries.
     */
    static boolean failsAgain(InvocationCompleted result) {
        return result.status() == ExecutionStatus.FAILED && result.error() != null
                && result.error().type() == ErrorType.DEVELOPER_ERROR;
    }

    /** A caller may ask for fewer retries than the function's, never more. */
    static int allowedRetries(InvocationRequested request, FunctionDefinition function) {
        int own = Math.max(0, function.retryCount());
        return request.maxRetries() == null ? own : Math.max(0, Math.min(own, request.maxRetries()));
    }

    static InvocationCompleted rejected(InvocationRequested request, String why, String instanceId) {
        return failed(request, ErrorType.REJECTED, why, instanceId);
    }

    /**
     * An outcome without a run of the function: no start time (so neither metrics nor the store count it as a run,
     * warm or cold, nor its wait as queue wait), no duration.
     */
    static InvocationCompleted failed(InvocationRequested request, ErrorType type, String why, String instanceId) {
        ExecutionStatus status = type == ErrorType.REJECTED || type == ErrorType.THROTTLED ? ExecutionStatus.REJECTED
                : ExecutionStatus.FAILED;
        return new InvocationCompleted(request.executionId(), request.functionId(), request.functionVersion(), status,
                null, ExecutionError.of(type, why), "", 0, request.attempt(), instanceId, false, request.requestedAt(),
                null, Instant.now(), request.replyTo()).withHistory(request.history(), request.series());
    }

    private static String contextJson(InvocationRequested request, FunctionDefinition function) {
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("executionId", request.executionId());
        context.put("functionId", function.id());
        context.put("functionName", function.name());
        context.put("functionVersion", function.version());
        context.put("attempt", request.attempt());
        context.put("timeoutMs", function.timeoutMs());
        return JsonCodec.toJson(context);
    }
}
