package dev.s3c.local;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code %service} in the local run's log pattern: which part of the one JVM a line came from (gateway, executor,
 * monitor, scaler, kafka, store). Spring Boot's own application-name tag cannot tell: the four services share the
 * JVM's one Logback context, so every line carried the name of the service started last. Decided by the logger's
 * package for our code, else by the thread: Kafka clients' threads carry their client id ({@code s3c-gateway-…}),
 * each web server's threads its service's name (registered as the services start).
 */
public final class ServiceConverter extends ClassicConverter {

    static final String UNKNOWN = "-";
    private static final List<String> SERVICES = List.of("gateway", "executor", "monitor", "scaler");
    private static final Map<String, String> THREAD_PREFIXES = new ConcurrentHashMap<>();

    /** Threads whose name starts with {@code prefix} work for {@code service} (a web server's event loops, say). */
    static void register(String prefix, String service) {
        THREAD_PREFIXES.put(prefix, service);
    }

    @Override
    public String convert(ILoggingEvent event) {
        return serviceOf(event.getLoggerName(), event.getThreadName());
    }

    static String serviceOf(String logger, String thread) {
        if (logger != null && logger.startsWith("dev.s3c.")) {
            String part = logger.substring("dev.s3c.".length());
            for (String service : SERVICES) {
                if (part.startsWith(service + ".")) {
                    return service;
                }
            }
            if (part.startsWith("local.")) {
                return "local";
            }
        }
        if (thread == null) {
            return UNKNOWN;
        }
        for (String service : SERVICES) {
            if (thread.contains("s3c-" + service)) {
                return service;
            }
        }
        for (Map.Entry<String, String> entry : THREAD_PREFIXES.entrySet()) {
            if (thread.startsWith(entry.getKey())) {
                return entry.getValue();
            }
        }
        if (logger != null && (logger.startsWith("kafka.") || logger.startsWith("org.apache.kafka.")
                && !logger.startsWith("org.apache.kafka.clients.") && !logger.startsWith("org.apache.kafka.streams."))) {
            return "kafka";
        }
        if (logger != null && logger.startsWith("de.bwaldvogel.mongo.")) {
            return "store";
        }
        return UNKNOWN;
    }
}
