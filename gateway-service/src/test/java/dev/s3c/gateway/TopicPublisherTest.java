package dev.s3c.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.s3c.contracts.Topic;
import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.mock.MockProducerFactory;
import reactor.core.publisher.Operators;
import reactor.netty.resources.LoopResources;

class TopicPublisherTest {

    /** The threads send() was called on, in order. */
    private final List<String> sendingThreads = new CopyOnWriteArrayList<>();
    /** How long the next send() blocks, as a producer whose send buffer is full does. */
    private volatile Duration blockNextSend = Duration.ZERO;
    private final List<ProducerFactory.Listener<String, Object>> factoryListeners = new CopyOnWriteArrayList<>();
    private final MockProducer<String, Object> producer = new MockProducer<>(Cluster.empty(), false, null,
            new StringSerializer(), (topic, value) -> new byte[0]) {
        @Override
        public synchronized Future<RecordMetadata> send(ProducerRecord<String, Object> record, Callback callback) {
            sendingThreads.add(Thread.currentThread().getName());
            if (!blockNextSend.isZero()) {
                LockSupport.parkNanos(blockNextSend.toNanos());
                blockNextSend = Duration.ZERO;
            }
            return super.send(record, callback);
        }

        @Override
        public void close(Duration timeout) {
            // the template closes its producer after each send; this one stays for the next
        }
    };
    private final LoopResources server = LoopResources.create("publisher-test-loop", 1, true);
    private final EventLoop loop = server.onServer(false).next();
    private final MockProducerFactory<String, Object> factory = new MockProducerFactory<>(() -> producer) {
        @Override
        public void addListener(Listener<String, Object> listener) {
            factoryListeners.add(listener);
        }
    };
    /** The producer of the sends someone waits for. */
    private final MockProducer<String, Object> promptProducer = new MockProducer<>(Cluster.empty(), false, null,
            new StringSerializer(), (topic, value) -> new byte[0]) {
        @Override
        public synchronized Future<RecordMetadata> send(ProducerRecord<String, Object> record, Callback callback) {
            sendingThreads.add("prompt:" + Thread.currentThread().getName());
            return super.send(record, callback);
        }

        @Override
        public void close(Duration timeout) {
        }
    };
    private final TopicPublisher publisher = new TopicPublisher(new KafkaTemplate<>(factory),
            new KafkaTemplate<>(new MockProducerFactory<>(() -> promptProducer)),
            new CallerLoop(() -> server.onServer(false)));
    /** Acknowledgements come from the producer's I/O thread. */
    private final ExecutorService producerThread =
            Executors.newSingleThreadExecutor(r -> new Thread(r, "kafka-producer-network-thread | test"));

    @AfterEach
    void stop() {
        producerThread.shutdownNow();
        server.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block();
    }

    @Test
    void onTheServersLoopATopicIsSentFromAWorkerUntilASendToItWasAcknowledgedThenFromTheLoop() throws Exception {
        CompletableFuture<Void> first = sendOnLoop("e-1");

        await().atMost(Duration.ofSeconds(5)).until(() -> sendingThreads.size() == 1);
        // the producer may have to fetch the topic's metadata first, which blocks the thread that sends
        assertThat(sendingThreads.getFirst()).startsWith("boundedElastic");
        assertThat(publisher.known(Topic.INVOCATIONS)).isFalse();
        acknowledgeNext();
        first.get(5, TimeUnit.SECONDS);
        assertThat(publisher.known(Topic.INVOCATIONS)).isTrue();

        CompletableFuture<Void> second = sendOnLoop("e-2");

        // handed to the producer before subscribe() returned, by the loop
        assertThat(sendingThreads).hasSize(2);
        assertThat(sendingThreads.get(1)).startsWith("publisher-test-loop");
        acknowledgeNext();
        second.get(5, TimeUnit.SECONDS);
        // another topic's metadata may still be missing
        assertThat(publisher.known(Topic.DEAD_LETTER_RESOLUTIONS)).isFalse();
    }

    @Test
    void offTheServersLoopsEvenAKnownTopicIsSentFromAWorker() throws Exception {
        knowInvocations();

        // as a MongoDB driver thread would: it must not block either
        publisher.send(Topic.INVOCATIONS, "e-2", "v").toFuture();

        await().atMost(Duration.ofSeconds(5)).until(() -> sendingThreads.size() == 2);
        assertThat(sendingThreads.get(1)).startsWith("boundedElastic");
    }

