package dev.s3c.gateway.invoke;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import dev.s3c.contracts.FunctionStatus;
import dev.s3c.gateway.GatewayProperties;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.functions.FunctionConfig;
import dev.s3c.gateway.functions.FunctionDocument;
import dev.s3c.gateway.functions.FunctionService;
import dev.s3c.gateway.tenants.Caller;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/** The rounds of {@link ScheduledCalls}: which ticks are fired, again, or given up, with the store and broker faked. */
class ScheduledCallsTest {

    private static final Instant SET_AT = Instant.parse("2026-12-07T12:00:00.300Z");
    private static final Duration CATCH_UP = Duration.ofSeconds(10);

    private final FunctionService functions = mock(FunctionService.class);
    private final InvocationController invoker = mock(InvocationController.class);
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final ScheduledCalls calls = withCatchUp(CATCH_UP);

    /** What the invoker was asked: the tick's key, in order. */
    private final List<String> fired = new ArrayList<>();
    private final List<JsonNode> inputs = new ArrayList<>();
    private final List<Caller> owners = new ArrayList<>();
    /** Keys the broker refuses (503); another gateway queued first; another claimed and has not confirmed yet. */
    private final Set<String> refused = new HashSet<>();
    private final Set<String> queuedElsewhere = new HashSet<>();
    private final Set<String> claimedElsewhere = new HashSet<>();
    private final Set<String> unconfirmed = new HashSet<>();
    /** When another gateway claimed a key (else: at its tick). */
    private final java.util.Map<String, Instant> claimedAt = new java.util.HashMap<>();
    private FunctionDocument function = function("@every 1s", FunctionStatus.ACTIVE, SET_AT);

