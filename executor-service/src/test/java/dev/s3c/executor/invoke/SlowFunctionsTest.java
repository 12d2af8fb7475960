package dev.s3c.executor.invoke;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.s3c.contracts.ErrorType;
import dev.s3c.contracts.ExecutionError;
import dev.s3c.contracts.ExecutionStatus;
import dev.s3c.contracts.InvocationCompleted;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SlowFunctionsTest {

    private static final long MS = 1_000_000;

    private static InvocationCompleted result(String function, ExecutionStatus status, ErrorType error) {
        return new InvocationCompleted("e", function, 1, status, null,
                error == null ? null : ExecutionError.of(error, "x"), "", 1, 1, "i", false, Instant.now(),
                Instant.now(), Instant.now(), null);
    }

    @Test
    void aFunctionIsSlowAfterARunOverTheCpuThresholdATimeoutOrALimitAndForgivenLater() {
        var slow = new SlowFunctions(Duration.ofMillis(250), Duration.ofMillis(300));
        slow.ran("fast", 3 * MS, result("fast", ExecutionStatus.SUCCEEDED, null));
        slow.ran("heavy", 400 * MS, result("heavy", ExecutionStatus.SUCCEEDED, null));
        slow.ran("loop", 10 * MS, result("loop", ExecutionStatus.TIMED_OUT, ErrorType.TIMEOUT));
        slow.ran("bomb", 10 * MS, result("bomb", ExecutionStatus.FAILED, ErrorType.LIMIT_EXCEEDED));
        slow.ran("thrower", 10 * MS, result("thrower", ExecutionStatus.FAILED, ErrorType.USER_ERROR));
        assertThat(slow.isSlow("fast")).isFalse();
        assertThat(slow.isSlow("thrower")).isFalse();
        assertThat(slow.isSlow("heavy")).isTrue();
        assertThat(slow.isSlow("loop")).isTrue();
        assertThat(slow.isSlow("bomb")).isTrue();
        // a while after its last slow run, a function gets another chance among the fast
        await().atMost(Duration.ofSeconds(5)).until(() -> !slow.isSlow("heavy") && !slow.isSlow("loop"));
    }

    @Test
    void withoutASlowLaneNothingIsSlowOrHandedOff() {
        var none = SlowFunctions.none();
        none.ran("loop", 10_000 * MS, result("loop", ExecutionStatus.TIMED_OUT, ErrorType.TIMEOUT));
        none.handedOff("loop");
        assertThat(none.isSlow("loop")).isFalse();
        assertThat(none.handOffNanos()).isZero();
    }

    @Test
    void aRunIsHandedOffAtTheThresholdUnlessItsTimeoutIsWithinTwiceIt() {
        var slow = new SlowFunctions(Duration.ofMillis(250), Duration.ofMinutes(1));
        assertThat(slow.handOffNanos()).isEqualTo(250 * MS);
        slow.handedOff("loop");
        assertThat(slow.isSlow("loop")).isTrue();
        assertThat(InvocationProcessor.handsOff(function(1_000), slow.handOffNanos())).isTrue();
        // it ends by its timeout soon anyway: starting it again elsewhere could only make it late
        assertThat(InvocationProcessor.handsOff(function(500), slow.handOffNanos())).isFalse();
        assertThat(InvocationProcessor.handsOff(function(400), slow.handOffNanos())).isFalse();
        assertThat(InvocationProcessor.handsOff(function(60_000), 0)).isFalse();
    }

    private static dev.s3c.contracts.FunctionDefinition function(int timeoutMs) {
        return new dev.s3c.contracts.FunctionDefinition("f", "f", 1, "return 1;", dev.s3c.contracts.CodeStyle.BODY,
                timeoutMs, 0, dev.s3c.contracts.FunctionStatus.ACTIVE, Instant.now());
    }
}
