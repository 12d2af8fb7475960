package dev.s3c.scaler;

import dev.s3c.scaler.decide.ScalingPolicy;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Settings of the scaler. The thresholds default to the original product's.
 *
 * @param group the executor consumer group it measures and commands
 * @param probeInterval how often the group's lag is measured (the decision clock)
 * @param flushInterval how often per-partition traffic counts are handed to the decider
 * @param scaleUpPerInstance scale up when more invocations than this are queued per instance
 * @param scaleDownPerInstance scale down when fewer than this are queued per instance ...
 * @param scaleDownAfter ... for this long, and no sooner than this after the previous change
 * @param minInstances the smallest pool
 * @param maxInstances the largest pool; never above the partition count of the invocations topic
 * @param scaleUpCooldown after a scale-up, the wait before the next one, so new instances can take effect
 * @param stallAfter invocations queued and none completed for this long: the pool is stalled and held
 * @param rateWindow arrival and completion rates are averaged over this window
 * @param livenessTimeout an executor process silent for this long is no longer counted
 * @param scaleUpDrainTime no scale-up for a backlog the pool has shown it finishes within this time (0: off)
 * @param maxInstancesPerCore the pool holds at most this many instances per core of the executor processes, unless
 *     {@code minInstances} asks for more (0: no such bound)
 */
@ConfigurationProperties("s3c.scaler")
public record ScalerProperties(
        @DefaultValue("s3c-executor") String group,
        @DefaultValue("1s") Duration probeInterval,
        @DefaultValue("250ms") Duration flushInterval,
        @DefaultValue("10") int scaleUpPerInstance,
        @DefaultValue("3") int scaleDownPerInstance,
        @DefaultValue("30s") Duration scaleDownAfter,
        @DefaultValue("1") int minInstances,
        @DefaultValue("10") int maxInstances,
        @DefaultValue("5s") Duration scaleUpCooldown,
        @DefaultValue("15s") Duration stallAfter,
        @DefaultValue("5s") Duration rateWindow,
        @DefaultValue("15s") Duration livenessTimeout,
        @DefaultValue("500ms") Duration scaleUpDrainTime,
        @DefaultValue("1") int maxInstancesPerCore) {

    public ScalingPolicy.Settings policy() {
        return new ScalingPolicy.Settings(group, scaleUpPerInstance, scaleDownPerInstance, scaleDownAfter,
                minInstances, maxInstances, scaleUpCooldown, stallAfter, rateWindow, livenessTimeout, scaleUpDrainTime,
                maxInstancesPerCore);
    }
}
