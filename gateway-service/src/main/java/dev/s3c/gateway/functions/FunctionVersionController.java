package dev.s3c.gateway.functions;

import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.api.FieldError;
import dev.s3c.gateway.api.JsonBodies;
import dev.s3c.gateway.api.RequestBodies;
import dev.s3c.gateway.tenants.Caller;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * A function's earlier versions: listed, read with their code, and restored (a new version with an old one's code
 * and settings), as Lambda lists a function's versions and a deploy is rolled back. Executions name the version
 * that ran ({@code functionVersion}), so a result can be traced to its code.
 */
@io.swagger.v3.oas.annotations.tags.Tag(name = "Functions")
@RestController
@RequestMapping("/api/functions/{id}/versions")
class FunctionVersionController {

    private static final String VERSION = "a version of the function: a whole number from 1";

    private final FunctionService functions;
    private final FunctionVersions versions;

    FunctionVersionController(FunctionService functions, FunctionVersions versions) {
        this.functions = functions;
        this.versions = versions;
    }

    /**
     * @param kept how many versions of a function are kept, the current one included (older ones are gone)
     * @param items newest first, the current version first, without their code
     */
    record Listing(String functionId, long current, int kept, List<FunctionVersions.Version> items) {
    }

    @GetMapping
    Mono<Listing> list(@PathVariable @Parameter(description = FunctionService.ID_OR_NAME) String id,
            @AuthenticationPrincipal Caller caller) {
        return current(caller, id).flatMap(f -> functions.versions(f).collectList()
                .map(items -> new Listing(f.id(), f.version(), versions.kept(), items)));
    }

    @GetMapping("/{version}")
    Mono<FunctionVersions.Version> get(@PathVariable @Parameter(description = FunctionService.ID_OR_NAME) String id,
            @PathVariable @Parameter(description = VERSION) String version, @AuthenticationPrincipal Caller caller) {
        return Mono.fromCallable(() -> version(version))
                .flatMap(v -> current(caller, id).flatMap(f -> functions.version(f, v)));
    }

    /**
     * Stores a new version with the code, description and settings ({@code config}) of version {@code version};
     * the function's name and status stay. Answers the function as stored, as an update does.
     */
    @io.swagger.v3.oas.annotations.parameters.RequestBody(
            content = @Content(schema = @Schema(implementation = RequestBodies.Restore.class)))
    @PostMapping(path = "/{version}/restore", consumes = MediaType.APPLICATION_JSON_VALUE)
    Mono<FunctionDocument> restore(@PathVariable @Parameter(description = FunctionService.ID_OR_NAME) String id,
            @PathVariable @Parameter(description = VERSION) String version,
            @RequestBody(required = false) String body, @AuthenticationPrincipal Caller caller) {
        return Mono.fromCallable(() -> restoreBody(version(version), body))
                .flatMap(restore -> functions.idOf(caller, id).flatMap(found -> functions.restore(caller, found,
                        restore.version(), restore.expected(), restore.note())));
    }

    /**
     * @param expected the current version as the caller read it, or null
     * @param note what the restore is for, or null: "restored version N"
     */
    record Restore(long version, Long expected, String note) {
    }

    private Mono<FunctionDocument> current(Caller caller, String id) {
        return Mono.fromCallable(() -> FunctionService.idOrName(id))
                .flatMap(checked -> functions.findByIdOrName(caller, checked))
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("function " + id)));
    }

    /** The path's version: a whole number from 1, or a 400 naming {@code version}. */
    static long version(String text) {
        try {
            long version = Long.parseLong(text);
            if (version >= 1) {
                return version;
            }
        } catch (NumberFormatException e) {
            // told below
        }
        throw ApiException.badRequest("version", "must be a whole number from 1, was '" + text + "'");
    }

    /**
     * A restore's optional body: {@code {"version": <the current version, as read>, "note": "why"}}, nothing else.
     */
    static Restore restoreBody(long version, String body) {
        JsonNode parsed = JsonBodies.parse(body);
        if (parsed.isMissingNode()) {
            return new Restore(version, null, null);
        }
        if (!parsed.isObject()) {
            throw ApiException.badRequest("body", "must be a JSON object such as {\"version\": 3}, or left out");
        }
        for (String field : parsed.propertyNames()) {
            if (!field.equals("version") && !field.equals("note")) {
                throw new ApiException(org.springframework.http.HttpStatus.BAD_REQUEST, field + " is not a field of "
                        + "a restore (note, version)", List.of(new FieldError(field, "is not a field of a restore: "
                        + "version, the current version as read, and note may be sent")));
            }
        }
        Long expected = null;
        JsonNode current = parsed.get("version");
        if (current != null && !current.isNull()) {
            if (!current.isIntegralNumber() || !current.canConvertToLong() || current.asLong() < 1) {
                throw ApiException.badRequest("version", "must be the function's current version as read (a whole "
                        + "number from 1), or left out");
            }
            expected = current.asLong();
        }
        List<FieldError> errors = new java.util.ArrayList<>();
        String note = FunctionSpec.note(parsed.get("note"), errors);
        if (!errors.isEmpty()) {
            throw new ApiException(org.springframework.http.HttpStatus.BAD_REQUEST, "note " + errors.getFirst()
                    .reason(), errors);
        }
        return new Restore(version, expected, note);
    }
}
