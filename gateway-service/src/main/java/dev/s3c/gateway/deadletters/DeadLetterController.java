package dev.s3c.gateway.deadletters;

import static dev.s3c.contracts.DeadLetterRecord.*;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.s3c.contracts.AttemptRecord;
import dev.s3c.contracts.DeadLetterResolved;
import dev.s3c.contracts.FunctionStatus;
import dev.s3c.contracts.ExecutionError;
import dev.s3c.contracts.ExecutionRecord;
import dev.s3c.contracts.InvocationRequested;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.contracts.Topic;
import dev.s3c.gateway.GatewayProperties;
import dev.s3c.gateway.TopicPublisher;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.api.FieldError;
import dev.s3c.gateway.api.JsonBodies;
import dev.s3c.gateway.executions.ExecutionView;
import dev.s3c.gateway.functions.FunctionDocument;
import dev.s3c.gateway.functions.FunctionService;
import dev.s3c.gateway.tenants.Caller;
import dev.s3c.gateway.tenants.Quotas;
import dev.s3c.gateway.idempotency.IdempotencyKeys;
import dev.s3c.gateway.invoke.Invocations;
import dev.s3c.gateway.api.RequestBodies;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import java.net.URI;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bson.Document;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.util.UriComponentsBuilder;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * The dead-letter queue: invocations whose retries ran out (or that a retry would only repeat), with their
 * attempts. The monitor stores them; this API reads them and resolves them through Kafka (redrive: a new attempt
 * series on the same execution; or discard), so each collection keeps its one writer. A resolved dead letter
 * disappears from the list once the monitor saw it.
 */
@io.swagger.v3.oas.annotations.tags.Tag(name = "Dead letters")
@RestController
@RequestMapping("/api/dead-letters")
class DeadLetterController {

    private final ReactiveMongoTemplate mongo;
    private final DeadLetterListing listing;
    private final TopicPublisher publisher;
    private final FunctionService functions;
    private final long maxInputBytes;
    private final RedriveClaims claims;
    private final Quotas quotas;
    private final Invocations invocations;
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(DeadLetterController.class);

    DeadLetterController(ReactiveMongoTemplate mongo, TopicPublisher publisher, FunctionService functions,
            GatewayProperties properties, IdempotencyKeys keys, Quotas quotas, Invocations invocations) {
        this.invocations = invocations;
        this.quotas = quotas;
        this.claims = new RedriveClaims(keys);
        this.mongo = mongo;
        this.listing = new DeadLetterListing(mongo);
        this.publisher = publisher;
        this.functions = functions;
        this.maxInputBytes = properties.maxInputSize().toBytes();
    }

    /**
     * Dead letters newest first, of one function or all. A {@code Link: <…&cursor=…>; rel="next"} header points at
     * the next page while there is one.
     */
    @GetMapping
    Mono<ResponseEntity<List<DeadLetterView>>> list(@RequestParam(required = false) String functionId,
            @RequestParam(defaultValue = "50") String limit, @RequestParam(required = false) String cursor,
            @AuthenticationPrincipal Caller caller) {
        int max = JsonBodies.boundedInt("limit", limit, 1, 1000);
        String asked = functionId == null ? null : FunctionService.idOrName("functionId", functionId);
        // one function's (by id, also one deleted within the retention; by name, one that exists), or all
        Mono<Optional<String>> chosen = asked == null ? Mono.just(Optional.empty())
                : functions.idOf(caller, asked).flatMap(id -> functions.ownsOr404(caller, id)
                        .thenReturn(Optional.of(id)));
        return chosen.flatMap(only -> listing.page(only.orElse(null), max, cursor, id -> functions.owns(caller, id))
                .map(page -> {
            var response = ResponseEntity.ok();
            if (page.next() != null) {
                var next = UriComponentsBuilder.fromPath("/api/dead-letters");
                only.ifPresent(id -> next.queryParam("functionId", id));
                next.queryParam("limit", max).queryParam("cursor", page.next());
                response.header(HttpHeaders.LINK, "<" + next.toUriString() + ">; rel=\"next\"");
            }
            return response.body(page.items());
        }));
    }

