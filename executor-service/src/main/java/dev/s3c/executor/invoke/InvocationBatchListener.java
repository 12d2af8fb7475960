package dev.s3c.executor.invoke;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.s3c.contracts.InvocationCompleted;
import dev.s3c.contracts.InvocationRequested;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.contracts.Topic;
import dev.s3c.executor.runtime.FunctionSandbox;
import dev.s3c.executor.runtime.SandboxClosedException;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.BatchAcknowledgingConsumerAwareMessageListener;
import org.springframework.kafka.support.Acknowledgment;

/**
 * The loop body of one executor instance: runs each invocation of a polled batch, then publishes the batch's results,
 * retries and dead letters in one Kafka transaction together with the consumed offsets. Readers (read_committed) see
 * a batch's messages only once its offsets are committed with them, so a crash or a failed publish means the batch
 * runs again and its first, aborted results are never read: exactly one result per attempt is committed.
 */
final class InvocationBatchListener implements BatchAcknowledgingConsumerAwareMessageListener<String, byte[]> {

    static final String REPLY_TO_HEADER = "s3c-reply-to";
    private static final String LANES = Topic.INVOCATION_LANES.topicName();
    private static final String FAIR_LANES = Topic.FAIR_LANES.topicName();
    private static final String SLOW_LANE = Topic.SLOW_LANE.topicName();
    private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory
            .getThreadMXBean();
    private static final Logger log = LoggerFactory.getLogger(InvocationBatchListener.class);
    /** A run up to this long lets the results before it wait for it in one transaction. */
    private static final long FAST_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(20);
    /**
     * A batch commits what it holds before its next record once that reaches this many bytes: its results' output
     * (characters of JSON text; the tree kept may be larger) and logs, and the requests it forwards (moved to a
     * lane, retried, dead-lettered). These wait in memory until their transaction commits; a poll of large ones is
     * several transactions, not one holding them all.
     */
    static final long HELD_BYTES_PER_TRANSACTION = 16L << 20;

    private final String instanceId;
    private final FunctionSandbox sandbox;
    private final InvocationProcessor processor;
    private final KafkaTemplate<String, Object> results;
    private final Duration batchBudget;
    private final InvocationMetrics metrics;
    private final SlowFunctions slow;
    private final FairShare fairShare;
    /** Whether this instance runs the slow lane (it then runs whatever it reads). */
    private final boolean slowLane;
    /** Transactions failed in a row: the backoff before the batch runs again. */
    private int failures;
    /** Set when a batch was cut before any record of a lane ran: the next batch runs the lanes first. */
    private boolean lanesPassedOver;
    /** Set when the instance stops: no new record is started; what ran is committed, the rest goes back. */
    private volatile boolean draining;
    /** How long each function's last run took on this instance: whether results wait for the next one. */
    private final Cache<String, Long> lastRunNanos = Caffeine.newBuilder().maximumSize(4096)
            // its upkeep on the caller's thread: the common pool's workers, made by whoever submits
            // first, would inherit an instance's lower priority for the whole JVM
            .executor(Runnable::run).build();

    /** Waits between failed transactions; a test records the waits instead. */
    private final java.util.function.Consumer<Duration> pause;

    /** How long after a transaction the results run wait for the next one (0: a transaction per poll). */
    private final long commitIntervalNanos;
    /** Runs a task after a delay, on a thread of the pool's: wakes this instance's consumer when held results are due. */
    private final Later later;
    /**
     * Runs this instance's transactions, one at a time, in the order given: a thread of the instance's own, so the
     * consumer's thread polls and runs the next records while one commits (its offset commit and end are broker
     * round trips, and waiting for them held every record behind them); or the consumer's thread itself.
     */
    private final java.util.concurrent.Executor committer;
    /** The transaction handed to the committer and not settled on the consumer's thread yet (null: none). */
    private volatile InFlight inFlight;
    /** The clock of the commit interval; a test moves it by hand. */
    private final java.util.function.LongSupplier nanoTime;
    /** Records run but not committed yet, in the order they ran, held for the next transaction with their steps. */
    private List<ConsumerRecord<String, byte[]>> held = List.of();
    private List<InvocationProcessor.Step> heldSteps = List.of();
    /** What the held steps keep in memory (see {@link #HELD_BYTES_PER_TRANSACTION}). */
    private long heldBytes;
    /** When this instance last committed a transaction. */
    private long lastCommitNanos;
    /** The holding a scheduled wake-up is for (0: none): a wake-up for a holding since committed is dropped. */
    private volatile long wakeFor;
    /** How many records are held, for the pool's gauge (read on another thread). */
    private volatile int heldCount;
    private long holdings;
    /** When records last came in, and the time between polls that brought records, smoothed (unknown: max). */
    private long lastArrivalNanos;
    private long arrivalGapNanos = Long.MAX_VALUE;
    /** When a poll last showed more than one caller at a time: it brought several records, or came while some were held. */
    private long concurrentSeenNanos = Long.MIN_VALUE / 2;
    private static final long CONCURRENCY_MEMORY_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(1);
    /** The first record of the batch in hand not committed yet: where an unexpected failure sends the batch back. */
    private int uncommittedFrom;
    /**
     * A wake-up is asked for again this long after the last while results are still held: the container publishes an
     * idle event only for a poll that returned empty at least a millisecond after the last records came.
     */
    private static final long WAKE_AGAIN_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(2);
    /** The containers' idle event interval: an empty poll this long after the last records makes an idle event. */
    static final long IDLE_EVENT_MILLIS = 1;
    private static final long IDLE_AFTER_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(IDLE_EVENT_MILLIS);

    /** Runs a task after a delay. */
    @FunctionalInterface
    interface Later {
        void after(long delayNanos, Runnable task);
    }

    /** @param results a transactional template: every batch is published in a transaction of its own */
    InvocationBatchListener(String instanceId, FunctionSandbox sandbox, InvocationProcessor processor,
            KafkaTemplate<String, Object> results, Duration batchBudget, MeterRegistry meters) {
        this(instanceId, sandbox, processor, results, batchBudget, meters, SlowFunctions.none(), false);
    }

