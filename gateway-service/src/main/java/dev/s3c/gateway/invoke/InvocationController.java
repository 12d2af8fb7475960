package dev.s3c.gateway.invoke;

import com.mongodb.client.model.Filters;
import dev.s3c.contracts.ExecutionRecord;
import dev.s3c.contracts.ErrorType;
import dev.s3c.contracts.ExecutionStatus;
import dev.s3c.contracts.FunctionStatus;
import dev.s3c.contracts.InvocationCompleted;
import dev.s3c.contracts.InvocationRequested;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.gateway.GatewayProperties;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.api.FieldError;
import dev.s3c.gateway.api.JsonBodies;
import dev.s3c.gateway.executions.ExecutionView;
import dev.s3c.gateway.functions.FunctionConfig;
import dev.s3c.gateway.functions.FunctionDocument;
import dev.s3c.gateway.functions.FunctionService;
import dev.s3c.gateway.tenants.Caller;
import dev.s3c.gateway.tenants.Quotas;
import dev.s3c.gateway.api.RequestBodies;
import dev.s3c.gateway.idempotency.IdempotencyKeys;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.enums.ParameterIn;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.NullNode;

/**
 * {@code POST /api/functions/{id}/execute}: checks the function, publishes the invocation, then either waits for
 * the result (default) or answers 202 with where to poll.
 */
@io.swagger.v3.oas.annotations.tags.Tag(name = "Functions")
@RestController
class InvocationController {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(InvocationController.class);

    private final FunctionService functions;
    private final Invocations invocations;
    private final GatewayProperties properties;
    private final IdempotencyKeys keys;
    private final ReactiveMongoTemplate mongo;
    private final Quotas quotas;

    InvocationController(FunctionService functions, Invocations invocations, GatewayProperties properties,
            IdempotencyKeys keys, ReactiveMongoTemplate mongo, Quotas quotas) {
        this.quotas = quotas;
        this.functions = functions;
        this.invocations = invocations;
        this.properties = properties;
        this.keys = keys;
        this.mongo = mongo;
    }

    @io.swagger.v3.oas.annotations.parameters.RequestBody(
            content = @Content(schema = @Schema(implementation = RequestBodies.Invocation.class)))
    @io.swagger.v3.oas.annotations.responses.ApiResponse(responseCode = "200",
            description = "the result (sync, within the wait)",
            content = @Content(schema = @Schema(implementation = ExecutionView.class)))
    @io.swagger.v3.oas.annotations.responses.ApiResponse(responseCode = "202", description = "queued: poll the Location",
            content = @Content(schema = @Schema(implementation = Accepted.class)))
    @Parameter(name = "mode", in = ParameterIn.QUERY, description = "sync (wait for the result) or async (202 at once)",
            schema = @Schema(type = "string", defaultValue = "sync", allowableValues = {"sync", "async"}))
    @Parameter(name = "wait", in = ParameterIn.QUERY,
            description = "how long a sync call waits: seconds, or a duration such as 500ms", schema = @Schema(type = "string"))
    @Parameter(name = "retries", in = ParameterIn.QUERY, description = "at most this many retries (never more than the "
            + "function's)", schema = @Schema(type = "integer"))
    @Parameter(name = IdempotencyKeys.HEADER, in = ParameterIn.HEADER,
            description = "a request repeated with the same key, within the idempotency window, is answered with the "
                    + "same execution, never run again", schema = @Schema(type = "string"))
    @PostMapping(path = "/api/functions/{id}/execute", consumes = MediaType.APPLICATION_JSON_VALUE)
    Mono<ResponseEntity<?>> execute(@PathVariable @Parameter(description = FunctionService.ID_OR_NAME) String id,
            @RequestBody(required = false) String body, ServerWebExchange exchange,
            @AuthenticationPrincipal Caller caller) {
        // the query and the header read here rather than as parameters of their own: WebFlux finds the resolver of
        // each parameter anew per request, and the security firewall checks the whole query at each read of it
        // (together 3% of the event loops' CPU under load)
        MultiValueMap<String, String> query = exchange.getRequest().getQueryParams();
        String mode = queryParam(query, "mode");
        String wait = queryParam(query, "wait");
        String retries = queryParam(query, "retries");
        String idempotencyKey = single(exchange.getRequest().getHeaders().get(IdempotencyKeys.HEADER));
        return Mono.fromCallable(() -> new Call(FunctionService.idOrName(id),
                        parseMode(mode == null || mode.isEmpty() ? "sync" : mode), parseWait(wait),
                        input(body), retries == null ? null
                                : JsonBodies.boundedInt("retries", retries, 0, FunctionConfig.MAX_RETRIES),
                        idempotencyKey == null ? null : IdempotencyKeys.check(idempotencyKey)))
                .flatMap(call -> functions.lookupOr404ByIdOrName(caller, call.function)
                        .flatMap(function -> {
                            if (function.status() != FunctionStatus.ACTIVE) {
                                return Mono.error(new ApiException(HttpStatus.CONFLICT, "function " + function.name()
                                        + " is inactive; activate it with PUT {\"status\":\"active\"}",
                                        List.of(new FieldError("status", "is inactive"))));
                            }
                            // room in the executors' queue first, before an idempotency key is claimed (a caller
                            // gone while it waits leaves no key behind) and before the invocation is made; a sync
                            // caller waits at most its wait here, and for its result what is left of it
                            long since = System.nanoTime();
                            return invocations.awaitRoom(call.sync ? call.maxWait : null).then(Mono.defer(() ->
                                    invokeOnce(caller, function, call.afterWaiting(Duration.ofNanos(
                                            System.nanoTime() - since)))));
                        }));
    }

