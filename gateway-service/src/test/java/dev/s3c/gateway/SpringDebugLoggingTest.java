package dev.s3c.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.apache.commons.logging.impl.Log4jApiLogFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.core.log.LogMessage;
import org.springframework.security.web.server.util.matcher.OrServerWebExchangeMatcher;

/**
 * Spring logs through commons-logging with messages rendered on demand ({@link LogMessage}); a disabled level must not
 * render them. Spring Security's matchers log one per request and matcher at debug: with commons-logging's own route to
 * SLF4J each was formatted and thrown away (14% of what the gateway's event loops allocated for an echo call).
 */
class SpringDebugLoggingTest {

    private final Logger logback = (Logger) LoggerFactory.getLogger(OrServerWebExchangeMatcher.class);
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();

    @BeforeEach
    void listen() {
        lines.start();
        logback.addAppender(lines);
    }

    @AfterEach
    void stopListening() {
        logback.detachAppender(lines);
    }

    @Test
    void aDisabledLevelDoesNotRenderTheMessageAndAnEnabledOneReachesLogbackUnderItsLogger() {
        // the route the services file chooses: if it could not be loaded, commons-logging silently falls back to the
        // rendering one
        assertThat(LogFactory.getFactory()).isInstanceOf(Log4jApiLogFactory.class);
        Log log = LogFactory.getLog(OrServerWebExchangeMatcher.class);
        AtomicInteger rendered = new AtomicInteger();

        assertThat(log.isDebugEnabled()).isFalse();
        log.debug(LogMessage.of(() -> "debug " + rendered.incrementAndGet()));
        log.trace(LogMessage.of(() -> "trace " + rendered.incrementAndGet()));
        assertThat(rendered).hasValue(0);
        assertThat(lines.list).isEmpty();

        log.info(LogMessage.of(() -> "info " + rendered.incrementAndGet()));
        assertThat(rendered).hasValue(1);
        assertThat(lines.list).singleElement().satisfies(line -> {
            assertThat(line.getFormattedMessage()).isEqualTo("info 1");
            assertThat(line.getLoggerName()).isEqualTo(OrServerWebExchangeMatcher.class.getName());
        });
    }
}
