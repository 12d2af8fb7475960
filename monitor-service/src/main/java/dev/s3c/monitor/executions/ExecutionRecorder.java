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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Persists every accepted invocation and every result into {@code executions} (the monitor is its one writer):
 * one bulk of idempotent upserts per polled batch, committed to Kafka only after MongoDB acknowledged it.
 */
@Component
class ExecutionRecorder extends TopicReader {

    private static final Logger log = LoggerFactory.getLogger(ExecutionRecorder.class);

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final ReactiveMongoTemplate mongo;
    private final SeriesRegistry series;
    private final FunctionTimelineWriter timeline;
    private final Counter recorded;
    private final Counter stored;
    private final Timer persistenceLag;

    ExecutionRecorder(ReactiveMongoTemplate mongo, KafkaProperties kafka, MeterRegistry meters) {
        // the application's group (s3c-monitor); two consumers share the partitions. The three topics have as many
        // partitions and are keyed by execution id; the range assignor hands partition n of each to the same
        // consumer, so all messages of one execution are written by one thread, in turn
        // batches of up to half a second: most executions finish within it, so their request and result fold into
        // one write (the embedded store's cost is per write); the persistence lag stays well under its 2 s target
        super("s3c-monitor-executions", kafka, meters, Map.of(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                RangeAssignor.class.getName(), ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 500,
                ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 1 << 20, ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000),
                ContainerProperties.AckMode.BATCH, 2,
                List.of(Topic.INVOCATIONS.topicName(), Topic.INVOCATION_RESULTS.topicName(),
                        Topic.INVOCATION_STARTS.topicName()));
        this.mongo = mongo;
        this.series = new SeriesRegistry(mongo);
        this.timeline = new FunctionTimelineWriter(mongo);
        this.recorded = meters.counter("s3c.monitor.executions.recorded");
        this.stored = Counter.builder("s3c.monitor.results.stored")
                .description("results stored where users read them").register(meters);
        this.persistenceLag = Timer.builder("s3c.monitor.persistence.lag")
                .description("from a result produced (finishedAt) to it stored and readable")
                .publishPercentileHistogram().publishPercentiles(0.5, 0.99).serviceLevelObjectives(Duration.ofMillis(100), Duration.ofMillis(500),
                        Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5))
                .maximumExpectedValue(Duration.ofMinutes(5)).register(meters);
    }

    @Override
    public void onMessage(List<ConsumerRecord<String, byte[]>> records) {
        List<InvocationRequested> requests = new ArrayList<>();
        List<InvocationCompleted> results = new ArrayList<>();
        List<InvocationStarted> starts = new ArrayList<>();
        Set<String> ids = new LinkedHashSet<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            try {
                if (record.topic().equals(Topic.INVOCATIONS.topicName())) {
                    InvocationRequested r = JsonCodec.fromBytes(record.value(), InvocationRequested.class);
                    requests.add(r);
                    ids.add(r.executionId());
                } else if (record.topic().equals(Topic.INVOCATION_STARTS.topicName())) {
                    InvocationStarted r = JsonCodec.fromBytes(record.value(), InvocationStarted.class);
                    starts.add(r);
                    ids.add(r.executionId());
                } else {
                    InvocationCompleted r = JsonCodec.fromBytes(record.value(), InvocationCompleted.class);
                    results.add(r);
                    ids.add(r.executionId());
                }
            } catch (RuntimeException e) {
                log.warn("Skipping unreadable record {}-{}@{}: {}", record.topic(), record.partition(), record.offset(),
                        e.getMessage());
            }
        }
        if (ids.isEmpty()) {
            return;
        }
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
        recorded.increment(records.size());
        Instant now = Instant.now();
        plan.results().values().forEach(r -> {
            stored.increment();
            if (r.finishedAt() != null) {
                persistenceLag.record(Duration.between(r.finishedAt(), now).abs());
            }
        });
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
