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

    private final FunctionCatalog catalog;
    private final Duration definitionWait;
    private final Watchdog watchdog;
    private final Duration runningNotice;
    private final Consumer<InvocationStarted> starts;
    private final RetryPolicy retries;

    /**
     * What to publish for one request: its result, or, when the attempt failed with retries left, the next attempt
     * (and then {@code result} is only this attempt's outcome, not published).
     */
    record Step(InvocationCompleted result, InvocationRequested retry, DeadLettered deadLetter) {

        static Step done(InvocationCompleted result) {
            return new Step(result, null, null);
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
        Instant startedAt = Instant.now();
        FunctionCatalog.Lookup lookup = catalog.await(request.functionId(), request.functionVersion(), definitionWait);
        FunctionDefinition function = lookup.definition();
        if (function != null && function.version() < request.functionVersion()) {
            // never run an older version than the caller was promised
            return systemFault(request, "version " + request.functionVersion() + " of function "
                    + request.functionId() + " has not reached this executor yet", instanceId, startedAt);
        }
        if (function == null) {
            String why = lookup.deleted() ? "function " + request.functionId() + " was deleted"
                    : "function " + request.functionId() + " is unknown to this executor";
            return Step.done(rejected(request, why, instanceId, startedAt));
        }
        if (!function.active()) {
            return Step.done(rejected(request, "function " + function.name() + " is inactive", instanceId, startedAt));
        }
        var started = new InvocationStarted(request.executionId(), function.id(), function.version(), instanceId,
                request.attempt(), startedAt);
        ScheduledFuture<?> notice = watchdog.schedule(() -> starts.accept(started), runningNotice.toMillis());
        RunOutcome outcome;
        try {
            outcome = sandbox.run(function, JsonCodec.toJson(request.input()), contextJson(request, function));
        } finally {
            notice.cancel(false);
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
                error = ExecutionError.of(ErrorType.USER_ERROR, "result cannot be carried: " + e.getOriginalMessage());
            }
        }
        var result = new InvocationCompleted(request.executionId(), request.functionId(), function.version(), status,
                output, error, outcome.logs(), outcome.durationMs(), request.attempt(), instanceId, outcome.coldStart(),
                request.requestedAt(), startedAt, Instant.now(), request.replyTo())
                .withHistory(request.history(), request.series());
        if (result.error() != null && result.error().type() == ErrorType.SYSTEM_ERROR) {
            return systemFault(request, result.error().message(), instanceId, startedAt);
        }
        if (retryable(result)) {
            AttemptRecord attempt = AttemptRecord.of(result);
            if (request.attempt() <= allowedRetries(request, function)) {
                Instant due = Instant.now().plus(retries.delayBefore(request.attempt() + 1));
                return new Step(result, request.retry(due, attempt), null);
            }
            // out of retries: the result is final, and the request goes to the dead-letter queue
            return new Step(result, null, new DeadLettered(request.executionId(), request.functionId(), request, attempt,
                    Instant.now()));
        }
        return Step.done(result);
    }

    /**
     * A platform fault is not the function's: the same attempt is handed back (through the 1 s retry tier) without
     * counting against its retries, up to {@link #MAX_REDELIVERIES} times; then it ends as a system error.
     */
    Step systemFault(InvocationRequested request, String why, String instanceId, Instant startedAt) {
        InvocationCompleted failed = failed(request, ErrorType.SYSTEM_ERROR, why, instanceId, startedAt);
        if (request.redeliveries() < MAX_REDELIVERIES) {
            return new Step(failed, request.redeliver(Instant.now().plus(REDELIVERY_DELAY)), null);
        }
        // out of redeliveries: final, and redrivable once the platform is healthy again
        return new Step(failed, null, new DeadLettered(request.executionId(), request.functionId(), request,
                AttemptRecord.of(failed), Instant.now()));
    }

    static final int MAX_REDELIVERIES = 10;
    static final Duration REDELIVERY_DELAY = Duration.ofSeconds(1);

    /** The function's own failures are retried; rejections and platform faults are not theirs to retry. */
    static boolean retryable(InvocationCompleted result) {
        if (result.status() == ExecutionStatus.TIMED_OUT) {
            return true;
        }
        return result.status() == ExecutionStatus.FAILED && result.error() != null
                && (result.error().type() == ErrorType.USER_ERROR || result.error().type() == ErrorType.LIMIT_EXCEEDED);
    }

    /** A caller may ask for fewer retries than the function's, never more. */
    static int allowedRetries(InvocationRequested request, FunctionDefinition function) {
        int own = Math.max(0, function.retryCount());
        return request.maxRetries() == null ? own : Math.max(0, Math.min(own, request.maxRetries()));
    }

    static InvocationCompleted rejected(InvocationRequested request, String why, String instanceId, Instant started) {
        return failed(request, ErrorType.REJECTED, why, instanceId, started);
    }

    static InvocationCompleted failed(InvocationRequested request, ErrorType type, String why, String instanceId,
            Instant started) {
        ExecutionStatus status = type == ErrorType.REJECTED ? ExecutionStatus.REJECTED : ExecutionStatus.FAILED;
        return new InvocationCompleted(request.executionId(), request.functionId(), request.functionVersion(), status,
                null, ExecutionError.of(type, why), "", 0, request.attempt(), instanceId, false, request.requestedAt(),
                started, Instant.now(), request.replyTo()).withHistory(request.history(), request.series());
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
