package dev.s3c.monitor;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.boot.convert.DurationStyle;

/**
 * How long stored data is kept. Durations as {@code 7d}, {@code 36h}, {@code 90m} or ISO-8601; a value that does not
 * parse stops start-up with the environment variable it comes from.
 *
 * @param executions {@code S3C_EXECUTION_RETENTION}: executions (and their timeline), from when they were requested
 * @param deadLetters {@code S3C_DEAD_LETTER_RETENTION}: dead letters not redriven or discarded before
 * @param scalingEvents {@code S3C_SCALING_EVENT_RETENTION}: scaling decisions, from when they were taken
 * @param sweepEvery how often the sweeper deletes what is past its retention
 */
@ConfigurationProperties("s3c.monitor.retention")
public record RetentionProperties(@DefaultValue("7d") String executions, @DefaultValue("30d") String deadLetters,
        @DefaultValue("30d") String scalingEvents, @DefaultValue("1m") String sweepEvery) {

    public RetentionProperties {
        parse("S3C_EXECUTION_RETENTION (s3c.monitor.retention.executions)", executions);
        parse("S3C_DEAD_LETTER_RETENTION (s3c.monitor.retention.dead-letters)", deadLetters);
        parse("S3C_SCALING_EVENT_RETENTION (s3c.monitor.retention.scaling-events)", scalingEvents);
        parse("s3c.monitor.retention.sweep-every", sweepEvery);
    }

    public Duration executionsFor() {
        return DurationStyle.detectAndParse(executions);
    }

    public Duration deadLettersFor() {
        return DurationStyle.detectAndParse(deadLetters);
    }

    public Duration scalingEventsFor() {
        return DurationStyle.detectAndParse(scalingEvents);
    }

    public Duration sweepInterval() {
        return DurationStyle.detectAndParse(sweepEvery);
    }

    private static void parse(String name, String value) {
        Duration parsed;
        try {
            parsed = DurationStyle.detectAndParse(value);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(name + " must be a duration such as 7d, 36h or 90m, not '" + value + "'");
        }
        if (parsed.isNegative() || parsed.isZero()) {
            throw new IllegalArgumentException(name + " must be longer than zero, not '" + value + "'");
        }
    }
}
