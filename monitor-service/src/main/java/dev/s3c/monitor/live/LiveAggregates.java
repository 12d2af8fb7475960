package dev.s3c.monitor.live;

import dev.s3c.contracts.ExecutorStatus;
import dev.s3c.contracts.InvocationCompleted;
import dev.s3c.contracts.LagSample;
import dev.s3c.contracts.ScalingEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Per-second aggregates of what the platform does, in total and per function, folded from its topics. Events
 * count in the second they happened (request time, finish time), so late arrivals still land in their second.
 * Totals are kept for an hour, per-function figures for the last minute; older seconds are overwritten.
 * Thread-safe: the consumers add (the busy topics' and the retry tiers'), the WebSocket and REST endpoints read.
 */
@org.springframework.stereotype.Component
final class LiveAggregates {

    static final int HISTORY_SECONDS = 3600;
    static final int FUNCTION_SECONDS = 60;
    /** Functions a snapshot lists, the most active first; the total covers all. */
    static final int FUNCTIONS_SHOWN = 100;
    /** Executors report every 2 s; one silent this long has gone without saying so (killed). */
    static final Duration EXECUTOR_SILENCE = Duration.ofSeconds(15);
    /** Event times ahead of this monitor's clock by more than this are taken as now (a skewed clock). */
    static final Duration CLOCK_TOLERANCE = Duration.ofSeconds(2);
    /** Results remembered to count a redelivered one once: minutes of traffic at thousands a second. */
    static final int RESULTS_REMEMBERED = 200_000;
    private static final String UNKNOWN = "unknown";