    /**
     * @param slow the functions of this process that ran slow lately, shared by its instances
     * @param slowLane whether this instance runs the slow lane
     */
    InvocationBatchListener(String instanceId, FunctionSandbox sandbox, InvocationProcessor processor,
            KafkaTemplate<String, Object> results, Duration batchBudget, MeterRegistry meters, SlowFunctions slow,
            boolean slowLane) {
        this(instanceId, sandbox, processor, results, batchBudget, meters, slow, slowLane, FairShare.none());
    }

    /** @param fairShare how tenants without a concurrency limit share this process's CPU */
    InvocationBatchListener(String instanceId, FunctionSandbox sandbox, InvocationProcessor processor,
            KafkaTemplate<String, Object> results, Duration batchBudget, MeterRegistry meters, SlowFunctions slow,
            boolean slowLane, FairShare fairShare) {
        this(instanceId, sandbox, processor, results, batchBudget, meters, InvocationBatchListener::backOff, slow,
                slowLane, fairShare, Duration.ZERO, (delay, task) -> { }, System::nanoTime, Runnable::run);
    }

    /**
     * @param commitInterval how long after a transaction the results run wait for the next one (0: one per poll)
     * @param later runs a task after a delay: wakes the consumer when held results are due
     * @param committer runs the transactions one at a time in order (see {@link #committer})
     */
    InvocationBatchListener(String instanceId, FunctionSandbox sandbox, InvocationProcessor processor,
            KafkaTemplate<String, Object> results, Duration batchBudget, MeterRegistry meters, SlowFunctions slow,
            boolean slowLane, FairShare fairShare, Duration commitInterval, Later later,
            java.util.concurrent.Executor committer) {
        this(instanceId, sandbox, processor, results, batchBudget, meters, InvocationBatchListener::backOff, slow,
                slowLane, fairShare, commitInterval, later, System::nanoTime, committer);
    }

    /** A test's listener: its clock moved by hand, its delays recorded. */
    InvocationBatchListener(String instanceId, InvocationProcessor processor, KafkaTemplate<String, Object> results,
            Duration batchBudget, MeterRegistry meters, java.util.function.Consumer<Duration> pause,
            Duration commitInterval, Later later, java.util.function.LongSupplier nanoTime) {
        this(instanceId, processor, results, batchBudget, meters, pause, commitInterval, later, nanoTime,
                Runnable::run);
    }

    /** A test's listener whose transactions run when the test says (its committer). */
    InvocationBatchListener(String instanceId, InvocationProcessor processor, KafkaTemplate<String, Object> results,
            Duration batchBudget, MeterRegistry meters, java.util.function.Consumer<Duration> pause,
            Duration commitInterval, Later later, java.util.function.LongSupplier nanoTime,
            java.util.concurrent.Executor committer) {
        this(instanceId, null, processor, results, batchBudget, meters, pause, SlowFunctions.none(), false,
                FairShare.none(), commitInterval, later, nanoTime, committer);
    }

    InvocationBatchListener(String instanceId, FunctionSandbox sandbox, InvocationProcessor processor,
            KafkaTemplate<String, Object> results, Duration batchBudget, MeterRegistry meters,
            java.util.function.Consumer<Duration> pause) {
        this(instanceId, sandbox, processor, results, batchBudget, meters, pause, SlowFunctions.none(), false,
                FairShare.none(), Duration.ZERO, (delay, task) -> { }, System::nanoTime, Runnable::run);
    }

    private InvocationBatchListener(String instanceId, FunctionSandbox sandbox, InvocationProcessor processor,
            KafkaTemplate<String, Object> results, Duration batchBudget, MeterRegistry meters,
            java.util.function.Consumer<Duration> pause, SlowFunctions slow, boolean slowLane, FairShare fairShare,
            Duration commitInterval, Later later, java.util.function.LongSupplier nanoTime,
            java.util.concurrent.Executor committer) {
        this.committer = committer;
        this.commitIntervalNanos = commitInterval.toNanos();
        this.later = later;
        this.nanoTime = nanoTime;
        this.lastCommitNanos = nanoTime.getAsLong() - commitIntervalNanos;
        this.fairShare = fairShare;
        this.slow = slow;
        this.slowLane = slowLane;
        this.pause = pause;
        this.instanceId = instanceId;
        this.sandbox = sandbox;
        this.processor = processor;
        this.results = results;
        this.batchBudget = batchBudget;
        this.metrics = new InvocationMetrics(meters);
    }

    /**
     * Offsets are committed by the transactions that publish the results, never by the container: the acknowledgment
     * is not used. When a transaction fails, the records not committed are sought back here and run again after a
     * backoff (the container's nack would commit the part before it outside the transaction, and its error handler
     * would replay the whole batch).
     *
     * <p>Results of fast functions share a transaction (a transaction costs a few broker round trips); before a
     * record whose function may be slow (it was slow last time on this instance, or it has not run here yet) the
     * results waiting are committed first, so a slow or hostile function never holds back the answers of the fast
     * ones polled before it, and a slow run is committed as soon as it ends. Within the commit interval of the last
     * transaction, the results of a poll are held for the next one, across polls ({@link #hold}).
     */
    @Override
    public void onMessage(List<ConsumerRecord<String, byte[]>> polled, Acknowledgment ack, Consumer<?, ?> consumer) {
        InFlight last = inFlight;
        if (last != null && last.isDone() && !settle(consumer, false, polled)) {
            // the transaction before failed: its records, those held after it and these go back
            return;
        }
        if (draining) {
            // polled while the instance was asked to stop: what ran is committed, all of this goes back (and if that
            // transaction fails, what ran goes back too)
            List<ConsumerRecord<String, byte[]>> all = new ArrayList<>(held);
            all.addAll(polled);
            int ran = held.size();
            List<InvocationProcessor.Step> steps = heldSteps;
            clearHeld();
            commitAndSendBack(all, 0, ran, steps, consumer);
            return;
        }
        arrived();
        // the records held from earlier polls come first: they ran first, and a failed transaction sends every
        // partition back to its first record not committed
        List<ConsumerRecord<String, byte[]>> records = lanesPassedOver ? lanesFirst(polled) : freshFirst(polled);
        int base = held.size();
        if (base > 0) {
            List<ConsumerRecord<String, byte[]>> all = new ArrayList<>(base + records.size());
            all.addAll(held);
            all.addAll(records);
            records = all;
        }
        List<InvocationProcessor.Step> steps = base > 0 ? heldSteps : new ArrayList<>(records.size());
        long carried = base > 0 ? heldBytes : 0;
        if (base > 0 || polled.size() > 1) {
            // records came while others were held or waited in line: more than one caller at a time
            concurrentSeenNanos = nanoTime.getAsLong();
        }
        // they are in this batch now; if it ends holding again, it asks for its own wake-ups
        clearHeld();
        uncommittedFrom = 0;
        try {
            run(records, base, steps, carried, consumer);
        } catch (RuntimeException e) {
            // nothing after the last commit may be skipped: its partitions go back to what was committed
            log.error("Instance {}: a batch failed unexpectedly, running it again", instanceId, e);
            List<ConsumerRecord<String, byte[]>> rest = records.subList(Math.min(uncommittedFrom, records.size()),
                    records.size());
            // the transaction before them first: if it failed, they went back with its records
            if (settle(consumer, true, rest) && !rest.isEmpty()) {
                backToCommitted(rest, consumer);
            }
            pause.accept(Duration.ofSeconds(1));
        }
    }

