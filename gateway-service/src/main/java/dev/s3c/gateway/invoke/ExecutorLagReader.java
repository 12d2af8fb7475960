package dev.s3c.gateway.invoke;

import dev.s3c.contracts.JsonCodec;
import dev.s3c.contracts.LagSample;
import dev.s3c.contracts.Topic;
import dev.s3c.gateway.GatewayProperties;
import dev.s3c.gateway.InstanceReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.stereotype.Component;

/**
 * Brings the scaler's lag samples to {@link QueueAdmission}: the lag topic from its end (only the samples to come),
 * as an {@link InstanceReader}. Not started when the queue is not bounded.
 */
@Component
class ExecutorLagReader extends InstanceReader {

    private static final Logger log = LoggerFactory.getLogger(ExecutorLagReader.class);

    private final QueueAdmission admission;
    private final boolean bounded;

    ExecutorLagReader(QueueAdmission admission, GatewayProperties properties, KafkaProperties kafka) {
        super(kafka, Topic.EXECUTOR_LAG, "s3c-gateway-lag", properties.instanceId(), false);
        this.admission = admission;
        this.bounded = properties.queue().bounded();
    }

    @Override
    protected void onRecord(ConsumerRecord<String, byte[]> record) {
        try {
            admission.onSample(JsonCodec.fromBytes(record.value(), LagSample.class));
        } catch (RuntimeException e) {
            log.warn("Unreadable lag sample at offset {}: {}", record.offset(), e.getMessage());
        }
    }

    @Override
    public boolean isAutoStartup() {
        return bounded;
    }
}