    private final long[] totalSecond = new long[HISTORY_SECONDS];
    private final Stats[] totals = new Stats[HISTORY_SECONDS];
    private final long[] functionSecond = new long[FUNCTION_SECONDS];
    private final List<Map<String, Stats>> functions = new ArrayList<>(FUNCTION_SECONDS);
    private final Map<String, Integer> instancesByProcess = new TreeMap<>();
    private final Map<String, Instant> reportedAt = new HashMap<>();
    private long queueDepth = -1;
    private long latest = Long.MIN_VALUE;
    private final Map<String, Boolean> seen = new java.util.LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > RESULTS_REMEMBERED;
        }
    };
    private int desiredInstances = -1;
    private final java.util.function.Supplier<PersistenceProbe.Persistence> persistence;

    LiveAggregates() {
        this(() -> null);
    }

    @org.springframework.beans.factory.annotation.Autowired
    LiveAggregates(PersistenceProbe probe) {
        this(probe::current);
    }

    private LiveAggregates(java.util.function.Supplier<PersistenceProbe.Persistence> persistence) {
        this.persistence = persistence;
        java.util.Arrays.fill(totalSecond, -1);
        java.util.Arrays.fill(functionSecond, -1);
        for (int i = 0; i < FUNCTION_SECONDS; i++) {
            functions.add(new HashMap<>());
        }
    }

    synchronized void accepted(String functionId, Instant at) {
        for (Stats s : stats(functionId, at)) {
            s.accepted++;
        }
    }

    /**
     * Counts a final result once: delivery is at-least-once, so the same result (execution and attempt series) may
     * come twice; the most recent ones seen are remembered. Returns whether it was new.
     */
    synchronized boolean completed(InvocationCompleted r) {
        if (seen.put(r.executionId() + "/" + r.series(), Boolean.TRUE) != null) {
            return false;
        }
        Instant at = r.finishedAt() != null ? r.finishedAt() : Instant.now();
        boolean ran = r.startedAt() != null;
        // queue wait of first attempts only: a retry's wait is mostly its backoff
        long wait = ran && r.attempt() == 1 && r.requestedAt() != null
                ? Duration.between(r.requestedAt(), r.startedAt()).toMillis() : -1;
        for (Stats s : stats(r.functionId(), at)) {
            s.completed(r.status(), wait, r.durationMs(), r.coldStart(), ran);
        }
        return true;
    }

    synchronized void retried(String functionId, Instant at) {
        for (Stats s : stats(functionId, at)) {
            s.retried++;
        }
    }

    synchronized void deadLettered(String functionId, Instant at) {
        for (Stats s : stats(functionId, at)) {
            s.deadLettered++;
        }
    }

    synchronized void scaling(ScalingEvent event) {
        if (event.action() != dev.s3c.contracts.ScalingAction.STALLED) {
            desiredInstances = event.toInstances();
        }
    }

    /** A process's report, as it arrived; one silent for {@link #EXECUTOR_SILENCE} is no longer counted. */
    synchronized void executor(String process, ExecutorStatus status, Instant receivedAt) {
        if (status == null || status.leaving()) {
            instancesByProcess.remove(process);
            reportedAt.remove(process);
        } else {
            instancesByProcess.put(process, status.instances());
            reportedAt.put(process, receivedAt);
        }
    }

    synchronized void lag(LagSample sample) {
        queueDepth = sample.partitions().stream().mapToLong(LagSample.PartitionLag::lag).sum();
    }

    /**
     * The state at {@code now}: the last complete second and the last minute in total, each function active in the
     * last minute, and the pool.
     */
    synchronized Snapshot snapshot(Instant now) {
        long current = now.getEpochSecond();
        Stats lastSecond = total(current - 1);
        Stats minute = new Stats();
        Map<String, Stats> byFunction = new TreeMap<>();
        for (long second = current - FUNCTION_SECONDS; second < current; second++) {
            minute.addAll(total(second));
            int slot = (int) Math.floorMod(second, FUNCTION_SECONDS);
            if (functionSecond[slot] == second) {
                functions.get(slot).forEach((fn, s) -> byFunction.computeIfAbsent(fn, k -> new Stats()).addAll(s));
            }
        }
        Map<String, Stats.View> functionViews = new java.util.LinkedHashMap<>();
        byFunction.entrySet().stream()
                .sorted(java.util.Comparator.comparingLong((Map.Entry<String, Stats> e) ->
                        e.getValue().accepted + e.getValue().completed).reversed().thenComparing(Map.Entry::getKey))
                .limit(FUNCTIONS_SHOWN)
                .forEach(e -> functionViews.put(e.getKey(), e.getValue().view(FUNCTION_SECONDS)));
        reportedAt.entrySet().removeIf(e -> {
            boolean silent = e.getValue().plus(EXECUTOR_SILENCE).isBefore(now);
            if (silent) {
                instancesByProcess.remove(e.getKey());
            }
            return silent;
        });
        return new Snapshot(Instant.ofEpochSecond(current), lastSecond.view(1), minute.view(FUNCTION_SECONDS),
                functionViews, byFunction.size(), queueDepth,
                instancesByProcess.values().stream().mapToInt(Integer::intValue).sum(),
                new TreeMap<>(instancesByProcess), desiredInstances, persistence.get());
    }

    /** Totals over the {@code window} before {@code now}, one point per {@code step}, oldest first. */
    synchronized List<Point> history(Instant now, Duration window, Duration step) {
        long end = now.getEpochSecond();
        long stepSeconds = Math.max(1, step.toSeconds());
        long start = end - window.toSeconds();
        List<Point> points = new ArrayList<>();
        for (long from = start; from < end; from += stepSeconds) {
            Stats merged = new Stats();
            long to = Math.min(end, from + stepSeconds);
            for (long second = from; second < to; second++) {
                merged.addAll(total(second));
            }
            points.add(new Point(Instant.ofEpochSecond(from), merged.view((int) (to - from))));
        }
        return points;
    }

    /** The stats of one second: the total, and the function's when within the last minute. */
    private List<Stats> stats(String functionId, Instant at) {
        Instant now = Instant.now();
        long second = (at.isAfter(now.plus(CLOCK_TOLERANCE)) ? now : at).getEpochSecond();
        // an event older than what the ring holds must not overwrite a newer second's slot
        latest = Math.max(latest, second);
        long newest = latest;
        List<Stats> out = new ArrayList<>(2);
        if (second > newest - HISTORY_SECONDS) {
            int slot = (int) Math.floorMod(second, HISTORY_SECONDS);
            if (totalSecond[slot] != second) {
                totalSecond[slot] = second;
                totals[slot] = new Stats();
            }
            out.add(totals[slot]);
        }
        if (second > newest - FUNCTION_SECONDS) {
            int slot = (int) Math.floorMod(second, FUNCTION_SECONDS);
            if (functionSecond[slot] != second) {
                functionSecond[slot] = second;
                functions.get(slot).clear();
            }
            out.add(functions.get(slot).computeIfAbsent(functionId == null ? UNKNOWN : functionId, k -> new Stats()));
        }
        return out;
    }

    private Stats total(long second) {
        int slot = (int) Math.floorMod(second, HISTORY_SECONDS);
        return totalSecond[slot] == second ? totals[slot] : new Stats();
    }

    /** What the live stream and {@code GET /api/metrics} show. */
    record Snapshot(Instant at, Stats.View lastSecond, Stats.View lastMinute, Map<String, Stats.View> functions,
            int activeFunctions, long queueDepth, int instances, Map<String, Integer> instancesByProcess, int desiredInstances,
            PersistenceProbe.Persistence persistence) {
    }

    /** One step of the history. */
    record Point(Instant at, Stats.View stats) {
    }
}