    private void clearHeld() {
        held = List.of();
        heldSteps = List.of();
        heldBytes = 0;
        heldCount = 0;
        wakeFor = 0;
    }

    /**
     * Runs records {@code [base, size)} of {@code records} (those before {@code base} ran in earlier polls and are
     * held, their steps first in {@code steps}) and commits them, or holds them for the next transaction.
     *
     * @param carried what the held steps keep in memory (see {@link #HELD_BYTES_PER_TRANSACTION})
     */
    private void run(List<ConsumerRecord<String, byte[]>> records, int base, List<InvocationProcessor.Step> steps,
            long carried, Consumer<?, ?> consumer) {
        int firstLane = base + firstLane(records.subList(base, records.size()));
        lanesPassedOver = false;
        long start = System.nanoTime();
        int from = 0;
        boolean slowRun = false;
        long bytes = carried;
        for (int i = base; i < records.size(); i++) {
            if (i > base && (draining || System.nanoTime() - start > batchBudget.toNanos())) {
                // slow functions, or stopping: commit what is done, let the rest come back on the next poll; if no
                // line of a lane got its turn in this one, the lanes go first in the next
                lanesPassedOver = firstLane >= i;
                commitAndSendBack(records, from, i, steps, consumer);
                return;
            }
            if (i > from && bytes >= HELD_BYTES_PER_TRANSACTION) {
                // large results (or requests sent on) do not all wait in memory for the end of the poll: what is
                // done commits now
                if (!commit(records, from, i, steps, consumer)) {
                    return;
                }
                from = i;
                uncommittedFrom = i;
                steps.clear();
                bytes = 0;
            }
            ConsumerRecord<String, byte[]> record = records.get(i);
            InvocationRequested request = parse(record);
            if (request != null && request.lane() != null && !record.topic().equals(LANES)) {
                // a tenant or function with a concurrency limit: it runs from its lane, in line there
                steps.add(InvocationProcessor.Step.moveToLane(request));
                bytes += size(record);
                continue;
            }
            if (request != null && request.lane() == null && !slowLane && slow.isSlow(request.functionId())) {
                // it ran long lately: the records polled behind it must not wait for it
                steps.add(InvocationProcessor.Step.moveToSlowLane(request));
                bytes += size(record);
                continue;
            }
            String tenant = fairShare.read(request);
            boolean ownLane = request != null && request.lane() == null && !slowLane;
            Integer fairLane = ownLane && !record.topic().equals(FAIR_LANES) ? fairShare.lane(tenant, request) : null;
            if (fairLane != null) {
                // its tenant floods past its share of the instances: it waits in its tenant's fair lanes, not in
                // front of others
                steps.add(InvocationProcessor.Step.moveToFairLane(request, fairLane));
                bytes += size(record);
                continue;
            }
            if (!steps.isEmpty() && mayBeSlow(request)) {
                if (!commit(records, from, i, steps, consumer)) {
                    return;
                }
                from = i;
                uncommittedFrom = i;
                steps.clear();
                bytes = 0;
            }
            long began = nanoTime.getAsLong();
            Instant startedAt = tenant == null ? null : Instant.now();
            long cpuBefore = CPU.getCurrentThreadCpuTime();
            InvocationProcessor.Step step;
            fairShare.begin(tenant);
            try {
                step = request == null ? unreadable(record) : process(request);
            } catch (SandboxClosedException e) {
                // cancelled by a stop past its grace: what finished before it still counts, the rest goes back
                commitAndSendBack(records, from, i, steps, consumer);
                return;
            } finally {
                fairShare.end(tenant);
            }
            // measuring what the function's context keeps is the platform's work, not the function's
            long took = nanoTime.getAsLong() - began - (sandbox == null ? 0 : sandbox.lastMeasureWallNanos());
            if (request != null && request.functionId() != null) {
                lastRunNanos.put(request.functionId(), took);
                // CPU time, not wall time: a fast function whose thread waited for a busy CPU is not slow
                slow.ran(request.functionId(), CPU.getCurrentThreadCpuTime() - cpuBefore
                        - (sandbox == null ? 0 : sandbox.lastMeasureCpuNanos()), step == null ? null : step.result());
                if (ownLane) {
                    // runs in a limit's lane are that limit's business, not the share's
                    fairShare.ran(tenant, request, took, step != null && step.result() != null
                            && step.result().coldStart(), startedAt);
                }
                if (step != null && step.toSlowLane() != null) {
                    // stopped at its CPU budget and handed to the slow lane: slow, whatever the clock said
                    slow.handedOff(request.functionId());
                }
            }
            if (step != null) {
                steps.add(step);
                bytes += keptBytes(step, record);
            }
            slowRun = took > FAST_NANOS;
            if (slowRun && i + 1 < records.size()) {
                // a slow run commits at once: its caller waits no longer, and a rebalance while the next one runs
                // cannot make it run again
                if (!commit(records, from, i + 1, steps, consumer)) {
                    return;
                }
                from = i + 1;
                uncommittedFrom = i + 1;
                steps.clear();
                bytes = 0;
            }
        }
        long sinceCommit = nanoTime.getAsLong() - lastCommitNanos;
        InFlight last = inFlight;
        boolean committing = last != null && !last.isDone();
        // results held from an earlier poll and not committed in this run (with committing: that poll came while
        // the same transaction committed)
        boolean heldThrough = base > 0 && from == 0;
        if (from < records.size() && !slowRun && !draining && bytes < HELD_BYTES_PER_TRANSACTION
                && (committing && !heldThrough || sinceCommit < commitIntervalNanos
                        && (!callerWaits(steps) || moreCallersThanOne(commitIntervalNanos - sinceCommit)))) {
            // the last transaction was a moment ago: these wait for the next poll's records, or the interval's end.
            // Where a sync caller waits for one of them, only when more than one caller sends and records come
            // faster than the rest of the interval: a caller that waits for each answer before its next call brings
            // no record while its answer is held, and holding it would only delay it. While the last one still
            // commits, the first poll's records since wait for it to end (it wakes the consumer then) rather than
            // the consumer waiting
            hold(records.subList(from, records.size()), steps, bytes, consumer);
            return;
        }
        // Otherwise now. A second poll while the same transaction commits (past the interval, or a lone sync
        // caller's within it) waits for it here and goes out whole in the next one, rather than polling again for
        // a few records at a time (see the README's twenty-ninth round)
        commit(records, from, records.size(), steps, consumer);
        return;
    }

