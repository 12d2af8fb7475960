package dev.s3c.gateway.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import dev.s3c.contracts.InvocationRequested;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

class RecentlyAcceptedTest {

    private static final Instant AT = Instant.parse("2026-12-01T10:00:00.123456789Z");
    private static final JsonNode INPUT = JsonNodeFactory.instance.objectNode().put("big", "x".repeat(10_000));
    private static final AtomicLong NUMBER = new AtomicLong();

    private final AtomicLong nanos = new AtomicLong();
    private final RecentlyAccepted recent = new RecentlyAccepted(nanos::get);

    @Test
    void aJustAcceptedCallIsFoundWithoutItsInput() {
        String id = id();
        recent.add(request(id, "f-1", 3));

        assertThat(recent.find(id)).contains(new RecentlyAccepted.Accepted(id, "f-1", 3, AT));
        assertThat(recent.find(id())).isEmpty();
    }

    @Test
    void findsOnlyTheIdAsTheGatewayWroteIt() {
        String id = id();
        recent.add(request(id, "f-1", 3));

        assertThat(recent.find(id.toUpperCase())).isEmpty();
        assertThat(recent.find(id.substring(1))).isEmpty();
        assertThat(recent.find(id + "0")).isEmpty();
        assertThat(recent.find("not-an-id")).isEmpty();
        assertThat(recent.find(null)).isEmpty();
    }

    @Test
    void keepsNoCallWhoseIdIsNotAUuid() {
        recent.add(request("e-1", "f-1", 3));

        assertThat(recent.find("e-1")).isEmpty();
        assertThat(recent.size()).isZero();
    }

    @Test
    void aCallAddedAgainIsKeptOnceWithWhatWasAddedLast() {
        String id = id();
        recent.add(request(id, "f-1", 3));
        recent.add(request(id, "f-2", 4));

        assertThat(recent.find(id)).contains(new RecentlyAccepted.Accepted(id, "f-2", 4, AT));
        assertThat(recent.size()).isOne();
    }

    @Test
    void forgetsACallOnceTheMonitorHasHadAMinuteToStoreIt() {
        String id = id();
        recent.add(request(id, "f-1", 3));

        nanos.addAndGet(RecentlyAccepted.KEEP.minusSeconds(1).toNanos());
        assertThat(recent.find(id)).isPresent();
        nanos.addAndGet(RecentlyAccepted.SPAN.plusSeconds(1).toNanos());
        assertThat(recent.find(id)).isEmpty();
    }

    @Test
    void aQuietMinuteFreesWhatTheLastBurstLeft() {
        for (int i = 0; i < 10_000; i++) {
            recent.add(request(id(), "f-1", 3));
        }
        assertThat(recent.size()).isEqualTo(10_000);

        nanos.addAndGet(RecentlyAccepted.KEEP.plus(RecentlyAccepted.SPAN).toNanos());
        recent.expire();
        assertThat(recent.size()).isZero();
    }

    @Test
    void keepsEveryCallOfTheLastMinuteAtTheHighestRates() {
        // 400,000 calls in 40 s (10,000 a second) of two functions: all within the minute
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 400_000; i++) {
            String id = id();
            ids.add(id);
            recent.add(request(id, "f-" + i % 2, i));
            nanos.addAndGet(100_000);
        }
        for (int i = 0; i < ids.size(); i += 997) {
            assertThat(recent.find(ids.get(i))).as("call %d", i)
                    .contains(new RecentlyAccepted.Accepted(ids.get(i), "f-" + i % 2, i, AT));
        }
        assertThat(recent.find(ids.getLast())).isPresent();
        assertThat(recent.size()).isEqualTo(400_000);
    }

    @Test
    void pastItsSizeTheOldestSpanGoesFirst() {
        // three spans of 400,000 calls: the third passes the size, so the first span goes, and only it
        List<String> firsts = new ArrayList<>();
        String last = null;
        for (int span = 0; span < 3; span++) {
            for (int i = 0; i < 400_000; i++) {
                last = id();
                if (i == 0) {
                    firsts.add(last);
                }
                recent.add(request(last, "f-1", 3));
            }
            nanos.addAndGet(RecentlyAccepted.SPAN.toNanos());
        }

        assertThat(recent.find(firsts.get(0))).isEmpty();
        assertThat(recent.find(firsts.get(1))).isPresent();
        assertThat(recent.find(firsts.get(2))).isPresent();
        assertThat(recent.find(last)).isPresent();
        assertThat(recent.size()).isEqualTo(800_000);
    }

    @Test
    void oneSpanKeepsNoMoreThanTheSize() {
        for (int i = 0; i < RecentlyAccepted.MAX; i++) {
            recent.add(request(id(), "f-1", 3));
        }
        String beyond = id();
        recent.add(request(beyond, "f-1", 3));

        assertThat(recent.find(beyond)).isEmpty();
        assertThat(recent.size()).isEqualTo(RecentlyAccepted.MAX);
    }

    @Test
    void aCallAddedLateInItsSpanIsKeptAMinuteFromThen() {
        recent.add(request(id(), "f-1", 3));
        nanos.addAndGet(RecentlyAccepted.SPAN.minusSeconds(1).toNanos());
        String late = id();
        recent.add(request(late, "f-1", 3));

        nanos.addAndGet(RecentlyAccepted.KEEP.toNanos());
        assertThat(recent.find(late)).isPresent();
        nanos.addAndGet(Duration.ofSeconds(2).toNanos());
        assertThat(recent.find(late)).isEmpty();
    }

    @Test
    void idsThatShareTheirLowHalfAreTwoCalls() {
        String one = ExecutionIds.of(AT.toEpochMilli(), 1, 5).toString();
        String other = ExecutionIds.of(AT.toEpochMilli(), 2, 5).toString();
        recent.add(request(one, "f-1", 3));
        recent.add(request(other, "f-2", 4));

        assertThat(recent.find(one)).contains(new RecentlyAccepted.Accepted(one, "f-1", 3, AT));
        assertThat(recent.find(other)).contains(new RecentlyAccepted.Accepted(other, "f-2", 4, AT));
        assertThat(recent.size()).isEqualTo(2);
    }

    @Test
    void readsAnIdsBitsAsUuidDoes() {
        for (int i = 0; i < 1_000; i++) {
            String id = ExecutionIds.next();
            UUID uuid = UUID.fromString(id);
            assertThat(RecentlyAccepted.bits(id, 0, 18)).isEqualTo(uuid.getMostSignificantBits());
            assertThat(RecentlyAccepted.bits(id, 19, 36)).isEqualTo(uuid.getLeastSignificantBits());
        }
    }

    /** An id as the gateway makes them, numbered rather than random: quicker, and patterned ids must spread too. */
    private static String id() {
        long n = NUMBER.incrementAndGet();
        return ExecutionIds.of(AT.toEpochMilli(), n, n).toString();
    }

    private static InvocationRequested request(String executionId, String functionId, long version) {
        return new InvocationRequested(executionId, functionId, version, INPUT, AT, null);
    }
}
