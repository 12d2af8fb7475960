package dev.s3c.gateway;

import java.time.Duration;
import java.util.UUID;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Settings of one gateway instance.
 *
 * @param instanceId names this instance, so results of its synchronous callers are routed back to it
 * @param syncWait how long a synchronous execute waits for the result by default
 * @param maxSyncWait the longest wait a caller may ask for with {@code ?wait=}
 * @param maxCodeSize largest function code accepted
 * @param maxInputSize largest invocation input accepted (as JSON text)
 * @param seedSamples whether the original product's sample functions are created on first start
 * @param monitorUrl where the monitor serves live metrics, which the gateway forwards on its own origin
 */
@ConfigurationProperties("s3c.gateway")
public record GatewayProperties(
        String instanceId,
        @DefaultValue("30s") Duration syncWait,
        @DefaultValue("60s") Duration maxSyncWait,
        @DefaultValue("256KB") DataSize maxCodeSize,
        @DefaultValue("1MB") DataSize maxInputSize,
        @DefaultValue("true") boolean seedSamples,
        @DefaultValue("http://localhost:8082") java.net.URI monitorUrl) {

    public GatewayProperties {
        if (instanceId == null || instanceId.isBlank()) {
            instanceId = "gateway-" + UUID.randomUUID().toString().substring(0, 8);
        }
    }
}
