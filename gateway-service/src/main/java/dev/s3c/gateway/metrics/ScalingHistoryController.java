package dev.s3c.gateway.metrics;

import dev.s3c.gateway.api.JsonBodies;
import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** The scaler's decisions, which the monitor stores, newest first (the original product's route). */
@io.swagger.v3.oas.annotations.tags.Tag(name = "Metrics")
@RestController
class ScalingHistoryController {

    static final int MAX_LIMIT = 1000;

    private final ScalingHistory history;

    ScalingHistoryController(ScalingHistory history) {
        this.history = history;
    }

    @GetMapping("/api/metrics/scaling/history")
    Mono<List<ScalingEventView>> history(@RequestParam(defaultValue = "50") String limit,
            @org.springframework.security.core.annotation.AuthenticationPrincipal dev.s3c.gateway.tenants.Caller caller) {
        int max = JsonBodies.boundedInt("limit", limit, 1, MAX_LIMIT);
        return history.newest(max, caller);
    }
}
