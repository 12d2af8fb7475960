package dev.s3c.gateway.functions;

import java.time.Duration;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.zone.ZoneOffsetTransition;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.scheduling.support.CronExpression;

/**
 * When a function runs by itself ({@code config.schedule}): a Unix cron expression (five fields, minute first),
 * Spring's six (seconds first), a macro ({@code @hourly}, {@code @daily}, …), or {@code @every 30s}: every interval,
 * counted from the epoch, so every gateway computes the same instants.
 *
 * <p>Cron expressions and macros are read in UTC, or in the time zone of a {@code CRON_TZ=Europe/Paris } (or
 * {@code TZ=}) prefix, as Go's robfig/cron reads it. Across a daylight saving change, a local time the clocks skip
 * does not fire that day (as in EventBridge Scheduler); in the hour they repeat, a schedule at fixed times fires
 * once, the first time, and one with a wildcard or step in its hour, minute or seconds goes on in real time (as
 * Vixie cron tells the two apart).
 */
public final class Schedule {

    static final int MAX_LENGTH = 100;
    /** Room for a {@code CRON_TZ=} prefix before the expression: the longest IANA names are about 30 characters. */
    static final int MAX_ZONE_PREFIX = 50;
    static final Duration MIN_EVERY = Duration.ofSeconds(1);
    static final Duration MAX_EVERY = Duration.ofDays(1);
    /** The zone of a schedule without one, named as users write it ({@code ZoneOffset.UTC} is named "Z"). */
    private static final ZoneId UTC = ZoneId.of("UTC");
    private static final java.util.regex.Pattern EVERY = java.util.regex.Pattern.compile("(?i)@every\\s+(.*)");
    /** A time zone prefix: the zone ends at white space or at the {@code @} of a macro written against it. */
    private static final java.util.regex.Pattern ZONE = java.util.regex.Pattern.compile(
            "(?:CRON_)?TZ=([^\\s@]*)\\s*(.*)",
            java.util.regex.Pattern.DOTALL | java.util.regex.Pattern.CASE_INSENSITIVE);

    private final String expression;
    private final CronExpression cron;
    private final Duration every;
    private final ZoneId zone;
    /** Whether it fires at fixed local times: then a time the clocks repeat fires only the first time. */
    private final boolean fixedTimes;

    private Schedule(String expression, CronExpression cron, Duration every, ZoneId zone, boolean fixedTimes) {
        this.expression = expression;
        this.cron = cron;
        this.every = every;
        this.zone = zone;
        this.fixedTimes = fixedTimes;
    }

    /**
     * @throws IllegalArgumentException with the reason, fit for a {@code config.schedule} field error
     */
    public static Schedule parse(String expression) {
        if (expression == null || expression.isBlank()) {
            throw new IllegalArgumentException("must not be blank");
        }
        if (expression.length() > MAX_LENGTH + MAX_ZONE_PREFIX) {
            throw tooLong();
        }
        String text = expression.strip();
        ZoneId zone = UTC;
        java.util.regex.Matcher zoned = ZONE.matcher(text);
        boolean hasZone = zoned.matches();
        if (hasZone) {
            zone = zone(zoned.group(1));
            text = zoned.group(2);
        }
        if (text.length() > MAX_LENGTH) {
            throw tooLong();
        }
        if (hasZone && text.isEmpty()) {
            throw new IllegalArgumentException("has a time zone but no schedule: put a cron expression or a macro "
                    + "after it, as in CRON_TZ=" + zone.getId() + " 0 9 * * *");
        }
        java.util.regex.Matcher every = EVERY.matcher(text);
        if (every.matches()) {
            if (hasZone) {
                throw new IllegalArgumentException("@every counts from the epoch, the same in every time zone: "
                        + "leave the time zone out");
            }
            return new Schedule(expression, null, every(every.group(1)), zone, false);
        }
        if (text.startsWith("@")) {
            try {
                String macro = text.toLowerCase(Locale.ROOT);
                return new Schedule(expression, CronExpression.parse(macro), null, zone, !macro.equals("@hourly"));
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
        if (cron.next(ZonedDateTime.now(zone)) == null) {
            String[] days = {fields[fields.length - 3], fields[fields.length - 1]};
            boolean both = !days[0].equals("*") && !days[0].equals("?") && !days[1].equals("*") && !days[1].equals("?");
            throw new IllegalArgumentException("never fires: no date matches " + text + (both ? " (a day must match "
                    + "both day fields: 13 * FRI is Friday the 13th)" : ""));
        }
        // the seconds (of six fields), minute and hour fields: a wildcard or step in any of them runs in real time
        boolean fixed = true;
        for (int i = 0; i < fields.length - 3; i++) {
            fixed &= !fields[i].contains("*") && !fields[i].contains("/");
        }
        return new Schedule(expression, cron, null, zone, fixed);
    }

    private static IllegalArgumentException tooLong() {
        return new IllegalArgumentException("must be at most " + MAX_LENGTH + " characters (and a CRON_TZ= prefix)");
    }

    /** A {@code CRON_TZ=} zone: an IANA name ({@code Europe/Paris}), {@code UTC}, or an offset ({@code +05:30}). */
    private static ZoneId zone(String id) {
        if (id.isEmpty()) {
            throw new IllegalArgumentException("needs a time zone after CRON_TZ= or TZ=, such as CRON_TZ=Europe/Paris");
        }
        try {
            return ZoneId.of(id);
        } catch (DateTimeException e) {
            // a name in the wrong case is the likely slip; the IANA list is long, so only that is suggested
            String known = ZoneId.getAvailableZoneIds().stream().filter(id::equalsIgnoreCase).findFirst()
                    .map(name -> " (did you mean " + name + "?)").orElse(" (an IANA name such as Europe/Paris or "
                            + "America/New_York, UTC, or an offset such as +05:30)");
            throw new IllegalArgumentException("has an unknown time zone: " + id + known);
        }
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

    /** The zone its cron expression is read in (UTC when none is given; for {@code @every}, always UTC). */
    public ZoneId zone() {
        return zone;
    }

    /**
     * The instants it fires at after {@code after} (not at it) and up to {@code upTo} (at it too), oldest first, at
     * most {@code max} of them (the oldest).
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
        ZonedDateTime at = cron.next(after.atZone(zone));
        while (at != null && !at.toInstant().isAfter(upTo) && ticks.size() < max) {
            if (!(fixedTimes && repeated(at))) {
                ticks.add(at.toInstant());
            }
            ZonedDateTime next = cron.next(at);
            // ticks passed over do not count towards max: the loop relies on each next being later
            at = next == null || next.isAfter(at) ? next : null;
        }
        return ticks;
    }

    /**
     * Whether {@code at} is the second time its local time comes, in the hour the clocks go back: it fired the first
     * time. (Spring's reading would fire a daily 02:30 twice that night; the hour skipped in spring it never fires,
     * in both readings.)
     */
    private boolean repeated(ZonedDateTime at) {
        ZoneOffsetTransition transition = zone.getRules().getTransition(at.toLocalDateTime());
        return transition != null && transition.isOverlap() && at.getOffset().equals(transition.getOffsetAfter());
    }
}