    @Test
    void aFailedSendMakesTheTopicUnknownUntilASendStartedAfterTheFailureIsAcknowledged() throws Exception {
        knowInvocations();
        CompletableFuture<Void> failing = sendOnLoop("e-2");
        CompletableFuture<Void> sentBeforeTheFailure = sendOnLoop("e-3");
        assertThat(sendingThreads).hasSize(3);

        assertThat(producerThread.submit(() -> producer.errorNext(new TimeoutException("Expiring 1 record(s)")))
                .get(5, TimeUnit.SECONDS)).isTrue();
        assertThatThrownBy(() -> failing.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        acknowledgeNext();
        sentBeforeTheFailure.get(5, TimeUnit.SECONDS);

        // acknowledged after the failure, but sent before it: it says nothing about the producer now
        assertThat(publisher.known(Topic.INVOCATIONS)).isFalse();
        CompletableFuture<Void> after = sendOnLoop("e-4");
        await().atMost(Duration.ofSeconds(5)).until(() -> sendingThreads.size() == 4);
        assertThat(sendingThreads.get(3)).startsWith("boundedElastic");
        acknowledgeNext();
        after.get(5, TimeUnit.SECONDS);
        assertThat(publisher.known(Topic.INVOCATIONS)).isTrue();
    }

    @Test
    void aNewProducerKnowsNoTopicEvenWhenASendStartedOnTheOldOneIsAcknowledgedAfterwards() throws Exception {
        knowInvocations();
        CompletableFuture<Void> onTheOldProducer = sendOnLoop("e-2");

        // the factory replaced the producer (after a fatal error)
        factoryListeners.forEach(listener -> listener.producerRemoved("tx-or-shared", producer));
        acknowledgeNext();
        onTheOldProducer.get(5, TimeUnit.SECONDS);

        assertThat(publisher.known(Topic.INVOCATIONS)).isFalse();
    }

    @Test
    void aSendThatBlockedALoopSendsTheTopicsNextOnesToWorkers() throws Exception {
        knowInvocations();
        blockNextSend = Duration.ofMillis(150);

        CompletableFuture<Void> blocked = sendOnLoop("e-2");
        acknowledgeNext();
        blocked.get(5, TimeUnit.SECONDS);

        // acknowledged, but it held the loop: the next sends wait on workers, not on the loop
        assertThat(sendingThreads.get(1)).startsWith("publisher-test-loop");
        assertThat(publisher.known(Topic.INVOCATIONS)).isFalse();
        sendOnLoop("e-3");
        await().atMost(Duration.ofSeconds(5)).until(() -> sendingThreads.size() == 3);
        assertThat(sendingThreads.get(2)).startsWith("boundedElastic");
    }

    @Test
    void aCallerThatGoesAwayNeitherCountsAsAFailedSendNorHidesOne() throws Exception {
        knowInvocations();

        on(() -> publisher.send(Topic.INVOCATIONS, "e-2", "v").subscribe()).dispose();
        acknowledgeNext();

        assertThat(sendingThreads.get(1)).startsWith("publisher-test-loop");
        assertThat(publisher.known(Topic.INVOCATIONS)).isTrue();

        on(() -> publisher.send(Topic.INVOCATIONS, "e-3", "v").subscribe()).dispose();
        assertThat(producerThread.submit(() -> producer.errorNext(new TimeoutException("Expiring 1 record(s)")))
                .get(5, TimeUnit.SECONDS)).isTrue();

        assertThat(publisher.known(Topic.INVOCATIONS)).isFalse();
    }

    @Test
    void whatFollowsTheAcknowledgementRunsOnTheCallersEventLoopNeverOnTheProducersThread() throws Exception {
        var continuedOn = new CompletableFuture<String>();
        on(() -> publisher.send(Topic.INVOCATIONS, "e-1", "v")
                .doOnSuccess(v -> continuedOn.complete(Thread.currentThread().getName()))
                .subscribe());
        await().atMost(Duration.ofSeconds(5)).until(() -> sendingThreads.size() == 1);

        acknowledgeNext();

        assertThat(continuedOn.get(5, TimeUnit.SECONDS)).startsWith("publisher-test-loop");

        // off the server's loops: a worker thread
        var offLoop = new CompletableFuture<String>();
        publisher.send(Topic.INVOCATIONS, "e-2", "v")
                .doOnSuccess(v -> offLoop.complete(Thread.currentThread().getName())).subscribe();
        await().atMost(Duration.ofSeconds(5)).until(() -> sendingThreads.size() == 2);
        acknowledgeNext();
        assertThat(offLoop.get(5, TimeUnit.SECONDS)).startsWith("parallel");
    }

    /**
     * The acknowledgement completes the caller's Mono without an element: one dropped on the way would be
     * "discarded", and looking up the discard hook walks the caller's whole subscriber chain (the web filters').
     */
    @Test
    void anAcknowledgedSendCompletesWithNothingToDiscard() throws Exception {
        List<Object> discarded = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> sent = on(() -> publisher.send(Topic.INVOCATIONS, "e-1", "v")
                .contextWrite(Operators.enableOnDiscard(null, discarded::add))
                .toFuture());
        await().atMost(Duration.ofSeconds(5)).until(() -> sendingThreads.size() == 1);

        acknowledgeNext();

        sent.get(5, TimeUnit.SECONDS);
        assertThat(discarded).isEmpty();
    }

    @Test
    void aSendSomeoneWaitsForGoesThroughTheProducerThatDoesNotLingerAndLearnsItsOwnTopics() throws Exception {
        knowInvocations();

        // the batching producer knows the topic; the prompt one has fetched no metadata yet: a worker sends
        assertThat(publisher.knownPromptly(Topic.INVOCATIONS)).isFalse();
        CompletableFuture<Void> prompt = on(() -> publisher.sendPromptly(Topic.INVOCATIONS, "e-2", "v").toFuture());
        await().atMost(Duration.ofSeconds(5)).until(() -> sendingThreads.size() == 2);
        assertThat(sendingThreads.get(1)).startsWith("prompt:boundedElastic");
        acknowledgePromptNext();
        prompt.get(5, TimeUnit.SECONDS);
        assertThat(publisher.knownPromptly(Topic.INVOCATIONS)).isTrue();

        // now from the loop, and only on the prompt producer
        CompletableFuture<Void> again = on(() -> publisher.sendPromptly(Topic.INVOCATIONS, "e-3", "v").toFuture());
        assertThat(sendingThreads).hasSize(3);
        assertThat(sendingThreads.get(2)).startsWith("prompt:publisher-test-loop");
        acknowledgePromptNext();
        again.get(5, TimeUnit.SECONDS);
        assertThat(producer.history()).extracting(ProducerRecord::key).containsExactly("e-1");
        assertThat(promptProducer.history()).extracting(ProducerRecord::key).containsExactly("e-2", "e-3");
    }

    @Test
    void whileAPromptSendIsInFlightTheNextOnesJoinTheBatches() throws Exception {
        knowInvocations();
        CompletableFuture<Void> first = on(() -> publisher.sendPromptly(Topic.INVOCATIONS, "e-2", "v").toFuture());
        await().atMost(Duration.ofSeconds(5)).until(() -> sendingThreads.size() == 2);

        // e-2 not acknowledged yet: e-3 goes with the batches (from the loop: that producer knows the topic)
        CompletableFuture<Void> second = on(() -> publisher.sendPromptly(Topic.INVOCATIONS, "e-3", "v").toFuture());
        assertThat(sendingThreads).hasSize(3);
        assertThat(sendingThreads.get(2)).startsWith("publisher-test-loop");
        acknowledgeNext();
        second.get(5, TimeUnit.SECONDS);
        acknowledgePromptNext();
        first.get(5, TimeUnit.SECONDS);

        // nothing in flight again: the prompt producer
        CompletableFuture<Void> third = on(() -> publisher.sendPromptly(Topic.INVOCATIONS, "e-4", "v").toFuture());
        assertThat(sendingThreads).hasSize(4);
        assertThat(sendingThreads.get(3)).startsWith("prompt:publisher-test-loop");
        acknowledgePromptNext();
        third.get(5, TimeUnit.SECONDS);
        assertThat(producer.history()).extracting(ProducerRecord::key).containsExactly("e-1", "e-3");
        assertThat(promptProducer.history()).extracting(ProducerRecord::key).containsExactly("e-2", "e-4");
    }

    @Test
    void aFailedPromptSendSaysNothingAboutTheBatchingProducerAndCountsNoLongerInFlight() throws Exception {
        knowInvocations();
        CompletableFuture<Void> first = on(() -> publisher.sendPromptly(Topic.INVOCATIONS, "e-2", "v").toFuture());
        await().atMost(Duration.ofSeconds(5)).until(() -> sendingThreads.size() == 2);
        acknowledgePromptNext();
        first.get(5, TimeUnit.SECONDS);
        assertThat(publisher.knownPromptly(Topic.INVOCATIONS)).isTrue();

        CompletableFuture<Void> failing = on(() -> publisher.sendPromptly(Topic.INVOCATIONS, "e-3", "v").toFuture());
        assertThat(sendingThreads).hasSize(3);
        assertThat(producerThread.submit(() -> promptProducer.errorNext(new TimeoutException("Expiring 1 record(s)")))
                .get(5, TimeUnit.SECONDS)).isTrue();
        assertThatThrownBy(() -> failing.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);

        assertThat(publisher.knownPromptly(Topic.INVOCATIONS)).isFalse();
        assertThat(publisher.known(Topic.INVOCATIONS)).isTrue();
        // the failed send is no longer in flight: the next one takes the prompt producer again (from a worker, as
        // after any failure)
        on(() -> publisher.sendPromptly(Topic.INVOCATIONS, "e-4", "v").toFuture());
        await().atMost(Duration.ofSeconds(5)).until(() -> sendingThreads.size() == 4);
        assertThat(sendingThreads.get(3)).startsWith("prompt:boundedElastic");
    }

    @Test
    void aPromptSendThatThrowsCountsNoLongerInFlight() throws Exception {
        promptProducer.sendException = new org.apache.kafka.common.KafkaException("refused");
        assertThatThrownBy(() -> publisher.sendPromptly(Topic.INVOCATIONS, "e-1", "v").block(Duration.ofSeconds(5)))
                .isInstanceOf(RuntimeException.class);
        promptProducer.sendException = null;

        publisher.sendPromptly(Topic.INVOCATIONS, "e-2", "v").toFuture();
        await().atMost(Duration.ofSeconds(5)).until(() -> sendingThreads.size() == 2);
        assertThat(sendingThreads).allMatch(thread -> thread.startsWith("prompt:"));
    }

    @Test
    void thePromptProducerHasTheSameSettingsButNoLingerAndAClientIdOfItsOwn() {
        var factory = new DefaultKafkaProducerFactory<String, Object>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9",
                ProducerConfig.CLIENT_ID_CONFIG, "s3c-gateway",
                ProducerConfig.LINGER_MS_CONFIG, 1,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));

