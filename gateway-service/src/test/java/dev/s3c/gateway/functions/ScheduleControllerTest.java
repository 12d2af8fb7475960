package dev.s3c.gateway.functions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.api.FieldError;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;

class ScheduleControllerTest {

    /** A Monday. */
    private final ScheduleController controller = new ScheduleController(
            Clock.fixed(Instant.parse("2026-12-07T14:00:10Z"), ZoneOffset.UTC));

    @Test
    void listsTheNextRunsInUtcAndOnTheZonesClocks() {
        ScheduleController.Next next = controller.next(" CRON_TZ=Europe/Paris 0 9 * * MON-FRI ", "3");
        assertThat(next.schedule()).isEqualTo("CRON_TZ=Europe/Paris 0 9 * * MON-FRI");
        assertThat(next.timeZone()).isEqualTo("Europe/Paris");
        assertThat(next.next()).containsExactly(Instant.parse("2026-12-08T08:00:00Z"),
                Instant.parse("2026-12-09T08:00:00Z"), Instant.parse("2026-12-10T08:00:00Z"));
        assertThat(next.local()).containsExactly("2026-12-08T09:00:00+01:00", "2026-12-09T09:00:00+01:00",
                "2026-12-10T09:00:00+01:00");
        ScheduleController.Next every = controller.next("@every 30s", "5");
        assertThat(every.timeZone()).isEqualTo("UTC");
        assertThat(every.local()).hasSize(5).first().isEqualTo("2026-12-07T14:00:30Z");
        // a date years away is still found, and a rare one as often as it comes
        assertThat(controller.next("0 0 29 2 *", "1").next()).containsExactly(Instant.parse("2028-02-29T00:00:00Z"));
        assertThat(controller.next("0 0 29 2 MON", "20").next()).hasSizeBetween(1, 5)
                .allSatisfy(at -> assertThat(at.toString()).contains("-02-29T00:00:00Z"));
    }

    @Test
    void aBadScheduleOrCountIsA400NamingIt() {
        assertRefused(() -> controller.next("CRON_TZ=europe/paris 0 9 * * *", "5"), "schedule",
                "has an unknown time zone: europe/paris (did you mean Europe/Paris?)");
        assertRefused(() -> controller.next("0 0 31 2 *", "5"), "schedule", "never fires");
        assertRefused(() -> controller.next(null, "5"), "schedule", "is required");
        assertRefused(() -> controller.next(" ", "5"), "schedule", "is required");
        assertRefused(() -> controller.next("@hourly", "0"), "count", "between 1 and 20");
        assertRefused(() -> controller.next("@hourly", "many"), "count", "between 1 and 20");
    }

    private static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String field,
            String reason) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).isEqualTo(HttpStatus.BAD_REQUEST);
            assertThat(e.errors()).extracting(FieldError::field).containsExactly(field);
            assertThat(e.errors().getFirst().reason()).contains(reason);
        });
    }
}
