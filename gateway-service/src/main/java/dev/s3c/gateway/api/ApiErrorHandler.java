package dev.s3c.gateway.api;

import dev.s3c.contracts.JsonCodec;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.web.server.firewall.ServerExchangeRejectedException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.server.ContentTooLargeException;
import org.springframework.web.server.MethodNotAllowedException;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebInputException;
import org.springframework.web.server.UnsupportedMediaTypeStatusException;
import reactor.core.publisher.Mono;

/** Every refusal becomes a JSON body naming the field and the reason. */
@RestControllerAdvice
public class ApiErrorHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiErrorHandler.class);

    @ExceptionHandler(ApiException.class)
    ResponseEntity<ApiError> api(ApiException e, ServerWebExchange exchange) {
        ResponseEntity<ApiError> response = body(e.status(), e.getMessage(), e.errors(), exchange);
        if (e.headers().isEmpty()) {
            return response;
        }
        var builder = ResponseEntity.status(response.getStatusCode()).headers(response.getHeaders());
        e.headers().forEach(builder::header);
        return builder.body(response.getBody());
    }

    @ExceptionHandler(ContentTooLargeException.class)
    ResponseEntity<ApiError> contentTooLarge(ContentTooLargeException e, ServerWebExchange exchange) {
        return tooLarge(exchange);
    }

    @ExceptionHandler(ServerWebInputException.class)
    ResponseEntity<ApiError> input(ServerWebInputException e, ServerWebExchange exchange) {
        Throwable cause = e.getMostSpecificCause();
        if (cause instanceof DataBufferLimitException) {
            return tooLarge(exchange);
        }
        String field = e.getMethodParameter() != null && e.getMethodParameter().getParameterName() != null
                ? e.getMethodParameter().getParameterName() : "body";
        return body(HttpStatus.BAD_REQUEST, e.getReason(), List.of(new FieldError(field, String.valueOf(e.getReason()))),
                exchange);
    }

    @ExceptionHandler(DataBufferLimitException.class)
    ResponseEntity<ApiError> limit(DataBufferLimitException e, ServerWebExchange exchange) {
        return tooLarge(exchange);
    }

    @ExceptionHandler(UnsupportedMediaTypeStatusException.class)
    ResponseEntity<ApiError> mediaType(UnsupportedMediaTypeStatusException e, ServerWebExchange exchange) {
        return body(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "send JSON with Content-Type: application/json",
                List.of(new FieldError("Content-Type", "must be application/json")), exchange);
    }

    @ExceptionHandler(MethodNotAllowedException.class)
    ResponseEntity<ApiError> method(MethodNotAllowedException e, ServerWebExchange exchange) {
        return body(HttpStatus.METHOD_NOT_ALLOWED, e.getReason(), List.of(), exchange);
    }

    @ExceptionHandler(ResponseStatusException.class)
    ResponseEntity<ApiError> status(ResponseStatusException e, ServerWebExchange exchange) {
        HttpStatus status = HttpStatus.resolve(e.getStatusCode().value());
        return body(status == null ? HttpStatus.BAD_REQUEST : status, String.valueOf(e.getReason()), List.of(), exchange);
    }

    /** A header the firewall refuses when routing or a handler first reads it (see {@link FirewallRefusals}). */
    @ExceptionHandler(ServerExchangeRejectedException.class)
    ResponseEntity<ApiError> refused(ServerExchangeRejectedException e, ServerWebExchange exchange) {
        FieldError error = FirewallRefusals.errorOf(String.valueOf(e.getMessage()));
        return body(HttpStatus.BAD_REQUEST, FirewallRefusals.message(error), List.of(error), exchange);
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ApiError> unexpected(Exception e, ServerWebExchange exchange) {
        log.error("Unexpected failure on {}", exchange.getRequest().getPath(), e);
        return body(HttpStatus.INTERNAL_SERVER_ERROR, "internal error", List.of(), exchange);
    }

    private ResponseEntity<ApiError> tooLarge(ServerWebExchange exchange) {
        return body(HttpStatus.CONTENT_TOO_LARGE, "request body too large",
                List.of(new FieldError("body", "is larger than the server accepts")), exchange);
    }

    /** The error as the whole answer, for web filters, which run before any handler and its advice. */
    public static Mono<Void> write(ServerWebExchange exchange, HttpStatus status, String message, List<FieldError> errors) {
        var response = exchange.getResponse();
        response.setStatusCode(status);
        response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
        byte[] json = JsonCodec.toBytes(body(status, message, errors, exchange).getBody());
        return response.writeWith(Mono.just(response.bufferFactory().wrap(json)));
    }

    static ResponseEntity<ApiError> body(HttpStatus status, String message, List<FieldError> errors,
            ServerWebExchange exchange) {
        return ResponseEntity.status(status).body(new ApiError(Instant.now(), exchange.getRequest().getPath().value(),
                status.value(), status.getReasonPhrase(), message, errors));
    }
}
