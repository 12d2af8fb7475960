package dev.s3c.gateway.functions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.s3c.contracts.CodeStyle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class CodeCheckerTest {

    private static final CodeChecker CHECKER = new CodeChecker();

    @AfterAll
    static void close() {
        CHECKER.close();
    }

    @Test
    void detectsTheTwoStyles() {
        assertThat(CHECKER.check("function handler(input) { return input; }")).isEqualTo(CodeStyle.HANDLER);
        assertThat(CHECKER.check("exports.handler = async (e) => e;\nmodule.exports = exports;"))
                .isEqualTo(CodeStyle.HANDLER);
        assertThat(CHECKER.check("const n = input.n;\nreturn n * 2;")).isEqualTo(CodeStyle.BODY);
        assertThat(CHECKER.check("input.n * 2;")).isEqualTo(CodeStyle.BODY);
    }

    @Test
    void syntaxErrorsPointIntoTheUsersCode() {
        var first = catchThrowableOfType(CodeChecker.CodeSyntaxException.class, () -> CHECKER.check("const x = ;"));
        assertThat(first.line).isEqualTo(1);
        assertThat(first.column).isEqualTo(11);
        assertThat(first.getMessage()).doesNotContain("function.js").contains("Expected");

        var later = catchThrowableOfType(CodeChecker.CodeSyntaxException.class,
                () -> CHECKER.check("function handler() {\n  return {;\n}"));
        assertThat(later.line).isEqualTo(2);
    }

    @Test
    void codeTooDeepToParseIsRefusedNotACrash() {
        var e = catchThrowableOfType(CodeChecker.CodeSyntaxException.class,
                () -> CHECKER.check("return " + "[".repeat(100_000) + ";"));
        assertThat(e).isNotNull();
        assertThat(e.line).isEqualTo(1);
    }

    @Test
    void parsingNeverRunsTheCode() {
        // would loop forever if it ran
        assertThat(CHECKER.check("while (true) {}")).isEqualTo(CodeStyle.BODY);
    }
}
