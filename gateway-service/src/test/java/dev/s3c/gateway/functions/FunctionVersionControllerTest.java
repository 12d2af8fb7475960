package dev.s3c.gateway.functions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.api.FieldError;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;

/** What the versions' routes read from the path and a restore's body, and how they refuse the rest. */
class FunctionVersionControllerTest {

    @Test
    void aVersionInThePathIsAWholeNumberFromOne() {
        assertThat(FunctionVersionController.version("1")).isEqualTo(1);
        assertThat(FunctionVersionController.version("12")).isEqualTo(12);
        for (String bad : new String[] {"0", "-1", "1.5", "v2", "", "99999999999999999999"}) {
            assertRefused(() -> FunctionVersionController.version(bad), "version");
        }
    }

    @Test
    void aRestoreTakesNoBodyOrTheCurrentVersionAsReadAndNothingElse() {
        assertThat(FunctionVersionController.expectedVersion(null)).isNull();
        assertThat(FunctionVersionController.expectedVersion(" ")).isNull();
        assertThat(FunctionVersionController.expectedVersion("{}")).isNull();
        assertThat(FunctionVersionController.expectedVersion("{\"version\": null}")).isNull();
        assertThat(FunctionVersionController.expectedVersion("{\"version\": 4}")).isEqualTo(4L);
        assertRefused(() -> FunctionVersionController.expectedVersion("{\"version\": 0}"), "version");
        assertRefused(() -> FunctionVersionController.expectedVersion("{\"version\": \"4\"}"), "version");
        assertRefused(() -> FunctionVersionController.expectedVersion("{\"versoin\": 4}"), "versoin");
        assertRefused(() -> FunctionVersionController.expectedVersion("[4]"), "body");
        assertRefused(() -> FunctionVersionController.expectedVersion("{\"version\": "), "body");
    }

    private static void assertRefused(Runnable call, String field) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).isEqualTo(HttpStatus.BAD_REQUEST);
            assertThat(e.errors()).extracting(FieldError::field).containsExactly(field);
            assertThat(e.errors().getFirst().reason()).isNotBlank();
        });
    }
}
