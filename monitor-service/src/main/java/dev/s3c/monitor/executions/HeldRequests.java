package dev.s3c.monitor.executions;

import dev.s3c.contracts.InvocationRequested;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Requests read without their result, held for a moment so that the result, usually read a batch or two later, goes
 * into the same write: the embedded store's cost is per write (an upsert through the wire, a new version of the
 * execution's page), and under load most results arrive a batch after their request. Held per partition of the
 * invocations topic, in the order read; a partition is committed only up to its oldest held request, so a crash, a
 * stop or a partition handed to another consumer loses nothing held: it is read again from there.
 * <p>
 * The hold is at least its minimum, and longer while the executors lag: the minimum plus the wait for an executor
 * (from a request to its run's start) that nine in ten of the first attempts' results read in a second report at
 * most, the larger of the current second's and the one before, up to a maximum. Without that, a backlog longer than
 * the minimum hold turns folding off just when the store's cost matters most, and makes the backlog grow faster. Nine
 * in ten, so that a few long waits (a concurrency lane's, a run delivered again after a fault) do not stretch every
 * request's hold; with fewer than ten results in a second, it is their longest. A request keeps at least the hold it
 * was given when the lag passes, so a backlog's held requests are not all released alone at once.
 * <p>
 * One per consumer, used by its thread only (the held count and the hold are read by gauges from others).
 */
final class HeldRequests {

    /** A request as read: where from, and its size (the hold is bounded in bytes too: inputs may be large). */
    record Read(InvocationRequested request, int partition, long offset, int bytes) {
    }

    /**
     * What one batch does with the requests, decided before it writes and applied only after it wrote (a batch whose
     * write fails is delivered again, and decides the same).
     *
     * @param write requests to write now: the held ones released, then the batch's own that are not held
     * @param hold the batch's requests to hold instead
     * @param released held requests now written, per partition
     */
    record Decision(List<InvocationRequested> write, List<Read> hold, Map<Integer, List<String>> released,
            long holdNanos) {
    }

    /** A request held, and for how long at least: the hold when it was read. */
    private record Held(Read read, long heldAtNanos, long holdNanos) {
    }

    private static final long WAIT_PERIOD_NANOS = 1_000_000_000L;
    /** Queue waits kept per period for their quantile: the latest this many. */
    private static final int WAIT_SAMPLES = 512;

    private static final class Partition {
        final LinkedHashMap<String, Held> held = new LinkedHashMap<>();
        long bytes;
        /** The offset after the last message read from the partition; -1 before the first. */
        long readUpTo = -1;
        /** The offset last handed out to be committed; -1 before the first. */
        long committed = -1;
    }

    // concurrent only for the gauge's reads
    private final Map<Integer, Partition> partitions = new ConcurrentHashMap<>();
    private final long minHoldNanos;
    private final long maxHoldNanos;
    private final int maxPerPartition;
    private final long maxBytesPerPartition;
    /** The queue waits observed in the current second (from {@link #waitsSince}); the quantile of the one before. */
    private long waitsSince = Long.MIN_VALUE;
    private final long[] waits = new long[WAIT_SAMPLES];
    private int waitCount;
    private long recentWait = -1;
    private long recentWaitBefore;
    /** The hold last decided, for the gauge. */
    private volatile long lastHoldNanos;

    /**
     * @param minHoldNanos how long a request waits for its result at least; 0 holds nothing
     * @param maxHoldNanos how long at most, however far behind the executors are
     */
    HeldRequests(long minHoldNanos, long maxHoldNanos, int maxPerPartition, long maxBytesPerPartition) {
        this.minHoldNanos = minHoldNanos;
        this.maxHoldNanos = Math.max(minHoldNanos, maxHoldNanos);
        this.maxPerPartition = maxPerPartition;
        this.maxBytesPerPartition = maxBytesPerPartition;
        this.lastHoldNanos = minHoldNanos;
    }

    /**
     * A result read: how long its request waited for an executor (a batch delivered again observes its results
     * twice, which weighs them twice in the quantile, no more).
     */
    void observeQueueWait(long waitNanos, long nowNanos) {
        roll(nowNanos);
        waits[waitCount % WAIT_SAMPLES] = Math.clamp(waitNanos, 0, maxHoldNanos);
        waitCount++;
        recentWait = -1;
    }

    private void roll(long nowNanos) {
        if (waitsSince == Long.MIN_VALUE) {
            waitsSince = nowNanos;
        }
        long seconds = (nowNanos - waitsSince) / WAIT_PERIOD_NANOS;
        if (seconds > 0) {
            recentWaitBefore = seconds == 1 ? recentWait() : 0;
            waitCount = 0;
            recentWait = -1;
            waitsSince += seconds * WAIT_PERIOD_NANOS;
        }
    }

    private long recentWait() {
        if (recentWait < 0) {
            int n = Math.min(waitCount, WAIT_SAMPLES);
            long[] sorted = Arrays.copyOf(waits, n);
            Arrays.sort(sorted);
            // the smallest wait that at least nine in ten are at most
            recentWait = n == 0 ? 0 : sorted[(9 * n + 9) / 10 - 1];
        }
        return recentWait;
    }

    /** How long a request read now waits for its result: the minimum, plus the executors' recent queue wait. */
    long holdNanos(long nowNanos) {
        if (minHoldNanos == 0) {
            return 0;
        }
        roll(nowNanos);
        long lag = Math.max(recentWait(), recentWaitBefore);
        return Math.min(maxHoldNanos, minHoldNanos + lag);
    }

    /** The hold of the latest decision or refresh. */
    long lastHoldNanos() {
        return lastHoldNanos;
    }

    /** For the gauge, while nothing is decided (an idle reader holding nothing). */
    void refreshHold(long nowNanos) {
        lastHoldNanos = holdNanos(nowNanos);
    }

    /**
     * @param requests the batch's requests, in the order read
     * @param resolved executions whose result (or a redrive) is in the batch: their requests are written now
     * @param owned the invocations partitions the consumer reads (whose held requests may be due)
     */
    Decision decide(List<Read> requests, Set<String> resolved, Collection<Integer> owned, long nowNanos) {
        long holdNanos = holdNanos(nowNanos);
        lastHoldNanos = holdNanos;
        List<InvocationRequested> fresh = new ArrayList<>();
        Map<Integer, LinkedHashMap<String, Read>> toHold = new HashMap<>();
        for (Read r : requests) {
            String id = r.request().executionId();
            Partition p = partitions.get(r.partition());
            Held already = p == null ? null : p.held.get(id);
            if (already != null && (already.read().offset() == r.offset() || r.request().series() == 0)) {
                // read again (a failed batch delivered again), or sent again: held already
                continue;
            }
            // only a first request waits: a redrive resets the stored outcome and is written as it comes
            if (holdNanos > 0 && r.request().series() == 0 && !resolved.contains(id)) {
                toHold.computeIfAbsent(r.partition(), k -> new LinkedHashMap<>()).putIfAbsent(id, r);
            } else {
                fresh.add(r.request());
            }
        }
        // the held first: they were read first (a redrive in the batch then comes after its first request)
        List<InvocationRequested> write = new ArrayList<>();
        Map<Integer, List<String>> released = new HashMap<>();
        List<Read> hold = new ArrayList<>();
        Set<Integer> partitionsToSee = new HashSet<>(owned);
        partitionsToSee.addAll(toHold.keySet());
        for (int partition : partitionsToSee) {
            Partition p = partitions.get(partition);
            int count = 0;
            long bytes = 0;
            if (p != null) {
                count = p.held.size();
                bytes = p.bytes;
                for (Held h : p.held.values()) {
                    String id = h.read().request().executionId();
                    if (resolved.contains(id) || nowNanos - h.heldAtNanos() >= Math.max(h.holdNanos(), holdNanos)) {
                        write.add(h.read().request());
                        released.computeIfAbsent(partition, k -> new ArrayList<>()).add(id);
                        count--;
                        bytes -= h.read().bytes();
                    }
                }
            }
            for (Read r : toHold.getOrDefault(partition, new LinkedHashMap<>()).values()) {
                if (count < maxPerPartition && bytes + r.bytes() <= maxBytesPerPartition) {
                    hold.add(r);
                    count++;
                    bytes += r.bytes();
                } else {
                    // the hold is full (a backlog read at full speed): written as it comes, in two writes
                    write.add(r.request());
                }
            }
        }
        write.addAll(fresh);
        return new Decision(write, hold, released, holdNanos);
    }

    /**
     * Applies a batch's decision once it is written.
     *
     * @param readUpTo per invocations partition, the offset after the batch's last message from it
     */
    void apply(Decision decision, Map<Integer, Long> readUpTo, long nowNanos) {
        decision.released().forEach((partition, ids) -> {
            Partition p = partitions.get(partition);
            for (String id : ids) {
                Held h = p.held.remove(id);
                if (h != null) {
                    p.bytes -= h.read().bytes();
                }
            }
        });
        for (Read r : decision.hold()) {
            Partition p = partitions.computeIfAbsent(r.partition(), k -> new Partition());
            Held h = new Held(r, nowNanos, decision.holdNanos());
            if (p.held.putIfAbsent(r.request().executionId(), h) == null) {
                p.bytes += r.bytes();
            }
        }
        readUpTo.forEach((partition, upTo) -> {
            Partition p = partitions.computeIfAbsent(partition, k -> new Partition());
            p.readUpTo = Math.max(p.readUpTo, upTo);
        });
    }

    /**
     * Per owned invocations partition read so far, the offset it may be committed at now, where that moved since it
     * was last handed out: its oldest held request (by offset: a partition read again from an older offset, after it
     * was handed back, holds out of order), or all it read.
     */
    Map<Integer, Long> commitsDue(Collection<Integer> owned) {
        Map<Integer, Long> offsets = new HashMap<>();
        for (int partition : owned) {
            Partition p = partitions.get(partition);
            if (p == null || p.readUpTo < 0) {
                continue;
            }
            long offset = p.readUpTo;
            for (Held h : p.held.values()) {
                offset = Math.min(offset, h.read().offset());
            }
            if (offset != p.committed) {
                offsets.put(partition, offset);
                p.committed = offset;
            }
        }
        return offsets;
    }

    /** The commit of what {@link #commitsDue} handed out failed: all of it is due again. */
    void commitFailed() {
        partitions.values().forEach(p -> p.committed = -1);
    }

    /** Partitions the consumer no longer reads: whoever reads them next starts below their held requests. */
    void forget(Collection<Integer> revoked) {
        revoked.forEach(partitions::remove);
    }

    /** Whether nothing is held (what it knows of partitions read may still be kept). */
    boolean isEmpty() {
        return partitions.values().stream().allMatch(p -> p.held.isEmpty());
    }

    int size() {
        return partitions.values().stream().mapToInt(p -> p.held.size()).sum();
    }
}
