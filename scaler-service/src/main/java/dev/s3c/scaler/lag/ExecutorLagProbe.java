package dev.s3c.scaler.lag;

import dev.s3c.contracts.LagSample;
import dev.s3c.contracts.Topic;
import dev.s3c.scaler.ScalerProperties;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Every probe interval, the executor group's offsets on each partition it consumes (fresh invocations and due
 * retries), from the admin API. Each measurement goes to the lag topic, where it is the scaler topology's clock,
 * and to a gauge.
 */
@Component
class ExecutorLagProbe implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(ExecutorLagProbe.class);
    // not the concurrency lanes: a backlog behind a limit of one is drained by one instance however many there are
    private static final List<String> CONSUMED = List.of(Topic.INVOCATIONS.topicName(), Topic.RETRIES_DUE.topicName());

    private final Admin admin;
    private final KafkaTemplate<String, Object> samples;
    private final String group;
    private volatile long lag = -1;

    ExecutorLagProbe(KafkaProperties kafka, KafkaTemplate<String, Object> samples, ScalerProperties properties,
            MeterRegistry meters) {
        this.admin = Admin.create(kafka.buildAdminProperties());
        this.samples = samples;
        this.group = properties.group();
        Gauge.builder("s3c.scaler.executor.lag", this, p -> p.lag)
                .description("invocations queued for the executor group (-1 until measured)")
                .register(meters);
    }

    @Scheduled(fixedRateString = "${s3c.scaler.probe-interval:1s}")
    void measure() {
        try {
            LagSample sample = sample();
            lag = sample.partitions().stream().mapToLong(LagSample.PartitionLag::lag).sum();
            samples.send(new ProducerRecord<>(Topic.EXECUTOR_LAG.topicName(), null, sample.at().toEpochMilli(), group,
                    sample));
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            log.debug("Lag measurement failed: {}", e.toString());
        }
    }

    private LagSample sample() throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(5, TimeUnit.SECONDS);
        List<TopicPartition> partitions = new ArrayList<>();
        admin.describeTopics(CONSUMED).allTopicNames().get(5, TimeUnit.SECONDS).forEach((topic, description) ->
                description.partitions().forEach(p -> partitions.add(new TopicPartition(topic, p.partition()))));
        Instant at = Instant.now();
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> end = offsets(partitions, OffsetSpec.latest());
        List<TopicPartition> uncommitted = partitions.stream().filter(p -> committed.get(p) == null).toList();
        // a partition the group never committed on lags from the start of its log
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> start = uncommitted.isEmpty() ? Map.of()
                : offsets(uncommitted, OffsetSpec.earliest());
        List<LagSample.PartitionLag> lags = new ArrayList<>(partitions.size());
        for (TopicPartition p : partitions) {
            OffsetAndMetadata c = committed.get(p);
            long position = c != null ? c.offset() : start.get(p).offset();
            lags.add(new LagSample.PartitionLag(p.topic(), p.partition(), end.get(p).offset(), position));
        }
        return new LagSample(group, at, lags);
    }

    private Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> offsets(List<TopicPartition> partitions,
            OffsetSpec spec) throws Exception {
        return admin.listOffsets(partitions.stream().collect(Collectors.toMap(Function.identity(), p -> spec)))
                .all().get(5, TimeUnit.SECONDS);
    }

    @Override
    public void destroy() {
        admin.close();
    }
}
