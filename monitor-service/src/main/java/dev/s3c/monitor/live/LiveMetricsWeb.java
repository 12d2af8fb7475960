package dev.s3c.monitor.live;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.handler.SimpleUrlHandlerMapping;
import org.springframework.web.cors.CorsConfiguration;
import org.springframework.web.reactive.socket.WebSocketHandler;
import reactor.core.publisher.Mono;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;

/**
 * The monitor's live metrics: {@code GET /api/metrics} (the current snapshot),
 * {@code GET /api/metrics/executions/history?window=&step=} (totals over time) and the WebSocket
 * {@code /api/metrics/live} (a snapshot every second, events as they happen). The gateway serves the same routes
 * on the API's origin and forwards them here.
 */
@RestController
class LiveMetricsWeb {

    static final Duration MAX_WINDOW = Duration.ofSeconds(LiveAggregates.HISTORY_SECONDS);

    private final LiveAggregates aggregates;

    LiveMetricsWeb(LiveAggregates aggregates) {
        this.aggregates = aggregates;
    }

    @GetMapping("/api/metrics")
    LiveAggregates.Snapshot snapshot() {
        return aggregates.snapshot(Instant.now());
    }

    @GetMapping("/api/metrics/executions/history")
    Map<String, Object> history(@RequestParam(defaultValue = "15m") String window,
            @RequestParam(defaultValue = "10s") String step) {
        Duration w = duration("window", window);
        Duration s = duration("step", step);
        if (w.compareTo(MAX_WINDOW) > 0) {
            throw new BadParameter("window", "must be at most 1h (the history kept)");
        }
        if (s.compareTo(w) > 0) {
            throw new BadParameter("step", "must be at most the window");
        }
        List<LiveAggregates.Point> points = aggregates.history(Instant.now(), w, s);
        return Map.of("window", w.toString(), "step", s.toString(), "points", points);
    }

    /** Whole seconds, as 90, 90s, 15m or 1h. */
    static Duration duration(String field, String text) {
        String t = text.strip();
        try {
            Duration d;
            if (t.endsWith("h")) {
                d = Duration.ofHours(Long.parseLong(t.substring(0, t.length() - 1)));
            } else if (t.endsWith("m")) {
                d = Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
            } else if (t.endsWith("s")) {
                d = Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
            } else {
                d = Duration.ofSeconds(Long.parseLong(t));
            }
            if (d.toSeconds() < 1) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException | ArithmeticException e) {
            throw new BadParameter(field,
                    "must be a whole number of seconds, minutes or hours of at least 1s, like 90s, 15m or 1h");
        }
    }

    /** A refused query parameter; answered in the API's error shape, naming the field. */
    static final class BadParameter extends RuntimeException {

        final String field;
        final String reason;

        BadParameter(String field, String reason) {
            super(field + " " + reason);
            this.field = field;
            this.reason = reason;
        }
    }

    @ExceptionHandler(BadParameter.class)
    ResponseEntity<Map<String, Object>> refused(BadParameter e) {
        return ResponseEntity.badRequest().body(Map.of("status", 400, "message", e.getMessage(),
                "errors", List.of(Map.of("field", e.field, "reason", e.reason))));
    }

    @Configuration(proxyBeanMethods = false)
    static class Socket {

        @Bean
        HandlerMapping liveSocketMapping(LiveFeed feed, LiveStreams streams) {
            // what the client sends is read and dropped; the stream ends when the client leaves or this monitor
            // stops
            WebSocketHandler handler = session -> Mono.firstWithSignal(
                    session.send(feed.stream().takeUntilOther(streams.closing()).map(session::textMessage)),
                    session.receive().then());
            var mapping = new SimpleUrlHandlerMapping(Map.of("/api/metrics/live", handler), -1);
            // browsers reach the stream through the gateway, on the API's origin; a page of any other origin is
            // refused the handshake here (WebSockets are not subject to CORS: without this any page could listen)
            mapping.setCorsConfigurations(Map.of("/api/metrics/live", new CorsConfiguration()));
            return mapping;
        }
    }
}
