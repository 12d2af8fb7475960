package dev.s3c.local;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.logging.LogbackMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.util.List;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The services of the local run share the JVM's one Logback context. Boot gives each service a {@link LogbackMetrics}
 * of its own, and each adds its own turbo filter to that context: every level check in the JVM (Kafka's, Netty's,
 * Spring's disabled debug messages) ran four filters, and each service counted every line of the JVM anyway. Here
 * one filter counts the JVM's lines into the registries of the services running, so each still exports
 * {@code logback_events_total} as before.
 */
@Configuration(proxyBeanMethods = false)
class SharedLogbackMetrics {

    /** The registries of the services running; the one filter's counters fan out to each. */
    private static final CompositeMeterRegistry RUNNING = new CompositeMeterRegistry();

    /** Stands in for Boot's (it backs off when there is one): the service's registry joins the shared counters. */
    @Bean
    LogbackMetrics logbackMetrics() {
        // a context of its own: this one adds no filter, so it needs no listener on the shared context
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

    /** The one filter, once added. */
    private static TurboFilter counter;

    /**
     * Puts the one filter in the shared context unless it is there: when Boot sets up logging again for a service
     * started after another stopped (tests do), it stops the context, which removes the filter for good.
     */
    private static synchronized void countLines() {
        LoggerContext logback = (LoggerContext) LoggerFactory.getILoggerFactory();
        if (counter != null && logback.getTurboFilterList().contains(counter)) {
            return;
        }
        List<TurboFilter> before = List.copyOf(logback.getTurboFilterList());
        new LogbackMetrics(Tags.empty(), logback).bindTo(RUNNING);
        counter = logback.getTurboFilterList().stream().filter(filter -> !before.contains(filter)).findFirst()
                .orElse(null);
    }
}
