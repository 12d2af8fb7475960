package dev.s3c.gateway.executions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.api.FieldError;
import java.time.Duration;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** How a read of executions waits, and which version's runs a listing asks for. */
class ExecutionWaitTest {

    @Test
    void aReadThatWaitsReadsAgainSoonAtFirstThenTwiceASecond() {
        assertThat(IntStream.rangeClosed(1, 8).mapToObj(ExecutionController::pause).map(Duration::toMillis))
                .containsExactly(50L, 100L, 200L, 400L, 500L, 500L, 500L, 500L);
        assertThat(ExecutionController.pause(Integer.MAX_VALUE)).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void aListingsVersionIsAWholeNumberFromOne() {
        assertThat(ExecutionController.functionVersion("3")).isEqualTo(3);
        assertThat(ExecutionController.functionVersion(" 12 ")).isEqualTo(12);
        for (String bad : new String[] {"0", "-2", "v2", "", "2.0"}) {
            assertThatThrownBy(() -> ExecutionController.functionVersion(bad)).as(bad)
                    .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.errors())
                            .extracting(FieldError::field).containsExactly("version"));
        }
    }
}
