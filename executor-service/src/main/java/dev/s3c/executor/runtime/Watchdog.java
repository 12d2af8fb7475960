package dev.s3c.executor.runtime;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * One timer thread for deadlines and notices; the actions themselves run on a separate pool, so a slow
 * cancellation never delays another instance's deadline. Consumer threads never wait on it.
 */
public final class Watchdog implements AutoCloseable {

    private final ScheduledThreadPoolExecutor timer;
    private final ExecutorService actions = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "s3c-watchdog-action");
        t.setDaemon(true);
        return t;
    });

    public Watchdog() {
        timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "s3c-watchdog");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
    }

    public ScheduledFuture<?> schedule(Runnable action, long delayMs) {
        return timer.schedule(() -> actions.execute(action), delayMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        timer.shutdownNow();
        actions.shutdownNow();
    }
}
