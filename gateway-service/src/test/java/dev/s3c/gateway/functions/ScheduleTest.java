package dev.s3c.gateway.functions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class ScheduleTest {

    private static final Instant T = Instant.parse("2026-12-07T11:58:20Z");

    @Test
    void aUnixCronExpressionFiresAtSecondZeroInUtc() {
        assertThat(Schedule.parse("*/15 * * * *").between(T, T.plusSeconds(3600), 10)).containsExactly(
                Instant.parse("2026-12-07T12:00:00Z"), Instant.parse("2026-12-07T12:15:00Z"),
                Instant.parse("2026-12-07T12:30:00Z"), Instant.parse("2026-12-07T12:45:00Z"));
        // 9 o'clock on weekdays: the 7th of December 2026 is a Monday
        assertThat(Schedule.parse("0 9 * * MON-FRI").between(T, T.plusSeconds(7 * 86_400), 10)).hasSize(5)
                .startsWith(Instant.parse("2026-12-08T09:00:00Z"))
                .endsWith(Instant.parse("2026-12-14T09:00:00Z"));
    }

    @Test
    void sixFieldsHaveSecondsFirst() {
        assertThat(Schedule.parse("*/20 * * * * *").between(T, T.plusSeconds(60), 10)).containsExactly(
                Instant.parse("2026-12-07T11:58:40Z"), Instant.parse("2026-12-07T11:59:00Z"),
                Instant.parse("2026-12-07T11:59:20Z"));
    }

    @Test
    void macrosAreRead() {
        assertThat(Schedule.parse("@hourly").between(T, T.plusSeconds(7200), 10)).containsExactly(
                Instant.parse("2026-12-07T12:00:00Z"), Instant.parse("2026-12-07T13:00:00Z"));
        assertThat(Schedule.parse("@DAILY").between(T, T.plusSeconds(86_400), 10)).containsExactly(
                Instant.parse("2026-12-08T00:00:00Z"));
    }

    @Test
    void everyCountsFromTheEpochSoEveryGatewayFindsTheSameTicks() {
        Schedule every = Schedule.parse("@every 45s");
        // the multiples of 45 s since the epoch, whenever the gateway looks
        assertThat(every.between(T, T.plusSeconds(90), 10)).allSatisfy(
                tick -> assertThat(tick.getEpochSecond() % 45).isZero()).hasSize(2);
        assertThat(every.between(T.plusMillis(1), T.plusSeconds(90), 10))
                .isEqualTo(every.between(T.plusMillis(700), T.plusSeconds(90), 10));
        assertThat(Schedule.parse("@every 1m").between(T, T.plusSeconds(99), 10)).containsExactly(
                Instant.parse("2026-12-07T11:59:00Z"));
    }

    @Test
    void theBoundsAreKeptAndAtMostMaxAreGiven() {
        Schedule second = Schedule.parse("@every 1s");
        // after is out, upTo is in
        assertThat(second.between(T, T.plusSeconds(3), 10)).containsExactly(T.plusSeconds(1), T.plusSeconds(2),
                T.plusSeconds(3));
        assertThat(second.between(T, T.plusSeconds(3600), 5)).hasSize(5).endsWith(T.plusSeconds(5));
        assertThat(Schedule.parse("* * * * * *").between(T, T.plusSeconds(3600), 5)).hasSize(5)
                .endsWith(T.plusSeconds(5));
        assertThat(second.between(T, T, 10)).isEmpty();
    }

    @Test
    void whatIsNotAScheduleIsToldWhy() {
        assertThatThrownBy(() -> Schedule.parse("* * *")).hasMessageContaining("5 fields").hasMessageContaining("had 3");
        assertThatThrownBy(() -> Schedule.parse("61 * * * *")).hasMessageStartingWith("is not a cron expression");
        assertThatThrownBy(() -> Schedule.parse("@every soon")).hasMessageContaining("30s, 5m or 1h");
        assertThatThrownBy(() -> Schedule.parse("@every 1500ms")).hasMessageContaining("whole seconds");
        assertThatThrownBy(() -> Schedule.parse("@every 25h")).hasMessageContaining("to 24h");
        assertThatThrownBy(() -> Schedule.parse("@fortnightly")).hasMessageContaining("macros are");
        assertThatThrownBy(() -> Schedule.parse("* * * * * ".repeat(20))).hasMessageContaining("at most 100");
        // the field's message, without the seconds this class puts before a five-field expression
        assertThatThrownBy(() -> Schedule.parse("0 0 1-40 * *")).hasMessage(
                "is not a cron expression: Invalid value for DayOfMonth (valid values 1 - 28/31): 40 '1-40'");
        assertThatThrownBy(() -> Schedule.parse("0 0 30 2 *")).hasMessageStartingWith("never fires");
        assertThatThrownBy(() -> Schedule.parse("0 0 31 4 *")).hasMessageStartingWith("never fires");
    }

    @Test
    void bothDayFieldsMustMatchAndCronsSpecialsWork() {
        // Friday the 13th, not every Friday and every 13th
        assertThat(Schedule.parse("0 0 13 * FRI").between(T, T.plusSeconds(400 * 86_400L), 3))
                .containsExactly(Instant.parse("2027-08-13T00:00:00Z"));
        assertThat(Schedule.parse("0 0 0 L * ?").between(T, T.plusSeconds(60 * 86_400L), 3))
                .containsExactly(Instant.parse("2026-12-31T00:00:00Z"), Instant.parse("2027-01-31T00:00:00Z"));
        assertThat(Schedule.parse("0 0 29 2 *").between(T, T.plusSeconds(3 * 366 * 86_400L), 3))
                .containsExactly(Instant.parse("2028-02-29T00:00:00Z"));
        assertThat(Schedule.parse("@annually").between(T, T.plusSeconds(60 * 86_400L), 3))
                .containsExactly(Instant.parse("2027-01-01T00:00:00Z"));
        // an interval as Boot reads durations, also after a tab
        assertThat(Schedule.parse("@every\tPT2M").between(T, T.plusSeconds(300), 3))
                .containsExactly(Instant.parse("2026-12-07T12:00:00Z"), Instant.parse("2026-12-07T12:02:00Z"));
        assertThat(Schedule.parse("@every 1d").between(T, T.plusSeconds(86_400), 3))
                .containsExactly(Instant.parse("2026-12-08T00:00:00Z"));
    }

    @Test
    void aTimeZonePrefixReadsTheExpressionOnThatZonesClocks() {
        // 9 o'clock in Paris is 08:00Z in winter, 07:00Z in summer
        assertThat(Schedule.parse("CRON_TZ=Europe/Paris 0 9 * * *").between(T, T.plusSeconds(86_400), 3))
                .containsExactly(Instant.parse("2026-12-08T08:00:00Z"));
        Instant june = Instant.parse("2027-06-01T00:00:00Z");
        assertThat(Schedule.parse("TZ=Europe/Paris 0 9 * * *").between(june, june.plusSeconds(86_400), 3))
                .containsExactly(Instant.parse("2027-06-01T07:00:00Z"));
        // macros, six fields, a fixed offset, and the prefix in any case
        assertThat(Schedule.parse("CRON_TZ=America/New_York @daily").between(T, T.plusSeconds(86_400), 3))
                .containsExactly(Instant.parse("2026-12-08T05:00:00Z"));
        assertThat(Schedule.parse("cron_tz=+05:30 30 0 12 * * *").between(T, T.plusSeconds(86_400), 3))
                .containsExactly(Instant.parse("2026-12-08T06:30:30Z"));
        assertThat(Schedule.parse("CRON_TZ=UTC 0 9 * * *").between(T, T.plusSeconds(86_400), 3))
                .containsExactly(Instant.parse("2026-12-08T09:00:00Z"));
        // a macro right after the zone, white space of any kind after it, a macro in capitals
        for (String utc : new String[] {"TZ=UTC@daily", "CRON_TZ=UTC \t 0 0 * * *", "CRON_TZ=UTC @DAILY"}) {
            assertThat(Schedule.parse(utc).between(T, T.plusSeconds(86_400), 3)).as(utc)
                    .containsExactly(Instant.parse("2026-12-08T00:00:00Z"));
        }
        // the prefix has room of its own beside the expression's 100 characters
        String longest = "CRON_TZ=America/Argentina/ComodRivadavia 0 " + "0,".repeat(28) + "9 * * *";
        assertThat(Schedule.parse(longest).expression()).hasSizeGreaterThan(Schedule.MAX_LENGTH);
        // it is kept as given
        assertThat(Schedule.parse("CRON_TZ=Europe/Paris 0 9 * * *").expression())
                .isEqualTo("CRON_TZ=Europe/Paris 0 9 * * *");
    }

    @Test
    void acrossDaylightSavingChangesASkippedTimeDoesNotFireAndARepeatedOneFiresOnce() {
        // Paris, 28 March 2027: 02:00 CET becomes 03:00 CEST, so 02:30 does not exist that day
        Instant spring = Instant.parse("2027-03-27T00:00:00Z");
        assertThat(Schedule.parse("CRON_TZ=Europe/Paris 30 2 * * *").between(spring, spring.plusSeconds(3 * 86_400L),
                5)).containsExactly(Instant.parse("2027-03-27T01:30:00Z"), Instant.parse("2027-03-29T00:30:00Z"));
        // 31 October 2027: 03:00 CEST becomes 02:00 CET, so 02:30 comes twice; it fires the first time only
        Instant autumn = Instant.parse("2027-10-30T00:00:00Z");
        assertThat(Schedule.parse("CRON_TZ=Europe/Paris 30 2 * * *").between(autumn, autumn.plusSeconds(3 * 86_400L),
                5)).containsExactly(Instant.parse("2027-10-30T00:30:00Z"), Instant.parse("2027-10-31T00:30:00Z"),
                        Instant.parse("2027-11-01T01:30:00Z"));
        // fixed times in the repeated hour fire the first time round; those passed over do not count towards max
        Instant night = Instant.parse("2027-10-30T23:00:00Z");
        assertThat(Schedule.parse("CRON_TZ=Europe/Paris 0,30 2 * * *").between(night, night.plusSeconds(26 * 3600L),
                3)).containsExactly(Instant.parse("2027-10-31T00:00:00Z"), Instant.parse("2027-10-31T00:30:00Z"),
                        Instant.parse("2027-11-01T01:00:00Z"));
        // a step or wildcard in the minute or hour goes on in real time through that hour, as in Vixie cron
        assertThat(Schedule.parse("CRON_TZ=Europe/Paris */30 * * * *").between(night, night.plusSeconds(3 * 3600L),
                10)).containsExactly(Instant.parse("2027-10-30T23:30:00Z"), Instant.parse("2027-10-31T00:00:00Z"),
                        Instant.parse("2027-10-31T00:30:00Z"), Instant.parse("2027-10-31T01:00:00Z"),
                        Instant.parse("2027-10-31T01:30:00Z"), Instant.parse("2027-10-31T02:00:00Z"));
        assertThat(Schedule.parse("CRON_TZ=Europe/Paris @hourly").between(night, night.plusSeconds(3 * 3600L), 10))
                .containsExactly(Instant.parse("2027-10-31T00:00:00Z"), Instant.parse("2027-10-31T01:00:00Z"),
                        Instant.parse("2027-10-31T02:00:00Z"));
        assertThat(Schedule.parse("CRON_TZ=Europe/Paris @daily").between(night, night.plusSeconds(2 * 86_400L), 10))
                .containsExactly(Instant.parse("2027-10-31T23:00:00Z"), Instant.parse("2027-11-01T23:00:00Z"));
    }

    @Test
    void aBadTimeZoneIsToldWhy() {
        assertThatThrownBy(() -> Schedule.parse("CRON_TZ=Europe/Pariss 0 9 * * *"))
                .hasMessageStartingWith("has an unknown time zone: Europe/Pariss (an IANA name such as");
        assertThatThrownBy(() -> Schedule.parse("CRON_TZ=europe/paris 0 9 * * *"))
                .hasMessage("has an unknown time zone: europe/paris (did you mean Europe/Paris?)");
        assertThatThrownBy(() -> Schedule.parse("CRON_TZ= 0 9 * * *")).hasMessageContaining("needs a time zone");
        assertThatThrownBy(() -> Schedule.parse("CRON_TZ=Europe/Paris")).hasMessageContaining("no schedule");
        assertThatThrownBy(() -> Schedule.parse("CRON_TZ=Europe/Paris @every 5m"))
                .hasMessageContaining("@every counts from the epoch");
        assertThatThrownBy(() -> Schedule.parse("CRON_TZ=Europe/Paris 0 9 * *")).hasMessageContaining("had 4");
        assertThatThrownBy(() -> Schedule.parse("CRON_TZ=Europe/Paris 0 0 30 2 *")).hasMessageStartingWith(
                "never fires");
    }
}
