package dev.s3c.monitor.executions;

import static dev.s3c.contracts.DeadLetterRecord.*;

import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.DeleteOneModel;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReplaceOneModel;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.Updates;
import com.mongodb.client.model.WriteModel;
import dev.s3c.contracts.DeadLetterResolved;
import dev.s3c.contracts.DeadLettered;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.contracts.Topic;
import dev.s3c.monitor.TopicReader;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
import reactor.core.publisher.Flux;
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

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final ReactiveMongoTemplate mongo;

    DeadLetterRecorder(ReactiveMongoTemplate mongo, KafkaProperties kafka, MeterRegistry meters) {
        super("s3c-monitor-dead-letters", kafka, meters,
                Map.of(ConsumerConfig.GROUP_ID_CONFIG, "s3c-monitor-dead-letters"), ContainerProperties.AckMode.BATCH,
                1, List.of(Topic.DEAD_LETTERS.topicName(), Topic.DEAD_LETTER_RESOLUTIONS.topicName()));
        this.mongo = mongo;
    }

    @Override
    public void onMessage(List<ConsumerRecord<String, byte[]>> records) {
        List<Object> messages = new ArrayList<>();
        // a resolution can be in the same batch as its dead letter, but never before it within one partition
        List<ConsumerRecord<String, byte[]>> ordered = Stream.concat(
                records.stream().filter(r -> r.topic().equals(Topic.DEAD_LETTERS.topicName())),
                records.stream().filter(r -> !r.topic().equals(Topic.DEAD_LETTERS.topicName()))).toList();
        for (ConsumerRecord<String, byte[]> record : ordered) {
            try {
                messages.add(record.topic().equals(Topic.DEAD_LETTERS.topicName())
                        ? JsonCodec.fromBytes(record.value(), DeadLettered.class)
                        : JsonCodec.fromBytes(record.value(), DeadLetterResolved.class));
            } catch (RuntimeException e) {
                log.warn("Skipping unreadable record {}-{}@{}: {}", record.topic(), record.partition(), record.offset(),
                        e.getMessage());
            }
        }
        if (messages.isEmpty()) {
            return;
        }
        Set<String> ids = new LinkedHashSet<>();
        messages.forEach(m -> ids.add(m instanceof DeadLettered d ? d.executionId() : ((DeadLetterResolved) m).executionId()));
        Map<String, Integer> stored = mongo.getCollection(COLLECTION)
                .flatMapMany(c -> Flux.from(c.find(Filters.in(ID, ids)).projection(new Document(SERIES, 1))))
                .collect(HashMap<String, Integer>::new, (map, d) -> map.put(d.getString(ID), d.getInteger(SERIES, 0)))
                .block(TIMEOUT);
        List<WriteModel<Document>> writes = writes(messages, stored);
        if (!writes.isEmpty()) {
            mongo.getCollection(COLLECTION)
                    .flatMap(c -> Mono.from(c.bulkWrite(writes, new BulkWriteOptions().ordered(false))))
                    .block(TIMEOUT);
        }
    }

    /**
     * One write per dead-lettered execution, by {@code _id} alone (the embedded store's index): the series decides
     * here. An older series never replaces a newer dead letter; a resolution removes only the series it resolved or
     * an older one (a redrive that failed again has a newer dead letter).
     *
     * @param stored the series of the dead letters stored now
     */
    static List<WriteModel<Document>> writes(List<Object> messages, Map<String, Integer> stored) {
        Map<String, Integer> series = new HashMap<>(stored);
        Map<String, DeadLettered> latest = new LinkedHashMap<>();
        for (Object message : messages) {
            if (message instanceof DeadLettered d) {
                Integer current = series.get(d.executionId());
                if (current == null || current <= d.request().series()) {
                    series.put(d.executionId(), d.request().series());
                    latest.put(d.executionId(), d);
                }
            } else if (message instanceof DeadLetterResolved r) {
                Integer current = series.get(r.executionId());
                if (current != null && current <= r.series()) {
                    series.remove(r.executionId());
                    latest.remove(r.executionId());
                }
            }
        }
        List<WriteModel<Document>> writes = new ArrayList<>();
        Set<String> ids = new LinkedHashSet<>(stored.keySet());
        ids.addAll(latest.keySet());
        for (String id : ids) {
            if (latest.containsKey(id)) {
                writes.add(new ReplaceOneModel<>(Filters.eq(ID, id), document(latest.get(id)), UPSERT));
            } else if (!series.containsKey(id)) {
                writes.add(new DeleteOneModel<>(Filters.eq(ID, id)));
            }
        }
        return writes;
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
                .append(SERIES, d.request().series())
                .append(BY_FUNCTION, byFunction(d.functionId(), d.deadLetteredAt(), d.executionId()))
                .append(BY_TIME, byTime(d.deadLetteredAt(), d.executionId()));
    }

    /**
     * The listing keys' unique indexes (sparse: a document is only listed once it has its keys), and the keys of dead
     * letters stored before there were any: a scan, once, of what retention keeps.
     */
    @Override
    protected void beforeStart() {
        mongo.getCollection(COLLECTION).flatMap(c -> Mono.from(c.createIndex(Indexes.ascending(BY_FUNCTION),
                        new IndexOptions().name(BY_FUNCTION).unique(true).sparse(true)))
                .then(Mono.from(c.createIndex(Indexes.ascending(BY_TIME),
                        new IndexOptions().name(BY_TIME).unique(true).sparse(true))))
                .thenMany(Flux.from(c.find(Filters.exists(BY_TIME, false))))
                .filter(d -> d.getDate(DEAD_LETTERED_AT) != null && d.getString(FUNCTION_ID) != null)
                .concatMap(d -> {
                    Instant at = d.getDate(DEAD_LETTERED_AT).toInstant();
                    return Mono.from(c.updateOne(Filters.eq(ID, d.getString(ID)), Updates.combine(
                            Updates.set(BY_FUNCTION, byFunction(d.getString(FUNCTION_ID), at, d.getString(ID))),
                            Updates.set(BY_TIME, byTime(at, d.getString(ID))))));
                })
                .count())
                .doOnNext(n -> {
                    if (n > 0) {
                        log.info("Gave {} dead letters stored before listing keys their keys", n);
                    }
                })
                .block(TIMEOUT);
    }
}
