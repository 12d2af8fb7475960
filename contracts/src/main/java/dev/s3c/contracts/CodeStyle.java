package dev.s3c.contracts;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How a function's code is called. HANDLER: the code is a script defining {@code handler(input, context)}
 * (or {@code module.exports.handler}); it is evaluated once per context and the handler is called per
 * invocation. BODY: the original product's style, a function body that reads {@code input} and returns.
 */
public enum CodeStyle {
    @JsonProperty("handler") HANDLER,
    @JsonProperty("body") BODY;

    /**
     * BODY code runs as {@code BODY_HEADER + code + "\n})"}. Gateway (which checks code) and executor (which runs
     * it) must agree on it: user code starts on line 1 after this header, so only columns on line 1 shift.
     */
    public static final String BODY_HEADER = "(function (input, context) {";
    public static final String BODY_FOOTER = "\n})";
}
