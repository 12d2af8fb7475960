package dev.s3c.gateway.functions;

import dev.s3c.gateway.GatewayProperties;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.api.JsonBodies;
import dev.s3c.gateway.api.RequestBodies;
import dev.s3c.gateway.tenants.Caller;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import java.net.URI;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** The original product's functions routes. */
@io.swagger.v3.oas.annotations.tags.Tag(name = "Functions")
@RestController
@RequestMapping("/api/functions")
class FunctionController {

    static final int MAX_PAGE_SIZE = 200;
    static final int MAX_SEARCH_LENGTH = 100;

    private final FunctionService functions;
    private final long maxCodeBytes;

    FunctionController(FunctionService functions, GatewayProperties properties) {
        this.functions = functions;
        this.maxCodeBytes = properties.maxCodeSize().toBytes();
    }

    @io.swagger.v3.oas.annotations.parameters.RequestBody(
            content = @Content(schema = @Schema(implementation = RequestBodies.Function.class)))
    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    Mono<ResponseEntity<FunctionDocument>> create(@RequestBody(required = false) String body,
            @AuthenticationPrincipal Caller caller) {
        return Mono.fromCallable(() -> FunctionSpec.parse(JsonBodies.parseObject(body), true, maxCodeBytes))
                .flatMap(spec -> functions.create(caller.tenant(), spec))
                .map(saved -> ResponseEntity.created(URI.create("/api/functions/" + saved.id())).body(saved));
    }

    @GetMapping
    Mono<Page> list(@RequestParam(defaultValue = "0") String page, @RequestParam(defaultValue = "20") String size,
            @RequestParam(required = false) String name, @RequestParam(required = false) String q,
            @AuthenticationPrincipal Caller caller) {
        int p = JsonBodies.boundedInt("page", page, 0, Integer.MAX_VALUE / MAX_PAGE_SIZE);
        int s = JsonBodies.boundedInt("size", size, 1, MAX_PAGE_SIZE);
        if (q != null && q.length() > MAX_SEARCH_LENGTH) {
            throw ApiException.badRequest("q", "must be at most " + MAX_SEARCH_LENGTH + " characters");
        }
        return functions.list(caller.tenant(), name, q, p, s).map(FunctionDocument::withoutCode).collectList()
                .zipWith(functions.count(caller.tenant(), name, q))
                .map(t -> new Page(t.getT1(), p, s, t.getT2()));
    }

    @GetMapping("/{id}")
    Mono<FunctionDocument> get(@PathVariable @Parameter(description = FunctionService.ID_OR_NAME) String id,
            @AuthenticationPrincipal Caller caller) {
        return functions.findByIdOrName(caller, FunctionService.idOrName(id))
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("function " + id)));
    }

    @io.swagger.v3.oas.annotations.parameters.RequestBody(
            content = @Content(schema = @Schema(implementation = RequestBodies.Function.class)))
    @PutMapping(path = "/{id}", consumes = MediaType.APPLICATION_JSON_VALUE)
    Mono<FunctionDocument> update(@PathVariable @Parameter(description = FunctionService.ID_OR_NAME) String id,
            @RequestBody(required = false) String body, @AuthenticationPrincipal Caller caller) {
        return Mono.fromCallable(() -> {
            FunctionService.idOrName(id);
            return FunctionSpec.parse(JsonBodies.parseObject(body), false, maxCodeBytes);
        }).flatMap(spec -> functions.idOf(caller, id).flatMap(found -> functions.update(caller, found, spec)));
    }

    @DeleteMapping("/{id}")
    Mono<ResponseEntity<Void>> delete(@PathVariable @Parameter(description = FunctionService.ID_OR_NAME) String id,
            @AuthenticationPrincipal Caller caller) {
        return Mono.fromCallable(() -> FunctionService.idOrName(id))
                .flatMap(checked -> functions.idOf(caller, checked))
                .flatMap(found -> functions.delete(caller, found))
                .thenReturn(ResponseEntity.status(HttpStatus.NO_CONTENT).<Void>build());
    }


    /** One page of functions (without their code; GET one function for it). */
    record Page(List<FunctionDocument> items, int page, int size, long total) {
    }
}
