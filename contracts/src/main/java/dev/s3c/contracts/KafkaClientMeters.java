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
 * its preferred replica), and Kafka 4 reports a topic whose name has a dot twice: under its name, and with the dots
 * as underscores (the name its metrics had before). With the platform's several hundred partitions that was 2,300 to
 * 4,000 series and 0.5 to 0.9 MB of text per scrape from each service, written into one array big enough to be a
 * humongous allocation, which made G1 start a marking cycle at every scrape. Kept per partition: the lag's maximum,
 * which the dashboards read (Micrometer drops the consumer-wide series of the same name).
 */
public final class KafkaClientMeters {

    private static final String FETCH = "kafka.consumer.fetch.manager.";
    private static final String LAG_MAX = FETCH + "records.lag.max";

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
        return id.getName().startsWith(FETCH) && id.getTag("partition") != null && !id.getName().equals(LAG_MAX);
    }
}
