package dev.s3c.gateway.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import dev.s3c.contracts.InvocationRequested;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.JsonNodeFactory;

class RecentlyAcceptedTest {

    private final AtomicLong nanos = new AtomicLong();
    private final RecentlyAccepted recent = new RecentlyAccepted(nanos::get);

    @Test
    void aJustAcceptedCallIsFoundWithoutItsInput() {
        Instant at = Instant.parse("2026-12-01T10:00:00Z");
        recent.add(request("e-1", at));

        assertThat(recent.find("e-1")).contains(new RecentlyAccepted.Accepted("e-1", "f-1", 3, at));
        assertThat(recent.find("e-2")).isEmpty();
    }

    @Test
    void forgetsACallOnceTheMonitorHasHadMinutesToStoreIt() {
        recent.add(request("e-1", Instant.now()));

        nanos.addAndGet(RecentlyAccepted.KEEP.minusSeconds(1).toNanos());
        assertThat(recent.find("e-1")).isPresent();
        nanos.addAndGet(Duration.ofSeconds(2).toNanos());
        assertThat(recent.find("e-1")).isEmpty();
    }

    @Test
    void keepsEveryCallOfTheLastMinuteAtTheHighestRates() {
        // 400,000 calls in 40 s (10,000 a second): all within the minute, more than a smaller cache held
        Instant at = Instant.parse("2026-12-01T10:00:00Z");
        for (int i = 0; i < 400_000; i++) {
            recent.add(new InvocationRequested("e-" + i, "f-1", 3, null, at, null));
            nanos.addAndGet(100_000);
        }
        for (int i : new int[] {0, 100_000, 250_000, 390_000, 399_999}) {
            assertThat(recent.find("e-" + i)).as("call %d", i).isPresent();
        }
    }

    private static InvocationRequested request(String executionId, Instant at) {
        return new InvocationRequested(executionId, "f-1", 3, JsonNodeFactory.instance.objectNode().put("big", "x".repeat(10_000)),
                at, null);
    }
}