    /**
     * Keeps records that ran, with their steps, for the next transaction: the consumer's next poll goes on past them,
     * and a wake-up at the interval's end makes that poll return, so the container's idle event ({@link #commitDue})
     * commits them if no record came meanwhile.
     */
    private void hold(List<ConsumerRecord<String, byte[]>> records, List<InvocationProcessor.Step> steps,
            long bytes, Consumer<?, ?> consumer) {
        // only their places are needed from here on (offsets, seeks): not their values, which the steps have read
        held = places(records);
        heldSteps = steps;
        heldBytes = bytes;
        heldCount = held.size();
        long holding = ++holdings;
        wakeFor = holding;
        InFlight last = inFlight;
        if (last != null && !last.isDone() && nanoTime.getAsLong() - lastCommitNanos >= commitIntervalNanos) {
            // its end wakes the consumer (the committer reads wakeFor after it ends, this read its end after setting
            // wakeFor: one of the two sees the other); a timer's wake-ups every 2 ms until then would only find it
            // still committing, each an extra poll
            return;
        }
        scheduleWake(holding, consumer);
    }

    private void scheduleWake(long holding, Consumer<?, ?> consumer) {
        long now = nanoTime.getAsLong();
        // not before a woken poll can make an idle event: an earlier wake-up would wait for the next one, 2 ms on
        long due = Math.max(Math.max(0, lastCommitNanos + commitIntervalNanos - now),
                lastArrivalNanos + IDLE_AFTER_NANOS - now);
        later.after(due, () -> wake(holding, consumer));
    }

    /** On the timer's thread: makes the consumer's poll return while {@code holding} is held, again until it is not. */
    private void wake(long holding, Consumer<?, ?> consumer) {
        if (wakeFor == holding) {
            consumer.wakeup();
            later.after(WAKE_AGAIN_NANOS, () -> wake(holding, consumer));
        }
    }

    /** Whether a sync caller waits for one of these results. */
    private static boolean callerWaits(List<InvocationProcessor.Step> steps) {
        for (InvocationProcessor.Step step : steps) {
            if (step.retry() == null && step.result() != null && step.result().replyTo() != null) {
                return true;
            }
        }
        return false;
    }

    /** What a step keeps in memory until its transaction: its output and logs, and a request it sends on. */
    private static long keptBytes(InvocationProcessor.Step step, ConsumerRecord<String, byte[]> record) {
        InvocationCompleted result = step.result();
        long bytes = step.outputChars() + (result == null || result.logs() == null ? 0 : result.logs().length());
        return step.retry() != null || step.deadLetter() != null || step.moved() ? bytes + size(record) : bytes;
    }

    private static long size(ConsumerRecord<String, byte[]> record) {
        return record.value() == null ? 0 : record.value().length;
    }

    /**
     * Whether records come from more than one caller at a time, lately (a poll brought several, or came while
     * results were held), and faster than {@code remainingNanos}.
     */
    private boolean moreCallersThanOne(long remainingNanos) {
        return nanoTime.getAsLong() - concurrentSeenNanos < CONCURRENCY_MEMORY_NANOS && arrivalGapNanos < remainingNanos;
    }

    /** How fast records come: the smoothed time between polls that brought some. */
    private void arrived() {
        long now = nanoTime.getAsLong();
        if (lastArrivalNanos != 0) {
            long gap = now - lastArrivalNanos;
            arrivalGapNanos = arrivalGapNanos == Long.MAX_VALUE ? gap : arrivalGapNanos + (gap - arrivalGapNanos) / 4;
        }
        lastArrivalNanos = now;
    }

    /**
     * Between polls, on the consumer's thread (the container's idle event, which a wake-up brings): commits the held
     * records once the interval since the last transaction has passed, or at once when the instance stops.
     *
     * @return whether nothing is held any more (then the consumer's position is all committed, or sent back)
     */
    boolean commitDue(Consumer<?, ?> consumer) {
        InFlight last = inFlight;
        if (last != null && (!last.isDone() || !settle(consumer, false, List.of()))) {
            // still committing (its end wakes the consumer again), or it failed and everything went back
            return false;
        }
        if (held.isEmpty()) {
            // a transaction committed again after a rebalance may be in flight: not all committed yet
            return inFlight == null;
        }
        if (!draining && nanoTime.getAsLong() - lastCommitNanos < commitIntervalNanos) {
            // woken early (a wake-up meant for an earlier holding, a poll's timeout): the holding's own wake-ups come
            // from the interval's end on
            return false;
        }
        commitHeldRecords(consumer);
        return inFlight == null;
    }

