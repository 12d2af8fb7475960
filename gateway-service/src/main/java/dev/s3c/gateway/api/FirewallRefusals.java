package dev.s3c.gateway.api;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.http.HttpStatus;
import org.springframework.security.web.server.firewall.ServerExchangeRejectedException;
import org.springframework.security.web.server.firewall.ServerExchangeRejectedHandler;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * A request the firewall refuses (a header or query parameter with control characters, a path that is not
 * normalized, an unknown method) gets the API's JSON error naming what was refused, instead of a bare 400. The
 * refused value is not repeated (it may be a key), nor logged. The firewall checks a header when it is first read:
 * in the security chain (here) or later, in routing or a handler's arguments ({@link ApiErrorHandler}).
 */
public final class FirewallRefusals implements ServerExchangeRejectedHandler {

    /** The firewall's messages name the header or parameter in quotes (a value's message adds a space). */
    private static final Pattern NAMED = Pattern.compile("the (header|parameter)(?: name)?:? \"([^\"]*?) ?\"");

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, ServerExchangeRejectedException rejected) {
        FieldError error = errorOf(String.valueOf(rejected.getMessage()));
        return ApiErrorHandler.write(exchange, HttpStatus.BAD_REQUEST, message(error), List.of(error));
    }

    static String message(FieldError error) {
        return "the request was refused: " + error.field() + " " + error.reason();
    }

    static FieldError errorOf(String message) {
        Matcher named = NAMED.matcher(message);
        if (named.find()) {
            return new FieldError(named.group(2), (named.group(1).equals("header") ? "header" : "query parameter")
                    + (message.contains("has a value") ? " value" : " name")
                    + " holds a control or unassigned character");
        }
        if (message.contains("HTTP method")) {
            return new FieldError("method", "is not an HTTP method this API serves");
        }
        if (message.contains("URL")) {
            return new FieldError("path", "is not normalized or holds an encoded character that is not allowed");
        }
        return new FieldError("request", "was refused by the firewall");
    }
}
