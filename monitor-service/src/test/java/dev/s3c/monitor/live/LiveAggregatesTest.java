package dev.s3c.monitor.live;

import static org.assertj.core.api.Assertions.assertThat;

import dev.s3c.contracts.ExecutionStatus;
import dev.s3c.contracts.ExecutorStatus;
import dev.s3c.contracts.InvocationCompleted;
import dev.s3c.contracts.LagSample;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class LiveAggregatesTest {

    private static final Instant T0 = Instant.parse("2026-11-27T10:00:00Z");
    private final LiveAggregates live = new LiveAggregates();

    private static InvocationCompleted result(String function, ExecutionStatus status, Instant requested, long waitMs,
            long durationMs, boolean cold) {
        Instant started = requested.plusMillis(waitMs);
        return new InvocationCompleted(java.util.UUID.randomUUID().toString(), function, 1, status, null, null, "", durationMs, 1, "i", cold, requested,
                started, started.plusMillis(durationMs), null);
    }

    @Test
    void countsLandInTheSecondTheyHappenedPerFunctionAndInTotal() {
        for (int i = 0; i < 5; i++) {
            live.accepted("f-a", T0.plusMillis(100));
            live.completed(result("f-a", ExecutionStatus.SUCCEEDED, T0.plusMillis(100), 10, 20, i == 0));
        }
        live.accepted("f-b", T0.plusMillis(200));
        live.completed(result("f-b", ExecutionStatus.TIMED_OUT, T0.plusMillis(200), 10, 500, false));
        live.retried("f-b", T0.plusMillis(300));
        live.deadLettered("f-b", T0.plusMillis(900));
        // a result that arrives late still counts in its own second
        live.completed(result("f-a", ExecutionStatus.FAILED, T0.minusSeconds(5), 0, 1, false));

        LiveAggregates.Snapshot s = live.snapshot(T0.plusSeconds(1));
        assertThat(s.lastSecond().accepted()).isEqualTo(6);
        assertThat(s.lastSecond().completed()).isEqualTo(6);
        assertThat(s.lastSecond().succeeded()).isEqualTo(5);
        assertThat(s.lastSecond().timedOut()).isEqualTo(1);
        assertThat(s.lastSecond().retried()).isEqualTo(1);
        assertThat(s.lastSecond().deadLettered()).isEqualTo(1);
        assertThat(s.lastSecond().coldStarts()).isEqualTo(1);
        assertThat(s.lastSecond().acceptedPerSecond()).isEqualTo(6.0);
        assertThat(s.lastMinute().completed()).isEqualTo(7);
        assertThat(s.lastMinute().failed()).isEqualTo(1);
        assertThat(s.functions().get("f-a").completed()).isEqualTo(6);
        assertThat(s.functions().get("f-b").deadLettered()).isEqualTo(1);
        // a minute later the functions are gone from the snapshot, the totals are in the history
        LiveAggregates.Snapshot later = live.snapshot(T0.plusSeconds(62));
        assertThat(later.functions()).isEmpty();
        assertThat(later.lastMinute().completed()).isZero();
    }

    @Test
    void aRedeliveredResultCountsOnce() {
        InvocationCompleted r = new InvocationCompleted("e-1", "f", 1, ExecutionStatus.SUCCEEDED, null, null, "", 5, 1,
                "i", false, T0, T0, T0.plusMillis(5), null);
        assertThat(live.completed(r)).isTrue();
        assertThat(live.completed(r)).isFalse();
        // a redrive is a new series of the same execution: a new result
        assertThat(live.completed(r.withHistory(List.of(), 1))).isTrue();
        assertThat(live.snapshot(T0.plusSeconds(1)).lastSecond().completed()).isEqualTo(2);
    }

    @Test
    void percentilesSplitQueueWaitFromExecution() {
        for (int i = 1; i <= 100; i++) {
            live.completed(result("f", ExecutionStatus.SUCCEEDED, T0, 1000, i * 10L, false));
        }
        Stats.View minute = live.snapshot(T0.plusSeconds(3)).lastMinute();
        assertThat(minute.executionMs().p50()).isBetween(500L, 625L);
        assertThat(minute.executionMs().p99()).isBetween(990L, 1240L);
        assertThat(minute.queueWaitMs().p50()).isBetween(1000L, 1250L);
    }

    @Test
    void historyHasOnePointPerStepOverTheWindow() {
        for (int second = 0; second < 60; second++) {
            live.accepted("f", T0.plusSeconds(second));
        }
        List<LiveAggregates.Point> points = live.history(T0.plusSeconds(60), Duration.ofSeconds(60),
                Duration.ofSeconds(10));
        assertThat(points).hasSize(6);
        assertThat(points.getFirst().at()).isEqualTo(T0);
        assertThat(points.getLast().at()).isEqualTo(T0.plusSeconds(50));
        assertThat(points).allSatisfy(p -> {
            assertThat(p.stats().accepted()).isEqualTo(10);
            assertThat(p.stats().acceptedPerSecond()).isEqualTo(1.0);
        });
        // an hour on, the ring has moved past them
        assertThat(live.history(T0.plusSeconds(3700), Duration.ofSeconds(60), Duration.ofSeconds(60)).getFirst()
                .stats().accepted()).isZero();
    }

    @Test
    void thePoolComesFromExecutorStatusesAndTheQueueFromLagSamples() {
        live.executor("p1", new ExecutorStatus("p1", 3, 1, false, T0), T0);
        live.executor("p2", new ExecutorStatus("p2", 2, 1, false, T0), T0);
        live.executor("p2", new ExecutorStatus("p2", 0, 1, true, T0), T0);
        live.executor("p3", new ExecutorStatus("p3", 4, 1, false, T0), T0.minusSeconds(30));
        live.lag(new LagSample("g", T0, List.of(new LagSample.PartitionLag("t", 0, 10, 4),
                new LagSample.PartitionLag("t", 1, 3, 3))));
        LiveAggregates.Snapshot s = live.snapshot(T0);
        assertThat(s.instances()).isEqualTo(3);
        // p2 left; p3 went silent (killed without a word)
        assertThat(s.instancesByProcess()).containsOnlyKeys("p1");
        assertThat(s.queueDepth()).isEqualTo(6);
    }
}
