package dev.s3c.contracts;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which of the Kafka clients' own metrics a service exports (every service registers {@link #filter()}).
 *
 * <p>Per partition, a consumer reports seven figures (its lag and its lead, each now, on average and at worst, and
 * its preferred replica), and Kafka 4.1's consumer reports the figures of a topic whose name has a dot twice: under
 * its name, and with the dots as underscores (the name they had before, KIP-1109; the second series goes in Kafka 5).
 * With the platform's several hundred partitions the monitor exported 3,951 series (0.9 MB of text per scrape) and
 * the executor 3,449 (0.8 MB). Kept per partition: the lag's maximum, which the dashboards read (Micrometer drops
 * the consumer-wide series of the same name). Only the registry's topics are known here: another dotted topic keeps
 * its second series.
 */
public final class KafkaClientMeters {

    private static final String FETCH_MANAGER = "kafka.consumer.fetch.manager.";
    private static final String LAG_MAX = FETCH_MANAGER + "records.lag.max";

    /** The registry's topics under their old metric names: the second series of each. */
    private static final Set<String> UNDERSCORED = Arrays.stream(Topic.values()).map(Topic::topicName)
            .filter(name -> name.contains(".")).map(name -> name.replace('.', '_'))
            .collect(Collectors.toUnmodifiableSet());

    private KafkaClientMeters() {
    }

    public static MeterFilter filter() {
        return MeterFilter.deny(KafkaClientMeters::dropped);
    }

    static boolean dropped(Meter.Id id) {
        String topic = id.getTag("topic");
        if (topic != null && UNDERSCORED.contains(topic)) {
            return true;
        }
        return id.getName().startsWith(FETCH_MANAGER) && id.getTag("partition") != null && !id.getName().equals(LAG_MAX);
    }
}
