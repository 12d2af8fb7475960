package dev.s3c.gateway.keys;

import dev.s3c.gateway.api.ApiErrorHandler;
import dev.s3c.gateway.api.FieldError;
import dev.s3c.gateway.api.FirewallRefusals;
import dev.s3c.gateway.tenants.Caller;
import java.util.List;
import java.util.stream.Stream;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpCookie;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.PathContainer;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.ReactiveAuthenticationManager;
import org.springframework.security.authorization.AuthenticatedReactiveAuthorizationManager;
import org.springframework.security.authorization.AuthorityReactiveAuthorizationManager;
import org.springframework.security.authorization.AuthorizationDecision;
import org.springframework.security.authorization.AuthorizationResult;
import org.springframework.security.authorization.ReactiveAuthorizationManager;
import org.springframework.security.config.annotation.web.reactive.EnableWebFluxSecurity;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.config.web.server.SecurityWebFiltersOrder;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.web.authentication.preauth.PreAuthenticatedAuthenticationToken;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.WebFilterChainProxy;
import org.springframework.security.web.server.authorization.AuthorizationContext;
import org.springframework.security.web.server.authentication.AuthenticationWebFilter;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;
import org.springframework.security.web.server.firewall.StrictServerWebExchangeFirewall;
import org.springframework.security.web.server.savedrequest.NoOpServerRequestCache;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatcher;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatcher.MatchResult;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;
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
    private static final PathPattern API = pattern("/api/**");
    private static final PathPattern SESSION_PATH = pattern(SESSION);
    private static final PathPattern OWN_TENANT = pattern(TENANTS + "/me");
    private static final List<PathPattern> TENANT_ADMINISTRATION = List.of(pattern(TENANTS), pattern(TENANTS + "/**"));
    private static final List<PathPattern> DOC_PATHS = Stream.of(DOCS).map(ApiSecurity::pattern).toList();

    /** Who may call a path. */
    enum Access { OPEN, ANY_KEY, ADMIN, TENANT }

    /**
     * Signing in and out and the API's description are open; a caller's own tenant needs any key; the tenants'
     * administration an admin key; the rest of the API a tenant's key; everything else (the console's files) is open.
     */
    static Access access(PathContainer path) {
        if (SESSION_PATH.matches(path) || matchesAny(DOC_PATHS, path)) {
            return Access.OPEN;
        }
        if (OWN_TENANT.matches(path)) {
            return Access.ANY_KEY;
        }
        if (matchesAny(TENANT_ADMINISTRATION, path)) {
            return Access.ADMIN;
        }
        return API.matches(path) ? Access.TENANT : Access.OPEN;
    }

    /**
     * Where a presented key is checked: API calls. Not signing in and out (POST and DELETE of the session: a stale
     * cookie must not keep anyone from replacing it), nor the open routes, so a stale cookie never blocks them.
     */
    static boolean checksKey(ServerHttpRequest request) {
        PathContainer path = request.getPath().pathWithinApplication();
        if (!API.matches(path) || matchesAny(DOC_PATHS, path)) {
            return false;
        }
        HttpMethod method = request.getMethod();
        return !(SESSION_PATH.matches(path) && (HttpMethod.POST.equals(method) || HttpMethod.DELETE.equals(method)));
    }

    /*
     * The two decisions above are made in one step each. Spring Security's composed matchers (and, or, not, a list of
     * path rules) make each one a chain of Reactor operators, and each operator that may drop an element looks up a
     * discard hook by walking the whole subscriber chain: about 4% of the gateway's event loops under load.
     */
    private static final Mono<MatchResult> MATCH = MatchResult.match();
    private static final Mono<MatchResult> NO_MATCH = MatchResult.notMatch();
    private static final Mono<AuthorizationResult> PERMITTED = Mono.just(new AuthorizationDecision(true));
    private static final ReactiveAuthorizationManager<AuthorizationContext> AUTHENTICATED =
            AuthenticatedReactiveAuthorizationManager.authenticated();
    private static final ReactiveAuthorizationManager<AuthorizationContext> IS_ADMIN =
            AuthorityReactiveAuthorizationManager.hasRole(ADMIN);
    private static final ReactiveAuthorizationManager<AuthorizationContext> IS_TENANT =
            AuthorityReactiveAuthorizationManager.hasRole(TENANT);

    private static final ServerWebExchangeMatcher CHECKS_KEY =
            exchange -> checksKey(exchange.getRequest()) ? MATCH : NO_MATCH;

    private static final ReactiveAuthorizationManager<AuthorizationContext> BY_PATH = (authentication, context) ->
            switch (access(context.getExchange().getRequest().getPath().pathWithinApplication())) {
                case OPEN -> PERMITTED;
                case ANY_KEY -> AUTHENTICATED.authorize(authentication, context);
                case ADMIN -> IS_ADMIN.authorize(authentication, context);
                case TENANT -> IS_TENANT.authorize(authentication, context);
            };

    /** Parsed as the routes are (the gateway keeps WebFlux's default: case-sensitive, no optional trailing slash). */
    private static PathPattern pattern(String pattern) {
        return PathPatternParser.defaultInstance.parse(pattern);
    }

    private static boolean matchesAny(List<PathPattern> patterns, PathContainer path) {
        for (PathPattern pattern : patterns) {
            if (pattern.matches(path)) {
                return true;
            }
        }
        return false;
    }

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
                .authorizeExchange(exchanges -> exchanges.anyExchange().access(BY_PATH))
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