    /**
     * A call of a function URL ({@link FunctionUrlController}), already counted against the tenant's rate (before its
     * body was read): as a sync execute with no idempotency key and no retries (its caller is waiting and retries as
     * HTTP clients do), by the function's tenant. Answers as execute does: 200 with the execution, 202 when the wait
     * is over, or the refusals.
     */
    Mono<ResponseEntity<?>> callFromUrl(Caller owner, FunctionDocument function, JsonNode input, Duration wait) {
        Call call = new Call(function.id(), true, wait, input, 0, null);
        long since = System.nanoTime();
        return invocations.awaitRoom(wait).then(Mono.defer(() -> invokeOnce(owner, function,
                call.afterWaiting(Duration.ofNanos(System.nanoTime() - since)), true)));
    }

    /**
     * A tick of a function's schedule ({@link ScheduledCalls}): an async invocation by the function's tenant, with
     * {@code key} as its idempotency key, so of the gateways that fire the same tick one queues it and the others
     * find it claimed. The claimer confirms its claim once queued, so the others can tell a tick queued from one
     * whose claimer may yet fail (and free the key). Does not wait for room in the queue: a full queue is a 503 now,
     * and the tick is tried again.
     */
    Mono<ScheduledCalls.Fired> callOnSchedule(Caller owner, FunctionDocument function, JsonNode input, String key) {
        Call call = new Call(function.id(), false, Duration.ZERO, input, null, key);
        // the same on every gateway: the tick's input
        String fingerprint = IdempotencyKeys.fingerprint(JsonCodec.toJson(input));
        return invocations.awaitRoom(Duration.ZERO)
                .then(Mono.defer(() -> keys.claim(function.id(), key, fingerprint, ExecutionIds.next())))
                .flatMap(claim -> !claim.fresh()
                        ? Mono.just(new ScheduledCalls.Fired(claim.queued() ? ScheduledCalls.Outcome.TAKEN
                                : ScheduledCalls.Outcome.CLAIMED, claim.claimedAt()))
                        : quotas.admit(owner)
                                .then(Mono.defer(() -> invoke(function, call, null, claim.executionId())))
                                // unconfirmed, the others wait out their window and then take it as queued
                                .then(Mono.defer(() -> keys.confirm(function.id(), key))
                                        .onErrorResume(e -> Mono.empty()))
                                .thenReturn(new ScheduledCalls.Fired(ScheduledCalls.Outcome.QUEUED, null))
                                .onErrorResume(e -> mayHaveBeenQueued(e)
                                        ? Mono.just(new ScheduledCalls.Fired(ScheduledCalls.Outcome.UNCONFIRMED, null))
                                        : release(function.id(), key, e)));
    }

