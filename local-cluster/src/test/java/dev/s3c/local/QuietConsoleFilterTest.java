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
        filter.addRetried("Error: OUT_OF_ORDER_SEQUENCE_NUMBER");
        filter.addRetried("Error: CONCURRENT_TRANSACTIONS");
        filter.addRetried("for transactions v2 idempotent producer with no existing state");
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

    @Test
    void whatKafkaRetriesByItselfStaysOffTheConsoleInTheMessageOrInTheExceptionLoggedWithIt() {
        assertThat(filter.decide(event("org.apache.kafka.clients.producer.internals.Sender", Level.WARN,
                "Got error produce response with correlation id 46 on topic-partition s3c.invocation-results-1, "
                        + "retrying (2147483646 attempts left). Error: OUT_OF_ORDER_SEQUENCE_NUMBER", null)))
                .isEqualTo(FilterReply.DENY);
        assertThat(filter.decide(event("org.apache.kafka.clients.producer.internals.Sender", Level.WARN,
                "Got error produce response with correlation id 279 on topic-partition s3c-scaler-traffic-repartition-0, "
                        + "retrying (2147483646 attempts left). Error: CONCURRENT_TRANSACTIONS", null)))
                .isEqualTo(FilterReply.DENY);
        assertThat(filter.decide(event("kafka.server.ReplicaManager", Level.ERROR,
                "[ReplicaManager broker=1] Error processing append operation on partition s3c.invocation-results-1",
                new IllegalStateException("Invalid sequence number for producer 5 at offset 5 in partition "
                        + "s3c.invocation-results-1: 1 (incoming seq. number). Expected sequence 0 for transactions v2 "
                        + "idempotent producer with no existing state."))))
                .isEqualTo(FilterReply.DENY);
        // the same logger's other errors still show
        assertThat(filter.decide(event("kafka.server.ReplicaManager", Level.ERROR,
                "[ReplicaManager broker=1] Error processing append operation on partition s3c.invocation-results-1",
                new IllegalStateException("Out of order sequence number for producer 5: 9 (incoming seq. number), "
                        + "7 (current end sequence number)"))))
                .isEqualTo(FilterReply.NEUTRAL);
    }

    private LoggingEvent event(String logger, Level level, String message, Throwable thrown) {
        return new LoggingEvent(getClass().getName(), context.getLogger(logger), level, message, thrown, null);
    }

    private LoggingEvent event(String logger, Level level) {
        return new LoggingEvent(getClass().getName(), context.getLogger(logger), level, "message", null, null);
    }
}
