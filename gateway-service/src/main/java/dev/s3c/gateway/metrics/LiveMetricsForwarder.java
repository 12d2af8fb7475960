package dev.s3c.gateway.metrics;

import dev.s3c.contracts.JsonCodec;
import dev.s3c.gateway.GatewayProperties;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.loadtests.LoadTests;
import dev.s3c.gateway.tenants.Caller;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.http.client.reactive.JdkClientHttpConnector;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.handler.SimpleUrlHandlerMapping;
import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.client.ReactorNettyWebSocketClient;
import reactor.core.publisher.BufferOverflowStrategy;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.core.scheduler.Schedulers;

/**
 * The monitor's live metrics on the API's origin, so a browser needs one address: {@code GET /api/metrics},
 * {@code GET /api/metrics/executions/history} and the WebSocket {@code /api/metrics/live} are forwarded to the
 * monitor, whose answers (and refusals) pass through unchanged in meaning. The WebSocket also carries this gateway's
 * load-test progress ({@code {"type":"loadTest",…}}).
 */
@io.swagger.v3.oas.annotations.tags.Tag(name = "Metrics")
@RestController
class LiveMetricsForwarder {

    /** Messages a slow browser may fall behind by before the oldest are dropped. */
    static final int RELAY_BUFFER = 256;
    static final java.time.Duration MONITOR_TIMEOUT = java.time.Duration.ofSeconds(10);
    /** Largest message taken from the monitor: snapshots list at most 100 functions, far below this. */
    static final int MAX_MESSAGE_CHARS = 1024 * 1024;
    /** Largest answer taken from the monitor: an hour of history at one point a second is about 1.5 MB. */
    static final int MAX_ANSWER_BYTES = 8 * 1024 * 1024;

    private final WebClient monitor;
    private final LiveScope scope;

    LiveMetricsForwarder(GatewayProperties properties, LiveScope scope) {
        this.scope = scope;
        // the JDK's HTTP client: its own threads, whatever this JVM's web server runs on
        this.monitor = WebClient.builder().baseUrl(properties.monitorUrl().toString())
                .clientConnector(new JdkClientHttpConnector())
                .codecs(codecs -> codecs.defaultCodecs().maxInMemorySize(MAX_ANSWER_BYTES))
                .build();
    }

    @GetMapping("/api/metrics")
    Mono<ResponseEntity<String>> snapshot(@AuthenticationPrincipal Caller caller) {
        return forward(monitor.get().uri("/api/metrics"))
                .flatMap(answer -> scope.snapshot(answer.getBody(), caller)
                        .map(body -> ResponseEntity.status(answer.getStatusCode()).headers(answer.getHeaders())
                                .body(body)));
    }

    @GetMapping("/api/metrics/executions/history")
    Mono<ResponseEntity<String>> history(@RequestParam(defaultValue = "15m") String window,
            @RequestParam(defaultValue = "10s") String step) {
        // values go through the URI builder as values, never as a template
        return forward(monitor.get().uri(uri -> uri.path("/api/metrics/executions/history")
                .queryParam("window", "{window}").queryParam("step", "{step}").build(window, step)));
    }

    private Mono<ResponseEntity<String>> forward(WebClient.RequestHeadersSpec<?> request) {
        return request.exchangeToMono(response -> response.bodyToMono(String.class)
                        .defaultIfEmpty("")
                        .map(body -> {
                            if (response.statusCode().value() == 400) {
                                throw refusal(body);
                            }
                            if (!response.statusCode().is2xxSuccessful()) {
                                throw new ApiException(HttpStatus.BAD_GATEWAY, "the monitor failed: "
                                        + response.statusCode().value(), List.of());
                            }
                            return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(body);
                        }))
                .timeout(MONITOR_TIMEOUT)
                .onErrorMap(e -> !(e instanceof ApiException), e -> new ApiException(HttpStatus.SERVICE_UNAVAILABLE,
                        "live metrics are not available: the monitor did not answer (" + e.getMessage() + ")",
                        List.of()));
    }

