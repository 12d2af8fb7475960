package dev.s3c.monitor.executions;

import com.mongodb.MongoBulkWriteException;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.WriteModel;
import dev.s3c.contracts.ExecutionRecord;
import dev.s3c.contracts.InvocationCompleted;
import dev.s3c.contracts.InvocationRequested;
import dev.s3c.contracts.InvocationStarted;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.contracts.Topic;
import dev.s3c.monitor.TopicReader;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import io.micrometer.core.instrument.Gauge;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.kafka.event.ListenerContainerIdleEvent;
import org.springframework.kafka.listener.BatchConsumerAwareMessageListener;
import org.springframework.kafka.listener.ConsumerAwareRebalanceListener;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Persists every accepted invocation and every result into {@code executions} (the monitor is its one writer):
 * one bulk of idempotent upserts per polled batch, committed to Kafka only after MongoDB acknowledged it. A request
 * read without its result is held for {@link #HOLD}, or up to {@link #MAX_HOLD} while the executors lag (see
 * {@link HeldRequests}), so that most executions are one write, not two; its partition is committed only up to it.
 */
@Component
class ExecutionRecorder extends TopicReader implements BatchConsumerAwareMessageListener<String, byte[]> {

    private static final Logger log = LoggerFactory.getLogger(ExecutionRecorder.class);

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    /**
     * How long a request waits for its result before it is written alone: well above the executions' queue wait
     * under load (p50 about 90 ms), and a small part of what a user would wait for a result anyway; until then the
     * gateway that accepted it answers reads of it (as queued) from its own memory.
     */
    static final Duration HOLD = Duration.ofSeconds(1);
    /**
     * How long at most, while the executors lag (the hold grows by the queue waits results report): a backlog of a
     * few seconds still folds. The held requests stay bounded by count and bytes per partition.
     */
    static final Duration MAX_HOLD = Duration.ofSeconds(5);
    /** How often a reader with no new messages looks for held requests whose time is up. */
    private static final long IDLE_CHECK_MS = 250;
    private static final int MAX_HELD_PER_PARTITION = 5_000;
    private static final long MAX_HELD_BYTES_PER_PARTITION = 8L << 20;

    private final ReactiveMongoTemplate mongo;
    private final SeriesRegistry series;
    private final FunctionTimelineWriter timeline;
    /** Per consumer (each is one thread): what it holds of the partitions it reads. */
    private final Map<Object, HeldRequests> held = new ConcurrentHashMap<>();
    private final long holdNanos;
    private final Counter recorded;
    private final Counter writesBoth;
    private final Counter writesRequest;
    private final Counter writesResult;
    private final Counter writesStart;
    private final Counter stored;
    private final Timer persistenceLag;

    @Autowired
    ExecutionRecorder(ReactiveMongoTemplate mongo, KafkaProperties kafka, MeterRegistry meters) {
        this(mongo, kafka, meters, HOLD);
    }

