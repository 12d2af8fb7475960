package dev.s3c.gateway.api;

import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.stereotype.Component;
import org.springframework.web.cors.reactive.CorsUtils;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Refuses what a web page on another origin can make a browser send without asking: a request that changes
 * something (a form post or a {@code text/plain} fetch needs no CORS preflight) and a WebSocket handshake (not
 * subject to CORS at all). Without this, any page a developer opens could run, redrive or delete functions on
 * {@code localhost:8080} and watch the live stream. Browsers name the page's origin on both; callers that are not
 * browsers (curl, SDKs, other services) send none and pass, and so do pages of the API's own origin (the console).
 * Reads stay open: the browser keeps a foreign page from reading them. (Pages elsewhere would also need CORS, which
 * the API does not offer; DNS rebinding, a foreign page under a name that resolves to this host, is left to API keys.)
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class BrowserOrigins extends NamedWebFilter {

    static final String ORIGIN = "Origin";
    private static final Logger log = LoggerFactory.getLogger(BrowserOrigins.class);
    private static final Set<HttpMethod> READS = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS);

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        ServerHttpRequest request = exchange.getRequest();
        if (!guarded(request) || allowed(request) || functionUrl(request)) {
            return chain.filter(exchange);
        }
        String origin = request.getHeaders().getOrigin();
        log.info("Refused {} {} from the web origin {}", request.getMethod(), request.getPath(), origin);
        return ApiErrorHandler.write(exchange, HttpStatus.FORBIDDEN,
                "pages on other web origins may not change anything here nor open the live stream",
                List.of(new FieldError(ORIGIN, origin == null ? "is another site (Sec-Fetch-Site: cross-site)"
                        : "is not this API's origin")));
    }

    /**
     * A function URL's: a page elsewhere calling one (a form posting to it) is what it is for, and it never acts as a
     * signed-in developer (it takes a key only from {@code Authorization}, which no page can make a browser send).
     */
    private static boolean functionUrl(ServerHttpRequest request) {
        return request.getPath().pathWithinApplication().value().startsWith(Paths.FUNCTION_URLS);
    }

    /** A request a page could send to change something or to listen: anything but a read, and WebSocket handshakes. */
    private static boolean guarded(ServerHttpRequest request) {
        return !READS.contains(request.getMethod())
                || "websocket".equalsIgnoreCase(request.getHeaders().getUpgrade());
    }

    private static boolean allowed(ServerHttpRequest request) {
        String origin = request.getHeaders().getOrigin();
        if (origin == null) {
            // a browser names the origin on these; older ones may only say the page is another site's
            return !"cross-site".equalsIgnoreCase(request.getHeaders().getFirst("Sec-Fetch-Site"));
        }
        return !CorsUtils.isCorsRequest(request);
    }
}