    /** The monitor refuses in the API's error shape; the gateway answers with the same field and reason. */
    private static ApiException refusal(String body) {
        try {
            var error = JsonCodec.readTree(body).path("errors").path(0);
            if (error.has("field")) {
                return ApiException.badRequest(error.path("field").asString(), error.path("reason").asString());
            }
        } catch (RuntimeException e) {
            // not JSON: the generic refusal below
        }
        return new ApiException(HttpStatus.BAD_REQUEST, "the monitor refused the request", List.of());
    }

    @Configuration(proxyBeanMethods = false)
    static class Relay {

        /**
         * Each browser connection gets its own connection to the monitor. The relay keeps what the browser has not
         * taken yet as the monitor does: the newest snapshot only, and events in a bounded buffer that drops the
         * oldest. A stalled browser costs a fixed amount of memory and never holds up the monitor.
         */
        @Bean
        HandlerMapping liveRelayMapping(GatewayProperties properties, LoadTests loadTests, LiveStreams streams,
                LiveScope scope) {
            URI upstream = URI.create(properties.monitorUrl().toString().replaceFirst("^http", "ws")
                    + "/api/metrics/live");
            // the client's default frame limit (64 KiB) would close the connection on a snapshot listing many
            // functions
            ReactorNettyWebSocketClient client = new ReactorNettyWebSocketClient(HttpClient.create(),
                    () -> WebsocketClientSpec.builder().maxFramePayloadLength(MAX_MESSAGE_CHARS * 4));
            WebSocketHandler relay = browser -> browser.getHandshakeInfo().getPrincipal()
                    .map(LiveMetricsForwarder::caller)
                    .flatMap(caller -> client.execute(upstream, monitor -> {
                // connected once both halves below subscribed, so no message slips past one of them
                // the relay ends with the monitor's stream (the browser then reconnects), progress included
                Sinks.Empty<Void> monitorGone = Sinks.empty();
                Flux<String> all = monitor.receive().map(message -> message.getPayloadAsText())
                        .doFinally(signal -> monitorGone.tryEmitEmpty()).publish().refCount(2);
                // each browser sees its tenant's share (LiveScope)
                Flux<String> snapshots = all.filter(LiveMetricsForwarder::isSnapshot).onBackpressureLatest()
                        .concatMap(m -> scope.message(m, caller), 1);
                Flux<String> events = all.filter(m -> !isSnapshot(m))
                        .onBackpressureBuffer(RELAY_BUFFER, dropped -> { }, BufferOverflowStrategy.DROP_OLDEST)
                        .concatMap(m -> scope.message(m, caller), 1);
                // this gateway's own load-test progress joins the stream, bounded like the events
                Flux<String> progress = loadTests.progress(caller).takeUntilOther(monitorGone.asMono())
                        .onBackpressureBuffer(RELAY_BUFFER, dropped -> { }, BufferOverflowStrategy.DROP_OLDEST);
                // one thread hands messages to the browser's session: with the progress arriving on another thread
                // than the monitor's, about half the streams stalled for good after a load test (on Tomcat)
                Flux<String> merged = Flux.merge(1, snapshots, events, progress).publishOn(Schedulers.single(), 1)
                        .takeUntilOther(streams.closing());
                return Mono.firstWithSignal(
                        browser.send(merged.map(browser::textMessage)),
                        browser.receive().then());
            }));
            return new SimpleUrlHandlerMapping(Map.of("/api/metrics/live", relay), -1);
        }
    }

    /** The key's caller: the live stream is behind the API's key check, so the handshake always has one. */
    private static Caller caller(java.security.Principal principal) {
        return (Caller) ((org.springframework.security.core.Authentication) principal).getPrincipal();
    }

    /** The monitor writes {"type":"snapshot",...} with the type first. */
    private static boolean isSnapshot(String message) {
        return message.startsWith("{\"type\":\"snapshot\"");
    }
}
