package dev.s3c.executor.invoke;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.s3c.contracts.CodeStyle;
import dev.s3c.contracts.FunctionDefinition;
import dev.s3c.contracts.FunctionStatus;
import dev.s3c.contracts.InvocationCompleted;
import dev.s3c.contracts.InvocationRequested;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.contracts.JsonSerde;
import dev.s3c.contracts.Topic;
import dev.s3c.executor.catalog.FunctionCatalog;
import dev.s3c.executor.retry.RetryPolicy;
import dev.s3c.executor.runtime.FunctionSandbox;
import dev.s3c.executor.runtime.JsEngine;
import dev.s3c.executor.runtime.SandboxLimits;
import dev.s3c.executor.runtime.ThreadNiceness;
import dev.s3c.executor.runtime.Watchdog;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.KafkaMessageListenerContainer;

/**
 * Executor instances on a real broker: a batch's results and its consumed offsets are one transaction, so a batch
 * whose publish fails is aborted, runs again, and leaves exactly one committed result per execution; the retry
 * forwarder forwards committed retries once; a stopping pool drains. Each test uses its own partition and group.
 */
class InstancesOnBrokerTest {

    private static TestBroker broker;
    private static JsEngine engine;
    private static Watchdog watchdog;
    private static FunctionCatalog catalog;

    @BeforeAll
    static void start() {
        broker = new TestBroker();
        engine = new JsEngine();
        watchdog = new Watchdog();
        catalog = new FunctionCatalog(broker.kafka());
        catalog.start();
    }

    @AfterAll
    static void stop() {
        catalog.stop();
        watchdog.close();
        engine.close();
        broker.destroy();
    }