    /** A 503 naming the execution: sent, but the broker did not confirm. */
    private static boolean mayHaveBeenQueued(Throwable e) {
        return e instanceof ApiException refusal && refusal.headers().containsKey("Location");
    }

    /** Frees a key claimed for an invocation that failed before it was queued, then fails with that failure. */
    private <T> Mono<T> release(String functionId, String key, Throwable failure) {
        return keys.release(functionId, key)
                .onErrorResume(e -> {
                    // the key names an execution that never ran until its window ends: a retry with it is answered
                    // with that execution, never run
                    log.warn("Idempotency key {} of function {} could not be freed after its invocation failed "
                            + "before it was queued: {}", key, functionId, e.toString());
                    return Mono.empty();
                })
                .then(Mono.error(failure));
    }

    /** A call with room in the queue: checked against the tenant's rate, and its idempotency key, then invoked. */
    private Mono<ResponseEntity<?>> invokeOnce(Caller caller, FunctionDocument function, Call call) {
        return invokeOnce(caller, function, call, false);
    }

    /** @param admitted whether the call was already counted against the tenant's rate */
    private Mono<ResponseEntity<?>> invokeOnce(Caller caller, FunctionDocument function, Call call, boolean admitted) {
        // fewer retries than the function's may be asked for, never more
        Integer allowed = call.retries == null ? null
                : Math.min(call.retries, function.config().retryCount());
        // each new invocation counts against the tenant's rate (429 past it, nothing queued); a
        // replay of an idempotency key's earlier one does not
        Mono<Void> admit = admitted ? Mono.empty() : Mono.defer(() -> quotas.admit(caller));
        if (call.key == null) {
            return admit.then(Mono.defer(() -> invoke(function, call, allowed,
                    ExecutionIds.next())));
        }
        // the same request is the same input and retries; how it is answered (mode, wait) may differ
        String fingerprint = IdempotencyKeys.fingerprint(JsonCodec.toJson(call.input),
                String.valueOf(call.retries));
        return keys.claim(function.id(), call.key, fingerprint, ExecutionIds.next())
                .flatMap(claim -> claim.fresh()
                        ? admit.then(Mono.defer(() -> invoke(function, call, allowed,
                                claim.executionId())))
                                // not queued (refused, or the store failed on the way): the key is free
                                // for the retry; maybe queued (the 503 names the execution): it keeps it
                                .onErrorResume(e -> mayHaveBeenQueued(e) ? Mono.error(e)
                                        : release(function.id(), call.key, e))
                        : replay(claim.executionId(), function.id(), call));
    }

    private Mono<ResponseEntity<?>> invoke(FunctionDocument function, Call call, Integer allowed, String executionId) {
        var request = new InvocationRequested(executionId, function.id(), function.version(), call.input,
                Instant.now(), call.sync ? invocations.replyTo() : null, 1, allowed, null);
        return invocations.place(function.tenant(), function, request, call.sync ? call.maxWait : null)
                .flatMap(placed -> call.sync ? invokeAndWait(placed, call.maxWait) : invokeAsync(placed.request()));
    }

