package dev.s3c.gateway.api;

import java.security.Principal;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * One line per API call on the {@value #LOGGER} logger: method, path (never the query), status, time, the caller's
 * tenant and the execution the call made or named. Never a key, a body or an input. Refusals and failures (4xx,
 * 5xx) at INFO; everything at DEBUG, off by default, since at thousands of calls a second it is most of the log.
 * Calls refused for their key are logged where they are refused, before a tenant is known.
 */
@Component
@Order(ContextHold.ORDER - 1)
public class RequestLog extends NamedWebFilter {

    static final String LOGGER = "s3c.requests";
    /**
     * The exchange attribute naming the tenant a call without a key runs for (a function URL's: its function's
     * tenant), for the line's {@code tenant=}.
     */
    public static final String TENANT_ATTRIBUTE = RequestLog.class.getName() + ".tenant";
    /** What a function URL's answer names its execution by. */
    public static final String EXECUTION_HEADER = "X-S3C-Execution-Id";
    private static final Logger log = LoggerFactory.getLogger(LOGGER);
    private static final Pattern EXECUTION = Pattern.compile("/api/(?:executions|dead-letters)/([^/]+)");

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        if (!(path.startsWith(Paths.API) || path.startsWith(Paths.FUNCTION_URLS)) || !log.isInfoEnabled()) {
            return chain.filter(exchange);
        }
        long started = System.nanoTime();
        return exchange.getPrincipal().map(Principal::getName).defaultIfEmpty("-")
                .flatMap(tenant -> chain.filter(exchange).doFinally(signal -> {
                    ServerHttpResponse response = exchange.getResponse();
                    int status = response.getStatusCode() == null ? 200 : response.getStatusCode().value();
                    // a function URL's own answers (its 404 for a path it does not serve) are the function's
                    // business, not refusals of the platform; its failed runs (502, 504) are
                    boolean failed = status >= 400 && !(status < 500 && path.startsWith(Paths.FUNCTION_URLS)
                            && response.getHeaders().containsHeader(EXECUTION_HEADER));
                    if (failed || log.isDebugEnabled()) {
                        String line = "{} {} {} {}ms tenant={} execution={}";
                        Object[] args = {exchange.getRequest().getMethod(), path, status,
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
                            "-".equals(tenant) ? exchange.getAttributeOrDefault(TENANT_ATTRIBUTE, tenant) : tenant,
                            execution(path, response.getHeaders())};
                        if (failed) {
                            log.info(line, args);
                        } else {
                            log.debug(line, args);
                        }
                    }
                }));
    }

    /**
     * The execution a call made (its answer's Location or Content-Location, or for a function URL its
     * {@value #EXECUTION_HEADER}) or named in its path; "-" for none.
     */
    static String execution(String path, HttpHeaders answer) {
        String made = answer.getFirst(EXECUTION_HEADER);
        if (made != null) {
            return made;
        }
        for (String header : new String[] {HttpHeaders.LOCATION, HttpHeaders.CONTENT_LOCATION}) {
            String value = answer.getFirst(header);
            Matcher m = value == null ? null : EXECUTION.matcher(value);
            if (m != null && m.find()) {
                return m.group(1);
            }
        }
        Matcher m = EXECUTION.matcher(path);
        return m.find() ? m.group(1) : "-";
    }
}