    /**
     * Commits what is held now, whatever the interval, and waits until that and the transaction before it have
     * ended: the instance stops, or its partitions are being revoked.
     */
    void commitHeld(Consumer<?, ?> consumer) {
        if (settle(consumer, true, List.of())) {
            commitHeldRecords(consumer);
            settle(consumer, true, List.of());
        }
    }

    private void commitHeldRecords(Consumer<?, ?> consumer) {
        if (held.isEmpty()) {
            return;
        }
        List<ConsumerRecord<String, byte[]>> records = held;
        List<InvocationProcessor.Step> steps = heldSteps;
        clearHeld();
        commit(records, 0, records.size(), steps, consumer);
    }

    /**
     * The group took partitions away without a revocation (this member was fenced): nothing held can be committed
     * any more. The held results were never sent, so dropping them publishes nothing; the partitions' new owners run
     * those records from the committed offsets, and partitions this instance keeps go back to their first held record.
     */
    void dropHeld(Consumer<?, ?> consumer, java.util.Collection<TopicPartition> lost) {
        InFlight last = inFlight;
        if (last != null) {
            inFlight = null;
            if (last.await() != null) {
                // it failed (fenced, most likely): its records and those held after them go back, in the partitions
                // this instance keeps, to what the group committed
                List<ConsumerRecord<String, byte[]>> back = new ArrayList<>(last.records);
                back.addAll(held);
                back.removeIf(r -> lost.contains(new TopicPartition(r.topic(), r.partition())));
                clearHeld();
                if (!back.isEmpty()) {
                    backToCommitted(back, consumer);
                }
                return;
            }
        }
        if (held.isEmpty()) {
            return;
        }
        Map<TopicPartition, Long> first = new HashMap<>();
        for (ConsumerRecord<String, byte[]> record : held) {
            first.putIfAbsent(new TopicPartition(record.topic(), record.partition()), record.offset());
        }
        log.info("Instance {}: partitions lost; {} results held back are dropped, to run again", instanceId,
                held.size());
        clearHeld();
        first.forEach((tp, offset) -> {
            if (!lost.contains(tp)) {
                consumer.seek(tp, offset);
            }
        });
    }

    /**
     * The batch with the records of the lanes (concurrency and fair) after the others, each partition's in its order.
     * A lane is a line of a limited tenant or function, or of a tenant past its fair share, often long; a fresh
     * invocation polled with it must not wait behind it (the batch's budget then sends the rest of the line back to
     * the next poll). So that fresh work arriving all the
     * time cannot hold the lanes back for ever, a batch cut before any lane record ran makes the next one run the
     * lanes first ({@link #lanesFirst}).
     */
    static List<ConsumerRecord<String, byte[]>> freshFirst(List<ConsumerRecord<String, byte[]>> records) {
        return grouped(records, false);
    }

    /** The batch with the records of the lanes (concurrency and fair) first, each partition's in its order. */
    static List<ConsumerRecord<String, byte[]>> lanesFirst(List<ConsumerRecord<String, byte[]>> records) {
        return grouped(records, true);
    }

    /** Lines waiting their turn: the lanes of concurrency limits and the fair lanes of tenants that flood. */
    private static boolean isLane(String topic) {
        return topic.equals(LANES) || topic.equals(FAIR_LANES);
    }

    /** Where the first lane record of the batch is (its size when none). */
    private static int firstLane(List<ConsumerRecord<String, byte[]>> records) {
        for (int i = 0; i < records.size(); i++) {
            if (isLane(records.get(i).topic())) {
                return i;
            }
        }
        return records.size();
    }

    private static List<ConsumerRecord<String, byte[]>> grouped(List<ConsumerRecord<String, byte[]>> records,
            boolean lanesFirst) {
        boolean lanes = false;
        boolean fresh = false;
        for (ConsumerRecord<String, byte[]> record : records) {
            if (isLane(record.topic())) {
                lanes = true;
            } else {
                fresh = true;
            }
        }
        if (!lanes || !fresh) {
            return records;
        }
        List<ConsumerRecord<String, byte[]>> ordered = new ArrayList<>(records.size());
        records.stream().filter(r -> isLane(r.topic()) == lanesFirst).forEach(ordered::add);
        records.stream().filter(r -> isLane(r.topic()) != lanesFirst).forEach(ordered::add);
        return ordered;
    }

    /** Commits records {@code [from, i)}; the records from {@code i} on come back with the next poll. */
    private void commitAndSendBack(List<ConsumerRecord<String, byte[]>> records, int from, int i,
            List<InvocationProcessor.Step> steps, Consumer<?, ?> consumer) {
        if (commit(records, from, i, steps, consumer)) {
            rewind(records.subList(i, records.size()), consumer);
        }
    }

    /** Records that ran and wait for the next transaction (see the commit interval). */
    int heldCount() {
        return heldCount;
    }

    /** Finish the record in hand, commit, start no other: the instance is stopping. */
    void drain() {
        draining = true;
    }

    private boolean mayBeSlow(InvocationRequested request) {
        if (request == null || request.functionId() == null) {
            return false;
        }
        Long last = lastRunNanos.getIfPresent(request.functionId());
        return last == null || last > FAST_NANOS;
    }

