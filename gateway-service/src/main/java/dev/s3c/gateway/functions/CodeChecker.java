package dev.s3c.gateway.functions;

import dev.s3c.contracts.CodeStyle;
import java.io.OutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.Engine;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.Source;
import org.graalvm.polyglot.SourceSection;
import org.springframework.stereotype.Component;

/**
 * Parses uploaded code without running it and decides its style: a script that defines {@code handler}, or the
 * original product's function body. Syntax errors come back with line and column in the user's own code.
 */
@Component
class CodeChecker implements AutoCloseable {

    private static final Pattern HANDLER = Pattern.compile("\\bhandler\\b|\\bmodule\\.exports\\b");
    private static final Pattern POSITION_PREFIX = Pattern.compile("^(SyntaxError: )?\\S+\\.js:\\d+:\\d+\\s*");
    private static final String NAME = "function.js";

    private final Engine engine = Engine.newBuilder("js")
            .out(OutputStream.nullOutputStream())
            .err(OutputStream.nullOutputStream())
            .option("engine.WarnInterpreterOnly", "false")
            .build();

    CodeStyle check(String code) {
        try (Context context = Context.newBuilder("js").engine(engine).build()) {
            try {
                context.parse(Source.newBuilder("js", code, NAME).buildLiteral());
                if (HANDLER.matcher(code).find()) {
                    return CodeStyle.HANDLER;
                }
                return CodeStyle.BODY;
            } catch (PolyglotException scriptError) {
                // not a script (a top-level return, say): try it as a function body below
            }
            try {
                context.parse(Source.newBuilder("js", CodeStyle.BODY_HEADER + code + CodeStyle.BODY_FOOTER, NAME)
                        .buildLiteral());
                return CodeStyle.BODY;
            } catch (PolyglotException bodyError) {
                if (!bodyError.isSyntaxError()) {
                    // e.g. nesting so deep the parser runs out of stack
                    throw new CodeSyntaxException(1, 1, "the code cannot be parsed: "
                            + String.valueOf(bodyError.getMessage()).lines().findFirst().orElse("unknown reason"));
                }
                throw syntaxError(bodyError);
            }
        }
    }

    private static CodeSyntaxException syntaxError(PolyglotException e) {
        SourceSection at = e.getSourceLocation();
        int line = at == null ? 1 : at.getStartLine();
        int column = at == null ? 1 : at.getStartColumn();
        if (line == 1) {
            column = Math.max(1, column - CodeStyle.BODY_HEADER.length());
        }
        String message = String.valueOf(e.getMessage());
        Matcher m = POSITION_PREFIX.matcher(message);
        message = m.replaceFirst("");
        int newline = message.indexOf('\n');
        return new CodeSyntaxException(line, column, newline < 0 ? message : message.substring(0, newline));
    }

    @Override
    public void close() {
        engine.close();
    }

    /** Code that does not parse, with the position of the first error. */
    static final class CodeSyntaxException extends RuntimeException {
        final int line;
        final int column;

        CodeSyntaxException(int line, int column, String message) {
            super(message);
            this.line = line;
            this.column = column;
        }
    }
}
