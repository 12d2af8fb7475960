package dev.s3c.gateway.executions;

import dev.s3c.contracts.ExecutionRecord;
import dev.s3c.contracts.ExecutionStatus;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.api.JsonBodies;
import dev.s3c.gateway.functions.FunctionService;
import dev.s3c.gateway.invoke.RecentlyAccepted;
import dev.s3c.gateway.tenants.Caller;
import io.swagger.v3.oas.annotations.Parameter;
import java.util.Arrays;
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

    ExecutionController(ReactiveMongoTemplate mongo, RecentlyAccepted recent, FunctionService functions) {
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
    Mono<ExecutionView> get(@PathVariable String id, @AuthenticationPrincipal Caller caller) {
        JsonBodies.executionId(id);
        return mongo.findById(id, Document.class, ExecutionRecord.COLLECTION)
                .map(ExecutionView::of)
                .switchIfEmpty(Mono.defer(() -> Mono.justOrEmpty(recent.find(id).map(ExecutionView::queued))))
                .filterWhen(view -> functions.owns(caller, view.functionId()))
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("execution " + id)));
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
            @AuthenticationPrincipal Caller caller) {
        FunctionService.idOrName(id);
        int max = JsonBodies.boundedInt("limit", limit, 1, MAX_LIMIT);
        Predicate<ExecutionView> filter = view -> true;
        String wantedWire = null;
        if (status != null && !status.isBlank()) {
            ExecutionStatus wanted = ExecutionStatus.fromWire(status.strip()).orElseThrow(() -> ApiException.badRequest(
                    "status", "must be one of " + Arrays.stream(ExecutionStatus.values()).map(ExecutionStatus::wire)
                            .collect(Collectors.joining(", "))));
            filter = view -> view.status() == wanted;
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
                next.queryParam("cursor", page.next());
                response.header(HttpHeaders.LINK, "<" + next.buildAndExpand(function).toUriString()
                        + ">; rel=\"next\"");
            }
            return response.body(page.items());
        }));
    }
}
