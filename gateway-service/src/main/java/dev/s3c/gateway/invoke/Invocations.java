package dev.s3c.gateway.invoke;

import dev.s3c.contracts.ConcurrencyLanes;
import dev.s3c.contracts.InvocationCompleted;
import dev.s3c.contracts.InvocationRequested;
import dev.s3c.contracts.Topic;
import dev.s3c.gateway.GatewayProperties;
import dev.s3c.gateway.TopicPublisher;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.functions.FunctionDocument;
import dev.s3c.gateway.tenants.Quotas;
import java.time.Duration;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Queues invocations and brings their results back to this gateway instance: the one way in for the REST API and
 * the built-in load tester alike, so both are counted and behave the same.
 */
@Component
public class Invocations {

    private final TopicPublisher publisher;
    private final PendingResults pending;
    private final RecentlyAccepted recent;
    private final GatewayProperties properties;
    private final MeterRegistry meters;
    private final Quotas quotas;
    private final QueueAdmission admission;

    Invocations(TopicPublisher publisher, PendingResults pending, RecentlyAccepted recent,
            GatewayProperties properties, MeterRegistry meters, Quotas quotas, QueueAdmission admission) {
        this.quotas = quotas;
        this.admission = admission;
        this.publisher = publisher;
        this.pending = pending;
        this.recent = recent;
        this.properties = properties;
        this.meters = meters;
    }

    /**
     * An invocation ready to publish: in its concurrency lane when its tenant or function has a concurrency limit.
     *
     * @param tenant the tenant that made it
     * @param limit the limit that decides how many run at once ({@code maxConcurrency} or
     *        {@code concurrentExecutions}), null when none applies
     */
    public record Placed(String tenant, InvocationRequested request, String limit, Integer limitValue) {

        /** Whether a synchronous caller may be refused with 429 when its wait ends before the run starts. */
        public boolean throttles() {
            return request.startBy() != null;
        }
    }

    /**
     * Puts the request in its lane (see {@link ConcurrencyLanes}) when {@code tenant} or {@code function} has a
     * concurrency limit. A synchronous caller's request must start within {@code syncWait} (null or zero: it waits
     * in line like an asynchronous one).
     */
    public Mono<Placed> place(String tenant, FunctionDocument function, InvocationRequested request,
            Duration syncWait) {
        Integer functionLimit = function.config().maxConcurrency();
        return quotas.limits(tenant).map(limits -> {
            Integer tenantLimit = limits.concurrentExecutions();
            Integer lane = ConcurrencyLanes.lane(tenant, tenantLimit, function.id(), functionLimit,
                    request.executionId(), Topic.INVOCATION_LANES.partitions());
            if (lane == null) {
                return new Placed(tenant, request, null, null);
            }
            String limit = ConcurrencyLanes.bindingLimit(tenantLimit, functionLimit);
            boolean waits = request.replyTo() != null && syncWait != null && !syncWait.isZero();
            return new Placed(tenant, request.inLane(lane, waits ? request.requestedAt().plus(syncWait) : null), limit,
                    limit.equals("maxConcurrency") ? functionLimit : tenantLimit);
        });
    }

    /**
     * Completes when a run of a request in a lane has started (the executor says so at once for synchronous
     * callers). Register with {@link #awaitResult} first.
     */
    public Mono<Boolean> awaitStart(String executionId) {
        return pending.started(executionId);
    }

    /** Results of requests that name this value as their reply-to come back through {@link #awaitResult}. */
    public String replyTo() {
        return properties.instanceId();
    }

    /**
     * Completes when the executors' queue has room for one more invocation ({@link QueueAdmission}): at once unless
     * it is full; a 503 when no room came within the hold. Called before an invocation is made (its request time,
     * and a sync caller's deadline in a concurrency lane, count from after the wait).
     *
     * @param atMost a shorter hold for this call (a sync caller's wait), or null
     */
    public Mono<Void> awaitRoom(Duration atMost) {
        return Mono.defer(() -> admission.admit(atMost));
    }

    /**
     * Completes when the broker took the request; a refusal is a 503 saying nothing was run. A sync caller's request
     * is sent promptly ({@link TopicPublisher#sendPromptly}), an async one with the next batch.
     *
     * @param mode how the caller waits ({@code sync} or {@code async}): how the request is sent, and the metric's tag
     */
    public Mono<Void> publish(InvocationRequested request, String mode) {
        Mono<Void> published = "sync".equals(mode)
                ? publisher.sendPromptly(Topic.INVOCATIONS, request.executionId(), request)
                : publisher.send(Topic.INVOCATIONS, request.executionId(), request);
        return published
                .doOnSuccess(sent -> {
                    recent.add(request);
                    Counter.builder("s3c.gateway.invocations.accepted")
                            .description("invocations queued, by function and how the caller waits")
                            .tags("function", request.functionId(), "mode", mode)
                            .register(meters).increment();
                })
                .onErrorMap(e -> !(e instanceof ApiException), e -> unavailable(request.executionId(), e));
    }

    /**
     * The 503 for a publish that failed, saying what is known: a request that never left the gateway (the broker
     * unknown or unreachable within {@code max.block.ms}, the record refused) was not queued; one that timed out
     * on its way ({@code delivery.timeout.ms}) may have been, so the answer names the execution to look up.
     */
    static ApiException unavailable(String executionId, Throwable e) {
        Throwable cause = kafkaCause(e);
        String reason = String.valueOf(cause.getMessage());
        if (mayHaveBeenQueued(e)) {
            return new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "the broker did not confirm in time; the "
                    + "invocation may have been queued as execution " + executionId + ": read /api/executions/"
                    + executionId + " before retrying, or retry with an Idempotency-Key", List.of(),
                    java.util.Map.of("Location", "/api/executions/" + executionId, "Retry-After", "5"));
        }
        return new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "the invocation could not be queued, nothing was "
                + "run; retry: " + reason, List.of(), java.util.Map.of("Retry-After", "5"));
    }

    /**
     * Whether a failed send may still have reached the broker: it timed out on its way ({@code delivery.timeout.ms})
     * rather than before it left ({@code max.block.ms}: the topic's metadata never came) or being refused.
     */
    public static boolean mayHaveBeenQueued(Throwable e) {
        Throwable cause = kafkaCause(e);
        // a full send buffer is a timeout too, but the record never left the gateway
        return cause instanceof org.apache.kafka.common.errors.TimeoutException
                && !(cause instanceof org.apache.kafka.clients.producer.BufferExhaustedException)
                && !String.valueOf(cause.getMessage()).contains("not present in metadata");
    }

    private static Throwable kafkaCause(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && !(cause instanceof org.apache.kafka.common.KafkaException)) {
            cause = cause.getCause();
        }
        return cause;
    }

    /**
     * The result of a request whose reply-to is {@link #replyTo()}. Subscribe (register) before publishing, so a
     * fast result cannot pass by unseen; call {@link #forget} when no longer waiting.
     */
    public Mono<InvocationCompleted> awaitResult(String executionId) {
        return pending.register(executionId);
    }

    public void forget(String executionId) {
        pending.forget(executionId);
    }
}
