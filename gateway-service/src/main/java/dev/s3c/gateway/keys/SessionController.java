package dev.s3c.gateway.keys;

import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.api.FieldError;
import dev.s3c.gateway.api.JsonBodies;
import java.security.Principal;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseCookie;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * The console's sign-in: it sends the key once and gets an {@code HttpOnly}, {@code SameSite=Strict} cookie holding
 * a token derived from it ({@link ApiKeys#sessionToken}), which the browser then sends with every call and the live
 * stream's handshake (a WebSocket cannot carry an {@code Authorization} header from a page).
 */
@RestController
@RequestMapping(ApiSecurity.SESSION)
class SessionController {

    private final ApiKeys keys;

    SessionController(ApiKeys keys) {
        this.keys = keys;
    }

    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    Mono<ResponseEntity<Map<String, String>>> signIn(@RequestBody(required = false) String body,
            ServerWebExchange exchange) {
        return Mono.fromCallable(() -> {
            var key = JsonBodies.parseObject(body).path("key");
            if (!key.isString() || key.asString().isBlank()) {
                throw ApiException.badRequest("key", "is required (the API key, as a string)");
            }
            return key.asString().strip();
        }).flatMap(key -> keys.callerOf(key)
                .switchIfEmpty(Mono.error(() -> new ApiException(HttpStatus.UNAUTHORIZED,
                        "that is not a key of this platform",
                        List.of(new FieldError("key", "is not a key of this platform")))))
                .map(caller -> {
                    if (caller.admin()) {
                        throw new ApiException(HttpStatus.FORBIDDEN, "the console signs in with a tenant's key; "
                                + "admin keys manage tenants through the API",
                                List.of(new FieldError("key", "is an admin key")));
                    }
                    return ResponseEntity.ok()
                            .header(HttpHeaders.SET_COOKIE, cookie(exchange, ApiKeys.sessionToken(key), false))
                            .body(Map.of("tenant", caller.tenant()));
                }));
    }

    @GetMapping
    Mono<Map<String, String>> current(ServerWebExchange exchange) {
        return exchange.getPrincipal().map(Principal::getName).map(tenant -> Map.of("tenant", tenant))
                .switchIfEmpty(Mono.error(() -> new ApiException(HttpStatus.UNAUTHORIZED, "not signed in",
                        List.of(new FieldError("Authorization", "is required: Authorization: Bearer <key>")))));
    }

    @DeleteMapping
    ResponseEntity<Void> signOut(ServerWebExchange exchange) {
        return ResponseEntity.noContent().header(HttpHeaders.SET_COOKIE, cookie(exchange, "", true)).build();
    }

    private static String cookie(ServerWebExchange exchange, String value, boolean expired) {
        var cookie = ResponseCookie.from(ApiSecurity.COOKIE, value).httpOnly(true).sameSite("Strict").path("/")
                .secure("https".equals(exchange.getRequest().getURI().getScheme()));
        if (expired) {
            cookie.maxAge(0);
        }
        return cookie.build().toString();
    }
}
