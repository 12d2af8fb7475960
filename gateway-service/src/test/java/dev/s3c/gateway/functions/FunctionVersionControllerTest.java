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
    void aRestoreTakesNoBodyOrTheCurrentVersionAsReadAndANoteAndNothingElse() {
        for (String none : new String[] {null, " ", "{}", "{\"version\": null, \"note\": null}"}) {
            assertThat(FunctionVersionController.restoreBody(2, none))
                    .isEqualTo(new FunctionVersionController.Restore(2, null, null));
        }
        assertThat(FunctionVersionController.restoreBody(2, "{\"version\": 4, \"note\": \" v3 broke parsing \"}"))
                .isEqualTo(new FunctionVersionController.Restore(2, 4L, "v3 broke parsing"));
        assertThat(FunctionVersionController.restoreBody(2, "{\"note\": \"  \"}").note()).isNull();
        assertRefused(() -> FunctionVersionController.restoreBody(2, "{\"version\": 0}"), "version");
        assertRefused(() -> FunctionVersionController.restoreBody(2, "{\"version\": \"4\"}"), "version");
        assertRefused(() -> FunctionVersionController.restoreBody(2, "{\"note\": 5}"), "note");
        assertRefused(() -> FunctionVersionController.restoreBody(2, "{\"note\": \"" + "x".repeat(201) + "\"}"),
                "note");
        assertRefused(() -> FunctionVersionController.restoreBody(2, "{\"versoin\": 4}"), "versoin");
        assertRefused(() -> FunctionVersionController.restoreBody(2, "[4]"), "body");
        assertRefused(() -> FunctionVersionController.restoreBody(2, "{\"version\": "), "body");
    }

    private static void assertRefused(Runnable call, String field) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).isEqualTo(HttpStatus.BAD_REQUEST);
            assertThat(e.errors()).extracting(FieldError::field).containsExactly(field);
            assertThat(e.errors().getFirst().reason()).isNotBlank();
        });
    }
}
