package dev.s3c.gateway.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One reason a request was refused, naming the field (a JSON path such as {@code config.timeoutMs}); for code that
 * does not parse, also the line and column in that code.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FieldError(String field, String reason, Integer line, Integer column) {

    public FieldError(String field, String reason) {
        this(field, reason, null, null);
    }
}
