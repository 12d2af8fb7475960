package dev.s3c.local;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.logging.LogbackMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The services of the local run share the JVM's one Logback context. Boot gives each service a {@link LogbackMetrics}
 * of its own, and each adds its own turbo filter to that context: every level check in the JVM (Kafka's, Netty's,
 * Spring's disabled debug messages) ran four filters, and each service counted every line of the JVM anyway. Here
 * one counter counts the JVM's lines into the registries of the services running, so each still exports
 * {@code logback_events_total} as before, counted by an appender rather than a filter.
 */
@Configuration(proxyBeanMethods = false)
class SharedLogbackMetrics {

    /** The registries of the services running; the one counter's counts fan out to each. */
    private static final CompositeMeterRegistry RUNNING = new CompositeMeterRegistry();

    /** Stands in for Boot's (it backs off when there is one): the service's registry joins the shared counters. */
    @Bean
    LogbackMetrics logbackMetrics() {
        // a context of its own: this one adds nothing to the shared context
        return new LogbackMetrics(Tags.empty(), new LoggerContext()) {

            private MeterRegistry joined;

            @Override
            public void bindTo(MeterRegistry registry) {
                countLines();
                joined = registry;
                RUNNING.add(registry);
            }

            @Override
            public void close() {
                if (joined != null) {
                    RUNNING.remove(joined);
                    joined = null;
                }
            }
        };
    }

    /** The one counter, once added. */
    private static LogEventCounter counter;

    /**
     * Puts the one counter on the shared context's root logger unless it is there: when Boot sets up logging again
     * for a service started after another stopped (tests do), it resets the context, which detaches it.
     */
    private static synchronized void countLines() {
        LoggerContext logback = (LoggerContext) LoggerFactory.getILoggerFactory();
        ch.qos.logback.classic.Logger root = logback.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        if (counter != null && root.isAttached(counter)) {
            return;
        }
        if (counter == null) {
            counter = new LogEventCounter(RUNNING);
        }
        counter.setContext(logback);
        counter.start();
        root.addAppender(counter);
    }

    /**
     * Counts the lines logged, by level, as Micrometer's {@link LogbackMetrics} does ({@code logback.events}), but as
     * an appender rather than a turbo filter: Logback asks every turbo filter at every level check in the JVM, also
     * the disabled ones (Netty's, Reactor's, Spring's debug checks on each request), which with the filter took 2% of
     * the gateway's event loops under load. An appender sees only the lines logged.
     */
    static final class LogEventCounter extends UnsynchronizedAppenderBase<ILoggingEvent> {

        private final Counter error;
        private final Counter warn;
        private final Counter info;
        private final Counter debug;
        private final Counter trace;

        LogEventCounter(MeterRegistry registry) {
            setName("s3c-log-event-counter");
            error = count(registry, "error");
            warn = count(registry, "warn");
            info = count(registry, "info");
            debug = count(registry, "debug");
            trace = count(registry, "trace");
        }

        private static Counter count(MeterRegistry registry, String level) {
            return Counter.builder("logback.events").tags("level", level)
                    .description("Number of log events that were enabled by the effective log level")
                    .baseUnit("events").register(registry);
        }

        @Override
        protected void append(ILoggingEvent event) {
            switch (event.getLevel().toInt()) {
                case Level.ERROR_INT -> error.increment();
                case Level.WARN_INT -> warn.increment();
                case Level.INFO_INT -> info.increment();
                case Level.DEBUG_INT -> debug.increment();
                default -> trace.increment();
            }
        }
    }
}
