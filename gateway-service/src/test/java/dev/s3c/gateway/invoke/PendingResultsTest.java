package dev.s3c.gateway.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import dev.s3c.contracts.ExecutionStatus;
import dev.s3c.contracts.InvocationCompleted;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.gateway.CallerLoop;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.netty.resources.LoopResources;
import reactor.test.StepVerifier;

class PendingResultsTest {

    private static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");

    private final Scheduler workers = Schedulers.newSingle("pending-results-test");
    private final LoopResources server = LoopResources.create("pending-results-loop", 1, true);
    private final PendingResults pending = new PendingResults(workers, new CallerLoop(() -> server.onServer(false)));

    @AfterEach
    void stopWorkers() {
        workers.dispose();
        server.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block();
    }

    @Test
    void theWaitingCallerGetsItsResultDecodedOnAWorkerNotOnTheReadersThread() {
        var result = new InvocationCompleted("e-1", "f-1", 1, ExecutionStatus.SUCCEEDED, JsonCodec.readTree("{\"n\":2}"),
                null, "", 1, 1, "exec-1/0", false, T0, T0, T0, "gw-1");
        var waiting = pending.register("e-1");
        String reader = Thread.currentThread().getName();

        // the caller waits before the result is read, as a sync caller does (a result handed over before anyone
        // subscribed would be replayed on the subscriber's thread)
        StepVerifier.create(waiting.map(r -> {
            assertThat(Thread.currentThread().getName()).isNotEqualTo(reader).startsWith("pending-results-test");
            return r;
        })).then(() -> assertThat(pending.complete("e-1", JsonCodec.toBytes(result))).isTrue())
                .expectNext(result).expectComplete().verify(Duration.ofSeconds(5));
        assertThat(pending.size()).isZero();
    }

    @Test
    void aCallerThatRegisteredOnAnEventLoopIsAnsweredOnThatLoop() throws Exception {
        var result = new InvocationCompleted("e-1", "f-1", 1, ExecutionStatus.SUCCEEDED, JsonCodec.readTree("{}"),
                null, "", 1, 1, "exec-1/0", false, T0, T0, T0, "gw-1");
        var loop = server.onServer(false).next();
        var answeredOn = new CompletableFuture<String>();
        // as the web server's loop runs a sync call: register, then wait
        loop.submit(() -> pending.register("e-1")
                .subscribe(r -> answeredOn.complete(Thread.currentThread().getName()))).get(5, TimeUnit.SECONDS);

        assertThat(pending.complete("e-1", JsonCodec.toBytes(result))).isTrue();

        // its answer is written by that loop: no worker thread in between
        assertThat(answeredOn.get(5, TimeUnit.SECONDS)).startsWith("pending-results-loop");
    }

    @Test
    void aResultNobodyHereWaitsForIsPassedBy() {
        pending.register("e-1");

        assertThat(pending.complete("e-2", "{}".getBytes(StandardCharsets.UTF_8))).isFalse();
        assertThat(pending.size()).isOne();
    }

    @Test
    void anUnreadableResultEndsTheWaitLikeATimeoutSoTheCallerIsToldWhereToReadIt() {
        var waiting = pending.register("e-1");

        assertThat(pending.complete("e-1", "not json".getBytes(StandardCharsets.UTF_8))).isTrue();

        StepVerifier.create(waiting).expectError(TimeoutException.class).verify(Duration.ofSeconds(5));
    }
}
