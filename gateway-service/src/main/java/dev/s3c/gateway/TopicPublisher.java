package dev.s3c.gateway;

import dev.s3c.contracts.Topic;
import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Every message the gateway writes goes through here.
 *
 * <p>{@code KafkaProducer.send} blocks while it fetches the metadata of a topic it does not know yet, and while its
 * send buffer is full, each up to {@code max.block.ms}. So a send runs on the web server's event loop that calls it
 * only when the producer normally knows the topic: a send to it that started after the last failure was
 * acknowledged, recently enough that the producer still keeps its metadata. Any other send runs on a worker thread,
 * as does every send from other threads (a MongoDB driver thread must not block either). What is left: when the
 * send buffer fills (the broker much slower than the callers), a send on a loop blocks it until that send fails,
 * and the sends after it go to workers.
 *
 * <p>What follows the broker's acknowledgement runs on the caller's event loop ({@link CallerLoop}), or a worker
 * thread: the acknowledgement arrives on the producer's one I/O thread, which would otherwise encode every caller's
 * HTTP answer itself while further sends wait for it, and which must never call send() itself (it alone fetches
 * the metadata send() may wait for).
 */
@Component
public class TopicPublisher {

    private static final long DEFAULT_METADATA_IDLE_MILLIS = 300_000;

    private final KafkaTemplate<String, Object> kafka;
    private final CallerLoop loops;
    /** By topic: when the latest acknowledged send started ({@link System#nanoTime()}), 0 when none. */
    private final AtomicLongArray acknowledgedSendAt = new AtomicLongArray(Topic.values().length);
    /** By topic: when the latest failed send failed, 0 when none. */
    private final AtomicLongArray failedAt = new AtomicLongArray(Topic.values().length);
    /** How long after a send started the producer normally still has the topic's metadata. */
    private final long knownForNanos;
    /** Times are taken from here, so that every one is positive and 0 can mean none. */
    private final long origin = System.nanoTime() - 1;

    TopicPublisher(KafkaTemplate<String, Object> kafka, CallerLoop loops) {
        this.kafka = kafka;
        this.loops = loops;
        this.knownForNanos = TimeUnit.MILLISECONDS.toNanos(metadataIdleMillis(kafka.getProducerFactory())) / 2;
        // a new producer (the factory replaces one that failed fatally) knows no topic yet
        kafka.getProducerFactory().addListener(new ProducerFactory.Listener<>() {
            @Override
            public void producerAdded(String id, Producer<String, Object> producer) {
                forgetAll();
            }

            @Override
            public void producerRemoved(String id, Producer<String, Object> producer) {
                forgetAll();
            }
        });
    }

    /** The producer forgets a topic it has not sent to for this long ({@code metadata.max.idle.ms}). */
    private static long metadataIdleMillis(ProducerFactory<String, Object> factory) {
        try {
            Object idle = factory.getConfigurationProperties().get(ProducerConfig.METADATA_MAX_IDLE_CONFIG);
            return idle == null ? DEFAULT_METADATA_IDLE_MILLIS : Long.parseLong(idle.toString().strip());
        } catch (UnsupportedOperationException e) {
            // a factory that does not tell (a test's mock producer): Kafka's default
            return DEFAULT_METADATA_IDLE_MILLIS;
        }
    }

    /** Completes when the broker acknowledged the message; a null value is a tombstone. */
    public Mono<Void> send(Topic topic, String key, Object value) {
        return Mono.defer(() -> {
            EventExecutor loop = loops.currentLoop();
            long startedAt = now();
            Mono<?> sent = Mono.fromFuture(() -> kafka.send(topic.topicName(), key, value));
            if (loop == null || !known(topic)) {
                sent = sent.subscribeOn(Schedulers.boundedElastic());
            }
            return sent.doOnSuccess(result -> acknowledgedSendAt.accumulateAndGet(topic.ordinal(), startedAt,
                            Math::max))
                    .doOnError(e -> failedAt.set(topic.ordinal(), now()))
                    .publishOn(loops.current(Schedulers.parallel()))
                    .then();
        });
    }

    /** Whether the producer normally has {@code topic}'s metadata: a send to it runs on the calling event loop. */
    boolean known(Topic topic) {
        long sentAt = acknowledgedSendAt.get(topic.ordinal());
        return sentAt != 0 && sentAt > failedAt.get(topic.ordinal()) && now() - sentAt < knownForNanos;
    }

    private void forgetAll() {
        for (int i = 0; i < acknowledgedSendAt.length(); i++) {
            acknowledgedSendAt.set(i, 0);
        }
    }

    private long now() {
        return System.nanoTime() - origin;
    }
}
