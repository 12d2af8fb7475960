package dev.s3c.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.URI;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import reactor.core.publisher.Mono;

class RequestLogTest {

    private static final String KEY = "s3c_the-key-never-logged";
    private final RequestLog filter = new RequestLog();
    private final Logger logger = (Logger) LoggerFactory.getLogger(RequestLog.LOGGER);
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();

    @BeforeEach
    void listen() {
        lines.start();
        logger.addAppender(lines);
        logger.setLevel(Level.DEBUG);
    }

    @AfterEach
    void stop() {
        logger.detachAppender(lines);
        logger.setLevel(null);
    }

    /**
     * A call by tenant acme, with its key and a query; the handler answers {@code status} with {@code location} (for
     * a function URL, the execution it names in its header).
     */
    private void call(String method, String path, HttpStatus status, String location) {
        var request = MockServerHttpRequest.method(org.springframework.http.HttpMethod.valueOf(method),
                URI.create("http://localhost:8080" + path + "?input=secret")).header(HttpHeaders.AUTHORIZATION,
                "Bearer " + KEY).body("{\"input\":\"secret\"}");
        // a function URL's caller presents no key to the platform: no principal
        var exchange = path.startsWith("/fn/") ? MockServerWebExchange.from(request)
                : MockServerWebExchange.builder(request).principal(() -> "acme").build();
        filter.filter(exchange, e -> {
            e.getResponse().setStatusCode(status);
            if (location != null && path.startsWith("/fn/")) {
                // a function URL's call is known by its function's tenant once the controller found it
                e.getAttributes().put(RequestLog.TENANT_ATTRIBUTE, "globex");
                e.getResponse().getHeaders().set(RequestLog.EXECUTION_HEADER, location);
            } else if (location != null) {
                e.getResponse().getHeaders().set(HttpHeaders.LOCATION, location);
            }
            return e.getResponse().setComplete();
        }).block();
    }

    @Test
    void eachCallIsOneLineWithItsTenantAndExecutionAndNeverItsKeyOrInput() {
        call("POST", "/api/functions/f1/execute", HttpStatus.ACCEPTED, "/api/executions/e-42");
        call("GET", "/api/executions/e-7", HttpStatus.NOT_FOUND, null);
        call("GET", "/console/app.js", HttpStatus.OK, null);

        assertThat(lines.list).hasSize(2);
        var accepted = lines.list.get(0);
        assertThat(accepted.getLevel()).isEqualTo(Level.DEBUG);
        assertThat(accepted.getFormattedMessage()).startsWith("POST /api/functions/f1/execute 202 ")
                .endsWith("tenant=acme execution=e-42");
        var refused = lines.list.get(1);
        assertThat(refused.getLevel()).as("refusals show at the default level").isEqualTo(Level.INFO);
        assertThat(refused.getFormattedMessage()).contains("GET /api/executions/e-7 404").endsWith("execution=e-7");
        assertThat(lines.list).allSatisfy(line -> assertThat(line.getFormattedMessage())
                .doesNotContain(KEY).doesNotContain("secret"));
    }

    @Test
    void aFunctionUrlsCallIsLoggedWithTheExecutionItMade() {
        call("POST", "/fn/65f0c0ffee0000000000beef/hook", HttpStatus.BAD_GATEWAY, "e-9");
        // the function's own answer of 404 (a path it does not serve) is its business, not a refusal
        call("GET", "/fn/65f0c0ffee0000000000beef/nothing", HttpStatus.NOT_FOUND, "e-10");
        // the platform's refusal, which names no execution, is one
        call("GET", "/fn/65f0c0ffee0000000000beef", HttpStatus.UNAUTHORIZED, null);

        assertThat(lines.list).hasSize(3);
        assertThat(lines.list.get(0).getLevel()).isEqualTo(Level.INFO);
        assertThat(lines.list.get(0).getFormattedMessage()).startsWith("POST /fn/65f0c0ffee0000000000beef/hook 502 ")
                .endsWith("tenant=globex execution=e-9").doesNotContain("secret");
        assertThat(lines.list.get(1).getLevel()).isEqualTo(Level.DEBUG);
        assertThat(lines.list.get(1).getFormattedMessage()).endsWith("execution=e-10");
        assertThat(lines.list.get(2).getLevel()).isEqualTo(Level.INFO);
        assertThat(lines.list.get(2).getFormattedMessage()).endsWith("tenant=- execution=-");
    }
}