    /**
     * A request whose key already names an execution: answered with that execution, as the first request would
     * have been (async: 202 and where to poll; sync: its result once stored, within the wait), never run again.
     */
    private Mono<ResponseEntity<?>> replay(String executionId, String functionId, Call call) {
        Mono<ExecutionView> stored = mongo.getCollection(ExecutionRecord.COLLECTION)
                .flatMap(c -> Mono.from(c.find(Filters.eq(ExecutionRecord.ID, executionId)).first()))
                .map(ExecutionView::of);
        if (!call.sync) {
            return stored.map(view -> view.status())
                    .defaultIfEmpty(ExecutionStatus.QUEUED)
                    .map(status -> replayed(ResponseEntity.status(HttpStatus.ACCEPTED)
                            .location(URI.create("/api/executions/" + executionId)))
                            .body(new Accepted(executionId, functionId, status, "/api/executions/" + executionId)));
        }
        // the result reaches the gateway that published it; here it is read from the store once stored
        return stored.filter(view -> view.status().terminal())
                .repeatWhenEmpty(Integer.MAX_VALUE, empties -> empties.delayElements(Duration.ofMillis(100)))
                .timeout(call.maxWait)
                .<ResponseEntity<?>>map(view -> replayed(ResponseEntity.ok().header(HttpHeaders.CONTENT_LOCATION,
                        "/api/executions/" + executionId)).body(view))
                .onErrorResume(TimeoutException.class, e -> Mono.just(replayed(ResponseEntity
                        .status(HttpStatus.ACCEPTED).location(URI.create("/api/executions/" + executionId)))
                        .body(new Accepted(executionId, functionId, ExecutionStatus.QUEUED,
                                "/api/executions/" + executionId))));
    }

    private static ResponseEntity.BodyBuilder replayed(ResponseEntity.BodyBuilder response) {
        return response.header("Idempotent-Replayed", "true");
    }

    private Mono<ResponseEntity<?>> invokeAsync(InvocationRequested request) {
        return invocations.publish(request, "async").thenReturn(accepted(request));
    }

    private Mono<ResponseEntity<?>> invokeAndWait(Invocations.Placed placed, Duration wait) {
        InvocationRequested request = placed.request();
        Mono<InvocationCompleted> result = invocations.awaitResult(request.executionId());
        Mono<Boolean> started = placed.throttles() ? invocations.awaitStart(request.executionId()) : Mono.never();
        return invocations.publish(request, "sync")
                .then(result.timeout(wait))
                .<ResponseEntity<?>>map(r -> answer(placed, r))
                // (a wait cut short, by a gateway stopping, is not over: the run may still start)
                .onErrorResume(TimeoutException.class, e -> placed.throttles()
                        && !Instant.now().isBefore(request.startBy())
                        ? startedOrRefused(placed, result, started)
                        : Mono.just(accepted(request)))
                .doFinally(signal -> invocations.forget(request.executionId()));
    }

    /**
     * The result as the answer: 200 with the execution (Content-Location names it), or 429 when it was not started
     * because its wait in a concurrency lane ran out.
     */
    private ResponseEntity<?> answer(Invocations.Placed placed, InvocationCompleted result) {
        if (result.error() != null && result.error().type() == ErrorType.THROTTLED) {
            throw throttled(placed);
        }
        return ResponseEntity.ok().header(HttpHeaders.CONTENT_LOCATION, "/api/executions/" + result.executionId())
                .body(ExecutionView.of(result));
    }

    /** How long after a sync caller's wait a start notice or result still on its way is waited for. */
    static final Duration START_NOTICE_GRACE = Duration.ofSeconds(1);

    /**
     * A sync call in a concurrency lane whose wait ran out: the executors start no run of it after its
     * {@code startBy}, so unless a start notice (the executor sends one as each such run starts) or the result
     * arrives within a moment, it was never started and never will be: 429. When it started, 202 as for any sync
     * call still running.
     */
    private Mono<ResponseEntity<?>> startedOrRefused(Invocations.Placed placed, Mono<InvocationCompleted> result,
            Mono<Boolean> started) {
        Mono<ResponseEntity<?>> answered = result.<ResponseEntity<?>>map(r -> answer(placed, r))
                // released by a gateway stopping: the caller reads the execution later
                .onErrorResume(TimeoutException.class, e -> Mono.just(accepted(placed.request())));
        Mono<ResponseEntity<?>> running = started.map(s -> accepted(placed.request()));
        return Mono.firstWithSignal(answered, running)
                .timeout(START_NOTICE_GRACE, Mono.error(() -> throttled(placed)));
    }