    /**
     * Publishes the steps and commits the offsets of records {@code [from, to)} in one transaction, on the committer
     * (see {@link #committer}): first the transaction before it ends, then this one is handed over, and the consumer's
     * thread goes on. Metrics count a step once its transaction committed, so a batch that runs twice is counted once.
     *
     * <p>When a transaction fails (the broker unreachable, a rebalance moved the group on, a result too large to
     * send) it is aborted, and the consumer's thread learns it when it next settles it ({@link #settle}): here, at
     * the next poll, or when the committer wakes it. Then its records, those held or polled after them and the rest
     * of the batch in hand go back: their partitions are sought to the committed offsets and this consumer waits a
     * backoff before it polls again. A partition a rebalance moved meanwhile is run by its new owner from the
     * committed offset, never by this instance from records it no longer owns.
     *
     * @return false when this transaction or the one before it is known to have failed (records {@code from} on
     *         went back then); true when it committed or is committing
     */
    private boolean commit(List<ConsumerRecord<String, byte[]>> records, int from, int to,
            List<InvocationProcessor.Step> steps, Consumer<?, ?> consumer) {
        List<ConsumerRecord<String, byte[]>> done = records.subList(from, to);
        if (done.isEmpty()) {
            return true;
        }
        if (!settle(consumer, true, records.subList(from, records.size()))) {
            return false;
        }
        // whatever was held is in this transaction
        wakeFor = 0;
        // only the records' places are needed from here on (seeks when it fails); the caller's list of steps goes
        // on to the next transaction's meanwhile
        InFlight transaction = new InFlight(places(done), List.copyOf(steps), offsets(done), consumer.groupMetadata(),
                Thread.currentThread());
        inFlight = transaction;
        lastCommitNanos = nanoTime.getAsLong();
        hand(transaction, consumer);
        // committed on this thread (no committer of its own, or it stopped): settled at once
        return !transaction.isDone() || settle(consumer, false, records.subList(to, records.size()));
    }

    /** Hands a transaction to the committer (or runs it here when that has stopped). */
    private void hand(InFlight transaction, Consumer<?, ?> consumer) {
        Runnable publish = () -> {
            if (transaction.isDone()) {
                // ended as failed when its hand-over threw, its records sent back: never published after that
                return;
            }
            // an error thrown past here still ends it, as failed: the consumer's thread may be waiting for it
            RuntimeException failure = new IllegalStateException("the transaction did not end");
            try {
                publish(transaction.steps, transaction.offsets, transaction.group);
                failure = null;
            } catch (RuntimeException e) {
                failure = e;
            } finally {
                try {
                    if (failure == null) {
                        count(transaction.steps);
                    }
                } finally {
                    transaction.ended(failure);
                    if (Thread.currentThread() != transaction.consumerThread && !transaction.awaited
                            && (transaction.failure != null || wakeFor != 0)) {
                        // results held behind it, or a failure to act on: the consumer's poll returns for them
                        wakeUntilSettled(transaction, consumer);
                    }
                }
            }
        };
        try {
            committer.execute(publish);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // the committer stopped with the instance: what is left commits on this thread
            publish.run();
        } catch (RuntimeException | Error e) {
            // never ran: failed, or the consumer's thread would wait for it for ever
            transaction.ended(new IllegalStateException("the transaction could not be handed over", e));
            throw e;
        }
    }

    /** One transaction's publishing, on the committer. */
    private void publish(List<InvocationProcessor.Step> steps, Map<TopicPartition, OffsetAndMetadata> offsets,
            org.apache.kafka.clients.consumer.ConsumerGroupMetadata group) {
        results.executeInTransaction(t -> {
            int lanes = steps.stream().anyMatch(step -> step.toLane() != null)
                    ? t.partitionsFor(LANES).size() : 0;
            int fairLanes = steps.stream().anyMatch(step -> step.toFairLane() != null)
                    ? t.partitionsFor(FAIR_LANES).size() : 0;
            for (InvocationProcessor.Step step : steps) {
                if (step.toSlowLane() != null) {
                    t.send(SLOW_LANE, step.toSlowLane().executionId(), step.toSlowLane());
                    continue;
                }
                if (step.toFairLane() != null) {
                    InvocationRequested moved = step.toFairLane();
                    t.send(new ProducerRecord<>(FAIR_LANES, Math.floorMod(step.fairLane(), fairLanes),
                            moved.executionId(), moved));
                    continue;
                }
                if (step.toLane() != null) {
                    InvocationRequested moved = step.toLane();
                    // the gateway placed it among the registry's partitions; a topic since grown keeps them
                    t.send(new ProducerRecord<>(LANES, Math.floorMod(moved.lane(), lanes), moved.executionId(),
                            moved));
                    continue;
                }
                t.send(step.retry() != null ? retryRecord(step.retry()) : resultRecord(step.result()));
                if (step.deadLetter() != null) {
                    t.send(Topic.DEAD_LETTERS.topicName(), step.deadLetter().executionId(), step.deadLetter());
                }
            }
            t.sendOffsetsToTransaction(offsets, group);
            return null;
        });
    }

    /** A committed transaction's steps, counted. */
    private void count(List<InvocationProcessor.Step> steps) {
        for (InvocationProcessor.Step step : steps) {
            if (step.moved()) {
                metrics.moved(step.toFairLane() != null ? "fair" : step.toLane() != null ? "concurrency" : "slow");
                continue;
            }
            if (step.redelivery()) {
                metrics.redelivered(step.result());
            } else if (step.retry() != null) {
                metrics.retried(step.result());
            } else {
                metrics.completed(step.result());
            }
            if (step.deadLetter() != null) {
                metrics.deadLettered(step.deadLetter().functionId());
            }
        }
    }

