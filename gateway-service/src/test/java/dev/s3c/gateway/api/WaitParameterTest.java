package dev.s3c.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;

/** {@code ?wait=} of a sync execute and of a read of an execution. */
class WaitParameterTest {

    private static final Duration DEFAULT = Duration.ofSeconds(30);
    private static final Duration MAX = Duration.ofSeconds(60);

    @Test
    void secondsByDefaultOrWithAUnit() {
        assertThat(JsonBodies.waitParameter(null, DEFAULT, MAX)).isEqualTo(DEFAULT);
        assertThat(JsonBodies.waitParameter(" ", DEFAULT, MAX)).isEqualTo(DEFAULT);
        assertThat(JsonBodies.waitParameter("5", DEFAULT, MAX)).isEqualTo(Duration.ofSeconds(5));
        assertThat(JsonBodies.waitParameter("0", DEFAULT, MAX)).isEqualTo(Duration.ZERO);
        assertThat(JsonBodies.waitParameter("500ms", DEFAULT, MAX)).isEqualTo(Duration.ofMillis(500));
        assertThat(JsonBodies.waitParameter(" 20s ", DEFAULT, MAX)).isEqualTo(Duration.ofSeconds(20));
        assertThat(JsonBodies.waitParameter("1m", DEFAULT, MAX)).isEqualTo(Duration.ofMinutes(1));
        assertThat(JsonBodies.waitParameter("PT2S", DEFAULT, MAX)).isEqualTo(Duration.ofSeconds(2));
        assertThat(JsonBodies.waitParameter("+5", DEFAULT, MAX)).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void anythingElseIsA400NamingWait() {
        for (String bad : new String[] {"61", "2m", "1d", "9223372036854775807d", "-1", "-1s", "soon", "5 s", "1.5s"}) {
            assertThatThrownBy(() -> JsonBodies.waitParameter(bad, DEFAULT, MAX)).as(bad)
                    .isInstanceOfSatisfying(ApiException.class, e -> {
                        assertThat(e.status()).isEqualTo(HttpStatus.BAD_REQUEST);
                        assertThat(e.errors()).extracting(FieldError::field).containsExactly("wait");
                        assertThat(e.errors().getFirst().reason()).contains("from 0 to 60");
                    });
        }
    }
}
