package dev.s3c.local;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.ArrayList;
import java.util.List;

/**
 * The local run's console: warnings and errors, except warnings from loggers known to be harmless there, and
 * warnings or errors that say Kafka retries something by itself (they stay in the log file). Configured in
 * {@code s3c-local-logback.xml}, one {@code <quiet>} element per logger name, one {@code <retried>} per text.
 */
public final class QuietConsoleFilter extends Filter<ILoggingEvent> {

    private final List<String> quiet = new ArrayList<>();
    private final List<String> retried = new ArrayList<>();

    /** Called by Logback for each {@code <quiet>} element: a logger name, its children included. */
    public void addQuiet(String loggerName) {
        quiet.add(loggerName.strip());
    }

    /**
     * Called by Logback for each {@code <retried>} element: text in a message, or in the message of the exception
     * logged with it, that names a condition retried by the code that logs it.
     */
    public void addRetried(String text) {
        // an empty text would match every message
        if (!text.isBlank()) {
            retried.add(text.strip());
        }
    }

    @Override
    public FilterReply decide(ILoggingEvent event) {
        if (!event.getLevel().isGreaterOrEqual(Level.WARN)) {
            return FilterReply.DENY;
        }
        for (String r : retried) {
            if (contains(event, r)) {
                return FilterReply.DENY;
            }
        }
        if (event.getLevel().isGreaterOrEqual(Level.ERROR)) {
            return FilterReply.NEUTRAL;
        }
        String name = event.getLoggerName();
        for (String q : quiet) {
            if (name.equals(q) || name.startsWith(q + ".")) {
                return FilterReply.DENY;
            }
        }
        return FilterReply.NEUTRAL;
    }

    private static boolean contains(ILoggingEvent event, String text) {
        if (event.getFormattedMessage() != null && event.getFormattedMessage().contains(text)) {
            return true;
        }
        IThrowableProxy thrown = event.getThrowableProxy();
        return thrown != null && thrown.getMessage() != null && thrown.getMessage().contains(text);
    }
}
