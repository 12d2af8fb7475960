package dev.s3c.gateway.invoke;

import dev.s3c.contracts.FunctionStatus;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.gateway.GatewayProperties;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.api.FieldError;
import dev.s3c.gateway.api.JsonBodies;
import dev.s3c.gateway.api.RequestLog;
import dev.s3c.gateway.executions.ExecutionView;
import dev.s3c.gateway.functions.FunctionConfig;
import dev.s3c.gateway.functions.FunctionDocument;
import dev.s3c.gateway.functions.FunctionService;
import dev.s3c.gateway.keys.ApiKeys;
import dev.s3c.gateway.tenants.Caller;
import dev.s3c.gateway.tenants.Quotas;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import tools.jackson.databind.node.ObjectNode;

/**
 * Function URLs, as Lambda's, OpenWhisk's web actions and OpenFaaS's {@code /function/<name>}: any method on
 * {@code /fn/{id}} and below runs the function with the request as its input ({@link FunctionUrlEvent}) and answers
 * with what it returns ({@link FunctionUrlAnswer}). Only for a function whose {@code config.http} allows it:
 * {@code public} (anyone) or {@code key} (a key of the function's tenant in {@code Authorization}; never the
 * console's cookie, so no other site's page can call it as a signed-in developer). Outside {@code /api/}: the API's
 * key check, origin guard and query check do not apply; a call counts against the tenant's rate and limits. Access
 * is read again once its reading is a second old: a change shows at once on the gateway that made it, within a second
 * on the others. CORS is the function's to answer: a pre-flight ({@code OPTIONS}) runs it like any other
 * request ({@link FunctionUrlPreflights}), and the headers it answers with are sent as they are.
 */
@io.swagger.v3.oas.annotations.Hidden
@RestController
class FunctionUrlController {

    static final String PREFIX = dev.s3c.gateway.api.Paths.FUNCTION_URLS;
    private static final String BEARER = "Bearer ";

    private final FunctionService functions;
    private final InvocationController invocations;
    private final ApiKeys keys;
    private final GatewayProperties properties;
    private final Quotas quotas;

    FunctionUrlController(FunctionService functions, InvocationController invocations, ApiKeys keys,
            GatewayProperties properties, Quotas quotas) {
        this.quotas = quotas;
        this.functions = functions;
        this.invocations = invocations;
        this.keys = keys;
        this.properties = properties;
    }

    // every method named: one left out of a mapping is answered by Spring (OPTIONS with an Allow list), not here
    @RequestMapping(path = PREFIX + "{id}/**", method = {RequestMethod.GET, RequestMethod.HEAD, RequestMethod.POST,
        RequestMethod.PUT, RequestMethod.PATCH, RequestMethod.DELETE, RequestMethod.OPTIONS})
    Mono<ResponseEntity<?>> call(@PathVariable String id, @RequestParam MultiValueMap<String, String> query,
            ServerWebExchange exchange) {
        long max = properties.maxInputSize().toBytes();
        if (exchange.getRequest().getHeaders().getContentLength() > max) {
            return Mono.error(tooLarge(max));
        }
        // who may call it is read afresh each second: a URL closed or keyed on one gateway stays open nowhere
        Mono<FunctionDocument> function = JsonBodies.isFunctionId(id) ? Mono.defer(() -> functions.lookupFresh(id))
                : Mono.empty();
        // the body as bytes whatever its type (a form too, which @RequestBody refuses); past the input limit a 413
        Mono<byte[]> body = DataBufferUtils.join(exchange.getRequest().getBody(),
                        (int) Math.min(Integer.MAX_VALUE, max))
                .map(buffer -> {
                    byte[] bytes = new byte[buffer.readableByteCount()];
                    buffer.read(bytes);
                    DataBufferUtils.release(buffer);
                    return bytes;
                })
                .defaultIfEmpty(new byte[0]);
        return function.filter(f -> f.config().http() != null)
                .switchIfEmpty(Mono.error(() -> noUrl(id)))
                // the key and the tenant's rate first: a caller without the key it needs, or over the rate, has no
                // body read; after the read, which may be slow, who may call is decided again by a reading as
                // recent as any
                .flatMap(f -> owner(f, exchange))
                .flatMap(owner -> quotas.admit(owner).onErrorMap(e -> e instanceof ApiException refusal
                        && refusal.status() == HttpStatus.TOO_MANY_REQUESTS, FunctionUrlController::busy))
                .then(body)
                .flatMap(bytes -> function.filter(f -> f.config().http() != null)
                        .switchIfEmpty(Mono.error(() -> noUrl(id)))
                        .flatMap(f -> owner(f, exchange).flatMap(owner -> run(f, owner, bytes, query, exchange))))
                .map(execute -> answer(execute, PREFIX + id));
    }

    /** The call, by the function's tenant, once its caller may make it. */
    private Mono<ResponseEntity<?>> run(FunctionDocument function, Caller owner, byte[] body,
            MultiValueMap<String, String> query, ServerWebExchange exchange) {
        if (function.status() != FunctionStatus.ACTIVE) {
            // (not named: the caller may be anyone)
            return Mono.error(new ApiException(HttpStatus.CONFLICT, "this function is inactive",
                    List.of(new FieldError("status", "is inactive"))));
        }
        ObjectNode event = FunctionUrlEvent.of(exchange.getRequest(), query, body,
                holdsKey(exchange.getRequest().getHeaders().get(HttpHeaders.AUTHORIZATION), keys::mayBeKey));
        String preflight = exchange.getAttribute(FunctionUrlPreflights.REQUESTED_METHOD);
        if (preflight != null && FunctionUrlAnswer.isHeaderText(preflight)) {
            ((ObjectNode) event.get("headers")).put("access-control-request-method", preflight);
        }
        // the input's limit, as for execute: base64 and JSON escapes take room too
        long max = properties.maxInputSize().toBytes();
        if (JsonCodec.toJson(event).getBytes(StandardCharsets.UTF_8).length > max) {
            return Mono.error(tooLarge(max));
        }
        return invocations.callFromUrl(owner, function, event, properties.maxSyncWait())
                .onErrorMap(e -> e instanceof ApiException refusal && (refusal.status() == HttpStatus.TOO_MANY_REQUESTS
                        || refusal.status().is5xxServerError()), FunctionUrlController::busy);
    }