    /**
     * Runs the invocation again from attempt 1, with the stored input or {@code {"input": ...}} from the body. With an
     * {@code Idempotency-Key}, the same call again answers what the first one did (even once the dead letter is
     * gone) and never redrives twice; the same key with another body is a 422 naming the header.
     */
    @io.swagger.v3.oas.annotations.parameters.RequestBody(
            content = @Content(schema = @Schema(implementation = RequestBodies.Redrive.class)))
    @io.swagger.v3.oas.annotations.responses.ApiResponse(responseCode = "202", description = "a new attempt series",
            content = @Content(schema = @Schema(implementation = Redriven.class)))
    @PostMapping(path = "/{executionId}/redrive", consumes = MediaType.APPLICATION_JSON_VALUE)
    Mono<ResponseEntity<?>> redrive(@PathVariable String executionId, @RequestBody(required = false) String body,
            @RequestHeader(name = IdempotencyKeys.HEADER, required = false) String idempotencyKey,
            @AuthenticationPrincipal Caller caller) {
        return Mono.fromCallable(() -> new RedriveCall(newInput(executionId, body),
                        idempotencyKey == null ? null : IdempotencyKeys.check(idempotencyKey)))
                .flatMap(call -> owned(mongo.findById(executionId, Document.class, COLLECTION), caller)
                        .flatMap(doc -> redrive(executionId, JsonCodec.fromJson(doc.getString(REQUEST),
                                InvocationRequested.class), call, caller))
                        .switchIfEmpty(Mono.defer(() -> call.key() == null ? Mono.empty()
                                // gone since: the execution it became tells whose it was
                                : owned(mongo.findById(executionId, Document.class, ExecutionRecord.COLLECTION), caller)
                                        .flatMap(execution -> claims.earlier(executionId, call.key(), call.fingerprint(executionId))
                                        .map(series -> replayed(accepted(executionId, series))))))
                        .switchIfEmpty(Mono.error(() -> ApiException.notFound("dead letter " + executionId))));
    }

    private record RedriveCall(java.util.Optional<JsonNode> input, String key) {

        String fingerprint(String executionId) {
            return IdempotencyKeys.fingerprint(executionId, input.map(JsonCodec::toJson).orElse("(stored input)"));
        }
    }

    private Mono<ResponseEntity<?>> redrive(String executionId, InvocationRequested last, RedriveCall call,
            Caller caller) {
        int next = last.series() + 1;
        Mono<java.util.Optional<Integer>> earlier = call.key() == null ? Mono.just(java.util.Optional.empty())
                : claims.claimKey(executionId, call.key(), call.fingerprint(executionId), next);
        return earlier.flatMap(replay -> replay.isPresent()
                ? Mono.just(replayed(accepted(executionId, replay.get())))
                : queue(executionId, last, call, caller).onErrorResume(e -> call.key() == null
                        // nothing was queued (or it may have been, and the series claim stays): the key is free again
                        || e instanceof ApiException api && api.headers().containsKey("Location") ? Mono.error(e)
                        : claims.releaseKey(executionId, call.key()).then(Mono.error(e))));
    }

