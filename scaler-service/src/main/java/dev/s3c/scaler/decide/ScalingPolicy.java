package dev.s3c.scaler.decide;

import dev.s3c.contracts.ScaleCommand;
import dev.s3c.contracts.ScalingAction;
import dev.s3c.contracts.ScalingEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.springframework.boot.convert.DurationStyle;

/**
 * Decides the executor pool size from one observation. Pure: the state it needs between observations is passed in
 * and handed back, so the topology can keep it in a store and tests can drive it step by step.
 *
 * <p>Up fast, down gently: a backlog above the threshold scales straight to the size that brings it under
 * (a burst of 10,000 goes to the maximum, or the bound per core, in one step); a backlog under the low threshold
 * for the quiet period at most halves the pool, and never below what the backlog needs, so a scale-down can not
 * trigger a scale-up.
 * The pool stays within the executor processes' cores (times a setting) as it stays within its maximum: the cores
 * are what runs functions at once.
 */
public final class ScalingPolicy {

    /**
     * @param group the executor consumer group the commands are for
     * @param scaleUpPerInstance more queued per instance than this scales up
     * @param scaleDownPerInstance fewer queued per instance than this, for {@code scaleDownAfter}, scales down
     * @param minInstances smallest pool (0 allowed: any queued invocation then scales up to one)
     * @param maxInstances largest pool; also bounded by the invocations topic's partition count
     * @param scaleUpDrainTime a backlog the pool has shown it can finish within this time (at its best second of the
     *     rate window) is not scaled up for, whatever its size per instance; zero: the per-instance rule alone
     * @param maxInstancesPerCore at most this many instances per core of the live executor processes (as they
     *     report them), unless {@code minInstances} asks for more; zero: no such bound
     */
    public record Settings(String group, int scaleUpPerInstance, int scaleDownPerInstance, Duration scaleDownAfter,
            int minInstances, int maxInstances, Duration scaleUpCooldown, Duration stallAfter, Duration rateWindow,
            Duration livenessTimeout, Duration scaleUpDrainTime, int maxInstancesPerCore) {

        public Settings {
            require(maxInstancesPerCore >= 0, "s3c.scaler.max-instances-per-core", "must be zero or more");
            require(scaleUpDrainTime != null && !scaleUpDrainTime.isNegative(), "s3c.scaler.scale-up-drain-time",
                    "must be zero or more");
            require(scaleUpPerInstance >= 1, "s3c.scaler.scale-up-per-instance", "must be at least 1");
            require(scaleDownPerInstance >= 0 && scaleDownPerInstance < scaleUpPerInstance,
                    "s3c.scaler.scale-down-per-instance", "must be at least 0 and below scale-up-per-instance");
            require(minInstances >= 0, "s3c.scaler.min-instances", "must be at least 0");
            require(maxInstances >= Math.max(1, minInstances), "s3c.scaler.max-instances",
                    "must be at least 1 and at least min-instances");
        }

        private static void require(boolean ok, String property, String reason) {
            if (!ok) {
                throw new IllegalArgumentException(property + " " + reason);
            }
        }
    }

