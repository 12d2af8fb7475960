package dev.s3c.scaler.decide;

import static dev.s3c.contracts.ScalingAction.REBALANCE;
import static dev.s3c.contracts.ScalingAction.SCALE_DOWN;
import static dev.s3c.contracts.ScalingAction.SCALE_UP;
import static dev.s3c.contracts.ScalingAction.STALLED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.s3c.contracts.ScaleCommand;
import dev.s3c.contracts.ScalingAction;
import dev.s3c.contracts.ScalingEvent;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.LongUnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** The scaler's decisions over simulated load, one second at a time, with the default thresholds. */
class ScalerTopologyTest {

    /** An expected event: its action and sizes, and the simulated seconds it may come out at. */
    record Expect(ScalingAction action, int from, int to, long earliest, long latest) {
    }

    /**
     * A load shape: queued invocations at each second, and completions per second, on one executor process that
     * starts with {@code instances}.
     */
    record Scenario(String name, int instances, int seconds, LongUnaryOperator lag, LongUnaryOperator completions,
            List<Expect> expected) {

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Scenario> scenarios() {
        return Stream.of(
                new Scenario("step load: up once, in proportion", 3, 120,
                        t -> t < 5 ? 0 : 60, t -> 20,
                        List.of(new Expect(SCALE_UP, 3, 6, 5, 5))),
                new Scenario("burst of 10,000: straight to the maximum, then down by halves every quiet period", 3, 180,
                        t -> t < 2 ? 0 : Math.max(0, 10_000 - 500 * (t - 2)), t -> t >= 2 && t <= 22 ? 500 : 0,
                        List.of(new Expect(SCALE_UP, 3, 10, 2, 2),
                                new Expect(SCALE_DOWN, 10, 5, 52, 53),
                                new Expect(SCALE_DOWN, 5, 3, 82, 84),
                                new Expect(SCALE_DOWN, 3, 2, 112, 115),
                                new Expect(SCALE_DOWN, 2, 1, 142, 146))),
                new Scenario("slow drain: no scale-down until the backlog is low for the whole quiet period", 3, 115,
                        t -> Math.max(0, 100 - t), t -> 1,
                        List.of(new Expect(SCALE_UP, 3, 10, 0, 0),
                                new Expect(SCALE_DOWN, 10, 5, 100, 102))),
                new Scenario("steady load near the scale-up threshold: one step up, no flapping", 3, 300,
                        t -> t % 2 == 0 ? 34 : 26, t -> 30,
                        List.of(new Expect(SCALE_UP, 3, 4, 0, 0))),
                new Scenario("steady load near the scale-down threshold: quiet never lasts, nothing changes", 3, 300,
                        t -> t % 21 == 20 ? 10 : 8, t -> 30,
                        List.of()),
                new Scenario("stalled consumer with a small backlog: held, never shrunk, reported once", 3, 120,
                        t -> 5, t -> 0,
                        List.of(new Expect(STALLED, 3, 3, 15, 15))),
                new Scenario("stalled consumer with a large backlog: up to the maximum once, then held", 3, 120,
                        t -> 300, t -> 0,
                        List.of(new Expect(SCALE_UP, 3, 10, 0, 0), new Expect(STALLED, 10, 10, 15, 15))),
                new Scenario("a lag of 1 that never moves is a transaction marker, not work", 2, 40,
                        t -> 1, t -> 0,
                        List.of(new Expect(SCALE_DOWN, 2, 1, 30, 30))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void decidesAsTheLoadRequires(Scenario scenario) {
        try (ScalerHarness harness = new ScalerHarness(ScalerHarness.defaults()).process("exec-a", scenario.instances())) {
            for (long t = 0; t < scenario.seconds(); t++) {
                int done = (int) scenario.completions().applyAsLong(t);
                harness.second(scenario.lag().applyAsLong(t), done, done);
            }
            List<ScalerHarness.Seen> seen = harness.events();
            assertThat(seen).as(describe(seen)).hasSize(scenario.expected().size());
            for (int i = 0; i < seen.size(); i++) {
                Expect expect = scenario.expected().get(i);
                ScalingEvent event = seen.get(i).event();
                assertThat(event.action()).as(describe(seen)).isEqualTo(expect.action());
                assertThat(event.fromInstances()).as(describe(seen)).isEqualTo(expect.from());
                assertThat(event.toInstances()).as(describe(seen)).isEqualTo(expect.to());
                assertThat(seen.get(i).second()).as(describe(seen)).isBetween(expect.earliest(), expect.latest());
                assertThat(event.reason()).isNotBlank();
            }
            // one command per size decision, each naming the one process with the whole pool
            List<ScaleCommand> commands = harness.commands();
            assertThat(commands).hasSize((int) seen.stream().filter(e -> e.event().action() != STALLED).count());
            assertThat(commands).allSatisfy(c -> assertThat(c.assignments()).isEqualTo(
                    Map.of("exec-a", c.desiredInstances())));
            assertThat(commands).extracting(ScaleCommand::sequence).isSorted().doesNotHaveDuplicates();
        }
    }

    @Test
    void eventsCarryTheInputsThatExplainThem() {
        try (ScalerHarness harness = new ScalerHarness(ScalerHarness.defaults()).process("exec-a", 1)) {
            for (int t = 0; t < 7; t++) {
                harness.second(t * 40, Map.of("f-slow", 50, "f-fast", 10), Map.of("f-slow", 10, "f-fast", 10));
            }
            ScalingEvent up = harness.events().getFirst().event();
            assertThat(up.action()).isEqualTo(SCALE_UP);
            assertThat(up.lag()).isEqualTo(40);
            assertThat(up.lagByPartition()).containsEntry("s3c.invocations-0", 40L);
            assertThat(up.backlogByFunction()).containsEntry("f-slow", 80L).doesNotContainKey("f-fast");
            assertThat(up.arrivalRate()).isEqualTo(24.0);
            assertThat(up.completionRate()).isEqualTo(8.0);
            assertThat(up.reportedInstances()).isEqualTo(1);
            assertThat(up.processes()).containsExactly("exec-a");
            assertThat(up.reason()).contains("40 queued").contains("above 10 per instance");
            // the cooldown holds the next step until the new instances had time to act
            assertThat(harness.events()).extracting(ScalerHarness.Seen::second).containsExactly(1L, 6L);
            ScalingEvent later = harness.events().getLast().event();
            assertThat(later.backlogByFunction().keySet()).first().isEqualTo("f-slow");
            assertThat(later.arrivalRate()).isEqualTo(60.0);
        }
    }

    /** The default thresholds, from 1 to 10 instances, with the drain-time rule on. */
    private static ScalingPolicy.Settings withDrainTime(Duration drainTime) {
        var d = ScalerHarness.defaults();
        return new ScalingPolicy.Settings(d.group(), 10, 3, d.scaleDownAfter(), 1, 10, d.scaleUpCooldown(),
                d.stallAfter(), d.rateWindow(), d.livenessTimeout(), drainTime, 0);
    }

    @Test
    void aBacklogThePoolDrainsWithinTheDrainTimeGetsNoMoreInstances() {
        try (ScalerHarness harness = new ScalerHarness(withDrainTime(Duration.ofMillis(500))).process("exec-a", 1)) {
            // fast functions: 256 queued on one instance that finishes 1,000 a second is a quarter second of work
            for (int t = 0; t < 8; t++) {
                harness.second(256, 1000, 1000);
            }
            assertThat(harness.events()).isEmpty();
            assertThat(harness.processes()).containsEntry("exec-a", 1);

            // the same backlog at 100 a second is 2.6 s of work, once the faster seconds left the rate window
            for (int t = 0; t < 6; t++) {
                harness.second(256, 100, 100);
            }
            ScalingEvent up = harness.events().getFirst().event();
            assertThat(up.action()).isEqualTo(SCALE_UP);
            assertThat(up.toInstances()).isEqualTo(10);
            assertThat(up.reason()).contains("256 queued").contains("above 10 per instance")
                    .contains("at its best second (100 finished) the pool would take 2.6 s to drain it, over 500ms");
        }
    }

    @Test
    void theGroupsCommittedOffsetsShowProgressWhenTheCountsFallBehind() {
        try (ScalerHarness harness = new ScalerHarness(withDrainTime(Duration.ofMillis(500))).process("exec-a", 1)) {
            harness.secondUncounted(0, 0);
            // 256 queued, 1,000 a second committed past, no result counted: a quarter second of work, and progress
            for (int t = 0; t < 20; t++) {
                harness.secondUncounted(256, 1000);
            }
            assertThat(harness.events()).as(describe(harness.events())).isEmpty();
            assertThat(harness.processes()).containsEntry("exec-a", 1);

            // then the offsets stop too: more instances, and after the stall period a stall
            for (int t = 0; t < 25; t++) {
                harness.secondUncounted(256, 0);
            }
            assertThat(harness.events()).extracting(e -> e.event().action()).containsExactly(SCALE_UP, STALLED);
            ScalingEvent up = harness.events().getFirst().event();
            assertThat(up.toInstances()).isEqualTo(10);
            assertThat(up.completionRate()).isZero();
        }
    }

    @Test
    void ratesComeFromTheOffsetsWhenTheCountsFallBehind() {
        try (ScalerHarness harness = new ScalerHarness(ScalerHarness.defaults()).process("exec-a", 1)) {
            for (int t = 0; t < 6; t++) {
                harness.secondUncounted(t * 40L, 10);
            }
            ScalingEvent up = harness.events().getFirst().event();
            assertThat(up.action()).isEqualTo(SCALE_UP);
            // appended: 10 finished + 40 more queued each second; drained: 10 a second, over the 5 s window
            assertThat(up.completionRate()).isEqualTo(2.0);
            assertThat(up.arrivalRate()).isEqualTo(10.0);
        }
    }

    @Test
    void aLateSampleSpreadsWhatItSawOverTheSecondsItCovers() {
        try (ScalerHarness harness = new ScalerHarness(ScalerHarness.defaults()).process("exec-a", 1)) {
            harness.secondUncounted(0, 0);
            // 10 a second finished and 40 more queued each second, sampled every other second
            harness.secondUncounted(40, 10, false);
            harness.secondUncounted(80, 10, true);
            ScalingEvent up = harness.events().getFirst().event();
            assertThat(up.action()).isEqualTo(SCALE_UP);
            // 20 finished and 100 arrived over the window of 5 s, none of it lost to the missing sample
            assertThat(up.completionRate()).isEqualTo(4.0);
            assertThat(up.arrivalRate()).isEqualTo(20.0);
        }
    }

    @Test
    void sharesAddUpToTheWhole() {
        assertThat(Decider.share(10, 3, 1) + Decider.share(10, 3, 2) + Decider.share(10, 3, 3)).isEqualTo(10);
        assertThat(Decider.share(7, 1, 1)).isEqualTo(7);
        assertThat(Decider.share(1, 2, 1) + Decider.share(1, 2, 2)).isEqualTo(1);
    }

    @Test
    void theDesiredTotalIsSharedAmongLiveExecutorProcesses() {
        try (ScalerHarness harness = new ScalerHarness(ScalerHarness.defaults()).process("exec-a", 2).process("exec-b", 2)) {
            harness.second(200, 0, 0);
            assertThat(harness.commands().getLast().assignments()).isEqualTo(Map.of("exec-a", 5, "exec-b", 5));
            assertThat(harness.processes()).isEqualTo(Map.of("exec-a", 5, "exec-b", 5));

            harness.process("exec-c", 3);
            harness.seconds(1, 100);
            ScaleCommand joined = harness.commands().getLast();
            assertThat(joined.desiredInstances()).isEqualTo(10);
            assertThat(joined.assignments()).isEqualTo(Map.of("exec-a", 4, "exec-b", 3, "exec-c", 3));
            assertThat(harness.events().getLast().event().action()).isEqualTo(REBALANCE);

            harness.leave("exec-b");
            harness.seconds(1, 100);
            assertThat(harness.commands().getLast().assignments()).isEqualTo(Map.of("exec-a", 5, "exec-c", 5));

            // a process that stops without a word is dropped once it has been silent for the liveness timeout
            harness.vanish("exec-a");
            // (its last status arrived a second before the lag sample of that second: the scaler's own clock)
            harness.seconds(13, 100);
            assertThat(harness.commands().getLast().assignments()).containsOnlyKeys("exec-a", "exec-c");
            harness.seconds(2, 100);
            assertThat(harness.commands().getLast().assignments()).isEqualTo(Map.of("exec-c", 10));
        }
    }

    @Test
    void aPoolAllowedToReachZeroDoesAndComesBackForTheFirstInvocation() {
        var settings = ScalerHarness.defaults();
        var zeroMin = new ScalingPolicy.Settings(settings.group(), 10, 3, settings.scaleDownAfter(), 0, 10,
                settings.scaleUpCooldown(), settings.stallAfter(), settings.rateWindow(), settings.livenessTimeout(),
                settings.scaleUpDrainTime(), 0);
        try (ScalerHarness harness = new ScalerHarness(zeroMin).process("exec-a", 2)) {
            harness.seconds(31, 0);
            harness.seconds(31, 0);
            assertThat(harness.events()).extracting(e -> e.event().toInstances()).containsExactly(1, 0);
            assertThat(harness.processes().get("exec-a")).isZero();
            harness.seconds(1, 1);
            assertThat(harness.events().getLast().event().action()).isEqualTo(SCALE_UP);
            assertThat(harness.processes().get("exec-a")).isEqualTo(1);
        }
    }

    @Test
    void thePoolNeverOutgrowsTheInvocationPartitions() {
        try (ScalerHarness harness = new ScalerHarness(ScalerHarness.defaults()).partitions(4).process("exec-a", 1)) {
            harness.seconds(1, 5_000);
            assertThat(harness.commands().getLast().desiredInstances()).isEqualTo(4);
            assertThat(harness.events().getLast().event().reason()).contains("capped at 4");
        }
    }

    /** The default thresholds, 1 to 10 instances, with the bound per core. */
    private static ScalingPolicy.Settings withPerCore(int minInstances, int perCore) {
        var d = ScalerHarness.defaults();
        return new ScalingPolicy.Settings(d.group(), 10, 3, d.scaleDownAfter(), minInstances, 10,
                d.scaleUpCooldown(), d.stallAfter(), d.rateWindow(), d.livenessTimeout(), d.scaleUpDrainTime(),
                perCore);
    }

    @Test
    void aBacklogGrowsThePoolNoFurtherThanTheExecutorsCoresRunAtOnce() {
        try (ScalerHarness harness = new ScalerHarness(withPerCore(1, 1)).process("exec-a", 1, 2)
                .process("exec-b", 1, 2)) {
            harness.seconds(1, 5_000);
            assertThat(harness.commands().getLast().desiredInstances()).isEqualTo(4);
            assertThat(harness.processes()).isEqualTo(Map.of("exec-a", 2, "exec-b", 2));
            ScalingEvent up = harness.events().getLast().event();
            assertThat(up.action()).isEqualTo(SCALE_UP);
            assertThat(up.reason()).contains("500 instance(s) bring it under, capped at 4 "
                    + "(4 cores in the executor processes, 1 instance(s) per core)");

            // held there however long the backlog stays, the pool busy (the cooldown long past)
            for (int t = 0; t < 20; t++) {
                harness.second(5_000, 400, 400);
            }
            assertThat(harness.events()).extracting(e -> e.event().action()).containsExactly(SCALE_UP);
            assertThat(harness.commands().getLast().desiredInstances()).isEqualTo(4);
        }
        try (ScalerHarness harness = new ScalerHarness(withPerCore(1, 3)).process("exec-a", 1, 2)) {
            harness.seconds(1, 5_000);
            assertThat(harness.commands().getLast().desiredInstances()).isEqualTo(6);
        }
    }

    @Test
    void theBoundPerCoreHoldsLikeTheMaximumOnceEveryProcessReportsItsCores() {
        // one process that does not say: the pool's cores are unknown, so the maximum alone bounds it
        try (ScalerHarness harness = new ScalerHarness(withPerCore(1, 1)).process("exec-a", 1, 2)
                .process("exec-old", 1)) {
            harness.seconds(1, 5_000);
            assertThat(harness.commands().getLast().desiredInstances()).isEqualTo(10);
        }
        // a minimum above the bound holds: 3 instances on 2 cores, and no scale-up past them
        try (ScalerHarness harness = new ScalerHarness(withPerCore(3, 1)).process("exec-a", 1, 2)) {
            harness.seconds(1, 5_000);
            assertThat(harness.commands().getLast().desiredInstances()).isEqualTo(3);
            assertThat(harness.events().getLast().event().reason()).contains("capped at 3 (the minimum; "
                    + "2 cores in the executor processes, 1 instance(s) per core allow 2)");
            harness.seconds(10, 5_000);
            assertThat(harness.commands().getLast().desiredInstances()).isEqualTo(3);
        }
        // a pool above the bound is brought within it, as one above the maximum is
        try (ScalerHarness harness = new ScalerHarness(withPerCore(1, 1)).process("exec-a", 3, 2)) {
            harness.seconds(1, 5);
            assertThat(harness.commands().getLast().desiredInstances()).isEqualTo(2);
            ScalingEvent down = harness.events().getLast().event();
            assertThat(down.action()).isEqualTo(SCALE_DOWN);
            assertThat(down.reason()).isEqualTo("3 instance(s) is outside the bounds 1..2 "
                    + "(2 cores in the executor processes, 1 instance(s) per core)");
        }
        // off: the maximum alone
        try (ScalerHarness harness = new ScalerHarness(withPerCore(1, 0)).process("exec-a", 1, 2)) {
            harness.seconds(1, 5_000);
            assertThat(harness.commands().getLast().desiredInstances()).isEqualTo(10);
        }
    }

    @Test
    void theBoundPerCoreFollowsTheProcessesAsTheyLeaveAndJoinButNeverShrinksAStalledPool() {
        try (ScalerHarness harness = new ScalerHarness(withPerCore(1, 1)).process("exec-a", 1, 2)
                .process("exec-b", 1, 2)) {
            for (int t = 0; t < 3; t++) {
                harness.second(500, 400, 400);
            }
            assertThat(harness.processes()).isEqualTo(Map.of("exec-a", 2, "exec-b", 2));

            // one process leaves: the other's 2 cores are the bound, and the pool comes down to them at once
            harness.leave("exec-b");
            harness.second(500, 400, 400);
            ScalingEvent down = harness.events().getLast().event();
            assertThat(down.action()).isEqualTo(SCALE_DOWN);
            assertThat(down.toInstances()).isEqualTo(2);
            assertThat(down.reason()).isEqualTo("4 instance(s) is outside the bounds 1..2 "
                    + "(2 cores in the executor processes, 1 instance(s) per core)");
            assertThat(harness.processes()).isEqualTo(Map.of("exec-a", 2));

            // it joins again (the cooldown long past): the backlog grows the pool to both processes' cores
            harness.seconds(5, 0);
            harness.process("exec-b", 0, 2);
            for (int t = 0; t < 2; t++) {
                harness.second(500, 400, 400);
            }
            assertThat(harness.processes()).isEqualTo(Map.of("exec-a", 2, "exec-b", 2));
        }
        try (ScalerHarness harness = new ScalerHarness(withPerCore(1, 1)).process("exec-a", 1, 2)
                .process("exec-b", 1, 2)) {
            harness.second(500, 400, 400);
            // then nothing finishes for 15 s: the pool is stalled, and held when a process goes
            harness.seconds(16, 50);
            assertThat(harness.events()).extracting(e -> e.event().action()).containsExactly(SCALE_UP, STALLED);
            harness.leave("exec-b");
            harness.seconds(1, 50);
            ScalingEvent after = harness.events().getLast().event();
            assertThat(after.action()).isEqualTo(REBALANCE);
            assertThat(after.toInstances()).isEqualTo(4);
            assertThat(harness.processes()).isEqualTo(Map.of("exec-a", 4));
        }
    }

    @Test
    void aNegativeBoundPerCoreIsRefusedByName() {
        assertThatThrownBy(() -> withPerCore(1, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("s3c.scaler.max-instances-per-core must be zero or more");
    }

    @Test
    void withoutExecutorsNothingIsCommanded() {
        try (ScalerHarness harness = new ScalerHarness(ScalerHarness.defaults())) {
            harness.seconds(10, 500);
            assertThat(harness.commands()).isEmpty();
        }
    }

    @Test
    void aPoolOutsideTheBoundsIsBroughtInside() {
        try (ScalerHarness harness = new ScalerHarness(ScalerHarness.defaults()).process("exec-a", 14)) {
            harness.seconds(1, 50);
            assertThat(harness.commands().getLast().desiredInstances()).isEqualTo(10);
            assertThat(harness.events().getLast().event().action()).isEqualTo(SCALE_DOWN);
        }
    }

    private static String describe(List<ScalerHarness.Seen> seen) {
        return seen.stream().map(s -> "t=" + s.second() + " " + s.event().action() + " " + s.event().fromInstances()
                + "->" + s.event().toInstances() + " (" + s.event().reason() + ")").toList().toString();
    }
}
