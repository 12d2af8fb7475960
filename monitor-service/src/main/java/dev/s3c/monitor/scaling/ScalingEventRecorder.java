package dev.s3c.monitor.scaling;

import static dev.s3c.contracts.ScalingEventRecord.*;

import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReplaceOneModel;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.Updates;
import com.mongodb.client.model.WriteModel;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.contracts.ScalingEvent;
import dev.s3c.contracts.Topic;
import dev.s3c.monitor.TopicReader;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
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
 * Keeps {@code scaling_events} (the monitor is its one writer): one document per scaling decision, by its event id,
 * so a replayed batch writes nothing new.
 */
@Component
class ScalingEventRecorder extends TopicReader {

    private static final Logger log = LoggerFactory.getLogger(ScalingEventRecorder.class);
    private static final ReplaceOptions UPSERT = new ReplaceOptions().upsert(true);

    private final ReactiveMongoTemplate mongo;
    private final Counter recorded;

    ScalingEventRecorder(ReactiveMongoTemplate mongo, KafkaProperties kafka, MeterRegistry meters) {
        // the scaler writes in transactions: keep only its committed decisions
        super("s3c-monitor-scaling", kafka, meters, Map.of(ConsumerConfig.GROUP_ID_CONFIG, "s3c-monitor-scaling",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), ContainerProperties.AckMode.BATCH, 1,
                List.of(Topic.SCALING_EVENTS.topicName()));
        this.mongo = mongo;
        this.recorded = meters.counter("s3c.monitor.scaling.events.recorded");
    }

    @Override
    public void onMessage(List<ConsumerRecord<String, byte[]>> records) {
        List<WriteModel<Document>> writes = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            try {
                ScalingEvent event = JsonCodec.fromBytes(record.value(), ScalingEvent.class);
                if (event != null && event.eventId() != null) {
                    writes.add(write(event));
                }
            } catch (RuntimeException e) {
                log.warn("Skipping unreadable scaling event {}-{}@{}: {}", record.topic(), record.partition(),
                        record.offset(), e.getMessage());
            }
        }
        if (writes.isEmpty()) {
            return;
        }
        mongo.getCollection(COLLECTION)
                .flatMap(c -> Mono.from(c.bulkWrite(writes, new BulkWriteOptions().ordered(false))))
                .block(Duration.ofSeconds(60));
        recorded.increment(writes.size());
    }

    /** By {@code _id} alone: the one filter the embedded store serves from its index. */
    static WriteModel<Document> write(ScalingEvent event) {
        return new ReplaceOneModel<>(Filters.eq(ID, event.eventId()), document(event), UPSERT);
    }

    static Document document(ScalingEvent e) {
        List<Document> lag = new ArrayList<>();
        e.lagByPartition().forEach((partition, n) -> lag.add(new Document("partition", partition).append("lag", n)));
        List<Document> backlog = new ArrayList<>();
        e.backlogByFunction().forEach((function, n) -> backlog.add(new Document("functionId", function)
                .append("backlog", n)));
        Document document = new Document(ID, e.eventId())
                .append(GROUP, e.group())
                .append(ACTION, e.action().name().toLowerCase(java.util.Locale.ROOT))
                .append(FROM_INSTANCES, e.fromInstances())
                .append(TO_INSTANCES, e.toInstances())
                .append(REASON, e.reason())
                .append(TIMESTAMP, e.timestamp() == null ? null : Date.from(e.timestamp()))
                .append(LAG, e.lag())
                .append(LAG_BY_PARTITION, lag)
                .append(ARRIVAL_RATE, e.arrivalRate())
                .append(COMPLETION_RATE, e.completionRate())
                .append(BACKLOG_BY_FUNCTION, backlog)
                .append(REPORTED_INSTANCES, e.reportedInstances())
                .append(PROCESSES, e.processes());
        // no key rather than a null one: a unique index holds one null at most
        if (e.timestamp() != null) {
            document.append(ORDER, order(e.timestamp(), e.eventId()));
        }
        return document;
    }

    @Override
    protected void beforeStart() {
        // the history reads ranges of ORDER (sparse: a decision is listed once it has its key); decisions stored
        // before there was a key get theirs: a scan, once, of what retention keeps
        mongo.getCollection(COLLECTION).flatMap(c -> Mono.from(c.createIndex(Indexes.ascending(ORDER),
                        new IndexOptions().name(ORDER).unique(true).sparse(true)))
                .thenMany(Flux.from(c.find(Filters.exists(ORDER, false))))
                .filter(d -> d.getDate(TIMESTAMP) != null)
                .concatMap(d -> Mono.from(c.updateOne(Filters.eq(ID, d.get(ID)), Updates.set(ORDER,
                        order(d.getDate(TIMESTAMP).toInstant(), String.valueOf(d.get(ID)))))))
                .then())
                .block(Duration.ofSeconds(60));
    }
}
