package dev.s3c.gateway;

import dev.s3c.contracts.Topic;
import io.netty.util.concurrent.EventExecutor;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Autowired;
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
 *
 * <p>Two producers: one that lingers to gather batches (most messages), and one that sends at once, for the
 * invocations a sync caller waits for ({@link #sendPromptly}).
 */
@Component
public class TopicPublisher implements DisposableBean {

    private static final long DEFAULT_METADATA_IDLE_MILLIS = 300_000;
    /**
     * A send on a loop that took longer waited (for room in the send buffer, or metadata); above a young GC pause,
     * which may stop a send in the middle.
     */
    private static final long SLOW_SEND_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** How long a topic's sends go to workers after one on a loop was slow. */
    private static final long SLOW_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final CallerLoop loops;
    /** Most messages: the producer waits {@code linger.ms} to gather a batch per request under load. */
    private final Lane batched;
    /** Messages someone waits for (a sync caller's invocation): a producer of their own that sends at once. */
    private final Lane prompt;
    /** The prompt lane's template, when this publisher made it (and so closes it). */
    private final KafkaTemplate<String, Object> ownPromptTemplate;
    /** Times are taken from here, so that every one is positive and 0 can mean none. */
    private final long origin = System.nanoTime() - 1;

    @Autowired
    TopicPublisher(KafkaTemplate<String, Object> kafka, CallerLoop loops) {
        this(kafka, promptTemplate(kafka.getProducerFactory()), loops, true);
    }

    /** With the prompt sends' template given (a test's mock producers); it is not closed here. */
    TopicPublisher(KafkaTemplate<String, Object> kafka, KafkaTemplate<String, Object> promptKafka, CallerLoop loops) {
        this(kafka, promptKafka, loops, false);
    }

    private TopicPublisher(KafkaTemplate<String, Object> kafka, KafkaTemplate<String, Object> promptKafka,
            CallerLoop loops, boolean ownsPrompt) {
        this.loops = loops;
        // the prompt template's factory is copied (above) before the batched lane listens to the original: a copy
        // takes the listeners with it, and the batched lane would forget its topics whenever the prompt producer came
        this.batched = new Lane(kafka);
        this.prompt = new Lane(promptKafka);
        this.ownPromptTemplate = ownsPrompt ? promptKafka : null;
    }

    /**
     * The same producer settings without the linger, and a client id of its own (two producers of one id would
     * clash in the metrics). On the 2-core machine a lone sync call's publish-and-poll hop was 0.2-2.2 ms shorter at
     * the median than with {@code linger.ms} 1, run against run (the README's twenty-second round).
     */
    static KafkaTemplate<String, Object> promptTemplate(ProducerFactory<String, Object> factory) {
        Map<String, Object> overrides = new HashMap<>();
        overrides.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        Object clientId = factory.getConfigurationProperties().get(ProducerConfig.CLIENT_ID_CONFIG);
        overrides.put(ProducerConfig.CLIENT_ID_CONFIG, (clientId == null ? "s3c-gateway" : clientId) + "-prompt");
        return new KafkaTemplate<>(factory, overrides);
    }

    @Override
    public void destroy() {
        if (ownPromptTemplate != null) {
            ownPromptTemplate.destroy();
        }
    }

    /** The producer forgets a topic it has not sent to for this long ({@code metadata.max.idle.ms}). */
    private static long metadataIdleMillis(ProducerFactory<String, Object> factory) {
        // a factory that does not tell (a test's mock producer) has none: Kafka's default
        Object idle = factory.getConfigurationProperties().get(ProducerConfig.METADATA_MAX_IDLE_CONFIG);
        return idle == null ? DEFAULT_METADATA_IDLE_MILLIS : Long.parseLong(idle.toString().strip());
    }

    /** Completes when the broker acknowledged the message; a null value is a tombstone. */
    public Mono<Void> send(Topic topic, String key, Object value) {
        return send(batched, topic, key, value);
    }

    /**
     * As {@link #send}, for a message someone waits for (a sync caller's invocation): on a producer that does not wait
     * to gather a batch, while none of its sends is in flight; else with the batches. So a lone caller's message
     * leaves at once, and many callers' messages still share requests instead of taking one each (a produce request
     * per call costs the broker more than the linger saves them).
     */
    public Mono<Void> sendPromptly(Topic topic, String key, Object value) {
        // decided when subscribed, not when the Mono is made
        return Mono.defer(() -> send(prompt.inFlight.get() == 0 ? prompt : batched, topic, key, value));
    }

    private Mono<Void> send(Lane lane, Topic topic, String key, Object value) {
        return Mono.defer(() -> {
            EventExecutor loop = loops.currentLoop();
            boolean onLoop = loop != null && lane.known(topic, now());
            Mono<Void> sent = Mono.fromFuture(() -> {
                long startedAt = now();
                CompletableFuture<?> future;
                // only the prompt producer's sends are counted: sendPromptly reads them, nothing reads the others'
                boolean counted = lane == prompt;
                if (counted) {
                    lane.inFlight.incrementAndGet();
                }
                try {
                    future = lane.kafka.send(topic.topicName(), key, value);
                } catch (RuntimeException | Error e) {
                    if (counted) {
                        lane.inFlight.decrementAndGet();
                    }
                    lane.failedAt.set(topic.ordinal(), now());
                    throw e;
                }
                if (onLoop && now() - startedAt > SLOW_SEND_NANOS) {
                    lane.slowUntil.set(topic.ordinal(), now() + SLOW_BACKOFF_NANOS);
                }
                // the bookkeeping first, then the caller: its next send sees this one acknowledged
                CompletableFuture<?> recorded = future.whenComplete((result, e) -> {
                    if (counted) {
                        lane.inFlight.decrementAndGet();
                    }
                    if (e == null) {
                        lane.acknowledgedSendAt.accumulateAndGet(topic.ordinal(), startedAt, Math::max);
                    } else {
                        lane.failedAt.set(topic.ordinal(), now());
                    }
                });
                // a caller that goes away cancels only this dependent stage: the send's outcome is still recorded
                // above. Completing empty, not with the send's metadata: an element dropped downstream is
                // "discarded", and Reactor looks up a discard hook by walking the whole subscriber chain, the web
                // and security filters too
                return recorded.<Void>thenApply(result -> null);
            });
            if (!onLoop) {
                sent = sent.subscribeOn(Schedulers.boundedElastic());
            }
            return sent.publishOn(CallerLoop.backTo(loop, Schedulers.parallel()));
        });
    }

    /** Whether the batching producer normally has {@code topic}'s metadata: a send to it runs on the calling loop. */
    boolean known(Topic topic) {
        return batched.known(topic, now());
    }

    /** As {@link #known}, for the prompt producer: each producer fetches the metadata of the topics it sends to. */
    boolean knownPromptly(Topic topic) {
        return prompt.known(topic, now());
    }

    private long now() {
        return System.nanoTime() - origin;
    }

    /** One producer, and what is known about its topics' metadata. */
    private final class Lane {

        final KafkaTemplate<String, Object> kafka;
        /** By topic: when the latest acknowledged send started ({@link #now()}), 0 when none. */
        final AtomicLongArray acknowledgedSendAt = new AtomicLongArray(Topic.values().length);
        /** By topic: when the latest send failed, or the producer was replaced, 0 when never. */
        final AtomicLongArray failedAt = new AtomicLongArray(Topic.values().length);
        /** By topic: until when sends go to workers because one on a loop took long, 0 when none did. */
        final AtomicLongArray slowUntil = new AtomicLongArray(Topic.values().length);
        /** How long after a send started the producer normally still has the topic's metadata. */
        final long knownForNanos;
        /** Sends handed to the producer and not yet acknowledged or failed (counted for the prompt producer only). */
        final AtomicInteger inFlight = new AtomicInteger();

        Lane(KafkaTemplate<String, Object> kafka) {
            this.kafka = kafka;
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

        boolean known(Topic topic, long now) {
            long sentAt = acknowledgedSendAt.get(topic.ordinal());
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
    }
}
