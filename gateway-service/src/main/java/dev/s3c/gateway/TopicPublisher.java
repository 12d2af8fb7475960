package dev.s3c.gateway;

import dev.s3c.contracts.Topic;
import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.CompletableFuture;
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
 * only when the producer normally knows the topic: a send to it that started after its last failure (or the
 * producer's replacement) was acknowledged, recently enough that the producer still keeps its metadata, and no send
 * to it from a loop took long in the last seconds. Any other send runs on a worker thread, as does every send from
 * other threads (a MongoDB driver thread must not block either). What is left: when the send buffer fills (the
 * broker far slower than the callers), the sends already running on loops wait for room, up to {@code max.block.ms},
 * before that topic's sends go to workers for a while.
 *
 * <p>What follows the broker's acknowledgement runs on the caller's event loop ({@link CallerLoop}), or a worker
 * thread: the acknowledgement arrives on the producer's one I/O thread, which would otherwise encode every caller's
 * HTTP answer itself while further sends wait for it, and which must never call send() itself (it alone fetches
 * the metadata send() may wait for).
 */
@Component
public class TopicPublisher {

    private static final long DEFAULT_METADATA_IDLE_MILLIS = 300_000;
    /**
     * A send on a loop that took longer waited (for room in the send buffer, or metadata); above a young GC pause,
     * which may stop a send in the middle.
     */
    private static final long SLOW_SEND_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** How long a topic's sends go to workers after one on a loop was slow. */
    private static final long SLOW_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final KafkaTemplate<String, Object> kafka;
    private final CallerLoop loops;
    /** By topic: when the latest acknowledged send started ({@link System#nanoTime()}), 0 when none. */
    private final AtomicLongArray acknowledgedSendAt = new AtomicLongArray(Topic.values().length);
    /** By topic: when the latest send failed, or the producer was replaced, 0 when never. */
    private final AtomicLongArray failedAt = new AtomicLongArray(Topic.values().length);
    /** By topic: until when sends go to workers because one on a loop took long, 0 when none did. */
    private final AtomicLongArray slowUntil = new AtomicLongArray(Topic.values().length);
    /** How long after a send started the producer normally still has the topic's metadata. */
    private final long knownForNanos;
    /** Times are taken from here, so that every one is positive and 0 can mean none. */
    private final long origin = System.nanoTime() - 1;

    TopicPublisher(KafkaTemplate<String, Object> kafka, CallerLoop loops) {
        this.kafka = kafka;
        this.loops = loops;
        this.knownForNanos = TimeUnit.MILLISECONDS.toNanos(metadataIdleMillis(kafka.getProducerFactory())) / 2;
        // the factory replaces a producer that failed fatally
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
        // a factory that does not tell (a test's mock producer) has none: Kafka's default
        Object idle = factory.getConfigurationProperties().get(ProducerConfig.METADATA_MAX_IDLE_CONFIG);
        return idle == null ? DEFAULT_METADATA_IDLE_MILLIS : Long.parseLong(idle.toString().strip());
    }

    /** Completes when the broker acknowledged the message; a null value is a tombstone. */
    public Mono<Void> send(Topic topic, String key, Object value) {
        return Mono.defer(() -> {
            EventExecutor loop = loops.currentLoop();
            boolean onLoop = loop != null && known(topic);
            Mono<Void> sent = Mono.fromFuture(() -> {
                long startedAt = now();
                CompletableFuture<?> future;
                try {
                    future = kafka.send(topic.topicName(), key, value);
                } catch (RuntimeException e) {
                    failedAt.set(topic.ordinal(), now());
                    throw e;
                }
                if (onLoop && now() - startedAt > SLOW_SEND_NANOS) {
                    slowUntil.set(topic.ordinal(), now() + SLOW_BACKOFF_NANOS);
                }
                future.whenComplete((result, e) -> {
                    if (e == null) {
                        acknowledgedSendAt.accumulateAndGet(topic.ordinal(), startedAt, Math::max);
                    } else {
                        failedAt.set(topic.ordinal(), now());
                    }
                });
                // a caller that goes away cancels only this dependent stage: the send's outcome is still recorded
                // above. Completing empty, not with the send's metadata: an element dropped downstream is
                // "discarded", and Reactor looks up a discard hook by walking the whole subscriber chain, the web
                // and security filters too
                return future.<Void>thenApply(result -> null);
            });
            if (!onLoop) {
                sent = sent.subscribeOn(Schedulers.boundedElastic());
            }
            return sent.publishOn(CallerLoop.backTo(loop, Schedulers.parallel()));
        });
    }

    /** Whether the producer normally has {@code topic}'s metadata: a send to it runs on the calling event loop. */
    boolean known(Topic topic) {
        long sentAt = acknowledgedSendAt.get(topic.ordinal());
        long now = now();
        return sentAt != 0 && sentAt > failedAt.get(topic.ordinal()) && now - sentAt < knownForNanos
                && now >= slowUntil.get(topic.ordinal());
    }

    /** A new producer knows no topic; sends started on the old one say nothing about it, even when they succeed. */
    private void forgetAll() {
        long now = now();
        for (int i = 0; i < failedAt.length(); i++) {
            failedAt.set(i, now);
        }
    }

    private long now() {
        return System.nanoTime() - origin;
    }
}
