package dev.s3c.gateway;

import dev.s3c.contracts.Topic;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Every message the gateway writes goes through here. send() is called on a worker thread, never on the thread
 * that completed the step before: that may be the producer's own I/O thread (after another send), where send()
 * can wait a minute for metadata only that thread fetches, or a MongoDB driver thread that must not block.
 */
@Component
public class TopicPublisher {

    private final KafkaTemplate<String, Object> kafka;

    TopicPublisher(KafkaTemplate<String, Object> kafka) {
        this.kafka = kafka;
    }

    /**
     * Completes when the broker acknowledged the message; a null value is a tombstone. What follows runs on a
     * worker thread too: the acknowledgement arrives on the producer's one I/O thread, which would otherwise write
     * every caller's HTTP answer itself while further sends wait for it.
     */
    public Mono<Void> send(Topic topic, String key, Object value) {
        return Mono.fromFuture(() -> kafka.send(topic.topicName(), key, value))
                .subscribeOn(Schedulers.boundedElastic())
                .publishOn(Schedulers.parallel())
                .then();
    }
}
