package dev.s3c.gateway.keys;

import dev.s3c.gateway.api.ApiErrorHandler;
import dev.s3c.gateway.api.FieldError;
import dev.s3c.gateway.api.FirewallRefusals;
import dev.s3c.gateway.tenants.Caller;
import java.util.List;
import org.springframework.beans.factory.config.BeanPostProcessor;
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
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.config.web.server.SecurityWebFiltersOrder;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.web.authentication.preauth.PreAuthenticatedAuthenticationToken;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.WebFilterChainProxy;
import org.springframework.security.web.server.authentication.AuthenticationWebFilter;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;
import org.springframework.security.web.server.firewall.StrictServerWebExchangeFirewall;
import org.springframework.security.web.server.savedrequest.NoOpServerRequestCache;
import org.springframework.security.web.server.util.matcher.AndServerWebExchangeMatcher;
import org.springframework.security.web.server.util.matcher.NegatedServerWebExchangeMatcher;
import org.springframework.security.web.server.util.matcher.OrServerWebExchangeMatcher;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatcher;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatchers;
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
    static final String TENANTS = "/api/tenants";
    private static final String ADMIN = "ADMIN";
    private static final String TENANT = "TENANT";
    private static final String BEARER = "Bearer ";
    /** The API's description: open, like the console's files. */
    private static final String[] DOCS = {"/api/openapi", "/api/openapi/**", "/api/openapi.yaml", "/api/docs",
        "/api/docs/**"};
    /**
     * Where a presented key is checked: API calls. Not signing in and out (POST and DELETE of the session: a stale
     * cookie must not keep anyone from replacing it), nor the open routes, so a stale cookie never blocks them.
     */
    private static final ServerWebExchangeMatcher CHECKS_KEY = new AndServerWebExchangeMatcher(
            ServerWebExchangeMatchers.pathMatchers("/api/**"),
            new NegatedServerWebExchangeMatcher(new OrServerWebExchangeMatcher(
                    ServerWebExchangeMatchers.pathMatchers(DOCS),
                    ServerWebExchangeMatchers.pathMatchers(HttpMethod.POST, SESSION),
                    ServerWebExchangeMatchers.pathMatchers(HttpMethod.DELETE, SESSION))));

    /**
     * None of Spring Security's own observations: nothing reads them (the HTTP server's own observation still gives
     * every call's metrics), and wrapping each of the chain's filters in one was a large share of the gateway's CPU
     * per call.
     */
    @Bean
    static SecurityObservationSettings noSecurityObservations() {
        return SecurityObservationSettings.noObservations();
    }

    /**
     * Spring Security's strict firewall with the same header rules checked without regular expressions
     * ({@link HeaderText}), its refusals answered like every other bad input ({@link FirewallRefusals}), and the
     * security filters run without a checkpoint each ({@link SecurityFilterChainWithoutCheckpoints}; this replaces
     * the decorator Spring Security's observations would add, which are off: {@link #noSecurityObservations()}).
     */
    @Bean
    static BeanPostProcessor securityChainSettings() {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String beanName) {
                if (bean instanceof WebFilterChainProxy proxy) {
                    configure(proxy);
                }
                return bean;
            }
        };
    }

    static void configure(WebFilterChainProxy proxy) {
        StrictServerWebExchangeFirewall firewall = new StrictServerWebExchangeFirewall();
        firewall.setAllowedHeaderNames(HeaderText::isAllowedName);
        firewall.setAllowedHeaderValues(HeaderText::isAllowedValue);
        firewall.setAllowedParameterNames(HeaderText::isAllowedName);
        proxy.setFirewall(firewall);
        proxy.setExchangeRejectedHandler(new FirewallRefusals());
        proxy.setFilterChainDecorator(new SecurityFilterChainWithoutCheckpoints());
    }

    @Bean
    SecurityWebFilterChain apiSecurityChain(ServerHttpSecurity http, ApiKeys keys) {
        AuthenticationWebFilter byKey = new AuthenticationWebFilter(manager(keys));
        byKey.setRequiresAuthenticationMatcher(CHECKS_KEY);
        byKey.setServerAuthenticationConverter(exchange -> Mono.justOrEmpty(presented(exchange.getRequest())));
        byKey.setAuthenticationFailureHandler((filterExchange, e) -> unauthorized(filterExchange.getExchange(),
                "is not a key of this platform"));
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
                        .pathMatchers(SESSION).permitAll()
                        .pathMatchers(DOCS).permitAll()
                        .pathMatchers(TENANTS + "/me").authenticated()
                        .pathMatchers(TENANTS, TENANTS + "/**").hasRole(ADMIN)
                        .pathMatchers("/api/**").hasRole(TENANT)
                        .anyExchange().permitAll())
                .exceptionHandling(handling -> handling
                        .authenticationEntryPoint((exchange, e) ->
                                unauthorized(exchange, "is required: Authorization: Bearer <key>"))
                        .accessDeniedHandler((exchange, e) -> forbidden(exchange)))
                .build();
    }

    private static ReactiveAuthenticationManager manager(ApiKeys keys) {
        return authentication -> (COOKIE.equals(authentication.getPrincipal())
                        ? keys.callerOfSession((String) authentication.getCredentials())
                        : keys.callerOf((String) authentication.getCredentials()))
                .<org.springframework.security.core.Authentication>map(caller -> new PreAuthenticatedAuthenticationToken(
                        caller, null, AuthorityUtils.createAuthorityList("ROLE_" + (caller.admin() ? ADMIN : TENANT))))
                .switchIfEmpty(Mono.error(() -> new BadCredentialsException("not a key of this platform")));
    }

    /** A tenant's key on the tenants' administration, or an admin key on a tenant's routes. */
    private static Mono<Void> forbidden(ServerWebExchange exchange) {
        return exchange.getPrincipal().map(principal -> principal instanceof Authentication a
                        && a.getPrincipal() instanceof Caller caller && caller.admin()).defaultIfEmpty(false)
                .flatMap(admin -> ApiErrorHandler.write(exchange, HttpStatus.FORBIDDEN, admin
                                ? "an admin key manages tenants and their keys only: call this with a tenant's key"
                                : "managing tenants needs an admin key (S3C_ADMIN_KEY)",
                        List.of(new FieldError(HttpHeaders.AUTHORIZATION, admin ? "is an admin key"
                                : "is not an admin key"))));
    }

    /** The bearer key (principal {@code bearer}), else the console's session cookie (principal {@code s3c_key}). */
    static PreAuthenticatedAuthenticationToken presented(ServerHttpRequest request) {
        String authorization = request.getHeaders().getFirst(HttpHeaders.AUTHORIZATION);
        if (authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return new PreAuthenticatedAuthenticationToken("bearer", authorization.substring(BEARER.length()).strip());
        }
        HttpCookie cookie = request.getCookies().getFirst(COOKIE);
        return cookie == null || cookie.getValue().isBlank() ? null
                : new PreAuthenticatedAuthenticationToken(COOKIE, cookie.getValue());
    }

    private static final org.slf4j.Logger requests = org.slf4j.LoggerFactory.getLogger("s3c.requests");

    /** Logged like every refusal (RequestLog), without the key: only that one was missing or not known. */
    private static Mono<Void> unauthorized(ServerWebExchange exchange, String reason) {
        requests.info("{} {} 401 tenant=- Authorization {}", exchange.getRequest().getMethod(),
                exchange.getRequest().getPath().pathWithinApplication().value(), reason);
        exchange.getResponse().getHeaders().set(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"s3c\"");
        return ApiErrorHandler.write(exchange, HttpStatus.UNAUTHORIZED,
                "an API key is needed: send Authorization: Bearer <key> (the local run prints one when it starts)",
                List.of(new FieldError(HttpHeaders.AUTHORIZATION, reason)));
    }
}
