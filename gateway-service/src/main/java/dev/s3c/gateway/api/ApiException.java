package dev.s3c.gateway.api;

import java.util.List;
import org.springframework.http.HttpStatus;

/** A refusal with its HTTP status and the fields at fault; rendered as a JSON error body. */
public class ApiException extends RuntimeException {

    private final HttpStatus status;
    private final List<FieldError> errors;
    private final java.util.Map<String, String> headers;

    public ApiException(HttpStatus status, String message, List<FieldError> errors) {
        this(status, message, errors, java.util.Map.of());
    }

    /** @param headers sent with the error (a {@code Location}, a {@code Retry-After}) */
    public ApiException(HttpStatus status, String message, List<FieldError> errors,
            java.util.Map<String, String> headers) {
        super(message);
        this.status = status;
        this.errors = List.copyOf(errors);
        this.headers = java.util.Map.copyOf(headers);
    }

    public java.util.Map<String, String> headers() {
        return headers;
    }

    public static ApiException badRequest(String field, String reason) {
        return new ApiException(HttpStatus.BAD_REQUEST, field + " " + reason, List.of(new FieldError(field, reason)));
    }

    public static ApiException notFound(String what) {
        return new ApiException(HttpStatus.NOT_FOUND, what + " not found", List.of());
    }

    public HttpStatus status() {
        return status;
    }

    public List<FieldError> errors() {
        return errors;
    }
}
