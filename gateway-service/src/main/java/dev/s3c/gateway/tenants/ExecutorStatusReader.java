package dev.s3c.gateway.tenants;

import dev.s3c.contracts.ExecutorStatus;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.contracts.Topic;
import dev.s3c.gateway.GatewayProperties;
import dev.s3c.gateway.InstanceReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.stereotype.Component;

/**
 * Reads the executors' status reports into {@link RunningExecutions}: the compacted executor-status topic from its
 * start, as an {@link InstanceReader}.
 */
@Component
class ExecutorStatusReader extends InstanceReader {

    private static final Logger log = LoggerFactory.getLogger(ExecutorStatusReader.class);

    private final RunningExecutions running;

    @Autowired
    ExecutorStatusReader(RunningExecutions running, GatewayProperties properties, KafkaProperties kafka) {
        this(running, properties.instanceId(), kafka);
    }

    ExecutorStatusReader(RunningExecutions running, String instanceId, KafkaProperties kafka) {
        super(kafka, Topic.EXECUTOR_STATUS, "s3c-gateway-status", instanceId, true);
        this.running = running;
    }

    @Override
    protected void onRecord(ConsumerRecord<String, byte[]> record) {
        try {
            running.apply(record.key(), record.value() == null ? null
                    : JsonCodec.fromBytes(record.value(), ExecutorStatus.class), java.time.Instant.now());
        } catch (RuntimeException e) {
            log.warn("Unreadable executor status at offset {}: {}", record.offset(), e.getMessage());
        }
    }
}
