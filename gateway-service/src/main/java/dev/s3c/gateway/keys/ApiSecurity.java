package dev.s3c.gateway.keys;

import dev.s3c.gateway.api.ApiErrorHandler;
import dev.s3c.gateway.api.FieldError;
import java.util.List;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpCookie;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.ReactiveAuthenticationManager;
import org.springframework.security.config.annotation.web.reactive.EnableWebFluxSecurity;
import org.springframework.security.config.web.server.SecurityWebFiltersOrder;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.web.authentication.preauth.PreAuthenticatedAuthenticationToken;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.authentication.AuthenticationWebFilter;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;
import org.springframework.security.web.server.savedrequest.NoOpServerRequestCache;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatcher;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Every API route and the live stream need a key: {@code Authorization: Bearer <key>}, or for the console the
 * {@code s3c_key} cookie its sign-in sets ({@code HttpOnly}, {@code SameSite=Strict}; pages of other origins are
 * refused before this by {@code BrowserOrigins}, which is what stands for CSRF protection here). The console's
 * files, the API's description and the actuator stay open; each call is checked on its own (no server session).
 */
@Configuration(proxyBeanMethods = false)
@EnableWebFluxSecurity
class ApiSecurity {

    static final String COOKIE = "s3c_key";
    static final String SESSION = "/api/session";
    private static final String BEARER = "Bearer ";

    @Bean
    SecurityWebFilterChain apiSecurityChain(ServerHttpSecurity http, ApiKeys keys) {
        AuthenticationWebFilter byKey = new AuthenticationWebFilter(manager(keys));
        byKey.setRequiresAuthenticationMatcher(ApiSecurity::checksKey);
        byKey.setServerAuthenticationConverter(exchange -> Mono.justOrEmpty(presentedKey(exchange.getRequest()))
                .map(key -> new PreAuthenticatedAuthenticationToken(null, key)));
        byKey.setAuthenticationFailureHandler((filterExchange, e) -> unauthorized(filterExchange.getExchange(),
                "is not a key of this platform"));
        byKey.setSecurityContextRepository(NoOpServerSecurityContextRepository.getInstance());
        return http
                .csrf(ServerHttpSecurity.CsrfSpec::disable)
                .httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
                .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
                .logout(ServerHttpSecurity.LogoutSpec::disable)
                .requestCache(cache -> cache.requestCache(NoOpServerRequestCache.getInstance()))
                .securityContextRepository(NoOpServerSecurityContextRepository.getInstance())
                // the console's files keep their own cache headers (max-age 5m)
                .headers(headers -> headers.cache(ServerHttpSecurity.HeaderSpec.CacheSpec::disable))
                .addFilterAt(byKey, SecurityWebFiltersOrder.AUTHENTICATION)
                .authorizeExchange(exchanges -> exchanges
                        .pathMatchers(SESSION, "/api/openapi", "/api/openapi/**", "/api/docs", "/api/docs/**")
                        .permitAll()
                        .pathMatchers("/api/**").authenticated()
                        .anyExchange().permitAll())
                .exceptionHandling(handling -> handling.authenticationEntryPoint((exchange, e) ->
                        unauthorized(exchange, "is required: Authorization: Bearer <key>")))
                .build();
    }

    private static ReactiveAuthenticationManager manager(ApiKeys keys) {
        return authentication -> Mono.justOrEmpty(keys.tenantOf((String) authentication.getCredentials()))
                .<org.springframework.security.core.Authentication>map(tenant -> new PreAuthenticatedAuthenticationToken(
                        tenant, null, AuthorityUtils.createAuthorityList("ROLE_TENANT")))
                .switchIfEmpty(Mono.error(() -> new BadCredentialsException("not a key of this platform")));
    }

    /**
     * The key is checked on API calls. Signing in and out (POST and DELETE of the session) is not: a stale cookie must
     * not keep anyone from replacing it. Nor are the open routes, so a stale cookie never blocks the console's files.
     */
    private static Mono<ServerWebExchangeMatcher.MatchResult> checksKey(ServerWebExchange exchange) {
        ServerHttpRequest request = exchange.getRequest();
        String path = request.getPath().pathWithinApplication().value();
        boolean api = path.startsWith("/api/") && !path.startsWith("/api/openapi") && !path.startsWith("/api/docs");
        boolean signing = path.equals(SESSION) && !HttpMethod.GET.equals(request.getMethod());
        return api && !signing ? ServerWebExchangeMatcher.MatchResult.match()
                : ServerWebExchangeMatcher.MatchResult.notMatch();
    }

    /** The bearer token, else the console's cookie. */
    static String presentedKey(ServerHttpRequest request) {
        String authorization = request.getHeaders().getFirst(HttpHeaders.AUTHORIZATION);
        if (authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return authorization.substring(BEARER.length()).strip();
        }
        HttpCookie cookie = request.getCookies().getFirst(COOKIE);
        return cookie == null || cookie.getValue().isBlank() ? null : cookie.getValue();
    }

    private static Mono<Void> unauthorized(ServerWebExchange exchange, String reason) {
        exchange.getResponse().getHeaders().set(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"s3c\"");
        return ApiErrorHandler.write(exchange, HttpStatus.UNAUTHORIZED,
                "an API key is needed: send Authorization: Bearer <key> (the local run prints one when it starts)",
                List.of(new FieldError(HttpHeaders.AUTHORIZATION, reason)));
    }
}
