package dev.s3c.executor.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import dev.s3c.contracts.ConcurrencyLanes;
import dev.s3c.contracts.InvocationRequested;
import dev.s3c.contracts.Topic;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FairShareTest {

    private static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");
    private static final long MS = 1_000_000L;

    private final AtomicLong now = new AtomicLong(1);
    /** Function id to tenant: f-a is tenant a's, f-b tenant b's. */
    private final Map<String, String> owners = Map.of("f-a", "a", "f-b", "b");
    private final FairShare fair = new FairShare(0.5, Duration.ofMillis(250), Duration.ofSeconds(10), 2,
            owners::get, now::get);

    private static InvocationRequested call(String functionId, String executionId) {
        return new InvocationRequested(executionId, functionId, 1, null, T0, null);
    }

    /** Reads and runs one of {@code functionId}'s calls, warm: it took {@code ms} and waited {@code waitedMs}. */
    private String run(String functionId, long ms, long waitedMs) {
        InvocationRequested request = call(functionId, "e-" + now.get());
        String tenant = fair.read(request);
        fair.ran(tenant, request, ms * MS, false, T0.plusMillis(waitedMs));
        now.addAndGet(ms * MS);
        return tenant;
    }

    @Test
    void aTenantAloneIsNeverPlacedHoweverLongItsCallsWait() {
        for (int i = 0; i < 50; i++) {
            run("f-a", 100, 5_000);
        }
        assertThat(fair.placed("a")).isFalse();
        assertThat(fair.lane("a", call("f-a", "e-1"))).isNull();
    }

    @Test
    void aTenantWhoseCallsWaitWhileItTakesMostOfTheCpuBesideAnotherIsPlacedInItsOwnLanes() {
        run("f-b", 2, 0);
        for (int i = 0; i < 10; i++) {
            run("f-a", 100, 1_000);
        }
        assertThat(fair.placed("a")).isTrue();
        assertThat(fair.placed("b")).isFalse();
        // its calls go to its two lanes, the ones a tenant limited to two runs at once has
        Set<Integer> lanes = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            Integer lane = fair.lane("a", call("f-a", "e-x" + i));
            assertThat(lane).isEqualTo(ConcurrencyLanes.lane("a", 2, "f-a", null, "e-x" + i,
                    Topic.FAIR_LANES.partitions()));
            lanes.add(lane);
        }
        assertThat(lanes).hasSize(2);
        assertThat(fair.lane("b", call("f-b", "e-y"))).isNull();
    }

    @Test
    void aSlowCallOrTwoThatWaitedAreNoFloodNorAreColdStarts() {
        run("f-b", 2, 0);
        for (int i = 0; i < 5; i++) {
            InvocationRequested cold = call("f-a", "e-cold-" + i);
            fair.ran(fair.read(cold), cold, 2_000 * MS, true, T0.plusSeconds(3));
        }
        assertThat(fair.placed("a")).isFalse();
        run("f-a", 200, 1_000);
        run("f-a", 200, 1_000);
        assertThat(fair.placed("a")).isFalse();
        run("f-a", 200, 1_000);
        assertThat(fair.placed("a")).isTrue();
    }

    @Test
    void aTenantThatTakesMostOfTheCpuWithoutABacklogIsNotPlaced() {
        run("f-b", 2, 0);
        for (int i = 0; i < 20; i++) {
            run("f-a", 100, 100);
        }
        assertThat(fair.placed("a")).isFalse();
    }

    @Test
    void aTenantWhoseCallsWaitButWhoUsesLittleOfTheCpuIsNotPlaced() {
        // both wait behind a backlog; b takes most of the CPU, a little
        for (int i = 0; i < 10; i++) {
            run("f-b", 100, 2_000);
            run("f-a", 5, 2_000);
        }
        assertThat(fair.placed("a")).isFalse();
        assertThat(fair.placed("b")).isTrue();
    }

    @Test
    void aPlacedTenantGoesBackOnceItsCallsNoLongerWaitForItsMemory() {
        run("f-b", 2, 0);
        for (int i = 0; i < 10; i++) {
            run("f-a", 100, 1_000);
        }
        assertThat(fair.placed("a")).isTrue();
        // its calls still wait in its lanes, ten seconds on: it stays
        for (int i = 0; i < 100; i++) {
            if (i % 20 == 0) {
                run("f-b", 2, 0);
            }
            run("f-a", 100, 1_000);
        }
        assertThat(fair.placed("a")).isTrue();
        // they run at once now: ten seconds after the last that waited it runs where its calls are read again
        for (int i = 0; i < 30; i++) {
            if (i % 20 == 0) {
                run("f-b", 2, 0);
            }
            run("f-a", 100, 10);
        }
        assertThat(fair.placed("a")).isTrue();
        now.addAndGet(Duration.ofSeconds(8).toNanos());
        assertThat(fair.placed("a")).isFalse();
    }

    @Test
    void aTenantLastSeenMoreThanTenSecondsAgoNoLongerCountsAsActive() {
        run("f-b", 2, 0);
        now.addAndGet(Duration.ofSeconds(11).toNanos());
        for (int i = 0; i < 10; i++) {
            run("f-a", 100, 1_000);
        }
        assertThat(fair.placed("a")).isFalse();
    }

    @Test
    void runsInProgressAreCountedPerTenantFromManyThreadsAndWithFairShareOff() throws Exception {
        var off = new FairShare(false, 0.5, Duration.ofMillis(250), Duration.ofSeconds(10), 2, owners::get, now::get);
        assertThat(off.read(call("f-a", "e-1"))).as("tenants are known with fair share off").isEqualTo("a");
        off.begin("a");
        off.begin("a");
        off.begin("b");
        off.begin(null);
        assertThat(off.running()).isEqualTo(Map.of("a", 2, "b", 1));
        off.end("a");
        off.end("b");
        off.end(null);
        assertThat(off.running()).isEqualTo(Map.of("a", 1));
        // instances begin and end runs at once
        var threads = new java.util.ArrayList<Thread>();
        for (int t = 0; t < 4; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 10_000; i++) {
                    off.begin("b");
                    off.end("b");
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        off.end("a");
        assertThat(off.running()).isEmpty();
        // and nobody is placed while it is off
        off.read(call("f-b", "e-2"));
        for (int i = 0; i < 10; i++) {
            InvocationRequested request = call("f-a", "e-x" + i);
            off.ran(off.read(request), request, 100 * MS, false, T0.plusSeconds(5));
        }
        assertThat(off.placed("a")).isFalse();
    }

    @Test
    void callsOfFunctionsNotKnownHereAndAProcessWithoutFairShareStayWhereTheyAreRead() {
        assertThat(fair.read(call("f-unknown", "e-1"))).isNull();
        FairShare none = FairShare.none();
        none.read(call("f-b", "e-2"));
        for (int i = 0; i < 5; i++) {
            InvocationRequested request = call("f-a", "e-" + i);
            none.ran(none.read(request), request, 100 * MS, false, T0.plusSeconds(5));
        }
        assertThat(none.placed("a")).isFalse();
        assertThat(none.lane("a", call("f-a", "e-9"))).isNull();
    }
}