    /** Claims the dead letter's series, queues the new series' first attempt, and reports the dead letter redriven. */
    private Mono<ResponseEntity<?>> queue(String executionId, InvocationRequested last, RedriveCall call,
            Caller caller) {
        return runnable(last.functionId()).flatMap(function -> Mono.defer(() -> quotas.admit(caller))
                // a redrive is an invocation: it counts against the tenant's rate
                .then(claims.claimSeries(executionId, last.series()))
                .flatMap(fresh -> {
                    if (!fresh) {
                        return Mono.error(new ApiException(HttpStatus.CONFLICT, "execution " + executionId
                                + " was redriven already", List.of(new FieldError("executionId",
                                        "was redriven already (its new attempt series is at /api/executions/"
                                                + executionId + ")"))));
                    }
                    // in the lane of the limits that hold now, not of those when it first ran
                    InvocationRequested again = last.redrive(call.input().orElse(last.input()), Instant.now())
                            .inLane(null, null);
                    return invocations.place(function.tenant(), function, again, null)
                            .flatMap(placed -> publisher.send(Topic.INVOCATIONS, executionId, placed.request()))
                            .onErrorResume(e -> {
                                if (Invocations.mayHaveBeenQueued(e)) {
                                    // the series claim stays: a retry must not run it a second time
                                    return Mono.error(new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "the broker "
                                            + "did not confirm in time; the redrive may have been queued: read "
                                            + "/api/executions/" + executionId + " before retrying", List.of(),
                                            java.util.Map.of("Location", "/api/executions/" + executionId,
                                                    "Retry-After", "5")));
                                }
                                return claims.releaseSeries(executionId, last.series()).then(Mono.error(
                                        new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "could not reach Kafka, "
                                                + "nothing was redriven; retry: " + e.getMessage(), List.of(),
                                                java.util.Map.of("Retry-After", "5"))));
                            })
                            .then(publisher.send(Topic.DEAD_LETTER_RESOLUTIONS, executionId, new DeadLetterResolved(
                                            executionId, DeadLetterResolved.Resolution.REDRIVEN, Instant.now(),
                                            last.series()))
                                    // the new series is queued and its claim stays: the answer is still 202. The
                                    // dead letter stays listed until discarded; redriving it again is refused
                                    .onErrorResume(e -> {
                                        log.warn("Redrove {} but could not report its dead letter resolved: {}",
                                                executionId, e.toString());
                                        return Mono.empty();
                                    }))
                            .thenReturn(accepted(executionId, again.series()));
                }));
    }

    private static ResponseEntity<?> accepted(String executionId, int series) {
        return ResponseEntity.status(HttpStatus.ACCEPTED).location(URI.create("/api/executions/" + executionId))
                .body(new Redriven(executionId, series, "/api/executions/" + executionId));
    }

    private static ResponseEntity<?> replayed(ResponseEntity<?> response) {
        return ResponseEntity.status(response.getStatusCode()).headers(response.getHeaders())
                .header("Idempotent-Replayed", "true").body(response.getBody());
    }

    /** The input from {@code {"input": ...}}, if the body has one; checked like an invocation's. */
    private java.util.Optional<JsonNode> newInput(String executionId, String body) {
        JsonBodies.executionId(executionId);
        if (body != null && body.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > maxInputBytes) {
            throw new ApiException(HttpStatus.CONTENT_TOO_LARGE, "input is larger than " + maxInputBytes + " bytes",
                    List.of(new FieldError("input", "is larger than " + maxInputBytes + " bytes")));
        }
        JsonNode parsed = JsonBodies.parse(body);
        if (parsed.isMissingNode()) {
            return java.util.Optional.empty();
        }
        if (!parsed.isObject()) {
            throw ApiException.badRequest("body", "must be a JSON object such as {\"input\": ...}");
        }
        return java.util.Optional.ofNullable(JsonBodies.input(parsed));
    }

    /** A redrive gets the checks of a fresh invocation: the function must still exist and be active. */
    private Mono<FunctionDocument> runnable(String functionId) {
        return functions.lookup(functionId)
                .switchIfEmpty(Mono.error(() -> new ApiException(HttpStatus.CONFLICT, "function " + functionId
                        + " no longer exists; nothing to redrive it to",
                        List.of(new FieldError("functionId", "was deleted")))))
                .flatMap(f -> f.status() == FunctionStatus.ACTIVE ? Mono.just(f)
                        : Mono.error(new ApiException(HttpStatus.CONFLICT, "function " + f.name() + " is inactive",
                                List.of(new FieldError("status", "is inactive")))));
    }

    /** A stored document (dead letter or execution) of one of the caller's functions; empty for another's. */
    private Mono<Document> owned(Mono<Document> stored, Caller caller) {
        return stored.filterWhen(doc -> functions.owns(caller, doc.getString(FUNCTION_ID)));
    }

    @DeleteMapping("/{executionId}")
    Mono<ResponseEntity<Void>> discard(@PathVariable String executionId, @AuthenticationPrincipal Caller caller) {
        return Mono.fromCallable(() -> JsonBodies.executionId(executionId))
                .flatMap(id -> find(id, caller))
                .flatMap(doc -> send(Topic.DEAD_LETTER_RESOLUTIONS, executionId,
                        new DeadLetterResolved(executionId, DeadLetterResolved.Resolution.DISCARDED, Instant.now(),
                                doc.getInteger(SERIES, 0))))
                .thenReturn(ResponseEntity.noContent().<Void>build());
    }

    private Mono<Document> find(String executionId, Caller caller) {
        return owned(mongo.findById(executionId, Document.class, COLLECTION), caller)
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("dead letter " + executionId)));
    }

    private Mono<Void> send(Topic topic, String key, Object value) {
        return publisher.send(topic, key, value)
                .onErrorMap(e -> new ApiException(HttpStatus.SERVICE_UNAVAILABLE,
                        "could not reach Kafka, nothing was changed; retry: " + e.getMessage(), List.of()));
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record DeadLetterView(String executionId, String functionId, JsonNode input, int attempts, ExecutionError lastError,
            List<AttemptRecord> history, Instant deadLetteredAt) {

        static DeadLetterView of(Document d) {
            Date at = d.getDate(DEAD_LETTERED_AT);
            return new DeadLetterView(d.getString(ID), d.getString(FUNCTION_ID), JsonCodec.readTree(d.getString(INPUT)),
                    d.getInteger(ATTEMPTS, 0), ExecutionView.error(d.get(LAST_ERROR, Document.class)),
                    ExecutionView.history(d.getList(HISTORY, Document.class)), at == null ? null : at.toInstant());
        }
    }

    record Redriven(String executionId, int series, String location) {
    }
}