    /**
     * On the consumer's thread: learns how the transaction handed to the committer ended, waiting for it if
     * {@code wait}, else only if it has ended. When it failed, its records, the held ones (which ran after them) and
     * {@code after} (records after them in hand, not committed) go back to the committed offsets, and the consumer
     * waits a backoff unless a rebalance was the cause.
     *
     * @return false when it failed
     */
    private boolean settle(Consumer<?, ?> consumer, boolean wait, List<ConsumerRecord<String, byte[]>> after) {
        InFlight transaction = inFlight;
        if (transaction == null || !wait && !transaction.isDone()) {
            return true;
        }
        RuntimeException e = transaction.await();
        inFlight = null;
        if (e == null) {
            failures = 0;
            return true;
        }
        InFlight again = overtakenByRebalance(e) ? transaction.again(consumer) : null;
        if (again != null) {
            // the group moved on while it committed, and this instance still owns its partitions: it published
            // nothing (aborted), so the same results go again, with the new generation, instead of running again
            log.debug("Instance {}: a rebalance overtook a transaction of {}; committing it again", instanceId,
                    transaction.records.size());
            inFlight = again;
            hand(again, consumer);
            return settle(consumer, wait, after);
        }
        List<ConsumerRecord<String, byte[]>> back = new ArrayList<>(transaction.records.size() + held.size()
                + after.size());
        back.addAll(transaction.records);
        back.addAll(held);
        back.addAll(after);
        int size = transaction.records.size();
        clearHeld();
        backToCommitted(back, consumer);
        if (overtakenByRebalance(e)) {
            // the group moved on while the batch ran (an instance came or went): expected while scaling. No
            // backoff: the rebalance completes only once this consumer polls again, and every other instance
            // waits for that (a backoff here stalled the whole group for seconds while it scaled)
            log.info("Instance {}: a rebalance overtook a batch of {}, running it again", instanceId, size);
            return false;
        }
        failures++;
        if (failures == 1 || failures % 30 == 0) {
            log.warn("Instance {}: publishing a batch of {} failed (attempt {}), running it again: {}", instanceId,
                    size, failures, e.toString());
        }
        pause.accept(Duration.ofMillis(Math.min(5_000, 100L << Math.min(failures - 1, 6))));
        return false;
    }

    /** On the committer's thread: makes the consumer's poll return until it has settled {@code transaction}. */
    private void wakeUntilSettled(InFlight transaction, Consumer<?, ?> consumer) {
        if (inFlight == transaction && !transaction.awaited) {
            consumer.wakeup();
            later.after(WAKE_AGAIN_NANOS, () -> wakeUntilSettled(transaction, consumer));
        }
    }

