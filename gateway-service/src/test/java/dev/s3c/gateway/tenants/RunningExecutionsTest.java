package dev.s3c.gateway.tenants;

import static org.assertj.core.api.Assertions.assertThat;

import dev.s3c.contracts.ExecutorStatus;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunningExecutionsTest {

    private static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");

    private final RunningExecutions running = new RunningExecutions();

    private static ExecutorStatus status(String process, Instant at, Map<String, Integer> byTenant) {
        return new ExecutorStatus(process, 3, 1, false, at, byTenant);
    }

    @Test
    void aTenantsRunsAreSummedOverTheProcessesThatReportedLately() {
        running.apply("p1", status("p1", T0, Map.of("acme", 2, "default", 1)), T0);
        // another machine's clock, a minute behind: heard from now, it counts
        running.apply("p2", status("p2", T0.minusSeconds(60), Map.of("acme", 1)), T0.plusSeconds(1));
        assertThat(running.running("acme", T0.plusSeconds(2))).isEqualTo(3);
        assertThat(running.running("default", T0.plusSeconds(2))).isEqualTo(1);
        assertThat(running.running("hooli", T0.plusSeconds(2))).isZero();
    }

    @Test
    void theNewestReportOfAProcessCountsAndAnOlderOneReadLateDoesNot() {
        running.apply("p1", status("p1", T0.plusSeconds(4), Map.of()), T0.plusSeconds(4));
        running.apply("p1", status("p1", T0, Map.of("acme", 5)), T0.plusSeconds(5));
        assertThat(running.running("acme", T0.plusSeconds(5))).isZero();
        running.apply("p1", status("p1", T0.plusSeconds(6), Map.of("acme", 1)), T0.plusSeconds(6));
        assertThat(running.running("acme", T0.plusSeconds(7))).isEqualTo(1);
    }

    @Test
    void aProcessThatLeftOrStoppedReportingCountsNoMore() {
        running.apply("p1", status("p1", T0, Map.of("acme", 2)), T0);
        running.apply("p2", status("p2", T0, Map.of("acme", 1)), T0);
        running.apply("p2", new ExecutorStatus("p2", 0, 1, true, T0.plusSeconds(1)), T0.plusSeconds(1));
        assertThat(running.running("acme", T0.plusSeconds(2))).isEqualTo(2);
        // compacted away
        running.apply("p1", null, T0.plusSeconds(2));
        assertThat(running.running("acme", T0.plusSeconds(2))).isZero();
        // silent for longer than it would ever be between reports
        running.apply("p3", status("p3", T0, Map.of("acme", 4)), T0);
        assertThat(running.running("acme", T0.plus(RunningExecutions.STALE).minusSeconds(1))).isEqualTo(4);
        assertThat(running.running("acme", T0.plus(RunningExecutions.STALE).plusSeconds(1))).isZero();
    }
}
