package dev.s3c.gateway.loadtests;

import dev.s3c.gateway.GatewayProperties;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.metrics.ScalingHistory;
import dev.s3c.gateway.tenants.Caller;
import dev.s3c.gateway.api.RequestBodies;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import java.net.URI;
import java.util.List;
import java.util.regex.Pattern;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** The built-in load tester: {@code /api/load-tests}. */
@io.swagger.v3.oas.annotations.tags.Tag(name = "Load tests")
@RestController
@RequestMapping("/api/load-tests")
class LoadTestController {

    /** More decisions than a ten-minute test can see at one a second. */
    static final int MAX_DECISIONS = 1000;
    private static final Pattern ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private final LoadTests tests;
    private final ScalingHistory scaling;
    private final GatewayProperties properties;

    LoadTestController(LoadTests tests, ScalingHistory scaling, GatewayProperties properties) {
        this.tests = tests;
        this.scaling = scaling;
        this.properties = properties;
    }

    @io.swagger.v3.oas.annotations.parameters.RequestBody(
            content = @Content(schema = @Schema(implementation = RequestBodies.LoadTest.class)))
    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    Mono<ResponseEntity<LoadTestReport>> start(@RequestBody(required = false) String body,
            @AuthenticationPrincipal Caller caller) {
        return Mono.fromCallable(() -> LoadTestSpec.parse(body, properties.loadTests(), properties.maxInputSize().toBytes()))
                .flatMap(spec -> tests.start(spec, caller))
                .map(test -> ResponseEntity.created(URI.create("/api/load-tests/" + test.id)).body(test.report()));
    }

    @GetMapping
    List<LoadTestReport> list(@AuthenticationPrincipal Caller caller) {
        return tests.list(caller).stream().map(LoadTest::report).toList();
    }

    @GetMapping("/{id}")
    Mono<LoadTestReport> get(@PathVariable String id, @AuthenticationPrincipal Caller caller) {
        LoadTestReport report = find(id, caller).report();
        return scaling.between(report.startedAt(), report.endedAt(), MAX_DECISIONS, caller)
                .map(report::withScalingDecisions);
    }

    @DeleteMapping("/{id}")
    LoadTestReport stop(@PathVariable String id, @AuthenticationPrincipal Caller caller) {
        LoadTest test = find(id, caller);
        test.stop("stopped by a DELETE");
        return test.report();
    }

    private LoadTest find(String id, Caller caller) {
        if (!ID.matcher(id).matches()) {
            throw ApiException.badRequest("id", "must be a load test id (a UUID)");
        }
        return tests.find(id, caller).orElseThrow(() -> new ApiException(HttpStatus.NOT_FOUND,
                "load test " + id + " not found (this gateway keeps its last " + LoadTests.KEPT + ")", List.of()));
    }
}