    @BeforeEach
    void fakes() {
        when(functions.writesHere()).thenReturn(0L);
        when(functions.scheduled()).thenAnswer(i -> Flux.just(function));
        when(functions.lookupFresh(anyString())).thenAnswer(i -> Mono.just(function));
        when(invoker.callOnSchedule(any(), any(), any(), anyString())).thenAnswer(i -> Mono.defer(() -> {
            String key = i.getArgument(3);
            fired.add(key);
            inputs.add(i.getArgument(2));
            owners.add(i.getArgument(0));
            if (refused.contains(key)) {
                return Mono.error(new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "broker away", List.of()));
            }
            return Mono.just(new ScheduledCalls.Fired(queuedElsewhere.contains(key) ? ScheduledCalls.Outcome.TAKEN
                    : claimedElsewhere.contains(key) ? ScheduledCalls.Outcome.CLAIMED
                    : unconfirmed.contains(key) ? ScheduledCalls.Outcome.UNCONFIRMED : ScheduledCalls.Outcome.QUEUED,
                    claimedAt.get(key)));
        }));
    }

    private ScheduledCalls withCatchUp(Duration catchUp) {
        return new ScheduledCalls(functions, invoker, new GatewayProperties.Schedules(Duration.ofSeconds(1),
                Duration.ofSeconds(10), catchUp), meters, Clock.systemUTC());
    }

    private static FunctionDocument function(String schedule, FunctionStatus status, Instant updatedAt) {
        return new FunctionDocument("f1", "acme", "tick", "", null, null,
                new FunctionConfig(30_000, 3, null, null, null, schedule), status, 2, SET_AT.minusSeconds(3600),
                updatedAt, null, null);
    }

    private static String key(String time) {
        return ScheduledCalls.KEY_PREFIX + Instant.parse("2026-12-07T" + time + "Z");
    }

    private void round(String time) {
        calls.round(Instant.parse("2026-12-07T" + time + "Z")).block(Duration.ofSeconds(5));
    }

    private double ticks(String outcome) {
        var counter = meters.find("s3c.gateway.schedule.ticks").tag("outcome", outcome).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void eachTickAfterTheScheduleWasSetIsFiredOnceInOrderAsItsTenant() {
        round("12:00:03.500");
        assertThat(fired).containsExactly(key("12:00:01"), key("12:00:02"), key("12:00:03"));
        assertThat(inputs.getFirst().toString())
                .isEqualTo("{\"source\":\"schedule\",\"schedule\":\"@every 1s\",\"time\":\"2026-12-07T12:00:01Z\"}");
        assertThat(owners).allSatisfy(owner -> assertThat(owner.tenant()).isEqualTo("acme"));
        round("12:00:03.900");
        round("12:00:04.500");
        assertThat(fired).containsExactly(key("12:00:01"), key("12:00:02"), key("12:00:03"), key("12:00:04"));
        assertThat(ticks("queued")).isEqualTo(4);
    }

    @Test
    void aScheduleInATimeZoneFiresAtThatZonesTimeWithItsTickInUtc() {
        // 17:31 in India is 12:01 UTC
        function = function("CRON_TZ=Asia/Kolkata 31 17 * * *", FunctionStatus.ACTIVE, SET_AT);
        round("12:00:59.500");
        assertThat(fired).isEmpty();
        round("12:01:00.500");
        assertThat(fired).containsExactly(key("12:01:00"));
        assertThat(inputs.getFirst().toString()).isEqualTo("{\"source\":\"schedule\",\"schedule\":"
                + "\"CRON_TZ=Asia/Kolkata 31 17 * * *\",\"time\":\"2026-12-07T12:01:00Z\"}");
    }

    @Test
    void aTickAnotherGatewayQueuedCountsAsTaken() {
        queuedElsewhere.add(key("12:00:02"));
        round("12:00:02.500");
        assertThat(fired).containsExactly(key("12:00:01"), key("12:00:02"));
        assertThat(ticks("queued")).isEqualTo(1);
        assertThat(ticks("taken")).isEqualTo(1);
    }

    @Test
    void aTickClaimedElsewhereButNotYetQueuedIsTriedAgainUntilItIsEitherWay() {
        claimedElsewhere.add(key("12:00:02"));
        round("12:00:03.500");
        // the round of this function ends at the tick another gateway is still queuing
        assertThat(fired).containsExactly(key("12:00:01"), key("12:00:02"));
        // that gateway failed and freed the key: this one queues it
        claimedElsewhere.clear();
        round("12:00:04.500");
        assertThat(fired).endsWith(key("12:00:02"), key("12:00:03"), key("12:00:04"));
        assertThat(ticks("queued")).isEqualTo(4);
        // one queued elsewhere and said so counts as taken
        claimedElsewhere.add(key("12:00:05"));
        round("12:00:05.500");
        claimedElsewhere.clear();
        queuedElsewhere.add(key("12:00:05"));
        round("12:00:06.500");
        assertThat(fired).endsWith(key("12:00:05"), key("12:00:05"), key("12:00:06"));
        assertThat(ticks("taken")).isEqualTo(1);
        assertThat(ticks("unconfirmed")).isZero();
    }

    @Test
    void aTickNeverConfirmedOrNotConfirmedByTheBrokerIsPassedOverAsUnconfirmed() {
        // (with the default catch-up, a minute: past 15 s the tick is still within it)
        ScheduledCalls calls = withCatchUp(Duration.ofSeconds(60));
        claimedElsewhere.add(key("12:00:01"));
        unconfirmed.add(key("12:00:03"));
        calls.round(Instant.parse("2026-12-07T12:00:01.500Z")).block();
        calls.round(Instant.parse("2026-12-07T12:00:10.500Z")).block();
        assertThat(fired).containsExactly(key("12:00:01"), key("12:00:01"));
        // 15 s on, whoever claimed it never said: passed over
        calls.round(Instant.parse("2026-12-07T12:00:16.500Z")).block();
        assertThat(ticks("unconfirmed")).isEqualTo(2);
        assertThat(fired.stream().filter(k -> k.equals(key("12:00:03")))).hasSize(1);
        assertThat(fired.getLast()).isEqualTo(key("12:00:16"));
    }

    @Test
    void theWaitForAClaimersWordCountsFromItsClaimNotFromTheTick() {
        ScheduledCalls calls = withCatchUp(Duration.ofSeconds(60));
        // the broker was away for 20 s: the tick of 12:00:01 is claimed by another gateway only at 12:00:21
        claimedElsewhere.add(key("12:00:01"));
        claimedAt.put(key("12:00:01"), Instant.parse("2026-12-07T12:00:21Z"));
        calls.round(Instant.parse("2026-12-07T12:00:21.500Z")).block();
        calls.round(Instant.parse("2026-12-07T12:00:30.500Z")).block();
        assertThat(ticks("unconfirmed")).isZero();
        assertThat(fired).containsExactly(key("12:00:01"), key("12:00:01"));
        // that gateway's publish failed and it freed the key: this one queues the tick
        claimedElsewhere.clear();
        calls.round(Instant.parse("2026-12-07T12:00:31.500Z")).block();
        assertThat(fired.get(2)).isEqualTo(key("12:00:01"));
        assertThat(ticks("queued")).isEqualTo(31);
    }

    @Test
    void aTickNotQueuedIsTriedAgainNextRoundWithTheSameKeyAndTheOnesAfterItWait() {
        refused.add(key("12:00:02"));
        round("12:00:03.500");
        assertThat(fired).containsExactly(key("12:00:01"), key("12:00:02"));
        refused.clear();
        round("12:00:04.500");
        assertThat(fired).containsExactly(key("12:00:01"), key("12:00:02"), key("12:00:02"), key("12:00:03"),
                key("12:00:04"));
        assertThat(ticks("missed")).isZero();
    }

    @Test
    void ticksNotQueuedWithinTheCatchUpAreCountedMissedOnceAndSkipped() {
        round("12:00:01.500");
        // the broker goes away for longer than the catch-up
        for (int second = 2; second <= 30; second++) {
            refused.add(key(String.format("12:00:%02d", second)));
        }
        round("12:00:05.500");
        round("12:00:20.500");
        // 12:00:02 to 12:00:10 were not queued within 10 s; 12:00:11 is tried (and refused again)
        assertThat(ticks("missed")).isEqualTo(9);
        assertThat(fired.getLast()).isEqualTo(key("12:00:11"));
        round("12:00:21.500");
        assertThat(ticks("missed")).isEqualTo(10);
        refused.clear();
        // the broker is back: 12:00:12 is past the catch-up too, the rest are queued
        round("12:00:22.500");
        assertThat(fired.subList(fired.size() - 10, fired.size())).containsExactly(key("12:00:13"),
                key("12:00:14"), key("12:00:15"), key("12:00:16"), key("12:00:17"), key("12:00:18"),
                key("12:00:19"), key("12:00:20"), key("12:00:21"), key("12:00:22"));
        assertThat(ticks("missed")).isEqualTo(11);
        round("12:00:23.500");
        assertThat(fired.getLast()).isEqualTo(key("12:00:23"));
        assertThat(ticks("missed")).isEqualTo(11);
    }

    @Test
    void anUpdateOfTheFunctionDoesNotDropATickDueJustBeforeIt() {
        round("12:00:04.900");
        // its code changed at 12:00:05.200 (on another gateway), before this gateway's next round
        function = function("@every 1s", FunctionStatus.ACTIVE, Instant.parse("2026-12-07T12:00:05.200Z"));
        round("12:00:05.800");
        assertThat(fired).endsWith(key("12:00:04"), key("12:00:05"));
    }

    @Test
    void anUpdateDoesNotDropATickDueJustBeforeItEvenWhenNothingWasFiredBefore() {
        function = function("@hourly", FunctionStatus.ACTIVE, SET_AT);
        round("12:59:59.500");
        assertThat(fired).isEmpty();
        function = function("@hourly", FunctionStatus.ACTIVE, Instant.parse("2026-12-07T13:00:00.200Z"));
        round("13:00:00.500");
        assertThat(fired).containsExactly(key("13:00:00"));
    }

    @Test
    void aScheduleChangedRunsNoTickOfTheNewOneFromBeforeTheChange() {
        function = function("@hourly", FunctionStatus.ACTIVE, SET_AT);
        round("13:00:00.500");
        assertThat(fired).containsExactly(key("13:00:00"));
        // half an hour later it is changed to every 5 s, on this gateway: none of the new ticks before 13:30:00.200
        function = function("@every 5s", FunctionStatus.ACTIVE, Instant.parse("2026-12-07T13:30:00.200Z"));
        when(functions.writesHere()).thenReturn(1L);
        round("13:30:00.500");
        assertThat(fired).containsExactly(key("13:00:00"));
        round("13:30:05.500");
        assertThat(fired).containsExactly(key("13:00:00"), key("13:30:05"));
        assertThat(ticks("missed")).isZero();
    }

    @Test
    void aDeletedFunctionIsNotFiredAndAFunctionThatFailsDoesNotHoldUpTheOthers() {
        FunctionDocument other = new FunctionDocument("f2", "acme", "other", "", null, null,
                new FunctionConfig(30_000, 3, null, null, null, "@every 1s"), FunctionStatus.ACTIVE, 1, SET_AT,
                SET_AT, null, null);
        when(functions.scheduled()).thenAnswer(i -> Flux.just(function, other));
        when(functions.lookupFresh("f1")).thenReturn(Mono.error(new IllegalStateException("store away")));
        when(functions.lookupFresh("f2")).thenReturn(Mono.just(other));
        round("12:00:01.500");
        assertThat(fired).containsExactly(key("12:00:01"));
        assertThat(owners).hasSize(1);
        // f1 deleted on another gateway (this one still lists it): not fired
        when(functions.lookupFresh("f1")).thenReturn(Mono.empty());
        when(functions.lookupFresh("f2")).thenReturn(Mono.empty());
        round("12:00:02.500");
        assertThat(fired).containsExactly(key("12:00:01"));
    }

    @Test
    void aGatewayThatStartsLooksBackOnlyAsFarAsTheCatchUp() {
        function = function("*/5 * * * * *", FunctionStatus.ACTIVE, SET_AT.minusSeconds(3600));
        round("12:00:21");
        // (12:00:11, 12:00:21]: the ticks at 15 and 20 s
        assertThat(fired).containsExactly(key("12:00:15"), key("12:00:20"));
        assertThat(ticks("missed")).isZero();
    }

    @Test
    void aFunctionMadeInactiveOrRescheduledElsewhereIsNotFiredOnWhatThisGatewayListed() {
        FunctionDocument listed = function;
        function = function("@every 1s", FunctionStatus.INACTIVE, SET_AT.plusSeconds(1));
        when(functions.scheduled()).thenAnswer(i -> Flux.just(listed));
        round("12:00:03.500");
        round("12:00:05");
        assertThat(fired).isEmpty();
        // reactivated: ticks from then on, none of those it missed while inactive
        function = function("@every 1s", FunctionStatus.ACTIVE, Instant.parse("2026-12-07T12:00:05.100Z"));
        when(functions.scheduled()).thenAnswer(i -> Flux.just(function));
        round("12:00:06.500");
        assertThat(fired).containsExactly(key("12:00:06"));
        // its schedule changed on another gateway: nothing is fired on the old one
        // (this gateway read its list at 12:00:06.500: it still has the old schedule for 10 s)
        function = function("@every 2s", FunctionStatus.ACTIVE, Instant.parse("2026-12-07T12:00:06.600Z"));
        round("12:00:07.500");
        assertThat(fired).containsExactly(key("12:00:06"));
        // and the new one is read at once
        round("12:00:08.500");
        assertThat(fired).containsExactly(key("12:00:06"), key("12:00:08"));
        assertThat(inputs.getLast().get("schedule").asString()).isEqualTo("@every 2s");
    }
}
