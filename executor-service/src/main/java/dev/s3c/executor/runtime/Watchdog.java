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
    private final double heapPressure;
    private final ExecutorService actions = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "s3c-watchdog-action");
        t.setDaemon(true);
        return t;
    });

    public Watchdog() {
        this(0.8);
    }

    /**
     * @param heapPressure fraction of the maximum heap in use from which runs over their allocation budget are
     *        cancelled; 0 cancels them regardless. Allocation counts garbage too, so a function that churns
     *        short-lived objects is left alone while the heap has room, and a memory bomb, which keeps what it
     *        allocates, is stopped as the heap fills.
     */
    public Watchdog(double heapPressure) {
        this.heapPressure = heapPressure;
        timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "s3c-watchdog");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        // started now, by the thread that makes the watchdog: a thread started later by a slow-lane instance would
        // inherit its low priority, and every deadline with it
        timer.prestartAllCoreThreads();
    }

    public ScheduledFuture<?> schedule(Runnable action, long delayMs) {
        return timer.schedule(() -> actions.execute(action), delayMs, TimeUnit.MILLISECONDS);
    }

    /**
     * Calls {@code onExceeded} (once, on the action pool) when {@code thread} has allocated more than {@code budget}
     * bytes from now on while the heap is under pressure; sampled every few milliseconds. Close the returned handle
     * when the run ends.
     */
    public Watch watchAllocation(Thread thread, long budget, Runnable onExceeded) {
        if (budget <= 0 || !ALLOCATION.isThreadAllocatedMemorySupported()) {
            return () -> { };
        }
        Watched w = new Watched(thread.threadId(), ALLOCATION.getThreadAllocatedBytes(thread.threadId()), budget,
                onExceeded);
        watched.add(w);
        ensureSampling();
        return () -> watched.remove(w);
    }

    /**
     * Calls {@code onSpent} (once, on the action pool) when {@code thread} has used {@code budgetNanos} of CPU from
     * now on. Checked when the budget could first be spent (a thread uses at most a second of CPU a second) and again
     * as long as the rest could take: nothing is sampled while a run waits for the CPU, and a run that ends sooner
     * costs one timer entry. Close the returned handle when the run ends.
     */
    public Watch watchCpu(Thread thread, long budgetNanos, Runnable onSpent) {
        if (budgetNanos <= 0 || !ALLOCATION.isThreadCpuTimeSupported()) {
            return () -> { };
        }
        CpuWatch watch = new CpuWatch(thread.threadId(), budgetNanos, onSpent);
        watch.checkIn(budgetNanos);
        return watch::close;
    }

    private final class CpuWatch {
        private final long threadId;
        private final long startNanos;
        private final long budgetNanos;
        private final Runnable onSpent;
        private final java.util.concurrent.atomic.AtomicBoolean over = new java.util.concurrent.atomic.AtomicBoolean();
        private volatile ScheduledFuture<?> next;

        CpuWatch(long threadId, long budgetNanos, Runnable onSpent) {
            this.threadId = threadId;
            this.startNanos = ALLOCATION.getThreadCpuTime(threadId);
            this.budgetNanos = budgetNanos;
            this.onSpent = onSpent;
        }

        void checkIn(long nanos) {
            // a millisecond at least: a check scheduled for now would run before the thread used anything
            next = timer.schedule(this::check, Math.max(1_000_000, nanos), TimeUnit.NANOSECONDS);
        }

        private void check() {
            if (over.get()) {
                return;
            }
            long used = ALLOCATION.getThreadCpuTime(threadId) - startNanos;
            if (used >= budgetNanos) {
                if (over.compareAndSet(false, true)) {
                    actions.execute(onSpent);
                }
            } else {
                checkIn(budgetNanos - used);
            }
        }

        void close() {
            over.set(true);
            ScheduledFuture<?> pending = next;
            if (pending != null) {
                pending.cancel(false);
            }
        }
    }

    private synchronized void ensureSampling() {
        if (sampling == null) {
            sampling = timer.scheduleAtFixedRate(this::sample, SAMPLE_MS, SAMPLE_MS, TimeUnit.MILLISECONDS);
        }
    }

    private void sample() {
        if (watched.isEmpty()) {
            return;
        }
        if (heapPressure > 0) {
            var heap = java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
            if (heap.getMax() > 0 && (double) heap.getUsed() / heap.getMax() < heapPressure) {
                return;
            }
        }
        for (Watched w : watched) {
            long used = ALLOCATION.getThreadAllocatedBytes(w.threadId) - w.startBytes;
            if (used > w.budget && watched.remove(w)) {
                actions.execute(w.onExceeded);
            }
        }
    }

    private static final long SAMPLE_MS = 5;
    private static final com.sun.management.ThreadMXBean ALLOCATION =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    private final java.util.Set<Watched> watched = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private ScheduledFuture<?> sampling;

    /** A running watch; closing it ends the watch. */
    public interface Watch extends AutoCloseable {
        @Override
        void close();
    }

    /** Identity, not value, equality: each run is its own entry. */
    private static final class Watched {
        final long threadId;
        final long startBytes;
        final long budget;
        final Runnable onExceeded;

        Watched(long threadId, long startBytes, long budget, Runnable onExceeded) {
            this.threadId = threadId;
            this.startBytes = startBytes;
            this.budget = budget;
            this.onExceeded = onExceeded;
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        actions.shutdownNow();
    }
}
