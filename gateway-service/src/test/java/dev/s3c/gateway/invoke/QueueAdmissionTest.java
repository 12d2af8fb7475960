package dev.s3c.gateway.invoke;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.s3c.contracts.LagSample;
import dev.s3c.contracts.LagSample.PartitionLag;
import dev.s3c.contracts.Topic;
import dev.s3c.gateway.CallerLoop;
import dev.s3c.gateway.GatewayProperties.QueueLimits;
import dev.s3c.gateway.api.ApiException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.http.HttpStatus;

/** The gateway's bound on the executors' queue, fed samples by hand, on a clock moved by hand. */
class QueueAdmissionTest {

    private static final Instant T0 = Instant.parse("2026-12-06T06:00:00Z");

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    private QueueAdmission admission(String maxWait, int minQueued, String hold) {
        return new QueueAdmission(new QueueLimits(DurationStyle.detectAndParse(maxWait), minQueued,
                DurationStyle.detectAndParse(hold)), new CallerLoop(() -> null), meters, nanos::get);
    }

    /** A sample at {@code second} with {@code lag} queued and {@code consumed} taken so far, spread over two topics. */
    private static LagSample sample(int second, long lag, long consumed) {
        return new LagSample("s3c-executors", T0.plusSeconds(second), List.of(
                new PartitionLag(Topic.INVOCATIONS.topicName(), 0, consumed / 2 + lag, consumed / 2),
                new PartitionLag(Topic.RETRIES_DUE.topicName(), 3, consumed - consumed / 2, consumed - consumed / 2)));
    }

    /** A sample as the reader brings it, a second after the last. */
    private void feed(QueueAdmission admission, LagSample sample) {
        nanos.addAndGet(1_000_000_000L);
        admission.onSample(sample);
    }

    private static int admittedAtOnce(QueueAdmission admission, int tries) {
        int admitted = 0;
        for (int i = 0; i < tries; i++) {
            if (admission.admit().toFuture().isDone()) {
                admitted++;
            }
        }
        return admitted;
    }

    private double gauge(String name) {
        return meters.get(name).gauge().value();
    }

    @Test
    void withoutASampleNothingIsBoundedAndNothingWaits() {
        QueueAdmission admission = admission("2s", 10, "10s");
        assertThat(admittedAtOnce(admission, 5_000)).isEqualTo(5_000);
        assertThat(gauge("s3c.gateway.queue.bound")).isEqualTo(-1);
        assertThat(meters.get("s3c.gateway.queue.held").counter().count()).isZero();
    }

    @Test
    void theRoomIsTheBoundLessTheQueueAndACallBeyondItWaitsForTheNextSample() throws Exception {
        QueueAdmission admission = admission("2s", 1_000, "1m");
        feed(admission, sample(0, 900, 0));
        assertThat(gauge("s3c.gateway.queue.backlog")).isEqualTo(900);
        assertThat(gauge("s3c.gateway.queue.bound")).isEqualTo(1_000);
        assertThat(admittedAtOnce(admission, 100)).isEqualTo(100);

        CompletableFuture<Void> waiting = admission.admit().toFuture();
        assertThat(waiting).isNotDone();
        assertThat(meters.get("s3c.gateway.queue.held").counter().count()).isEqualTo(1);

        // the executors took 600 in that second: room again (and their rate now sets the bound)
        feed(admission, sample(1, 600, 600));
        waiting.get(5, TimeUnit.SECONDS);
        assertThat(gauge("s3c.gateway.queue.bound")).isEqualTo(1_200);
    }

    @Test
    void theBoundIsWhatTheExecutorsFinishInTheMaxWaitOverTheLastSeconds() {
        QueueAdmission admission = admission("2s", 1_000, "10s");
        feed(admission, sample(0, 0, 100_000));
        feed(admission, sample(1, 0, 103_000));
        feed(admission, sample(2, 0, 106_000));
        assertThat(gauge("s3c.gateway.queue.bound")).isEqualTo(6_000);
        feed(admission, sample(3, 5_000, 109_000));
        assertThat(admittedAtOnce(admission, 1_500)).isEqualTo(1_000);

        // the last second counts when it was faster than the last five: the bound follows a rise at once
        feed(admission, sample(4, 5_000, 114_000));
        assertThat(gauge("s3c.gateway.queue.bound")).isEqualTo(10_000);
        // samples older than five seconds no longer count: a burst long ago does not keep the bound high
        feed(admission, sample(10, 0, 114_000));
        feed(admission, sample(11, 0, 114_100));
        assertThat(gauge("s3c.gateway.queue.bound")).isEqualTo(1_000);
    }

