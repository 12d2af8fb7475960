package dev.s3c.executor.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    @Test
    void waitsDoubleFromTheBaseUpToTheCap() {
        var policy = new RetryPolicy(Duration.ofSeconds(1), 2.0, Duration.ofSeconds(10));
        assertThat(policy.delayBefore(2)).isEqualTo(Duration.ofSeconds(1));
        assertThat(policy.delayBefore(3)).isEqualTo(Duration.ofSeconds(2));
        assertThat(policy.delayBefore(4)).isEqualTo(Duration.ofSeconds(4));
        assertThat(policy.delayBefore(5)).isEqualTo(Duration.ofSeconds(8));
        assertThat(policy.delayBefore(6)).isEqualTo(Duration.ofSeconds(10));
        assertThat(policy.delayBefore(11)).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void otherBasesAndMultipliers() {
        var policy = new RetryPolicy(Duration.ofMillis(500), 3.0, Duration.ofMinutes(5));
        assertThat(policy.delayBefore(2)).isEqualTo(Duration.ofMillis(500));
        assertThat(policy.delayBefore(3)).isEqualTo(Duration.ofMillis(1500));
        assertThat(policy.delayBefore(4)).isEqualTo(Duration.ofMillis(4500));
    }

    @Test
    void refusesNonsense() {
        assertThatThrownBy(() -> new RetryPolicy(Duration.ZERO, 2, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RetryPolicy(Duration.ofSeconds(2), 0.5, Duration.ofSeconds(10)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
