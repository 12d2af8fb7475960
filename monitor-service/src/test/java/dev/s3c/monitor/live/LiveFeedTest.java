package dev.s3c.monitor.live;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Sinks;

/** Events reach every listening client; while none listens, an event is not even made. */
class LiveFeedTest {

    private final LiveFeed feed = new LiveFeed(new LiveAggregates());

    @Test
    void anEventIsMadeOnlyWhileAClientListens() throws Exception {
        AtomicInteger made = new AtomicInteger();
        feed.publish("execution", () -> {
            made.incrementAndGet();
            return Map.of("executionId", "e-0");
        });
        assertThat(made).hasValue(0);

        Sinks.Many<String> received = Sinks.many().replay().all();
        Disposable client = feed.stream().subscribe(received::tryEmitNext);
        try {
            // the snapshot comes first, on subscription
            assertThat(received.asFlux().next().block(Duration.ofSeconds(5))).startsWith("{\"type\":\"snapshot\"");
            feed.publish("execution", () -> {
                made.incrementAndGet();
                return Map.of("executionId", "e-1");
            });
            List<String> messages = received.asFlux().take(2).collectList().block(Duration.ofSeconds(5));
            assertThat(messages.get(1)).isEqualTo("{\"type\":\"execution\",\"event\":{\"executionId\":\"e-1\"}}");
            assertThat(made).hasValue(1);
        } finally {
            client.dispose();
        }
    }
}