    ExecutionRecorder(ReactiveMongoTemplate mongo, KafkaProperties kafka, MeterRegistry meters, Duration hold) {
        // the application's group (s3c-monitor); two consumers share the partitions. The three topics have as many
        // partitions and are keyed by execution id; the range assignor hands partition n of each to the same
        // consumer, so all messages of one execution are written by one thread, in turn
        // batches of up to half a second: fewer, larger bulk writes (the embedded store's cost is per write); the
        // persistence lag stays well under its 2 s target
        super("s3c-monitor-executions", kafka, meters, Map.of(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                RangeAssignor.class.getName(), ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 500,
                ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 1 << 20, ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000),
                ContainerProperties.AckMode.MANUAL, 2,
                List.of(Topic.INVOCATIONS.topicName(), Topic.INVOCATION_RESULTS.topicName(),
                        Topic.INVOCATION_STARTS.topicName()));
        // the offsets are committed here, by partition (ackMode MANUAL, and no commit after a batch the error
        // handler retried: see TopicReader)
        ContainerProperties props = container().getContainerProperties();
        props.setPollTimeout(IDLE_CHECK_MS);
        props.setIdleEventInterval(IDLE_CHECK_MS);
        props.setConsumerRebalanceListener(new ConsumerAwareRebalanceListener() {
            @Override
            public void onPartitionsRevokedBeforeCommit(Consumer<?, ?> consumer, Collection<TopicPartition> revoked) {
                forget(consumer, revoked);
            }

            @Override
            public void onPartitionsLost(Consumer<?, ?> consumer, Collection<TopicPartition> lost) {
                forget(consumer, lost);
            }
        });
        // idle events are published on the consumer's own thread, the one that may commit its offsets
        container().setApplicationEventPublisher(event -> {
            if (event instanceof ListenerContainerIdleEvent idle && idle.getConsumer() != null) {
                onIdle(idle.getConsumer());
            }
        });
        this.holdNanos = hold.toNanos();
        Gauge.builder("s3c.monitor.requests.held", held,
                        all -> all.values().stream().mapToInt(HeldRequests::size).sum())
                .description("requests read and waiting a moment for their result, to be stored in one write")
                .register(meters);
        Gauge.builder("s3c.monitor.requests.hold", held,
                        all -> all.values().stream().mapToLong(HeldRequests::lastHoldNanos).max().orElse(holdNanos)
                                / 1e9)
                .description("how long a request read now waits for its result: longer while the executors lag")
                .baseUnit("seconds").register(meters);
        this.mongo = mongo;
        this.series = new SeriesRegistry(mongo);
        this.timeline = new FunctionTimelineWriter(mongo);
        this.recorded = meters.counter("s3c.monitor.executions.recorded");
        this.writesBoth = writes(meters, "request and result");
        this.writesRequest = writes(meters, "request");
        this.writesResult = writes(meters, "result");
        this.writesStart = writes(meters, "start");
        this.stored = Counter.builder("s3c.monitor.results.stored")
                .description("results stored where users read them").register(meters);
        this.persistenceLag = Timer.builder("s3c.monitor.persistence.lag")
                .description("from a result produced (finishedAt) to it stored and readable")
                .publishPercentileHistogram().publishPercentiles(0.5, 0.99).serviceLevelObjectives(Duration.ofMillis(100), Duration.ofMillis(500),
                        Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5))
                .maximumExpectedValue(Duration.ofMinutes(5)).register(meters);
    }

    private static Counter writes(MeterRegistry meters, String kind) {
        return Counter.builder("s3c.monitor.execution.writes").tag("of", kind)
                .description("writes of executions to the store, by what each wrote").register(meters);
    }

    private HeldRequests heldBy(Object reader) {
        return held.computeIfAbsent(reader, r -> new HeldRequests(holdNanos, MAX_HOLD.toNanos(),
                MAX_HELD_PER_PARTITION, MAX_HELD_BYTES_PER_PARTITION));
    }

    /** Partitions a consumer no longer reads: whoever reads them next starts below their held requests. */
    void forget(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        HeldRequests mine = held.get(consumer);
        if (mine != null) {
            mine.forget(partitions.stream().filter(tp -> tp.topic().equals(Topic.INVOCATIONS.topicName()))
                    .map(TopicPartition::partition).toList());
            if (mine.isEmpty()) {
                held.remove(consumer);
            }
        }
    }

    /** The container hands over its consumer (a consumer-aware listener): this reader commits by partition. */
    @Override
    public void onMessage(List<ConsumerRecord<String, byte[]>> records, Consumer<?, ?> consumer) {
        Set<TopicPartition> assignment = consumer.assignment();
        Map<TopicPartition, Long> positions = new HashMap<>();
        List<ConsumerRecord<String, byte[]>> current = new ArrayList<>(records.size());
        for (ConsumerRecord<String, byte[]> r : records) {
            TopicPartition tp = new TopicPartition(r.topic(), r.partition());
            // a batch the error handler delivers again polled meanwhile: a partition that moved is its next
            // reader's, and one handed back was reset to its committed offset, from where it is read again (what
            // this consumer held of it was forgotten): only what lies below that is this batch's to write
            if (assignment.contains(tp) && r.offset() < positions.computeIfAbsent(tp, consumer::position)) {
                current.add(r);
            }
        }
        commit(consumer, record(consumer, current, owned(assignment), System.nanoTime()));
    }

    /** No batch for a moment: the held requests whose time is up are written without their result. */
    private void onIdle(Consumer<?, ?> consumer) {
        HeldRequests mine = held.get(consumer);
        if (mine != null) {
            mine.refreshHold(System.nanoTime());
        }
        if (mine == null || mine.isEmpty()) {
            return;
        }
        try {
            commit(consumer, record(consumer, List.of(), owned(consumer.assignment()), System.nanoTime()));
        } catch (WakeupException | InterruptException e) {
            // the container stopping: held requests stay uncommitted, read again by the next reader
            throw e;
        } catch (RuntimeException e) {
            // the store unreachable: they stay held, and uncommitted, until a later batch writes them
            log.warn("Could not write the requests held for their results: {}", e.getMessage());
        }
    }

    private static Set<Integer> owned(Set<TopicPartition> assignment) {
        Set<Integer> owned = new HashSet<>();
        for (TopicPartition tp : assignment) {
            if (tp.topic().equals(Topic.INVOCATIONS.topicName())) {
                owned.add(tp.partition());
            }
        }
        return owned;
    }

    private void commit(Consumer<?, ?> consumer, Map<TopicPartition, OffsetAndMetadata> offsets) {
        if (offsets.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(offsets);
        } catch (RuntimeException e) {
            HeldRequests mine = held.get(consumer);
            if (mine != null) {
                // not committed: handed out again with the next commit
                mine.commitFailed();
            }
            throw e;
        }
    }

    /**
     * Writes one batch and what it releases of the held requests.
     *
     * @param reader the consumer whose batch this is: each holds requests of its own partitions
     * @param owned the invocations partitions the calling consumer reads
     * @return the offsets to commit now: everything read, but no held request
     */
    Map<TopicPartition, OffsetAndMetadata> record(Object reader, List<ConsumerRecord<String, byte[]>> records,
            Set<Integer> owned, long nowNanos) {
        HeldRequests mine = heldBy(reader);
        List<HeldRequests.Read> requests = new ArrayList<>();
        List<InvocationCompleted> results = new ArrayList<>();
        List<InvocationStarted> starts = new ArrayList<>();
        // results and start notices are committed up to all read; requests up to the oldest held
        Map<TopicPartition, OffsetAndMetadata> commits = new HashMap<>();
        Map<Integer, Long> requestsReadUpTo = new HashMap<>();
        Set<String> resolved = new HashSet<>();
        Set<Integer> partitions = new HashSet<>(owned);
        for (ConsumerRecord<String, byte[]> record : records) {
            if (!record.topic().equals(Topic.INVOCATIONS.topicName())) {
                commits.merge(new TopicPartition(record.topic(), record.partition()),
                        new OffsetAndMetadata(record.offset() + 1), (a, b) -> a.offset() >= b.offset() ? a : b);
            }
            try {
                if (record.topic().equals(Topic.INVOCATIONS.topicName())) {
                    requestsReadUpTo.merge(record.partition(), record.offset() + 1, Math::max);
                    partitions.add(record.partition());
                    InvocationRequested r = JsonCodec.fromBytes(record.value(), InvocationRequested.class);
                    requests.add(new HeldRequests.Read(r, record.partition(), record.offset(),
                            Math.max(0, record.serializedValueSize())));
                    if (r.series() > 0) {
                        resolved.add(r.executionId());
                    }
                } else if (record.topic().equals(Topic.INVOCATION_STARTS.topicName())) {
                    starts.add(JsonCodec.fromBytes(record.value(), InvocationStarted.class));
                } else {
                    InvocationCompleted r = JsonCodec.fromBytes(record.value(), InvocationCompleted.class);
                    results.add(r);
                    resolved.add(r.executionId());
                    // a first attempt's wait for an executor; a retry's includes its back-off
                    if (r.attempt() == 1 && r.series() == 0 && r.requestedAt() != null && r.startedAt() != null) {
                        mine.observeQueueWait(queueWaitNanos(r.requestedAt(), r.startedAt()), nowNanos);
                    }
                }
            } catch (RuntimeException e) {
                log.warn("Skipping unreadable record {}-{}@{}: {}", record.topic(), record.partition(), record.offset(),
                        e.getMessage());
            }
        }
        HeldRequests.Decision decision = mine.decide(requests, resolved, partitions, nowNanos);
        Set<String> ids = new LinkedHashSet<>();
        decision.write().forEach(r -> ids.add(r.executionId()));
        results.forEach(r -> ids.add(r.executionId()));
        starts.forEach(r -> ids.add(r.executionId()));
        BatchPlan plan = ids.isEmpty() ? null : write(decision.write(), results, starts, ids);
        mine.apply(decision, requestsReadUpTo, nowNanos);
        // a request is counted once written: when read, unless held; when released, if it was
        int released = decision.released().values().stream().mapToInt(List::size).sum();
        recorded.increment(records.size() - decision.hold().size() + released);
        if (plan != null) {
            count(plan);
        }
        mine.commitsDue(partitions).forEach((partition, offset) -> commits.put(
                new TopicPartition(Topic.INVOCATIONS.topicName(), partition), new OffsetAndMetadata(offset)));
        return commits;
    }

    /** From a request to its run's start: none when the clocks say it started first, at most an hour. */
    static long queueWaitNanos(Instant requestedAt, Instant startedAt) {
        Duration wait = Duration.between(requestedAt, startedAt);
        return wait.isNegative() ? 0 : Math.min(wait.getSeconds(), 3600) * 1_000_000_000L + wait.getNano();
    }

    private BatchPlan write(List<InvocationRequested> requests, List<InvocationCompleted> results,
            List<InvocationStarted> starts, Set<String> ids) {
        BatchPlan plan = series.current(ids).map(stored -> BatchPlan.of(requests, results, starts, stored))
                .block(TIMEOUT);
        Map<String, Long> places = timeline.reserve(plan.listed()).block(TIMEOUT);
        List<WriteModel<Document>> writes = writes(plan, places);
        if (!writes.isEmpty()) {
            write(writes, 1).block(TIMEOUT);
        }
        timeline.push(plan.listed(), places).block(TIMEOUT);
        // the series last: a batch replayed after a failure in between is decided, and written, as the first time
        series.advance(plan.seriesAdvanced()).block(TIMEOUT);
        return plan;
    }

    private void count(BatchPlan plan) {
        int folded = folded(plan);
        writesBoth.increment(folded);
        writesRequest.increment(plan.requests().size() - folded);
        writesResult.increment(plan.results().size() - folded);
        writesStart.increment(plan.starts().size());
        Instant now = Instant.now();
        plan.results().values().forEach(r -> {
            stored.increment();
            if (r.finishedAt() != null) {
                persistenceLag.record(Duration.between(r.finishedAt(), now).abs());
            }
        });
    }

    /** Executions whose request and result are one write. */
    static int folded(BatchPlan plan) {
        int folded = 0;
        for (var e : plan.requests().entrySet()) {
            InvocationCompleted result = plan.results().get(e.getKey());
            if (result != null && result.series() == e.getValue().series()) {
                folded++;
            }
        }
        return folded;
    }

    /** At most one write per execution: its request and result folded together where both are here. */
    static List<WriteModel<Document>> writes(BatchPlan plan, Map<String, Long> places) {
        List<WriteModel<Document>> writes = new ArrayList<>();
        plan.requests().forEach((id, request) -> {
            InvocationCompleted result = plan.results().get(id);
            if (result != null && result.series() == request.series()) {
                writes.add(ExecutionUpserts.both(request, result, places.get(id)));
            } else if (plan.seenRedrives().contains(id)) {
                writes.add(ExecutionUpserts.redriveSeen(request, places.get(id)));
            } else {
                writes.add(ExecutionUpserts.requested(request, places.get(id)));
            }
        });
        plan.results().forEach((id, result) -> {
            InvocationRequested request = plan.requests().get(id);
            if (request == null || request.series() != result.series()) {
                writes.add(ExecutionUpserts.completed(result));
            }
        });
        plan.starts().values().forEach(start -> writes.add(ExecutionUpserts.started(start)));
        return writes;
    }

    /**
     * Writes unordered (the upserts commute). A duplicate-key failure is two inserts of a new execution racing (the
     * retry updates). Any other failure leaves the batch uncommitted.
     */
    Mono<Void> write(List<WriteModel<Document>> writes, int attempt) {
        return mongo.getCollection(ExecutionRecord.COLLECTION)
                .flatMap(c -> Mono.from(c.bulkWrite(writes, new BulkWriteOptions().ordered(false))))
                .then()
                .onErrorResume(MongoBulkWriteException.class, e -> {
                    boolean onlyDuplicates = e.getWriteErrors().stream().allMatch(w -> w.getCode() == 11000)
                            && e.getWriteConcernError() == null;
                    if (!onlyDuplicates) {
                        return Mono.error(e);
                    }
                    List<WriteModel<Document>> again = e.getWriteErrors().stream().map(w -> writes.get(w.getIndex()))
                            .toList();
                    if (attempt >= 3) {
                        return Mono.error(e);
                    }
                    return write(again, attempt + 1);
                });
    }


}
