package dev.s3c.monitor.executions;

import com.mongodb.MongoBulkWriteException;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.Indexes;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
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

    private final ReactiveMongoTemplate mongo;
    private final Counter recorded;

    ExecutionRecorder(ReactiveMongoTemplate mongo, KafkaProperties kafka, MeterRegistry meters) {
        // the application's group (s3c-monitor); two consumers share the partitions
        super("s3c-monitor-executions", kafka, meters, Map.of(), ContainerProperties.AckMode.BATCH, 2,
                List.of(Topic.INVOCATIONS.topicName(), Topic.INVOCATION_RESULTS.topicName(),
                        Topic.INVOCATION_STARTS.topicName()));
        this.mongo = mongo;
        this.recorded = meters.counter("s3c.monitor.executions.recorded");
    }

    @Override
    public void onMessage(List<ConsumerRecord<String, byte[]>> records) {
        // per execution: its request and its latest result in this batch, so both fold into one write
        Map<String, InvocationRequested> requests = new LinkedHashMap<>();
        Map<String, InvocationCompleted> results = new LinkedHashMap<>();
        Map<String, InvocationStarted> starts = new LinkedHashMap<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            try {
                if (record.topic().equals(Topic.INVOCATIONS.topicName())) {
                    InvocationRequested r = JsonCodec.fromBytes(record.value(), InvocationRequested.class);
                    requests.put(r.executionId(), r);
                } else if (record.topic().equals(Topic.INVOCATION_STARTS.topicName())) {
                    InvocationStarted r = JsonCodec.fromBytes(record.value(), InvocationStarted.class);
                    starts.put(r.executionId(), r);
                } else {
                    InvocationCompleted r = JsonCodec.fromBytes(record.value(), InvocationCompleted.class);
                    results.put(r.executionId(), r);
                }
            } catch (RuntimeException e) {
                log.warn("Skipping unreadable record {}-{}@{}: {}", record.topic(), record.partition(), record.offset(),
                        e.getMessage());
            }
        }
        // a result says everything a start notice would
        starts.keySet().removeAll(results.keySet());
        List<WriteModel<Document>> writes = new ArrayList<>(requests.size() + results.size() + starts.size());
        requests.forEach((id, request) -> {
            InvocationCompleted result = results.get(id);
            if (result != null && request.series() == 0 && result.series() == 0) {
                results.remove(id);
                writes.add(ExecutionUpserts.both(request, result));
            } else {
                // redrives keep their order: the series reset first, then its result (ordered bulk)
                writes.add(ExecutionUpserts.requested(request));
            }
        });
        results.values().forEach(result -> writes.add(ExecutionUpserts.completed(result)));
        starts.values().forEach(start -> writes.add(ExecutionUpserts.started(start)));
        if (writes.isEmpty()) {
            return;
        }
        write(writes, 1).block(Duration.ofSeconds(60));
        recorded.increment(records.size());
    }

    /**
     * Writes unordered (the upserts commute). Duplicate-key failures are either two inserts of a new execution racing
     * from both topics (the retry updates) or a first-series message arriving after a redrive (it keeps failing, and
     * is dropped: the newer series wins). Any other failure leaves the batch uncommitted.
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
                        log.debug("{} writes superseded by a newer attempt series", again.size());
                        return Mono.empty();
                    }
                    return write(again, attempt + 1);
                });
    }

    Mono<Void> ensureIndexes() {
        return mongo.getCollection(ExecutionRecord.COLLECTION)
                .flatMap(c -> Mono.from(c.createIndex(Indexes.compoundIndex(Indexes.ascending(ExecutionRecord.FUNCTION_ID),
                        Indexes.descending(ExecutionRecord.REQUESTED_AT)))))
                .then();
    }

    @Override
    protected void beforeStart() {
        ensureIndexes().block(Duration.ofSeconds(60));
    }
}
