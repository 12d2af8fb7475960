package dev.s3c.executor.runtime;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** One timer thread that cancels runs which pass their deadline; consumer threads never wait on it. */
public final class Watchdog implements AutoCloseable {

    private final ScheduledThreadPoolExecutor timer;

    public Watchdog() {
        timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "s3c-watchdog");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
    }

    public ScheduledFuture<?> schedule(Runnable action, long delayMs) {
        return timer.schedule(action, delayMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