    /**
     * What the scaler knows at one tick.
     *
     * @param lag queued invocations, markers discounted
     * @param partitions partitions of the invocations topic (0 if unknown)
     * @param lastCompletionAt when an execution last finished (null: none seen)
     * @param live instances per live executor process, sorted by process id
     * @param completionPeak executions finished in the busiest second of the rate window: what the pool has shown it
     *     can do, where the window's average still counts the quiet seconds before a load began
     * @param cores the live processes' cores together; 0 when one of them did not report its own
     */
    public record Observation(Instant now, long lag, Map<String, Long> lagByPartition, int partitions,
            double arrivalRate, double completionRate, Instant lastCompletionAt, Map<String, Long> backlogByFunction,
            SortedMap<String, Integer> live, long completionPeak, int cores) {

        /** Seconds the pool would take to finish the backlog at its best second; infinite before it finished any. */
        double drainSeconds() {
            return completionPeak > 0 ? lag / (double) completionPeak : Double.POSITIVE_INFINITY;
        }

        int reported() {
            return live.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    /**
     * What the policy remembers between ticks.
     *
     * @param desired the pool size it wants; null until it has seen an executor
     * @param commanded whether it has issued a command yet; until then it adopts the pool as it finds it
     * @param assigned the processes its last command split the pool among
     */
    public record State(Integer desired, boolean commanded, long sequence, List<String> assigned,
            Instant lastChangeAt, Instant lastScaleUpAt, Instant lowSince, Instant queuedSince, boolean stallReported) {

        public static State initial() {
            return new State(null, false, 0, List.of(), null, null, null, null, false);
        }
    }

    /** The next state, and the command and event to emit (either may be null). */
    public record Decision(State state, ScaleCommand command, ScalingEvent event, ScalingEvent stallEvent) {
    }

    private final Settings settings;

    public ScalingPolicy(Settings settings) {
        this.settings = settings;
    }

    public Settings settings() {
        return settings;
    }

    public Decision decide(State state, Observation o) {
        Instant now = o.now();
        int max = o.partitions() > 0 ? Math.min(settings.maxInstances(), o.partitions()) : settings.maxInstances();
        int min = Math.min(settings.minInstances(), max);
        // a function runs on one instance's thread without waiting on anything, so instances beyond the cores take
        // turns on them: each gets smaller batches, and so smaller Kafka transactions, for the same work
        int coreBound = settings.maxInstancesPerCore() > 0 && o.cores() > 0
                ? (int) Math.min(Integer.MAX_VALUE, (long) o.cores() * settings.maxInstancesPerCore())
                : Integer.MAX_VALUE;
        int upTo = Math.min(max, Math.max(min, coreBound));
        int reported = o.reported();
        List<String> processes = List.copyOf(o.live().keySet());
        boolean anyExecutor = !processes.isEmpty();

        Integer desired = state.desired();
        if (anyExecutor && !state.commanded()) {
            // nothing decided yet: the pool is what the executors run
            desired = reported;
        }
        int current = desired == null ? 0 : desired;

        Instant queuedSince = o.lag() > 0 ? orElse(state.queuedSince(), now) : null;
        Instant progressAt = later(queuedSince, o.lastCompletionAt());
        boolean stalled = queuedSince != null && !progressAt.plus(settings.stallAfter()).isAfter(now);
        boolean low = o.lag() < (long) settings.scaleDownPerInstance() * current;
        Instant lowSince = low ? orElse(state.lowSince(), now) : null;

        // a stalled pool is held, never shrunk, whatever its processes' cores say meanwhile
        int ceiling = stalled ? max : upTo;
        ScalingAction action = null;
        int target = current;
        String reason = null;
        if (anyExecutor) {
            long perInstance = ceilDiv(o.lag(), Math.max(current, 1));
            boolean cooledDown = state.lastScaleUpAt() == null
                    || !state.lastScaleUpAt().plus(settings.scaleUpCooldown()).isAfter(now);
            // instances share the executors' cores: for functions that finish in microseconds, more of them only cut
            // each one's batches (and transactions) smaller, so a backlog the pool drains quickly is left to it
            boolean drainsSoon = current > 0 && settings.scaleUpDrainTime().isPositive()
                    && o.drainSeconds() <= settings.scaleUpDrainTime().toNanos() / 1e9;
            if (o.lag() > (long) settings.scaleUpPerInstance() * current && current < upTo && cooledDown && !drainsSoon) {
                long needed = ceilDiv(o.lag(), settings.scaleUpPerInstance());
                target = (int) Math.max(min, Math.min(upTo, Math.max(current + 1L, needed)));
                action = ScalingAction.SCALE_UP;
                String capped = needed > upTo ? ", capped at " + upTo + boundNote(o, upTo, max, coreBound) : "";
                reason = "%d queued over %d instance(s) (%s each) is above %d per instance%s; %d instance(s) bring it under%s"
                        .formatted(o.lag(), current, current == 0 ? "all" : String.valueOf(perInstance),
                                settings.scaleUpPerInstance(), drainNote(o), needed, capped);
            } else if (current > ceiling || current < min) {
                target = Math.max(min, Math.min(ceiling, current));
                action = target > current ? ScalingAction.SCALE_UP : ScalingAction.SCALE_DOWN;
                reason = "%d instance(s) is outside the bounds %d..%d%s".formatted(current, min, ceiling,
                        boundNote(o, ceiling, max, coreBound));
            } else if (low && current > min && !stalled
                    && !lowSince.plus(settings.scaleDownAfter()).isAfter(now)
                    && (state.lastChangeAt() == null || !state.lastChangeAt().plus(settings.scaleDownAfter()).isAfter(now))) {
                long needed = ceilDiv(o.lag(), settings.scaleUpPerInstance());
                // halving rounds up, except that a pool allowed to reach zero does so from one
                long halved = current == 1 && needed == 0 ? 0 : ceilDiv(current, 2);
                target = (int) Math.max(min, Math.max(needed, halved));
                if (target < current) {
                    action = ScalingAction.SCALE_DOWN;
                    reason = "%d queued over %d instance(s) stayed below %d per instance for %ds; at most halving"
                            .formatted(o.lag(), current, settings.scaleDownPerInstance(),
                                    settings.scaleDownAfter().toSeconds());
                }
            } else if (state.commanded() && !processes.equals(state.assigned())) {
                action = ScalingAction.REBALANCE;
                reason = "executor processes changed from %s to %s".formatted(state.assigned(), processes);
            }
        }

        State next = new State(desired, state.commanded(), state.sequence(), state.assigned(), state.lastChangeAt(),
                state.lastScaleUpAt(), lowSince, queuedSince, stalled && state.stallReported());
        ScaleCommand command = null;
        ScalingEvent event = null;
        if (action != null) {
            long sequence = state.sequence() + 1;
            command = new ScaleCommand(settings.group(), target, split(target, processes), reason, sequence, now);
            event = event(o, action, current, target, reason, now);
            boolean sizeChanged = target != current;
            next = new State(target, true, sequence, processes, sizeChanged ? now : state.lastChangeAt(),
                    action == ScalingAction.SCALE_UP ? now : state.lastScaleUpAt(), sizeChanged ? null : lowSince,
                    queuedSince, next.stallReported());
        }
        ScalingEvent stallEvent = null;
        if (stalled && !state.stallReported()) {
            String why = "%d queued and no execution finished for %ds; holding %d instance(s)"
                    .formatted(o.lag(), Duration.between(progressAt, now).toSeconds(), next.desired() == null ? 0 : next.desired());
            int size = next.desired() == null ? 0 : next.desired();
            stallEvent = event(o, ScalingAction.STALLED, size, size, why, now);
            next = new State(next.desired(), next.commanded(), next.sequence(), next.assigned(), next.lastChangeAt(),
                    next.lastScaleUpAt(), next.lowSince(), next.queuedSince(), true);
        }
        return new Decision(next, command, event, stallEvent);
    }

    /** Why the pool's upper bound is {@code upTo} when it is not the maximum: the cores, or the minimum above them. */
    private String boundNote(Observation o, int upTo, int max, int coreBound) {
        if (upTo == max) {
            return "";
        }
        String perCore = "%d cores in the executor processes, %d instance(s) per core".formatted(o.cores(),
                settings.maxInstancesPerCore());
        return upTo == coreBound ? " (" + perCore + ")" : " (the minimum; " + perCore + " allow " + coreBound + ")";
    }

    private String drainNote(Observation o) {
        if (!settings.scaleUpDrainTime().isPositive() || o.completionPeak() <= 0) {
            return "";
        }
        return String.format(java.util.Locale.ROOT,
                " and at its best second (%d finished) the pool would take %.1f s to drain it, over %s",
                o.completionPeak(), o.drainSeconds(), DurationStyle.SIMPLE.print(settings.scaleUpDrainTime()));
    }

    /** The total split over the processes, in id order, as evenly as possible. */
    static Map<String, Integer> split(int total, List<String> processes) {
        Map<String, Integer> shares = new LinkedHashMap<>();
        int n = processes.size();
        for (int i = 0; i < n; i++) {
            shares.put(processes.get(i), total / n + (i < total % n ? 1 : 0));
        }
        return shares;
    }

    private ScalingEvent event(Observation o, ScalingAction action, int from, int to, String reason, Instant now) {
        // derived, not random: a replayed decision keeps its id, so storing it twice is one record
        String id = settings.group() + "-" + now.toEpochMilli() + "-" + action.name().toLowerCase(java.util.Locale.ROOT);
        return new ScalingEvent(id, settings.group(), action, from, to, reason, now, o.lag(),
                o.lagByPartition(), round2(o.arrivalRate()), round2(o.completionRate()), o.backlogByFunction(),
                o.reported(), new ArrayList<>(o.live().keySet()));
    }

    private static double round2(double v) {
        return Math.round(v * 100) / 100.0;
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    private static Instant orElse(Instant value, Instant fallback) {
        return value == null ? fallback : value;
    }

    private static Instant later(Instant a, Instant b) {
        if (a == null) {
            return b;
        }
        return b == null || a.isAfter(b) ? a : b;
    }
}
