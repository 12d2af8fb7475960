package dev.s3c.monitor.live;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The live figures' two readers: the busy topics, and the retry tiers apart (see {@link LiveConsumer}). */
@Configuration(proxyBeanMethods = false)
class LiveReaders {

    @Bean
    LiveConsumer liveBusyTopics(LiveAggregates aggregates, LiveFeed feed, KafkaProperties kafka, MeterRegistry meters) {
        return new LiveConsumer("s3c-monitor-live", LiveConsumer.BUSY_TOPICS, Duration.ofMillis(100), aggregates, feed,
                kafka, meters);
    }

    @Bean
    LiveConsumer liveRetryTiers(LiveAggregates aggregates, LiveFeed feed, KafkaProperties kafka, MeterRegistry meters) {
        // its fetch reads all 108 partitions each time: while functions succeed it finds nothing, twice a second
        return new LiveConsumer("s3c-monitor-live-retries", LiveConsumer.RETRY_TOPICS, Duration.ofMillis(500),
                aggregates, feed, kafka, meters);
    }
}