        KafkaTemplate<String, Object> prompt = TopicPublisher.promptTemplate(factory);
        try {
            assertThat(prompt.getProducerFactory()).isNotSameAs(factory);
            assertThat(prompt.getProducerFactory().getConfigurationProperties())
                    .containsEntry(ProducerConfig.LINGER_MS_CONFIG, 0)
                    .containsEntry(ProducerConfig.CLIENT_ID_CONFIG, "s3c-gateway-prompt")
                    .containsEntry(ProducerConfig.ACKS_CONFIG, "all");
            assertThat(factory.getConfigurationProperties()).containsEntry(ProducerConfig.LINGER_MS_CONFIG, 1);
        } finally {
            prompt.destroy();
        }
    }

    private void knowInvocations() throws Exception {
        CompletableFuture<Void> first = sendOnLoop("e-1");
        await().atMost(Duration.ofSeconds(5)).until(() -> sendingThreads.size() == 1);
        acknowledgeNext();
        first.get(5, TimeUnit.SECONDS);
        assertThat(publisher.known(Topic.INVOCATIONS)).isTrue();
    }

    private CompletableFuture<Void> sendOnLoop(String key) throws Exception {
        return on(() -> publisher.send(Topic.INVOCATIONS, key, "v").toFuture());
    }

    private <T> T on(Callable<T> work) throws Exception {
        return loop.submit(work).get(5, TimeUnit.SECONDS);
    }

    private void acknowledgeNext() throws Exception {
        assertThat(producerThread.submit(producer::completeNext).get(5, TimeUnit.SECONDS)).isTrue();
    }

    private void acknowledgePromptNext() throws Exception {
        assertThat(producerThread.submit(promptProducer::completeNext).get(5, TimeUnit.SECONDS)).isTrue();
    }
}