    /** The tenant the call runs for: the function's, after checking the key a {@code key} URL needs. */
    private Mono<Caller> owner(FunctionDocument function, ServerWebExchange exchange) {
        Caller owner = new Caller(function.tenant() == null ? Caller.DEFAULT_TENANT : function.tenant(), null);
        exchange.getAttributes().put(RequestLog.TENANT_ATTRIBUTE, owner.tenant());
        if (!FunctionConfig.HTTP_KEY.equals(function.config().http())) {
            return Mono.just(owner);
        }
        String token = bearer(exchange);
        if (token == null) {
            return Mono.error(unauthorized("is required: this function URL takes a key of its tenant "
                    + "(Authorization: Bearer <key>)"));
        }
        return keys.callerOf(token)
                .switchIfEmpty(Mono.error(() -> unauthorized("is not a key of this platform")))
                // another tenant's key: as if there were no URL, as the API answers for another tenant's function
                .filter(caller -> caller.owns(function.tenant()))
                .switchIfEmpty(Mono.error(() -> noUrl(function.id())))
                .thenReturn(owner);
    }

    /**
     * Whether {@code Authorization} may hold a key of this platform: then the function does not see it, whatever its
     * URL's access (a public function's callers may send their own, for the function to check; a platform key sent
     * to one is not stored as its input). Every value and every token in it counts, whatever the scheme, and Basic
     * credentials decoded ({@code curl -u "$KEY:"} sends the key so).
     */
    static boolean holdsKey(List<String> authorization, java.util.function.Predicate<String> mayBeKey) {
        if (authorization == null) {
            return false;
        }
        for (String value : authorization) {
            for (String token : value.split("[\\s,]+")) {
                if (mayBeKey.test(token) || basicCredentials(token).stream().anyMatch(mayBeKey)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The user and password a Basic token encodes, or none when it is not base64 of text. */
    private static List<String> basicCredentials(String token) {
        try {
            return List.of(new String(java.util.Base64.getDecoder().decode(token), StandardCharsets.UTF_8)
                    .split(":", -1));
        } catch (IllegalArgumentException e) {
            return List.of();
        }
    }

    /**
     * A refusal before the run (a 429 for the tenant's rate or a concurrency limit; a 503 for a broker that did not
     * answer or executors far behind) told as a function URL's caller needs it: when to try again, not the tenant,
     * its limits, the API's modes or the platform's parts.
     */
    private static ApiException busy(Throwable refusal) {
        ApiException api = (ApiException) refusal;
        boolean throttled = api.status() == HttpStatus.TOO_MANY_REQUESTS;
        return new ApiException(throttled ? HttpStatus.TOO_MANY_REQUESTS : HttpStatus.SERVICE_UNAVAILABLE,
                (throttled ? "this function is busy" : "this function cannot be run now")
                        + ": try again after the Retry-After seconds", List.of(),
                Map.of(HttpHeaders.RETRY_AFTER, api.headers().getOrDefault(HttpHeaders.RETRY_AFTER, "1")));
    }

    /** Whether the function is missing, has no URL or is another tenant's is not told apart. */
    private static ApiException noUrl(String id) {
        return new ApiException(HttpStatus.NOT_FOUND, "no function URL here: no function has the id " + id
                + ", or its config.http does not give it one", List.of(new FieldError("id", "has no function URL")));
    }

    private static ApiException tooLarge(long max) {
        return new ApiException(HttpStatus.CONTENT_TOO_LARGE, "the request is too large: as the function's input it "
                + "would be over " + max + " bytes", List.of(new FieldError("body", "makes an input larger than "
                + max + " bytes")));
    }

    private static String bearer(ServerWebExchange exchange) {
        String authorization = exchange.getRequest().getHeaders().getFirst(HttpHeaders.AUTHORIZATION);
        return authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length()) ? null
                : authorization.substring(BEARER.length()).strip();
    }

    private static ApiException unauthorized(String reason) {
        return new ApiException(HttpStatus.UNAUTHORIZED, "this function URL needs a key of the function's tenant",
                List.of(new FieldError(HttpHeaders.AUTHORIZATION, reason)),
                Map.of(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"s3c\""));
    }

    /** The function's answer, or 504 when it did not finish within the wait (it may still run). */
    private static ResponseEntity<?> answer(ResponseEntity<?> execute, String home) {
        if (execute.getBody() instanceof ExecutionView view) {
            return FunctionUrlAnswer.of(view, home);
        }
        if (execute.getBody() instanceof InvocationController.Accepted accepted) {
            throw new ApiException(HttpStatus.GATEWAY_TIMEOUT, "the function did not answer within the wait; it may "
                    + "still run, and execution " + accepted.executionId() + " will hold its result", List.of(),
                    Map.of(FunctionUrlAnswer.EXECUTION_HEADER, accepted.executionId()));
        }
        return execute;
    }
}