    @Test
    void whenCallersTookAllTheRoomAndTheExecutorsDrainedItTheBoundDoubles() {
        // from idle the executors finish only what they were given: their rate says nothing of what they could do
        QueueAdmission admission = admission("2s", 1_000, "10s");
        feed(admission, sample(0, 0, 0));
        assertThat(admittedAtOnce(admission, 1_000)).isEqualTo(1_000);
        feed(admission, sample(1, 100, 900));
        assertThat(gauge("s3c.gateway.queue.bound")).isEqualTo(2_000);
        assertThat(admittedAtOnce(admission, 1_900)).isEqualTo(1_900);
        feed(admission, sample(2, 200, 2_600));
        assertThat(gauge("s3c.gateway.queue.bound")).isEqualTo(4_000);

        // room left over (callers did not want more): no doubling, the rate decides
        feed(admission, sample(3, 0, 2_800));
        assertThat(gauge("s3c.gateway.queue.bound")).isEqualTo(Math.max(1_000, 2 * 2_800 / 3));
        // the executors could not drain it (more than half still queued): no doubling either
        assertThat(admittedAtOnce(admission, 5_000)).isGreaterThan(0);
        feed(admission, sample(4, 3_000, 3_000));
        assertThat(gauge("s3c.gateway.queue.bound")).isLessThan(2_000);
    }

    @Test
    void samplesThatComeTogetherAfterAPauseDoNotEachBringRoom() {
        QueueAdmission admission = admission("2s", 1_000, "10s");
        feed(admission, sample(0, 0, 0));
        assertThat(admittedAtOnce(admission, 600)).isEqualTo(600);
        // three samples the reader was late with, in one poll: the newest's room, but no more than was left
        admission.onSample(sample(1, 0, 100));
        admission.onSample(sample(2, 0, 200));
        admission.onSample(sample(3, 0, 300));
        assertThat(admittedAtOnce(admission, 1_000)).isEqualTo(400);
    }

    @Test
    void onlyTheSharedQueueCountsNotTheConcurrencyLanes() {
        QueueAdmission admission = admission("2s", 100, "10s");
        feed(admission, new LagSample("s3c-executors", T0, List.of(
                new PartitionLag(Topic.INVOCATIONS.topicName(), 0, 50, 0),
                // a tenant limited to one run at a time with a long line: its own wait, not everyone's
                new PartitionLag(Topic.INVOCATION_LANES.topicName(), 7, 10_000, 0))));
        assertThat(gauge("s3c.gateway.queue.backlog")).isEqualTo(50);
        assertThat(admittedAtOnce(admission, 60)).isEqualTo(50);
    }

