package dev.s3c.local;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.ArrayList;
import java.util.List;

/**
 * The local run's console: warnings and errors, except warnings from loggers known to be harmless there (they stay
 * in the log file). Configured in {@code s3c-local-logback.xml}, one {@code <quiet>} element per logger name.
 */
public final class QuietConsoleFilter extends Filter<ILoggingEvent> {

    private final List<String> quiet = new ArrayList<>();

    /** Called by Logback for each {@code <quiet>} element: a logger name, its children included. */
    public void addQuiet(String loggerName) {
        quiet.add(loggerName.strip());
    }

    @Override
    public FilterReply decide(ILoggingEvent event) {
        if (!event.getLevel().isGreaterOrEqual(Level.WARN)) {
            return FilterReply.DENY;
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
}
