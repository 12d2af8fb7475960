package dev.s3c.gateway.loadtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.s3c.gateway.GatewayProperties.LoadTestLimits;
import dev.s3c.gateway.api.ApiException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LoadTestSpecTest {

    private static final String FN = "0123456789abcdef01234567";
    private static final LoadTestLimits LIMITS = new LoadTestLimits(100, 500, Duration.ofMinutes(10), 1000,
            Duration.ofSeconds(60), Duration.ofSeconds(30));

    @Test
    void defaultsToTwentyAsyncCallersForThirtySeconds() {
        LoadTestSpec spec = LoadTestSpec.parse("{\"functionId\":\"" + FN + "\"}", LIMITS, 1024);
        assertThat(spec.sync()).isFalse();
        assertThat(spec.concurrency()).isEqualTo(20);
        assertThat(spec.ratePerSecond()).isNull();
        assertThat(spec.durationSeconds()).isEqualTo(30);
        assertThat(spec.input().isNull()).isTrue();
    }

    @Test
    void aFunctionMayBeNamedByItsNameAndIsThenTestedByItsId() {
        LoadTestSpec byName = LoadTestSpec.parse("{\"functionId\":\"fibonacci\",\"mode\":\"sync\","
                + "\"concurrency\":3}", LIMITS, 1024);
        assertThat(byName.functionId()).isEqualTo("fibonacci");
        assertThat(byName.of(FN)).isEqualTo(new LoadTestSpec(FN, byName.input(), true, 3, null, 30));
    }

    @Test
    void anOpenLoopTestGivesARateAndKeepsItsInput() {
        LoadTestSpec spec = LoadTestSpec.parse("{\"functionId\":\"" + FN + "\",\"mode\":\"sync\",\"ratePerSecond\":50,"
                + "\"durationSeconds\":600,\"input\":{\"n\":[1,2]}}", LIMITS, 1024);
        assertThat(spec.sync()).isTrue();
        assertThat(spec.concurrency()).isNull();
        assertThat(spec.ratePerSecond()).isEqualTo(50);
        assertThat(spec.durationSeconds()).isEqualTo(600);
        assertThat(spec.input().get("n").get(1).asInt()).isEqualTo(2);
    }

    @Test
    void anInputLargerThanOneInvocationMayCarryIsRefusedNamingInput() {
        String big = "x".repeat(2000);
        assertThatThrownBy(() -> LoadTestSpec.parse("{\"functionId\":\"" + FN + "\",\"input\":\"" + big + "\"}",
                LIMITS, 1024))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status().value()).isEqualTo(413);
                    assertThat(e.errors()).singleElement().satisfies(error -> assertThat(error.field()).isEqualTo("input"));
                });
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{}                                                          | functionId",
            "{\"functionId\":\"no pe?\"}                                 | functionId",
            "{\"functionId\":7}                                          | functionId",
            "{\"functionId\":\"" + FN + "\",\"mode\":\"batch\"}          | mode",
            "{\"functionId\":\"" + FN + "\",\"concurrency\":0}           | concurrency",
            "{\"functionId\":\"" + FN + "\",\"concurrency\":101}         | concurrency",
            "{\"functionId\":\"" + FN + "\",\"concurrency\":2.5}         | concurrency",
            "{\"functionId\":\"" + FN + "\",\"ratePerSecond\":501}       | ratePerSecond",
            "{\"functionId\":\"" + FN + "\",\"ratePerSecond\":5,\"concurrency\":5} | ratePerSecond",
            "{\"functionId\":\"" + FN + "\",\"durationSeconds\":601}     | durationSeconds",
            "{\"functionId\":\"" + FN + "\",\"durationSeconds\":\"30\"}  | durationSeconds",
            "{\"functionId\":\"" + FN + "\",\"duration\":30}             | duration",
            "[1]                                                         | body",
            "{\"functionId\":                                            | body",
    })
    void badInputNamesTheField(String body, String field) {
        assertThatThrownBy(() -> LoadTestSpec.parse(body, LIMITS, 1024))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status().value()).isEqualTo(400);
                    assertThat(e.errors()).singleElement().satisfies(error -> assertThat(error.field()).isEqualTo(field));
                });
    }
}