    @Test
    void aCallThatFindsNoRoomWithinTheHoldIsRefusedWith503AndNothingQueued() {
        QueueAdmission admission = admission("2s", 10, "3s");
        feed(admission, sample(0, 25, 0));
        CompletableFuture<Void> waiting = admission.admit().toFuture();
        nanos.addAndGet(Duration.ofMillis(2_900).toNanos());
        admission.serveLine(true);
        assertThat(waiting).isNotDone();

        nanos.addAndGet(Duration.ofMillis(100).toNanos());
        admission.serveLine(true);
        assertThatThrownBy(() -> waiting.get(5, TimeUnit.SECONDS)).cause()
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
                    assertThat(e.getMessage()).startsWith("the executors are behind: their queue (25 queued, bound "
                            + "10) has no room for this call within 3s; nothing was queued");
                    assertThat(e.headers()).containsEntry("Retry-After", "1").doesNotContainKey("Location");
                });
        assertThat(meters.get("s3c.gateway.queue.refused").counter().count()).isEqualTo(1);
    }

    @Test
    void aSampleThatStoppedComingBoundsNothingAndReleasesThoseWaiting() throws Exception {
        QueueAdmission admission = admission("2s", 10, "1m");
        feed(admission, sample(0, 500, 0));
        CompletableFuture<Void> waiting = admission.admit().toFuture();
        admission.serveLine(true);
        assertThat(waiting).isNotDone();

        // the scaler stopped: its last sample is older than the staleness limit, so nothing bounds the queue
        nanos.addAndGet(QueueAdmission.STALE.plusMillis(1).toNanos());
        admission.serveLine(true);
        waiting.get(5, TimeUnit.SECONDS);
        assertThat(admittedAtOnce(admission, 1_000)).isEqualTo(1_000);
    }

    @Test
    void thoseWaitingGoOnInTheOrderTheyCameAsRoomComesAndNoMore() throws Exception {
        QueueAdmission admission = admission("2s", 10, "1m");
        feed(admission, sample(0, 10, 0));
        List<CompletableFuture<Void>> waiting = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            waiting.add(admission.admit().toFuture());
        }
        assertThat(waiting).noneMatch(CompletableFuture::isDone);

        // room for three: the three that came first go, the others wait on
        feed(admission, sample(1, 7, 3));
        for (CompletableFuture<Void> w : waiting.subList(0, 3)) {
            w.get(5, TimeUnit.SECONDS);
        }
        assertThat(waiting.subList(3, 8)).noneMatch(CompletableFuture::isDone);
        // a newcomer finds others waiting: it queues behind them, even for room they have not taken yet
        CompletableFuture<Void> newcomer = admission.admit().toFuture();
        assertThat(newcomer).isNotDone();

        feed(admission, sample(2, 0, 10));
        for (CompletableFuture<Void> w : waiting) {
            w.get(5, TimeUnit.SECONDS);
        }
        newcomer.get(5, TimeUnit.SECONDS);
    }

    @Test
    void aCallerThatWentAwayTakesNoRoom() throws Exception {
        QueueAdmission admission = admission("2s", 10, "1m");
        feed(admission, sample(0, 10, 0));
        reactor.core.Disposable gone = admission.admit().subscribe();
        CompletableFuture<Void> next = admission.admit().toFuture();
        gone.dispose();

        feed(admission, sample(1, 9, 1));
        next.get(5, TimeUnit.SECONDS);
    }

    @Test
    void aShorterHoldForOneCallRefusesItSooner() {
        QueueAdmission admission = admission("2s", 10, "30s");
        feed(admission, sample(0, 10, 0));
        CompletableFuture<Void> sync = admission.admit(Duration.ofMillis(500)).toFuture();
        CompletableFuture<Void> async = admission.admit().toFuture();
        nanos.addAndGet(Duration.ofMillis(500).toNanos());
        // the sync call came first; the tick finds its hold over, and the other's not
        admission.serveLine(true);
        assertThatThrownBy(() -> sync.get(5, TimeUnit.SECONDS)).cause().isInstanceOf(ApiException.class)
                .hasMessageContaining("has no room for this call within 500ms");
        assertThat(async).isNotDone();
    }

    @Test
    void aCallThatMayNotWaitIsRefusedAtOnceAlsoBehindOthers() {
        QueueAdmission admission = admission("2s", 10, "30s");
        feed(admission, sample(0, 10, 0));
        CompletableFuture<Void> waiting = admission.admit().toFuture();
        assertThat(waiting).isNotDone();
        // without waiting for a tick (none runs here): a wait of 0 finds no room now, and the line ahead comes first
        assertThatThrownBy(() -> admission.admit(Duration.ZERO).block(Duration.ofSeconds(5)))
                .isInstanceOf(ApiException.class).hasMessageContaining("has no room for this call within 0s");
        assertThat(waiting).isNotDone();
        assertThat(meters.get("s3c.gateway.queue.refused").counter().count()).isEqualTo(1);
    }

    @Test
    void aCallThatMayNotWaitGoesOnWhenTheLineItJoinsIsLetThrough() throws Exception {
        QueueAdmission admission = admission("2s", 10, "30s");
        feed(admission, sample(0, 10, 0));
        CompletableFuture<Void> waiting = admission.admit().toFuture();
        assertThat(waiting).isNotDone();
        // the sample goes stale (no tick runs here to notice): it bounds nothing, and the line goes on with the call
        nanos.addAndGet(QueueAdmission.STALE.plusSeconds(1).toNanos());
        admission.admit(Duration.ZERO).block(Duration.ofSeconds(5));
        waiting.get(5, TimeUnit.SECONDS);
        assertThat(meters.get("s3c.gateway.queue.refused").counter().count()).isZero();
    }

    @Test
    void aLineLongerThanTheExecutorsFinishInTheHoldRefusesANewcomerAtOnce() {
        QueueAdmission admission = admission("2s", 4, "4s");
        feed(admission, sample(0, 10, 0));
        feed(admission, sample(1, 10, 3));
        // the executors finish 3 a second: 12 within the hold, more than the bound (6, what they finish in 2s)
        assertALineOfRefusesTheNext(admission, 12);
    }

    @Test
    void aStepInLoadOnAnIdlePoolWaitsForRoomInsteadOfBeingRefusedAtOnce() throws Exception {
        QueueAdmission admission = admission("2s", 1_000, "30s");
        feed(admission, sample(0, 0, 5_000));
        // the first second of the step: the callers took the bound's room, the idle pool committed one record
        // (a transaction marker) before the sample; 1 a second would make a line of 30 too long for the hold
        assertThat(admittedAtOnce(admission, 1_000)).isEqualTo(1_000);
        feed(admission, sample(1, 1_000, 5_001));
        List<CompletableFuture<Void>> waiting = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
            waiting.add(admission.admit().toFuture());
        }
        assertThat(meters.get("s3c.gateway.queue.refused").counter().count()).isZero();

        // the pool gets going: room for those waiting
        feed(admission, sample(2, 200, 5_801));
        for (CompletableFuture<Void> w : waiting) {
            w.get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aLineIsRefusedAtOnceNoSoonerThanItReachesTheBound() {
        QueueAdmission admission = admission("2s", 20, "2s");
        feed(admission, sample(0, 20, 0));
        feed(admission, sample(1, 20, 3));
        // 3 a second, 6 within the hold (a pool starting, warming up or rebalancing): the line may reach the bound
        assertALineOfRefusesTheNext(admission, 20);
    }

    @Test
    void aLineBehindAStalledPoolIsAsLongAsTheBoundAtMost() {
        QueueAdmission admission = admission("2s", 10, "30s");
        feed(admission, sample(0, 10, 0));
        // a queue and nothing finished (an executor process failing over): callers wait, up to the bound
        feed(admission, sample(1, 10, 0));
        assertALineOfRefusesTheNext(admission, 10);
    }

    /** {@code length} calls wait in line, none refused; the next one is refused at once. */
    private void assertALineOfRefusesTheNext(QueueAdmission admission, int length) {
        for (int i = 0; i < length; i++) {
            admission.admit().toFuture();
        }
        assertThat(meters.get("s3c.gateway.queue.refused").counter().count()).isZero();
        assertThatThrownBy(() -> admission.admit().block(Duration.ofSeconds(5))).isInstanceOf(ApiException.class);
        assertThat(meters.get("s3c.gateway.queue.refused").counter().count()).isEqualTo(1);
    }

    @Test
    void aLongLineRefusesNobodyOnceItsSampleIsStale() throws Exception {
        QueueAdmission admission = admission("2s", 4, "2s");
        feed(admission, sample(0, 10, 0));
        feed(admission, sample(1, 10, 3));
        List<CompletableFuture<Void>> waiting = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            waiting.add(admission.admit().toFuture());
        }
        // the scaler stopped before the next tick let the line go: a newcomer is not refused for its length (with
        // the sample fresh it would be: 6 wait, as many as the bound and what the executors finish in the hold)
        nanos.addAndGet(QueueAdmission.STALE.plusMillis(1).toNanos());
        admission.admit().toFuture().get(5, TimeUnit.SECONDS);
        for (CompletableFuture<Void> w : waiting) {
            w.get(5, TimeUnit.SECONDS);
        }
        assertThat(meters.get("s3c.gateway.queue.refused").counter().count()).isZero();
    }

    @Test
    void aStoppingGatewayLetsThoseWaitingGoOnAndHoldsNoMore() throws Exception {
        QueueAdmission admission = admission("2s", 10, "30s");
        admission.start();
        feed(admission, sample(0, 10, 0));
        CompletableFuture<Void> waiting = admission.admit().toFuture();
        assertThat(waiting).isNotDone();

        admission.stop();
        waiting.get(5, TimeUnit.SECONDS);
        assertThat(admittedAtOnce(admission, 100)).isEqualTo(100);
    }

    @Test
    void turnedOffNothingWaitsWhateverTheQueue() throws ExecutionException, InterruptedException {
        QueueAdmission admission = admission("0s", 1, "10s");
        feed(admission, sample(0, 1_000_000, 0));
        assertThat(admittedAtOnce(admission, 1_000)).isEqualTo(1_000);
    }

    @Test
    void negativeSettingsStopStartUpNamingTheSetting() {
        assertThatThrownBy(() -> new QueueLimits(Duration.ofSeconds(-1), 10, Duration.ofSeconds(10)))
                .hasMessageContaining("s3c.gateway.queue.max-wait (S3C_QUEUE_MAX_WAIT) must be zero or more");
        assertThatThrownBy(() -> new QueueLimits(Duration.ofSeconds(2), 0, Duration.ofSeconds(10)))
                .hasMessageContaining("s3c.gateway.queue.min-queued (S3C_QUEUE_MIN_QUEUED) must be 1 or more");
        assertThatThrownBy(() -> new QueueLimits(Duration.ofSeconds(2), 10, Duration.ofSeconds(-10)))
                .hasMessageContaining("s3c.gateway.queue.hold (S3C_QUEUE_HOLD) must be zero or more");
    }
}
