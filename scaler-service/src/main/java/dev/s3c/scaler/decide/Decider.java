package dev.s3c.scaler.decide;

import dev.s3c.contracts.ExecutorStatus;
import dev.s3c.contracts.LagSample;
import dev.s3c.contracts.ScaleCommand;
import dev.s3c.contracts.ScalingEvent;
import dev.s3c.contracts.Topic;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Folds traffic counts and executor statuses into its stores, and on every lag sample (the scaler's clock) asks
 * the policy for a decision. Runs in a single task: every input topic it reads has one partition.
 */
final class Decider implements Processor<String, Signal, String, Decider.Outcome> {

    static final String BACKLOG_STORE = "backlog-by-function";
    static final String EXECUTORS_STORE = "executor-processes";
    static final String STATE_STORE = "decider-state";
    private static final String STATE_KEY = "state";
    private static final int BACKLOG_SHOWN = 10;

    /** A command and its event, or an event alone. */
    record Outcome(ScaleCommand command, ScalingEvent event) {
    }

    private final ScalingPolicy policy;
    private ProcessorContext<String, Outcome> context;
    private KeyValueStore<String, Long> backlog;
    private KeyValueStore<String, ExecutorStatus> executors;
    private KeyValueStore<String, DeciderState> states;

    Decider(ScalingPolicy policy) {
        this.policy = policy;
    }

    @Override
    public void init(ProcessorContext<String, Outcome> context) {
        this.context = context;
        this.backlog = context.getStateStore(BACKLOG_STORE);
        this.executors = context.getStateStore(EXECUTORS_STORE);
        this.states = context.getStateStore(STATE_STORE);
    }

    @Override
    public void process(Record<String, Signal> record) {
        Signal signal = record.value();
        if (signal.traffic() != null) {
            count(signal.traffic());
        } else if (signal.lag() != null) {
            decide(signal.lag(), record.timestamp());
        } else if (signal.statusKey() != null) {
            ExecutorStatus status = signal.status();
            if (status == null || status.leaving()) {
                executors.delete(signal.statusKey());
            } else {
                // liveness is judged by when the status arrived, on the scaler's clock (the sample clock), never
                // by the executor's own clock, which may run ahead or behind
                Instant received = state().lastSampleAt();
                executors.put(signal.statusKey(), new ExecutorStatus(status.process(), status.instances(),
                        status.appliedSequence(), false, received != null ? received : status.at(), Map.of(),
                        status.cores()));
            }
        }
    }

    private void count(TrafficCounts traffic) {
        long requested = 0;
        long finished = 0;
        for (var e : traffic.byFunction().entrySet()) {
            requested += e.getValue().requested();
            finished += e.getValue().finished();
            Long before = backlog.get(e.getKey());
            long after = (before == null ? 0 : before) + e.getValue().requested() - e.getValue().finished();
            // below zero: results of requests made before this scaler's history began
            if (after > 0) {
                backlog.put(e.getKey(), after);
            } else {
                backlog.delete(e.getKey());
            }
        }
        DeciderState state = state();
        Instant lastCompletion = finished > 0 ? traffic.at() : state.lastCompletionAt();
        states.put(STATE_KEY, new DeciderState(state.policy(),
                withBucket(state.buckets(), new DeciderState.Bucket(traffic.at().getEpochSecond(), requested, finished,
                        0, 0)),
                lastCompletion, state.previousLag(), state.lastSampleAt()));
    }

    /** The buckets with {@code add} merged into its second's, and those older than the rate window dropped. */
    private List<DeciderState.Bucket> withBucket(List<DeciderState.Bucket> buckets, DeciderState.Bucket add) {
        List<DeciderState.Bucket> merged = new ArrayList<>(buckets.size() + 1);
        boolean found = false;
        for (DeciderState.Bucket b : buckets) {
            if (b.second() == add.second()) {
                merged.add(b.plus(add));
                found = true;
            } else {
                merged.add(b);
            }
        }
        if (!found) {
            merged.add(add);
            merged.sort(Comparator.comparingLong(DeciderState.Bucket::second));
        }
        long window = policy.settings().rateWindow().toSeconds();
        long newest = merged.getLast().second();
        merged.removeIf(b -> b.second() <= newest - window - 1);
        return merged;
    }

    private void decide(LagSample sample, long timestamp) {
        DeciderState state = state();
        Instant now = sample.at();
        Map<String, LagSample.PartitionLag> previous = new HashMap<>();
        state.previousLag().forEach(p -> previous.put(p.name(), p));
        long lag = 0;
        int partitions = 0;
        // by topic, then partition number (not "-10" before "-2")
        Map<String, Long> byPartition = new LinkedHashMap<>();
        List<LagSample.PartitionLag> ordered = new ArrayList<>(sample.partitions());
        ordered.sort(Comparator.comparing(LagSample.PartitionLag::topic)
                .thenComparingInt(LagSample.PartitionLag::partition));
        // what the group moved past and what was appended since the previous sample: the pool's progress as fresh
        // as the sample, where the counted results fall behind when the machine is saturated (a transaction marker
        // on a retry topic counts as one record: a small overstatement)
        long appended = 0;
        long drained = 0;
        for (LagSample.PartitionLag p : ordered) {
            if (p.topic().equals(Topic.INVOCATIONS.topicName())) {
                partitions++;
            }
            long l = p.lag();
            LagSample.PartitionLag before = previous.get(p.name());
            if (before != null) {
                appended += Math.max(0, p.endOffset() - before.endOffset());
                drained += Math.max(0, p.committedOffset() - before.committedOffset());
            }
            if (l == 1 && before != null && before.endOffset() == p.endOffset()
                    && before.committedOffset() == p.committedOffset()) {
                // a lag of 1 that never moves: a transaction marker the group can never consume past in its count
                // (or a single record being worked on): not worth an instance either way
                l = 0;
            }
            if (l > 0) {
                byPartition.put(p.name(), l);
                lag += l;
            }
        }
        long nowSecond = now.getEpochSecond();
        List<DeciderState.Bucket> buckets = state.buckets();
        long window = Math.max(1, policy.settings().rateWindow().toSeconds());
        if (state.lastSampleAt() != null && now.isAfter(state.lastSampleAt())) {
            // a late sample spreads what it saw evenly over the seconds it covers: the window keeps all of it, and
            // no single second looks busier than the pool was (only the shares inside the window are kept, so a
            // sample after a long pause, a restart, costs no more than one window)
            long from = state.lastSampleAt().getEpochSecond();
            long seconds = Math.max(1, nowSecond - from);
            for (long i = Math.max(1, seconds - window); i <= seconds; i++) {
                long second = nowSecond - seconds + i;
                buckets = withBucket(buckets, new DeciderState.Bucket(second, 0, 0, share(appended, seconds, i),
                        share(drained, seconds, i)));
            }
        }
        Instant lastCompletion = drained > 0 ? now : state.lastCompletionAt();
        // each source summed on its own (their seconds need not line up), then whichever saw more
        long requested = 0;
        long finished = 0;
        long appendedInWindow = 0;
        long drainedInWindow = 0;
        long peak = 0;
        for (DeciderState.Bucket b : buckets) {
            if (b.second() > nowSecond - window && b.second() <= nowSecond) {
                requested += b.requested();
                finished += b.finished();
                appendedInWindow += b.appended();
                drainedInWindow += b.drained();
                peak = Math.max(peak, Math.max(b.finished(), b.drained()));
            }
        }
        long arrivals = Math.max(requested, appendedInWindow);
        long completions = Math.max(finished, drainedInWindow);
        Live live = liveProcesses(now);
        var observation = new ScalingPolicy.Observation(now, lag, byPartition, partitions,
                arrivals / (double) window, completions / (double) window, lastCompletion, largestBacklogs(),
                live.instances(), peak, live.cores());
        ScalingPolicy.Decision decision = policy.decide(state.policy(), observation);
        states.put(STATE_KEY, new DeciderState(decision.state(), buckets, lastCompletion, sample.partitions(), now));
        String key = policy.settings().group();
        if (decision.command() != null) {
            context.forward(new Record<>(key, new Outcome(decision.command(), decision.event()), timestamp));
        }
        if (decision.stallEvent() != null) {
            context.forward(new Record<>(key, new Outcome(null, decision.stallEvent()), timestamp));
        }
    }

    /** The {@code i}-th of {@code parts} near-equal shares of {@code total} (1-based); the shares add up to it. */
    static long share(long total, long parts, long i) {
        return total * i / parts - total * (i - 1) / parts;
    }

    private Map<String, Long> largestBacklogs() {
        List<KeyValue<String, Long>> all = new ArrayList<>();
        try (KeyValueIterator<String, Long> it = backlog.all()) {
            it.forEachRemaining(all::add);
        }
        all.sort(Comparator.comparing((KeyValue<String, Long> kv) -> kv.value).reversed()
                .thenComparing(kv -> kv.key));
        Map<String, Long> shown = new LinkedHashMap<>();
        all.stream().limit(BACKLOG_SHOWN).forEach(kv -> shown.put(kv.key, kv.value));
        return shown;
    }

    /** Instances per live process, and their cores together (0 when one did not report its own). */
    private record Live(SortedMap<String, Integer> instances, int cores) {
    }

    private Live liveProcesses(Instant now) {
        SortedMap<String, Integer> live = new TreeMap<>();
        List<String> gone = new ArrayList<>();
        long cores = 0;
        boolean coresUnknown = false;
        try (KeyValueIterator<String, ExecutorStatus> it = executors.all()) {
            while (it.hasNext()) {
                KeyValue<String, ExecutorStatus> kv = it.next();
                if (kv.value.at() != null && kv.value.at().plus(policy.settings().livenessTimeout()).isAfter(now)) {
                    live.put(kv.key, kv.value.instances());
                    cores += kv.value.cores();
                    coresUnknown |= kv.value.cores() <= 0;
                } else {
                    gone.add(kv.key);
                }
            }
        }
        gone.forEach(executors::delete);
        return new Live(live, coresUnknown ? 0 : (int) Math.min(Integer.MAX_VALUE, cores));
    }

    private DeciderState state() {
        DeciderState state = states.get(STATE_KEY);
        return state == null ? DeciderState.initial() : state;
    }
}