    /** Records' places (topic, partition, offset) without their values, which the steps have read. */
    private static List<ConsumerRecord<String, byte[]>> places(List<ConsumerRecord<String, byte[]>> records) {
        List<ConsumerRecord<String, byte[]>> places = new ArrayList<>(records.size());
        for (ConsumerRecord<String, byte[]> r : records) {
            places.add(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), r.key(), null));
        }
        return places;
    }

    /** A transaction handed to the committer: its records, what it publishes, and how it ended once it has. */
    private static final class InFlight {
        /** How often one transaction is committed again after rebalances overtook it, before its records go back. */
        private static final int REBALANCES_OVERTAKING = 3;
        final List<ConsumerRecord<String, byte[]>> records;
        final List<InvocationProcessor.Step> steps;
        final Map<TopicPartition, OffsetAndMetadata> offsets;
        final org.apache.kafka.clients.consumer.ConsumerGroupMetadata group;
        /** The consumer's thread: a transaction it ran itself needs no wake-up. */
        final Thread consumerThread;
        private final int overtaken;
        private final java.util.concurrent.CountDownLatch end = new java.util.concurrent.CountDownLatch(1);
        volatile RuntimeException failure;
        /** Set once the consumer's thread waits for it: it needs no wake-up (one would stay pending). */
        volatile boolean awaited;

        InFlight(List<ConsumerRecord<String, byte[]>> records, List<InvocationProcessor.Step> steps,
                Map<TopicPartition, OffsetAndMetadata> offsets,
                org.apache.kafka.clients.consumer.ConsumerGroupMetadata group, Thread consumerThread) {
            this(records, steps, offsets, group, consumerThread, 0);
        }

        private InFlight(List<ConsumerRecord<String, byte[]>> records, List<InvocationProcessor.Step> steps,
                Map<TopicPartition, OffsetAndMetadata> offsets,
                org.apache.kafka.clients.consumer.ConsumerGroupMetadata group, Thread consumerThread, int overtaken) {
            this.records = records;
            this.steps = steps;
            this.offsets = offsets;
            this.group = group;
            this.consumerThread = consumerThread;
            this.overtaken = overtaken;
        }

        /**
         * The same transaction with the group's new generation, when a rebalance overtook it (while it committed,
         * the consumer's thread polled and took part in it) and this member still owns all its partitions; else null
         * (the generation has not moved yet, or partitions went elsewhere: its records run again).
         */
        InFlight again(Consumer<?, ?> consumer) {
            var now = consumer.groupMetadata();
            if (overtaken >= REBALANCES_OVERTAKING || now.generationId() == group.generationId()
                    || !consumer.assignment().containsAll(offsets.keySet())) {
                return null;
            }
            return new InFlight(records, steps, offsets, now, Thread.currentThread(), overtaken + 1);
        }

        /** The first end counts: one a failed hand-over gave is not overwritten. */
        synchronized void ended(RuntimeException failure) {
            if (!isDone()) {
                this.failure = failure;
                end.countDown();
            }
        }

        boolean isDone() {
            return end.getCount() == 0;
        }

        /** Waits for its end (a stop waits no longer than the transaction's own timeouts); its failure or null. */
        RuntimeException await() {
            awaited = !isDone();
            boolean interrupted = false;
            while (true) {
                try {
                    end.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            return failure;
        }
    }

    /** Whether a transaction failed because the group's generation moved on (the offsets were refused). */
    static boolean overtakenByRebalance(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CommitFailedException || t instanceof RebalanceInProgressException
                    || t instanceof org.apache.kafka.common.errors.FencedInstanceIdException) {
                return true;
            }
        }
        return false;
    }

    /**
     * After a failed transaction: each partition of the records not committed (those of the failed transaction and
     * those of the batch not run yet) goes back to the group's committed offset. A read_committed consumer's lookup
     * waits for a transaction still settling, so a commit that did succeed although it reported a failure (a timeout
     * after the broker took it) is not run again. While the lookup itself fails (the broker unreachable, the
     * transaction not settled yet) it is asked again: running the records again without knowing could commit a
     * second result; moving on could skip them. A stopping instance stops asking; its records, not committed as far
     * as it knows, go back to their first offsets for the next owner.
     */
    private void backToCommitted(List<ConsumerRecord<String, byte[]>> notCommitted, Consumer<?, ?> consumer) {
        Map<TopicPartition, Long> first = new HashMap<>();
        for (ConsumerRecord<String, byte[]> record : notCommitted) {
            first.putIfAbsent(new TopicPartition(record.topic(), record.partition()), record.offset());
        }
        // a partition no longer assigned cannot be sought (its new owner starts from the committed offset)
        first.keySet().retainAll(consumer.assignment());
        if (first.isEmpty()) {
            return;
        }
        int wakeUps = 0;
        for (int attempt = 1; ; attempt++) {
            try {
                Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(first.keySet(),
                        Duration.ofSeconds(10));
                first.forEach((tp, offset) -> {
                    OffsetAndMetadata c = committed.get(tp);
                    consumer.seek(tp, c == null ? offset : Math.max(offset, c.offset()));
                });
                return;
            } catch (RuntimeException e) {
                if (e instanceof org.apache.kafka.common.errors.WakeupException && ++wakeUps <= MAX_WAKE_UPS) {
                    // a wake-up meant for a poll (held results due, a transaction ended) came in between: ask again
                    // at once; past a few, as any failed lookup (wake-ups every 2 ms could outpace a slow lookup)
                    attempt--;
                    continue;
                }
                if (draining || attempt >= MAX_LOOKUPS) {
                    log.warn("Instance {}: the committed offsets could not be read ({}); running the records again",
                            instanceId, e.toString());
                    first.forEach(consumer::seek);
                    return;
                }
                log.debug("Reading committed offsets failed (attempt {}), asking again: {}", attempt, e.toString());
                pause.accept(Duration.ofSeconds(1));
            }
        }
    }

    /** About a minute of asking (each lookup waits up to 10 s): beyond it the group has likely moved on anyway. */
    private static final int MAX_LOOKUPS = 6;
    /** Lookups a wake-up cut short that are asked again at once. */
    private static final int MAX_WAKE_UPS = 10;

    /** Between failed transactions; heartbeats go on meanwhile (their own thread), a stop waits at most this long. */
    private static void backOff(Duration pause) {
        try {
            Thread.sleep(pause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The offset after each partition's last record: where the group continues. */
    static Map<TopicPartition, OffsetAndMetadata> offsets(List<ConsumerRecord<String, byte[]>> done) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (ConsumerRecord<String, byte[]> record : done) {
            offsets.merge(new TopicPartition(record.topic(), record.partition()),
                    new OffsetAndMetadata(record.offset() + 1), (a, b) -> a.offset() >= b.offset() ? a : b);
        }
        return offsets;
    }

    /**
     * Moves each partition back to its first record not run, so the next poll (where a pending rebalance also takes
     * its step) brings them again. A partition a rebalance moves meanwhile is run by its new owner from the offset
     * the last transaction committed.
     */
    private static void rewind(List<ConsumerRecord<String, byte[]>> rest, Consumer<?, ?> consumer) {
        Map<TopicPartition, Long> rewind = new HashMap<>();
        for (ConsumerRecord<String, byte[]> record : rest) {
            rewind.putIfAbsent(new TopicPartition(record.topic(), record.partition()), record.offset());
        }
        rewind.forEach(consumer::seek);
    }

    /** The next attempt waits in the tier of its delay; the forwarder hands it back when it is due. */
    private static ProducerRecord<String, Object> retryRecord(InvocationRequested retry) {
        // rounded up to whole seconds: notBefore - now is a hair short of the intended delay
        long millis = Duration.between(Instant.now(), retry.notBefore()).toMillis();
        Topic tier = Topic.retryTierFor(Duration.ofSeconds((millis + 999) / 1000));
        return new ProducerRecord<>(tier.topicName(), retry.executionId(), retry);
    }

    /** The request, or null when the record cannot be read as one. */
    private static InvocationRequested parse(ConsumerRecord<String, byte[]> record) {
        try {
            return JsonCodec.fromBytes(record.value(), InvocationRequested.class);
        } catch (RuntimeException e) {
            log.warn("Unreadable invocation {} at {}-{}@{}: {}", record.key(), record.topic(), record.partition(),
                    record.offset(), e.getMessage());
            return null;
        }
    }

    /** An unreadable record with a key (an execution id) ends in a rejected result; without one it is skipped. */
    private InvocationProcessor.Step unreadable(ConsumerRecord<String, byte[]> record) {
        if (record.key() == null) {
            return null;
        }
        String text = record.value() == null ? "" : new String(record.value(), StandardCharsets.UTF_8);
        InvocationRequested unreadable = new InvocationRequested(record.key(), null, 0, null, Instant.now(), null);
        return InvocationProcessor.Step.done(InvocationProcessor.rejected(unreadable,
                "unreadable invocation request (" + Math.min(text.length(), 200) + " characters)", instanceId));
    }

    private InvocationProcessor.Step process(InvocationRequested request) {
        try {
            // a fast instance gives a run the CPU of a slow one's threshold; past it, the run goes to the slow lane
            // (a run in a concurrency lane keeps its lane, which keeps its limit)
            long cpuBudget = slowLane || request.lane() != null ? 0 : slow.handOffNanos();
            return processor.process(request, sandbox, instanceId, cpuBudget);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + request.executionId(), e);
        } catch (SandboxClosedException e) {
            // stopping: leave this batch uncommitted so the invocation runs again
            throw e;
        } catch (RuntimeException e) {
            // a platform fault on this one record must not hold up the batch forever: it ends in a result
            log.error("System error running {}", request.executionId(), e);
            // it may have started (its sync caller told so): handed back, it must not be refused as throttled
            return processor.systemFault(request.inLane(request.lane(), null), "system error: "
                    + e.getClass().getSimpleName(), instanceId);
        }
    }

    private static ProducerRecord<String, Object> resultRecord(InvocationCompleted result) {
        var record = new ProducerRecord<String, Object>(Topic.INVOCATION_RESULTS.topicName(), result.executionId(), result);
        if (result.replyTo() != null) {
            record.headers().add(REPLY_TO_HEADER, result.replyTo().getBytes(StandardCharsets.UTF_8));
        }
        return record;
    }
}
