package dev.s3c.gateway.functions;

import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.api.JsonBodies;
import io.swagger.v3.oas.annotations.Parameter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /api/schedules/next}: when a schedule would fire, before it is saved, as EventBridge's console lists a
 * cron expression's next dates. The console's function editor shows it while the schedule is typed, and a bad one's
 * reason before anything is sent.
 */
@io.swagger.v3.oas.annotations.tags.Tag(name = "Functions")
@RestController
class ScheduleController {

    static final int MAX_COUNT = 20;
    /** Far enough for the rarest date a schedule takes (Friday the 29th of February comes every 28 years). */
    private static final Duration HORIZON = Duration.ofDays(100 * 366);

    private final Clock clock;

    @Autowired
    ScheduleController() {
        this(Clock.systemUTC());
    }

    ScheduleController(Clock clock) {
        this.clock = clock;
    }

    /**
     * @param next the instants it fires at, soonest first (in UTC: what a tick's {@code time} says)
     * @param local the same on the clocks of the schedule's zone, with their offset
     */
    record Next(String schedule, String timeZone, List<Instant> next, List<String> local) {
    }

    /** Up to {@code count} runs within the horizon (fewer when it fires more rarely). */
    @GetMapping("/api/schedules/next")
    Next next(@RequestParam(required = false) @Parameter(required = true, description = "a schedule as "
            + "config.schedule takes it: */5 * * * *, @hourly, @every 30s, CRON_TZ=Europe/Paris 0 9 * * MON-FRI")
            String schedule,
            @RequestParam(defaultValue = "5") @Parameter(description = "how many, 1 to " + MAX_COUNT) String count) {
        int wanted = JsonBodies.boundedInt("count", count, 1, MAX_COUNT);
        if (schedule == null || schedule.isBlank()) {
            throw ApiException.badRequest("schedule", "is required: a cron expression, a macro such as @hourly, or "
                    + "@every with an interval");
        }
        Schedule parsed;
        try {
            parsed = Schedule.parse(schedule);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("schedule", e.getMessage());
        }
        Instant now = clock.instant();
        List<Instant> next = parsed.between(now, now.plus(HORIZON), wanted);
        List<String> local = next.stream()
                .map(at -> DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(at.atZone(parsed.zone()))).toList();
        return new Next(parsed.expression().strip(), parsed.zone().getId(), next, local);
    }
}
