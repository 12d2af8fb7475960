package dev.s3c.gateway.api;

import java.time.Instant;
import java.util.List;

/** The JSON body of every 4xx/5xx answer. */
public record ApiError(Instant timestamp, String path, int status, String error, String message, List<FieldError> errors) {
}