    private static long committedOffset(String group, TopicPartition partition) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                broker.bootstrap()))) {
            var offset = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().get(partition);
            return offset == null ? 0 : offset.offset();
        }
    }

    @Test
    void aBatchWhosePublishFailsIsAbortedAndRunsAgainLeavingOneCommittedResultEach() throws Exception {
        // the second run of this context returns more than the producer may send: its transaction fails
        var function = new FunctionDefinition("f-tx", "tx", 1, """
                let runs = 0;
                function handler(input) {
                  runs++;
                  return runs === 2 ? 'x'.repeat(100000) : { i: input.i, run: runs };
                }""", CodeStyle.HANDLER, 5_000, 0, FunctionStatus.ACTIVE, Instant.now());
        List<String> ids = new ArrayList<>();
        try (var producer = broker.plainProducer()) {
            producer.send(new ProducerRecord<>(Topic.FUNCTION_DEFINITIONS.topicName(), function.id(),
                    JsonCodec.toBytes(function))).get();
            for (int i = 0; i < 5; i++) {
                var request = new InvocationRequested("e-tx-" + i, function.id(), 1, JsonCodec.readTree("{\"i\":" + i
                        + "}"), Instant.now(), null);
                ids.add(request.executionId());
                // one partition, so all five come in one batch, in order
                producer.send(new ProducerRecord<>(Topic.INVOCATIONS.topicName(), 0, request.executionId(),
                        JsonCodec.toBytes(request)));
            }
            producer.flush();
        }

        Map<String, Object> producerConfig = new HashMap<>(broker.kafka().buildProducerProperties());
        producerConfig.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 50_000);
        var producers = new DefaultKafkaProducerFactory<String, Object>(producerConfig, new StringSerializer(),
                JsonSerde.anySerializer());
        producers.setTransactionIdPrefix("test-instance-");
        var meters = new SimpleMeterRegistry();
        var processor = new InvocationProcessor(catalog, Duration.ofSeconds(10), watchdog, Duration.ofSeconds(1),
                started -> { }, new RetryPolicy(Duration.ofSeconds(1), 2, Duration.ofSeconds(10)));
        Map<String, Object> consumerConfig = new HashMap<>(broker.kafka().buildConsumerProperties());
        consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, "test-executor");
        consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        var properties = new ContainerProperties(Topic.INVOCATIONS.topicName(), Topic.RETRIES_DUE.topicName());
        properties.setAckMode(ContainerProperties.AckMode.MANUAL_IMMEDIATE);
        try (var sandbox = new FunctionSandbox(engine, watchdog, SandboxLimits.defaults())) {
            properties.setMessageListener(new InvocationBatchListener("test/0", sandbox, processor,
                    new KafkaTemplate<>(producers), Duration.ofSeconds(5), meters));
            var container = new KafkaMessageListenerContainer<>(new DefaultKafkaConsumerFactory<>(consumerConfig,
                    new StringDeserializer(), new ByteArrayDeserializer()), properties);
            container.start();
            try {
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(
                        broker.committedResults("e-tx-")).hasSize(5));
                // the offsets went with the results: the group continues after the fifth invocation
                assertThat(committedOffset("test-executor", new TopicPartition(Topic.INVOCATIONS.topicName(), 0)))
                        .isEqualTo(5);
            } finally {
                container.stop();
            }
        } finally {
            producers.destroy();
        }

        List<InvocationCompleted> committed = broker.committedResults("e-tx-");
        assertThat(committed).extracting(InvocationCompleted::executionId).containsExactlyInAnyOrderElementsOf(ids);
        // the invocation whose result could not be sent ran again; its committed result is from a later run
        assertThat(committed).filteredOn(c -> c.executionId().equals("e-tx-1")).singleElement()
                .satisfies(c -> assertThat(c.output().get("run").asInt()).isGreaterThan(2));
        // counted once, when committed (the group also runs what other tests of this class left on the topics)
        assertThat(meters.find("s3c.executor.invocations").tag("function", function.id()).counters().stream()
                .mapToDouble(c -> c.count()).sum()).isEqualTo(5);
    }

    @Test
    void theRetryForwarderForwardsOnlyCommittedRetriesOnceAndCommitsItsOffsetsWithThem() throws Exception {
        Topic tier = Topic.retryTierFor(Duration.ofSeconds(1));
        Map<String, Object> config = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "test-tiers");
        // three retries due now, on one partition; the second in a transaction that aborts
        try (var producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            for (String id : List.of("r-1", "r-2", "r-3")) {
                var retry = new InvocationRequested(id, "f-r", 1, JsonCodec.readTree("{}"), Instant.now(), null)
                        .retry(Instant.now().minusSeconds(1), new dev.s3c.contracts.AttemptRecord(1, "i-0", Instant.now(), 3,
                                dev.s3c.contracts.ExecutionStatus.FAILED, dev.s3c.contracts.ExecutionError.of(
                                        dev.s3c.contracts.ErrorType.USER_ERROR, "boom")));
                producer.beginTransaction();
                producer.send(new ProducerRecord<>(tier.topicName(), "same", JsonCodec.toBytes(retry)));
                if (id.equals("r-2")) {
                    // written to the log, then aborted
                    producer.flush();
                    producer.abortTransaction();
                } else {
                    producer.commitTransaction();
                }
            }
        }
        var properties = new Binder(new MapConfigurationPropertySource(Map.of("s3c.executor.instance-id-prefix",
                "test"))).bindOrCreate("s3c.executor", dev.s3c.executor.ExecutorProperties.class);
        var forwarder = new dev.s3c.executor.retry.RetryForwarder(broker.kafka(), properties);
        forwarder.start();
        try {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(
                    broker.readAll(Topic.RETRIES_DUE.topicName(), "read_committed")).extracting(r -> JsonCodec.fromBytes(
                            r.value(), InvocationRequested.class).executionId()).containsExactly("r-1", "r-3"));
            // its offsets went with the forwards: past r-3, so past the aborted r-2 too
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                    broker.bootstrap()))) {
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(admin
                        .listConsumerGroupOffsets("s3c-executor-retries").partitionsToOffsetAndMetadata().get()
                        .values()).extracting(o -> o.offset()).containsExactly(5L));
            }
        } finally {
            forwarder.stop();
        }
    }

    private static ExecutorPool pool(String grace) {
        return pool("drain-executor", "earliest", Map.of("s3c.executor.shutdown-grace", grace,
                "s3c.executor.running-notice", "100ms"), new SimpleMeterRegistry());
    }

    private static ExecutorPool pool(String group, String offsetReset, Map<String, String> settings,
            io.micrometer.core.instrument.MeterRegistry meters) {
        // no slow lane: the seconds-long runs here would be handed to it after 250 ms of CPU, and this is the drain
        // of the instance that runs them
        Map<String, String> all = new HashMap<>(Map.of("s3c.executor.instances", "1",
                "s3c.executor.instance-id-prefix", group, "s3c.executor.slow-lane.instances", "0"));
        all.putAll(settings);
        var properties = new Binder(new MapConfigurationPropertySource(all))
                .bindOrCreate("s3c.executor",
                        dev.s3c.executor.ExecutorProperties.class);
        KafkaProperties kafka = broker.kafka();
        kafka.getConsumer().setGroupId(group);
        kafka.getConsumer().setAutoOffsetReset(offsetReset);
        var notices = new KafkaTemplate<>(new DefaultKafkaProducerFactory<String, Object>(
                kafka.buildProducerProperties(), new StringSerializer(), JsonSerde.anySerializer()));
        var batches = new DefaultKafkaProducerFactory<String, Object>(kafka.buildProducerProperties(),
                new StringSerializer(), JsonSerde.anySerializer());
        batches.setTransactionIdPrefix("test-" + group + "-" + IDS.incrementAndGet() + "-");
        return new ExecutorPool(properties, kafka, engine, watchdog, catalog, notices, new KafkaTemplate<>(batches),
                meters);
    }

    private static final java.util.concurrent.atomic.AtomicInteger IDS = new java.util.concurrent.atomic.AtomicInteger();

    private static void invokeSlow(String executionId, int millis) throws Exception {
        try (var producer = broker.plainProducer()) {
            var request = new InvocationRequested(executionId, "f-slow", 1, JsonCodec.readTree("{\"ms\":" + millis
                    + "}"), Instant.now(), null);
            producer.send(new ProducerRecord<>(Topic.INVOCATIONS.topicName(), DRAIN_PARTITION, executionId,
                    JsonCodec.toBytes(request))).get();
        }
        // running: its notice is out
        await().atMost(Duration.ofSeconds(30)).until(() -> broker.readAll(Topic.INVOCATION_STARTS.topicName(),
                "read_committed").stream().anyMatch(r -> executionId.equals(r.key())));
    }

    private static final int DRAIN_PARTITION = 1;

    @Test
    void theInstancesRunAtTheConfiguredNiceValueAndTheSlowLaneTenBelowThem() throws Exception {
        Integer own = ThreadNiceness.currentThreadNice();
        assumeTrue(own != null, "Linux only");
        // lowering is what any process may do; a JVM already below it could only raise, which needs privilege
        assumeTrue(own < 5, "the JVM runs at nice " + own);
        // the kernel keeps a thread's first 15 characters: "s3c-instance-ni", this pool's instances and no other's
        ExecutorPool pool = pool("ni", "latest", Map.of("s3c.executor.instances", "2",
                "s3c.executor.slow-lane.instances", "1", "s3c.executor.instance-nice", "5"), new SimpleMeterRegistry());
        pool.start();
        try {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(niceOfThreads("s3c-instance-ni"))
                    .containsExactlyInAnyOrder(5, 5, 15));
        } finally {
            pool.stop();
        }
    }

    /** The nice values of this process's threads whose name (as the kernel keeps it) is {@code name}. */
    private static List<Integer> niceOfThreads(String name) throws Exception {
        List<Integer> nice = new ArrayList<>();
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    Integer value = ThreadNiceness.niceOf(task);
                    if (value != null && Files.readString(task.resolve("comm")).strip().equals(name)) {
                        nice.add(value);
                    }
                } catch (java.io.IOException gone) {
                    // the thread ended while listed
                }
            }
        }
        return nice;
    }

    @Test
    void aStoppingPoolLetsTheRunningFunctionFinishAndCommitOrPastTheGraceLeavesItForAnother() throws Exception {
        var slow = new FunctionDefinition("f-slow", "slow", 1, """
                function handler(input) {
                  const start = Date.now();
                  while (Date.now() - start < input.ms) {}
                  return { slept: input.ms };
                }""", CodeStyle.HANDLER, 10_000, 0, FunctionStatus.ACTIVE, Instant.now());
        try (var producer = broker.plainProducer()) {
            producer.send(new ProducerRecord<>(Topic.FUNCTION_DEFINITIONS.topicName(), slow.id(),
                    JsonCodec.toBytes(slow))).get();
        }
        TopicPartition partition = new TopicPartition(Topic.INVOCATIONS.topicName(), DRAIN_PARTITION);

        // within the grace: the function finishes, its result and offset are committed before stop() returns
        ExecutorPool first = pool("10s");
        first.start();
        invokeSlow("e-drain-1", 1500);
        first.stop();
        assertThat(broker.committedResults("e-drain-1")).singleElement().satisfies(c -> {
            assertThat(c.status()).isEqualTo(dev.s3c.contracts.ExecutionStatus.SUCCEEDED);
            assertThat(c.output().get("slept").asInt()).isEqualTo(1500);
        });
        long afterFirst = committedOffset("drain-executor", partition);

        // past the grace: cancelled, nothing committed; the invocation is left for the next instance
        ExecutorPool second = pool("300ms");
        second.start();
        invokeSlow("e-drain-2", 4000);
        second.stop();
        assertThat(broker.committedResults("e-drain-2")).isEmpty();
        assertThat(committedOffset("drain-executor", partition)).isEqualTo(afterFirst);

        ExecutorPool third = pool("10s");
        third.start();
        try {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    assertThat(broker.committedResults("e-drain-2")).singleElement().satisfies(c ->
                            assertThat(c.output().get("slept").asInt()).isEqualTo(4000)));
        } finally {
            third.stop();
        }
        // and the first ran once: nothing of it came again
        assertThat(broker.committedResults("e-drain-1")).hasSize(1);
    }

    @Test
    void resultsHeldForTheNextTransactionReachReadersWithoutAnotherRecordComingAndOnce() throws Exception {
        var echo = new FunctionDefinition("f-hold", "hold", 1, "function handler(input) { return input; }",
                CodeStyle.HANDLER, 10_000, 0, FunctionStatus.ACTIVE, Instant.now());
        try (var producer = broker.plainProducer()) {
            producer.send(new ProducerRecord<>(Topic.FUNCTION_DEFINITIONS.topicName(), echo.id(),
                    JsonCodec.toBytes(echo))).get();
        }
        var meters = new SimpleMeterRegistry();
        // from the end: the records other tests of this class left are not this pool's business
        ExecutorPool pool = pool("hold-executor", "latest", Map.of("s3c.executor.transaction-interval", "2s"),
                meters);
        pool.start();
        try {
            // in the group once a call is answered; that first one, after a quiet spell, is committed at once
            var probes = new java.util.concurrent.atomic.AtomicInteger();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(2)).until(() -> {
                if (!broker.committedResults("e-hold-probe-").isEmpty()) {
                    return true;
                }
                invoke("e-hold-probe-" + probes.incrementAndGet(), echo.id());
                return false;
            });
            var held = meters.get("s3c.executor.results.held").gauge();
            // a probe sent while the one before was still starting is committed by now too
            await().atMost(Duration.ofSeconds(30)).until(() -> held.value() == 0);
            // calls every 100 ms, faster than the interval: once the instance has seen them come that fast, a result
            // within the interval of the last commit is held for the next transaction
            List<String> ids = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
                ids.add("e-hold-" + ids.size());
                invoke(ids.getLast(), echo.id());
                return held.value() > 0;
            });

            // no record comes after them: the interval's end commits them, each once, with their offsets
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(broker.committedResults("e-hold-")
                    .stream().filter(c -> !c.executionId().startsWith("e-hold-probe-")).map(c -> c.output().get("n")
                            .asText())).containsExactlyInAnyOrderElementsOf(ids));

            await().atMost(Duration.ofSeconds(30)).until(() -> held.value() == 0);
            TopicPartition partition = new TopicPartition(Topic.INVOCATIONS.topicName(), HOLD_PARTITION);
            try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(Map.<String, Object>of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap()), new StringDeserializer(),
                    new ByteArrayDeserializer())) {
                long end = consumer.endOffsets(List.of(partition)).get(partition);
                assertThat(committedOffset("hold-executor", partition)).isEqualTo(end);
            }
        } finally {
            pool.stop();
        }
    }

    private static final int HOLD_PARTITION = 2;

    private static void invoke(String executionId, String functionId) throws Exception {
        try (var producer = broker.plainProducer()) {
            var request = new InvocationRequested(executionId, functionId, 1, JsonCodec.readTree("{\"n\":\""
                    + executionId + "\"}"), Instant.now(), null);
            producer.send(new ProducerRecord<>(Topic.INVOCATIONS.topicName(), HOLD_PARTITION, executionId,
                    JsonCodec.toBytes(request))).get();
        }
    }
}
