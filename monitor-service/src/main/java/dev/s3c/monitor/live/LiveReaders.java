package dev.s3c.monitor.live;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The live figures' two readers: the busy topics, and the retry tiers apart (see {@link LiveConsumer}). Only the busy
 * topics' reader publishes events to the live stream, whose sink takes one emitter at a time: a topic whose records
 * become events stays with that reader.
 */
@Configuration(proxyBeanMethods = false)
class LiveReaders {

    @Bean
    LiveConsumer liveBusyTopics(LiveAggregates aggregates, LiveFeed feed, KafkaProperties kafka, MeterRegistry meters) {
        return new LiveConsumer("s3c-monitor-live", LiveConsumer.BUSY_TOPICS, Duration.ofMillis(100), aggregates, feed,
                kafka, meters);
    }

    @Bean
    LiveConsumer liveRetryTiers(LiveAggregates aggregates, LiveFeed feed, KafkaProperties kafka, MeterRegistry meters) {
        // each fetch reads all 108 partitions and, while functions succeed, waits its whole time for nothing; at
        // most 200 ms, so a retry still arrives before the snapshot of its second (taken 250 ms after it)
        return new LiveConsumer("s3c-monitor-live-retries", LiveConsumer.RETRY_TOPICS, Duration.ofMillis(200),
                aggregates, feed, kafka, meters);
    }
}
