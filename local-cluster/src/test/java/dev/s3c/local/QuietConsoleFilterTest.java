package dev.s3c.local;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.spi.FilterReply;
import org.junit.jupiter.api.Test;

class QuietConsoleFilterTest {

    private final LoggerContext context = new LoggerContext();
    private final QuietConsoleFilter filter = new QuietConsoleFilter();

    QuietConsoleFilterTest() {
        filter.addQuiet("org.apache.kafka.clients.NetworkClient");
    }

    @Test
    void theConsoleShowsWarningsAndErrorsOnly() {
        assertThat(filter.decide(event("dev.s3c.gateway.X", Level.INFO))).isEqualTo(FilterReply.DENY);
        assertThat(filter.decide(event("dev.s3c.gateway.X", Level.WARN))).isEqualTo(FilterReply.NEUTRAL);
        assertThat(filter.decide(event("dev.s3c.gateway.X", Level.ERROR))).isEqualTo(FilterReply.NEUTRAL);
    }

    @Test
    void aQuietLoggersWarningsStayOffTheConsoleButNotItsErrors() {
        assertThat(filter.decide(event("org.apache.kafka.clients.NetworkClient", Level.WARN))).isEqualTo(FilterReply.DENY);
        assertThat(filter.decide(event("org.apache.kafka.clients.NetworkClient.Inner", Level.WARN)))
                .isEqualTo(FilterReply.DENY);
        assertThat(filter.decide(event("org.apache.kafka.clients.NetworkClientOther", Level.WARN)))
                .isEqualTo(FilterReply.NEUTRAL);
        assertThat(filter.decide(event("org.apache.kafka.clients.NetworkClient", Level.ERROR)))
                .isEqualTo(FilterReply.NEUTRAL);
    }

    private LoggingEvent event(String logger, Level level) {
        return new LoggingEvent(getClass().getName(), context.getLogger(logger), level, "message", null, null);
    }
}
