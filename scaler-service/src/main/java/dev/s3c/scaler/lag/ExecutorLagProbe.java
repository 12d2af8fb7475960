package dev.s3c.scaler.lag;

import dev.s3c.contracts.Topic;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Every second, the executor group's lag on the invocations topic (end offset minus committed offset, summed over
 * partitions), from the admin API. The first piece of the scaler: the deciding topology builds on this measure.
 */
@Component
class ExecutorLagProbe implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(ExecutorLagProbe.class);

    private final Admin admin;
    private final String group;
    private volatile long lag = -1;

    ExecutorLagProbe(KafkaProperties kafka, MeterRegistry meters,
            @Value("${s3c.scaler.executor-group:s3c-executor}") String group) {
        this.admin = Admin.create(kafka.buildAdminProperties());
        this.group = group;
        Gauge.builder("s3c.scaler.executor.lag", this, p -> p.lag)
                .description("invocations queued for the executor group (-1 until measured)")
                .register(meters);
    }

    @Scheduled(fixedDelay = 1000)
    void measure() {
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(5, TimeUnit.SECONDS);
            String topic = Topic.INVOCATIONS.topicName();
            var partitions = admin.describeTopics(java.util.List.of(topic)).allTopicNames().get(5, TimeUnit.SECONDS)
                    .get(topic).partitions().stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> end = admin.listOffsets(partitions.stream()
                    .collect(Collectors.toMap(Function.identity(), p -> OffsetSpec.latest()))).all().get(5, TimeUnit.SECONDS);
            long total = 0;
            for (var e : end.entrySet()) {
                OffsetAndMetadata c = committed.get(e.getKey());
                total += Math.max(0, e.getValue().offset() - (c == null ? 0 : c.offset()));
            }
            lag = total;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            log.debug("Lag measurement failed: {}", e.toString());
        }
    }


    @Override
    public void destroy() {
        admin.close();
    }
}
