package dev.s3c.gateway.executions;

import dev.s3c.contracts.ExecutionRecord;
import dev.s3c.contracts.ExecutionStatus;
import dev.s3c.gateway.GatewayProperties;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.api.JsonBodies;
import dev.s3c.gateway.functions.FunctionService;
import dev.s3c.gateway.invoke.RecentlyAccepted;
import dev.s3c.gateway.tenants.Caller;
import io.swagger.v3.oas.annotations.Parameter;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.bson.Document;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.util.UriComponentsBuilder;
import reactor.core.publisher.Mono;

/** Reads executions, which the monitor stores. */
@io.swagger.v3.oas.annotations.tags.Tag(name = "Executions")
@RestController
class ExecutionController {

    static final int MAX_LIMIT = 1000;

    private final ReactiveMongoTemplate mongo;
    private final RecentlyAccepted recent;
    private final ExecutionListing listing;

    private final FunctionService functions;
    private final Duration maxWait;

    ExecutionController(ReactiveMongoTemplate mongo, RecentlyAccepted recent, FunctionService functions,
            GatewayProperties properties) {
        this.maxWait = properties.maxSyncWait();
        this.mongo = mongo;
        this.recent = recent;
        this.functions = functions;
        this.listing = new ExecutionListing(mongo);
    }

    /**
     * An execution of one of the caller's functions (also one deleted since). Another tenant's answers 404 like a
     * missing one.
     */
    @GetMapping("/api/executions/{id}")
    Mono<ExecutionView> get(@PathVariable String id, @RequestParam(required = false) @Parameter(description = "wait up "
            + "to this long for the execution to be final (seconds, or a duration such as 500ms; at most the longest "
            + "sync wait): answered as soon as it is, or as it stands when the wait is over") String wait,
            @AuthenticationPrincipal Caller caller) {
        JsonBodies.executionId(id);
        Duration waitFor = JsonBodies.waitParameter(wait, Duration.ZERO, maxWait);
        Mono<Optional<ExecutionView>> read = Mono.defer(() -> find(id, caller));
        if (!waitFor.isZero()) {
            long start = System.nanoTime();
            long deadline = start + waitFor.toNanos();
            // one accepted by another gateway is not found until it is stored, usually within a second
            long notFoundDeadline = start + Math.min(waitFor.toNanos(), UNSTORED_PATIENCE.toNanos());
            AtomicInteger reads = new AtomicInteger();
            read = read.expand(found -> {
                long until = found.isPresent() ? deadline : notFoundDeadline;
                long left = until - System.nanoTime();
                if (found.isPresent() && found.get().status().terminal() || left <= 0) {
                    return Mono.empty();
                }
                return Mono.delay(Duration.ofNanos(Math.min(left, pause(reads.incrementAndGet()).toNanos())))
                        // a read that fails once the execution was found answers with what was found
                        .then(find(id, caller).onErrorReturn(Optional.empty()));
            // the last state found: one found and then not (accepted here and forgotten before it was stored, say)
            // is not a 404
            }).reduce((earlier, later) -> later.isPresent() ? later : earlier);
        }
        return read.flatMap(found -> Mono.justOrEmpty(found))
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("execution " + id)));
    }

    /** How long a read that waits looks for an execution not found (yet) before it answers 404. */
    static final Duration UNSTORED_PATIENCE = Duration.ofSeconds(10);

    /**
     * Between reads of an execution waited for: soon at first (most finish within milliseconds), then twice a
     * second, so a client waiting long costs the store two reads a second, not a poll loop's dozens.
     */
    static Duration pause(int read) {
        return Duration.ofMillis(Math.min(500, 25L << Math.min(read, 5)));
    }

    /** The execution if it is the caller's (stored, or accepted here and not stored yet), else empty. */
    private Mono<Optional<ExecutionView>> find(String id, Caller caller) {
        return mongo.findById(id, Document.class, ExecutionRecord.COLLECTION)
                .map(ExecutionView::of)
                .switchIfEmpty(Mono.defer(() -> Mono.justOrEmpty(recent.find(id).map(ExecutionView::queued))))
                .filterWhen(view -> functions.owns(caller, view.functionId()))
                .map(Optional::of)
                .defaultIfEmpty(Optional.empty());
    }

    /** A {@code version} filter: a whole number from 1, or a 400 naming it. */
    static long functionVersion(String text) {
        try {
            long version = Long.parseLong(text.strip());
            if (version >= 1) {
                return version;
            }
        } catch (NumberFormatException e) {
            // told below
        }
        throw ApiException.badRequest("version", "must be a version of the function, a whole number from 1");
    }

    /**
     * The function's executions, newest first. A {@code Link: <…&cursor=…>; rel="next"} header points at the next
     * page while there may be one.
     */
    @GetMapping("/api/functions/{id}/logs")
    Mono<ResponseEntity<List<ExecutionView>>> logs(
            @PathVariable @Parameter(description = FunctionService.ID_OR_NAME) String id,
            @RequestParam(required = false) String status, @RequestParam(defaultValue = "50") String limit,
            @RequestParam(required = false) String cursor,
            @RequestParam(required = false) @Parameter(description = "only the executions run by this version of "
                    + "the function") String version,
            @AuthenticationPrincipal Caller caller) {
        FunctionService.idOrName(id);
        int max = JsonBodies.boundedInt("limit", limit, 1, MAX_LIMIT);
        Predicate<ExecutionView> filter = view -> true;
        Long ranBy = version == null ? null : functionVersion(version);
        if (ranBy != null) {
            filter = view -> ranBy.equals(view.functionVersion());
        }
        String wantedWire = null;
        if (status != null && !status.isBlank()) {
            ExecutionStatus wanted = ExecutionStatus.fromWire(status.strip()).orElseThrow(() -> ApiException.badRequest(
                    "status", "must be one of " + Arrays.stream(ExecutionStatus.values()).map(ExecutionStatus::wire)
                            .collect(Collectors.joining(", "))));
            filter = filter.and(view -> view.status() == wanted);
            wantedWire = wanted.wire();
        }
        if (cursor != null && cursor.isBlank()) {
            throw ApiException.badRequest("cursor", "must not be empty");
        }
        String statusParam = wantedWire;
        Predicate<ExecutionView> wanted = filter;
        // by name, only a function that still exists; by id, also one deleted within the retention
        return functions.idOf(caller, id).flatMap(function -> functions.ownsOr404(caller, function)
                .then(listing.page(function, wanted, max, cursor)).map(page -> {
            var response = ResponseEntity.ok();
            if (page.next() != null) {
                // the next page by the function's id: a name may have spaces, and may change
                var next = UriComponentsBuilder.fromPath("/api/functions/{id}/logs").queryParam("limit", max);
                if (statusParam != null) {
                    next.queryParam("status", statusParam);
                }
                if (ranBy != null) {
                    next.queryParam("version", ranBy);
                }
                next.queryParam("cursor", page.next());
                response.header(HttpHeaders.LINK, "<" + next.buildAndExpand(function).toUriString()
                        + ">; rel=\"next\"");
            }
            return response.body(page.items());
        }));
    }
}
