package dev.s3c.gateway.executions;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** How often a read that waits for an execution reads it again. */
class ExecutionWaitTest {

    @Test
    void soonAtFirstThenTwiceASecond() {
        assertThat(IntStream.rangeClosed(1, 8).mapToObj(ExecutionController::pause).map(Duration::toMillis))
                .containsExactly(50L, 100L, 200L, 400L, 500L, 500L, 500L, 500L);
        assertThat(ExecutionController.pause(Integer.MAX_VALUE)).isEqualTo(Duration.ofMillis(500));
    }
}
