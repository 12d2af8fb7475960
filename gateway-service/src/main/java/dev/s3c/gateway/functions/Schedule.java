package dev.s3c.gateway.functions;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.scheduling.support.CronExpression;

/**
 * When a function runs by itself ({@code config.schedule}), in UTC: a Unix cron expression (five fields, minute
 * first), Spring's six (seconds first), a macro ({@code @hourly}, {@code @daily}, …), or {@code @every 30s}: every
 * interval, counted from the epoch, so every gateway computes the same instants.
 */
public final class Schedule {

    static final int MAX_LENGTH = 100;
    static final Duration MIN_EVERY = Duration.ofSeconds(1);
    static final Duration MAX_EVERY = Duration.ofDays(1);
    private static final java.util.regex.Pattern EVERY = java.util.regex.Pattern.compile("(?i)@every\\s+(.*)");

    private final String expression;
    private final CronExpression cron;
    private final Duration every;

    private Schedule(String expression, CronExpression cron, Duration every) {
        this.expression = expression;
        this.cron = cron;
        this.every = every;
    }

    /**
     * @throws IllegalArgumentException with the reason, fit for a {@code config.schedule} field error
     */
    public static Schedule parse(String expression) {
        if (expression == null || expression.isBlank()) {
            throw new IllegalArgumentException("must not be blank");
        }
        if (expression.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("must be at most " + MAX_LENGTH + " characters");
        }
        String text = expression.strip();
        java.util.regex.Matcher every = EVERY.matcher(text);
        if (every.matches()) {
            return new Schedule(expression, null, every(every.group(1)));
        }
        if (text.startsWith("@")) {
            try {
                return new Schedule(expression, CronExpression.parse(text.toLowerCase(Locale.ROOT)), null);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("is not a schedule: " + text + " (macros are @yearly or "
                        + "@annually, @monthly, @weekly, @daily or @midnight, @hourly, and @every <interval>)");
            }
        }
        String[] fields = text.split("\\s+");
        if (fields.length != 5 && fields.length != 6) {
            throw new IllegalArgumentException("must be a cron expression of 5 fields (minute hour day-of-month "
                    + "month day-of-week), 6 with seconds first, a macro such as @hourly, or @every 30s; had "
                    + fields.length + " fields");
        }
        CronExpression cron;
        try {
            // Unix cron has no seconds: it fires at second 0
            cron = CronExpression.parse(fields.length == 5 ? "0 " + text : text);
        } catch (IllegalArgumentException e) {
            // the field's own message, without the expression as rewritten here
            throw new IllegalArgumentException("is not a cron expression: " + (e.getCause() != null
                    ? e.getCause().getMessage() : e.getMessage()));
        }
        if (cron.next(ZonedDateTime.now(ZoneOffset.UTC)) == null) {
            String[] days = {fields[fields.length - 3], fields[fields.length - 1]};
            boolean both = !days[0].equals("*") && !days[0].equals("?") && !days[1].equals("*") && !days[1].equals("?");
            throw new IllegalArgumentException("never fires: no date matches " + text + (both ? " (a day must match "
                    + "both day fields: 13 * FRI is Friday the 13th)" : ""));
        }
        return new Schedule(expression, cron, null);
    }

    private static Duration every(String interval) {
        Duration every;
        try {
            every = DurationStyle.detectAndParse(interval, ChronoUnit.SECONDS);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("@every takes an interval such as 30s, 5m or 1h; not '" + interval
                    + "'");
        }
        if (every.compareTo(MIN_EVERY) < 0 || every.compareTo(MAX_EVERY) > 0 || every.getNano() != 0) {
            throw new IllegalArgumentException("@every takes whole seconds from 1s to 24h (use a cron expression "
                    + "for longer); was " + interval);
        }
        return every;
    }

    /** As it was given. */
    public String expression() {
        return expression;
    }

    /**
     * The instants it fires at after {@code after} and up to {@code upTo} (both in), oldest first, at most
     * {@code max} of them (the oldest).
     */
    public List<Instant> between(Instant after, Instant upTo, int max) {
        List<Instant> ticks = new ArrayList<>();
        if (every != null) {
            long step = every.toMillis();
            long next = Math.floorDiv(after.toEpochMilli(), step) * step + step;
            for (long at = next; at <= upTo.toEpochMilli() && ticks.size() < max; at += step) {
                ticks.add(Instant.ofEpochMilli(at));
            }
            return ticks;
        }
        ZonedDateTime at = cron.next(after.atZone(ZoneOffset.UTC));
        while (at != null && !at.toInstant().isAfter(upTo) && ticks.size() < max) {
            ticks.add(at.toInstant());
            at = cron.next(at);
        }
        return ticks;
    }
}