    private ApiException throttled(Invocations.Placed placed) {
        quotas.refused(placed.tenant(), placed.limit());
        String id = placed.request().executionId();
        String scope = placed.limit().equals("maxConcurrency") ? "this function" : "this tenant";
        return new ApiException(HttpStatus.TOO_MANY_REQUESTS, "no run of " + scope + " came free within the wait ("
                + placed.limitValue() + " may run at once); execution " + id + " was not run and will not be: "
                + "retry after the Retry-After seconds, or call with mode=async to wait in line",
                List.of(new FieldError(placed.limit(), "is " + placed.limitValue() + " and all were running")),
                // no Location: an idempotency key is released, so the same key may be tried again
                java.util.Map.of("Retry-After", "1"));
    }

    private static ResponseEntity<?> accepted(InvocationRequested request) {
        URI location = URI.create("/api/executions/" + request.executionId());
        return ResponseEntity.status(HttpStatus.ACCEPTED).location(location)
                .body(new Accepted(request.executionId(), request.functionId(), ExecutionStatus.QUEUED,
                        location.toString()));
    }

    private JsonNode input(String body) {
        if (body != null && body.getBytes(StandardCharsets.UTF_8).length > properties.maxInputSize().toBytes()) {
            throw new ApiException(HttpStatus.CONTENT_TOO_LARGE, "input is larger than "
                    + properties.maxInputSize().toBytes() + " bytes",
                    List.of(new FieldError("input", "is larger than " + properties.maxInputSize().toBytes() + " bytes")));
        }
        JsonNode node = JsonBodies.parse(body);
        if (node.isMissingNode()) {
            return NullNode.getInstance();
        }
        if (!node.isObject()) {
            throw ApiException.badRequest("body", "must be a JSON object such as {\"input\": ...}");
        }
        JsonNode input = JsonBodies.input(node);
        return input == null ? NullNode.getInstance() : input;
    }

    /** As {@code @RequestParam} reads it: also as {@code name[]}, the way some clients write a query. */
    private static String queryParam(MultiValueMap<String, String> query, String name) {
        List<String> values = query.get(name);
        return single(values != null ? values : query.get(name + "[]"));
    }

    /** As a text {@code @RequestParam} or {@code @RequestHeader} is read: absent is null, repeated joined by commas. */
    private static String single(List<String> values) {
        return values == null || values.isEmpty() ? null : values.size() == 1 ? values.get(0) : String.join(",", values);
    }

    private static boolean parseMode(String mode) {
        return switch (mode.strip()) {
            case "sync" -> true;
            case "async" -> false;
            default -> throw ApiException.badRequest("mode", "must be \"sync\" or \"async\"");
        };
    }

    private Duration parseWait(String wait) {
        return JsonBodies.waitParameter(wait, properties.syncWait(), properties.maxSyncWait());
    }

    /** @param function the function's id or name, as the path gave it */
    private record Call(String function, boolean sync, Duration maxWait, JsonNode input, Integer retries,
            String key) {

        /** After waiting {@code waited} for room: a sync caller has what is left of its wait. */
        Call afterWaiting(Duration waited) {
            if (!sync || waited.isZero()) {
                return this;
            }
            Duration left = maxWait.minus(waited);
            return new Call(function, sync, left.isNegative() ? Duration.ZERO : left, input, retries, key);
        }
    }

    /** The answer when the result is not there yet. */
    record Accepted(String executionId, String functionId, ExecutionStatus status, String location) {
    }
}
