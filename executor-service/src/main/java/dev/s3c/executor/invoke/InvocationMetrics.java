package dev.s3c.executor.invoke;

import dev.s3c.contracts.InvocationCompleted;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * The executor's domain metrics, per function: outcomes, retries, dead letters, how long code ran and waited,
 * and whether a warm context was at hand. Histograms use fixed buckets (1 ms to 5 min), so series stay few.
 */
final class InvocationMetrics {

    private static final String UNKNOWN = "unknown";
    private static final Duration[] BUCKETS = {
            Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
            Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
            Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
            Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(300)};

    private final MeterRegistry meters;

    InvocationMetrics(MeterRegistry meters) {
        this.meters = meters;
    }

    /** A final result. */
    void completed(InvocationCompleted result) {
        String function = function(result);
        Counter.builder("s3c.executor.invocations").description("executions finished, by function and outcome")
                .tags("function", function, "status", result.status().wire()).register(meters).increment();
        ran(result, function);
    }

    /** A failed attempt that will be retried. */
    void retried(InvocationCompleted attempt) {
        String function = function(attempt);
        Counter.builder("s3c.executor.retries").description("failed attempts scheduled for a retry")
                .tags("function", function, "status", attempt.status().wire()).register(meters).increment();
        ran(attempt, function);
    }

    /** An attempt handed back after a platform fault: not the function's failure, so not a retry. */
    void redelivered(InvocationCompleted attempt) {
        Counter.builder("s3c.executor.redeliveries").description("attempts handed back after a platform fault")
                .tag("function", function(attempt)).register(meters).increment();
    }

    /** An invocation moved to a lane: its concurrency lane, or the slow lane (no function tag: few series). */
    void moved(String lane) {
        Counter.builder("s3c.executor.lane.moves").description("invocations moved to a lane, by lane")
                .tag("lane", lane).register(meters).increment();
    }

    void deadLettered(String functionId) {
        Counter.builder("s3c.executor.dead.letters")
                .description("invocations dead-lettered: retries ran out, or a developer error")
                .tag("function", functionId == null ? UNKNOWN : functionId).register(meters).increment();
    }

    private void ran(InvocationCompleted result, String function) {
        if (result.startedAt() == null) {
            return; // rejected before it ran
        }
        // by function only: a histogram per outcome too would multiply the series by five
        Timer.builder("s3c.executor.execution.duration").description("time spent running the function's code")
                .tag("function", function).serviceLevelObjectives(BUCKETS)
                .register(meters).record(Duration.ofMillis(result.durationMs()));
        if (result.attempt() == 1 && result.requestedAt() != null) {
            // first attempts only: a retry's wait is mostly its backoff
            Timer.builder("s3c.executor.queue.wait").description("time from the request to the start of its run")
                    .tag("function", function).serviceLevelObjectives(BUCKETS).register(meters)
                    .record(Duration.between(result.requestedAt(), result.startedAt()));
        }
        Counter.builder("s3c.executor.contexts").description("runs that found a warm context (hit) or made one (miss)")
                .tags("function", function, "result", result.coldStart() ? "miss" : "hit").register(meters).increment();
    }

    private static String function(InvocationCompleted result) {
        return result.functionId() == null ? UNKNOWN : result.functionId();
    }
}
