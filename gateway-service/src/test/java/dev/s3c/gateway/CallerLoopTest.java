package dev.s3c.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.netty.resources.LoopResources;

class CallerLoopTest {

    // the kind of event loops the web server runs on
    private final LoopResources server = LoopResources.create("caller-loop-test", 1, true);
    private final EventLoop loop = server.onServer(false).next();
    private final CallerLoop callerLoop = new CallerLoop(() -> server.onServer(false));
    private final ExecutorService workers = Executors.newSingleThreadExecutor(r -> new Thread(r, "worker"));
    private final ExecutorService producerThread =
            Executors.newSingleThreadExecutor(r -> new Thread(r, "kafka-producer-network-thread | test"));

    @AfterEach
    void stop() {
        server.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block();
        workers.shutdownNow();
        producerThread.shutdownNow();
    }

    @Test
    void onTheServersEventLoopTheWorkGoesBackToThatLoop() throws Exception {
        Executor back = on(loop, () -> callerLoop.current(workers));

        assertThat(threadRunning(back)).isEqualTo(on(loop, () -> Thread.currentThread().getName()))
                .startsWith("caller-loop-test");
    }

    @Test
    void offTheServersLoopsTheWorkGoesToTheGivenExecutor() throws Exception {
        assertThat(threadRunning(callerLoop.current(workers))).isEqualTo("worker");

        // another library's event loop (the MongoDB driver's) is not the web server's
        LoopResources other = LoopResources.create("other-loops", 1, true);
        try {
            assertThat(threadRunning(on(other.onServer(false).next(), () -> callerLoop.current(workers))))
                    .isEqualTo("worker");
        } finally {
            other.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block();
        }
        assertThat(new CallerLoop(() -> null).current(workers)).isSameAs(workers);
    }

    @Test
    void whatALoopThatStoppedRefusesRunsOnTheGivenExecutor() throws Exception {
        Executor back = on(loop, () -> callerLoop.current(workers));
        server.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block();

        assertThat(threadRunning(back)).isEqualTo("worker");
    }

    @Test
    void aMonoCompletedOnAnotherThreadContinuesOnTheCallersLoop() throws Exception {
        Scheduler parallel = Schedulers.newParallel("fallback", 1);
        try {
            var acknowledgement = new CompletableFuture<String>();
            var continuedOn = new CompletableFuture<String>();
            // subscribed on the loop before the acknowledgement comes, from the producer's thread
            on(loop, () -> Mono.fromFuture(acknowledgement)
                    .publishOn(CallerLoop.backTo(callerLoop.currentLoop(), parallel))
                    .subscribe(v -> continuedOn.complete(Thread.currentThread().getName())));
            producerThread.submit(() -> acknowledgement.complete("ack")).get(5, TimeUnit.SECONDS);

            assertThat(continuedOn.get(5, TimeUnit.SECONDS)).startsWith("caller-loop-test");

            var offLoop = new CompletableFuture<String>();
            Mono.just("x").publishOn(CallerLoop.backTo(callerLoop.currentLoop(), parallel))
                    .subscribe(v -> offLoop.complete(Thread.currentThread().getName()));
            assertThat(offLoop.get(5, TimeUnit.SECONDS)).startsWith("fallback");
        } finally {
            parallel.dispose();
        }
    }

    private static <T> T on(EventLoop loop, Callable<T> work) throws Exception {
        return loop.submit(work).get(5, TimeUnit.SECONDS);
    }

    private static String threadRunning(Executor executor) throws Exception {
        var thread = new CompletableFuture<String>();
        executor.execute(() -> thread.complete(Thread.currentThread().getName()));
        return thread.get(5, TimeUnit.SECONDS);
    }
}
