package dev.s3c.monitor.executions;

import static dev.s3c.contracts.DeadLetterRecord.*;

import com.mongodb.MongoBulkWriteException;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.DeleteOneModel;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.ReplaceOneModel;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.WriteModel;
import dev.s3c.contracts.DeadLetterResolved;
import dev.s3c.contracts.DeadLettered;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.contracts.Topic;
import dev.s3c.monitor.TopicReader;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
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
 * Keeps {@code dead_letters} (the monitor is its one writer): one document per dead-lettered execution, removed
 * when the gateway reports it redriven or discarded. Documents and resolutions carry the attempt series, so a
 * resolution only removes the series it resolved and an older dead letter never replaces a newer one.
 */
@Component
class DeadLetterRecorder extends TopicReader {

    private static final Logger log = LoggerFactory.getLogger(DeadLetterRecorder.class);
    private static final ReplaceOptions UPSERT = new ReplaceOptions().upsert(true);

    private final ReactiveMongoTemplate mongo;

    DeadLetterRecorder(ReactiveMongoTemplate mongo, KafkaProperties kafka, MeterRegistry meters) {
        super("s3c-monitor-dead-letters", kafka, meters,
                Map.of(ConsumerConfig.GROUP_ID_CONFIG, "s3c-monitor-dead-letters"), ContainerProperties.AckMode.BATCH,
                1, List.of(Topic.DEAD_LETTERS.topicName(), Topic.DEAD_LETTER_RESOLUTIONS.topicName()));
        this.mongo = mongo;
    }

    @Override
    public void onMessage(List<ConsumerRecord<String, byte[]>> records) {
        List<WriteModel<Document>> writes = new ArrayList<>();
        // a resolution can be in the same batch as its dead letter, but never before it within one partition
        List<ConsumerRecord<String, byte[]>> ordered = Stream.concat(
                records.stream().filter(r -> r.topic().equals(Topic.DEAD_LETTERS.topicName())),
                records.stream().filter(r -> !r.topic().equals(Topic.DEAD_LETTERS.topicName()))).toList();
        for (ConsumerRecord<String, byte[]> record : ordered) {
            try {
                if (record.topic().equals(Topic.DEAD_LETTERS.topicName())) {
                    DeadLettered d = JsonCodec.fromBytes(record.value(), DeadLettered.class);
                    // never over a newer series' dead letter (that collides on insert and is dropped below)
                    writes.add(new ReplaceOneModel<>(Filters.and(Filters.eq(ID, d.executionId()),
                            Filters.or(Filters.exists(SERIES, false), Filters.lte(SERIES, d.request().series()))),
                            document(d), UPSERT));
                } else {
                    DeadLetterResolved r = JsonCodec.fromBytes(record.value(), DeadLetterResolved.class);
                    // only the series it resolves: a redrive that failed again has a newer dead letter
                    writes.add(new DeleteOneModel<>(Filters.and(Filters.eq(ID, r.executionId()),
                            Filters.or(Filters.exists(SERIES, false), Filters.lte(SERIES, r.series())))));
                }
            } catch (RuntimeException e) {
                log.warn("Skipping unreadable record {}-{}@{}: {}", record.topic(), record.partition(), record.offset(),
                        e.getMessage());
            }
        }
        if (writes.isEmpty()) {
            return;
        }
        mongo.getCollection(COLLECTION)
                .flatMap(c -> Mono.from(c.bulkWrite(writes, new BulkWriteOptions().ordered(true))))
                .then()
                .onErrorResume(MongoBulkWriteException.class, e -> e.getWriteErrors().stream()
                        .allMatch(w -> w.getCode() == 11000) && e.getWriteConcernError() == null
                        ? retryAfterSuperseded(writes, e) : Mono.error(e))
                .block(Duration.ofSeconds(60));
    }

    /** An ordered bulk stops at the first superseded write: write the rest after it. */
    private Mono<Void> retryAfterSuperseded(List<WriteModel<Document>> writes, MongoBulkWriteException e) {
        int failed = e.getWriteErrors().getFirst().getIndex();
        List<WriteModel<Document>> rest = writes.subList(failed + 1, writes.size());
        if (rest.isEmpty()) {
            return Mono.empty();
        }
        return mongo.getCollection(COLLECTION)
                .flatMap(c -> Mono.from(c.bulkWrite(rest, new BulkWriteOptions().ordered(true))))
                .then()
                .onErrorResume(MongoBulkWriteException.class, again -> again.getWriteErrors().stream()
                        .allMatch(w -> w.getCode() == 11000) ? retryAfterSuperseded(rest, again) : Mono.error(again));
    }

    static Document document(DeadLettered d) {
        List<Document> history = new ArrayList<>(d.request().history().stream().map(ExecutionUpserts::attempt).toList());
        history.add(ExecutionUpserts.attempt(d.lastAttempt()));
        return new Document(ID, d.executionId())
                .append(FUNCTION_ID, d.functionId())
                .append(REQUEST, JsonCodec.toJson(d.request()))
                .append(INPUT, JsonCodec.toJson(d.request().input()))
                .append(ATTEMPTS, history.size())
                .append(HISTORY, history)
                .append(LAST_ERROR, ExecutionUpserts.error(d.lastAttempt().error()))
                .append(DEAD_LETTERED_AT, ExecutionUpserts.date(d.deadLetteredAt()))
                .append(SERIES, d.request().series());
    }
}
