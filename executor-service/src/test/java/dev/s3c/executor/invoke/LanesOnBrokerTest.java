package dev.s3c.executor.invoke;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import dev.s3c.executor.runtime.Watchdog;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.KafkaMessageListenerContainer;
import org.springframework.kafka.test.utils.ContainerTestUtils;

/**
 * The lanes on a real broker: an invocation of a tenant or function with a concurrency limit moves to its lane
 * partition in the transaction of the batch that read it and runs from there once; a function that ran long moves to
 * the slow lane, run by an instance of its own. Each test reads only what it writes (its consumers start at the end).
 */
class LanesOnBrokerTest {

    /** What an instance of the pool reads: fresh invocations, retries due and the concurrency lanes. */
    private static final int PARTITIONS = Topic.INVOCATIONS.partitions() + Topic.RETRIES_DUE.partitions()
            + Topic.INVOCATION_LANES.partitions() + Topic.FAIR_LANES.partitions();

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

    @Test
    void anInvocationWithALaneMovesThereInATransactionAndRunsFromThereOnceUnlessItsCallerStoppedWaiting()
            throws Exception {
        var function = new FunctionDefinition("f-lane", "lane", 1, "function handler(input) { return input.i; }",
                CodeStyle.HANDLER, 60_000, 0, FunctionStatus.ACTIVE, Instant.now());
        var plain = new InvocationRequested("e-lane-plain", function.id(), 1, JsonCodec.readTree("{\"i\":0}"),
                Instant.now(), null);
        var inLine = new InvocationRequested("e-lane-async", function.id(), 1, JsonCodec.readTree("{\"i\":1}"),
                Instant.now(), null).inLane(5, null);
        // a sync caller still waiting, and one whose wait was over before its turn came
        var waiting = new InvocationRequested("e-lane-sync", function.id(), 1, JsonCodec.readTree("{\"i\":2}"),
                Instant.now(), "gw-1").inLane(5, Instant.now().plusSeconds(60));
        var late = new InvocationRequested("e-lane-late", function.id(), 1, JsonCodec.readTree("{\"i\":3}"),
                Instant.now(), "gw-1").inLane(5, Instant.now().minusSeconds(1));
        var producers = new DefaultKafkaProducerFactory<String, Object>(broker.kafka().buildProducerProperties(),
                new StringSerializer(), JsonSerde.anySerializer());
        producers.setTransactionIdPrefix("test-lanes-");
        var meters = new SimpleMeterRegistry();
        List<dev.s3c.contracts.InvocationStarted> notices = new java.util.concurrent.CopyOnWriteArrayList<>();
        var processor = new InvocationProcessor(catalog, Duration.ofSeconds(10), watchdog, Duration.ofSeconds(30),
                notices::add, new RetryPolicy(Duration.ofSeconds(1), 2, Duration.ofSeconds(10)));
        Map<String, Object> consumerConfig = new HashMap<>(broker.kafka().buildConsumerProperties());
        consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, "test-lanes");
        // from the end: what the other test of this class left on the topics is not this test's
        consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        var properties = new ContainerProperties(Topic.INVOCATIONS.topicName(), Topic.RETRIES_DUE.topicName(),
                Topic.INVOCATION_LANES.topicName(), Topic.FAIR_LANES.topicName());
        properties.setAckMode(ContainerProperties.AckMode.MANUAL_IMMEDIATE);
        try (var sandbox = new FunctionSandbox(engine, watchdog, SandboxLimits.defaults())) {
            properties.setMessageListener(new InvocationBatchListener("test/lanes", sandbox, processor,
                    new KafkaTemplate<>(producers), Duration.ofSeconds(5), meters));
            var container = new KafkaMessageListenerContainer<>(new DefaultKafkaConsumerFactory<>(consumerConfig,
                    new StringDeserializer(), new ByteArrayDeserializer()), properties);
            container.start();
            try {
                ContainerTestUtils.waitForAssignment(container, PARTITIONS);
                try (var producer = broker.plainProducer()) {
                    producer.send(new ProducerRecord<>(Topic.FUNCTION_DEFINITIONS.topicName(), function.id(),
                            JsonCodec.toBytes(function))).get();
                            for (InvocationRequested request : List.of(plain, inLine, waiting, late)) {
                        producer.send(new ProducerRecord<>(Topic.INVOCATIONS.topicName(), 0, request.executionId(),
                                JsonCodec.toBytes(request)));
                    }
                    producer.flush();
                }
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(
                        broker.committedResults("e-lane-")).hasSize(4));
            } finally {
                container.stop();
            }
        } finally {
            producers.destroy();
        }
        // the three with a lane went to its partition, each once, as they were
        assertThat(broker.readAll(Topic.INVOCATION_LANES.topicName(), "read_committed"))
                .allSatisfy(r -> assertThat(r.partition()).isEqualTo(5))
                .extracting(r -> JsonCodec.fromBytes(r.value(), InvocationRequested.class))
                .containsExactly(inLine, waiting, late);
        Map<String, InvocationCompleted> results = new HashMap<>();
        broker.committedResults("e-lane-").forEach(r -> results.put(r.executionId(), r));
        assertThat(results).hasSize(4);
        assertThat(results.get("e-lane-plain").output().asInt()).isZero();
        assertThat(results.get("e-lane-async").output().asInt()).isEqualTo(1);
        assertThat(results.get("e-lane-sync").output().asInt()).isEqualTo(2);
        // not run: refused, the way its gateway answered the caller
        assertThat(results.get("e-lane-late").status()).isEqualTo(dev.s3c.contracts.ExecutionStatus.REJECTED);
        assertThat(results.get("e-lane-late").error().type()).isEqualTo(dev.s3c.contracts.ErrorType.THROTTLED);
        assertThat(results.get("e-lane-late").startedAt()).isNull();
        // the waiting sync caller's gateway was told of the start at once (the usual notice comes after 30 s here)
        await().atMost(Duration.ofSeconds(10)).until(() -> !notices.isEmpty());
        assertThat(notices).singleElement().satisfies(n -> {
            assertThat(n.executionId()).isEqualTo("e-lane-sync");
            assertThat(n.replyTo()).isEqualTo("gw-1");
        });
        assertThat(ExecutorPool.startNotice(notices.getFirst()).headers()
                .lastHeader(InvocationBatchListener.REPLY_TO_HEADER).value()).asString().isEqualTo("gw-1");
        assertThat(meters.get("s3c.executor.lane.moves").tag("lane", "concurrency").counter().count()).isEqualTo(3);
    }

    @Test
    void aFunctionThatTimedOutRunsInTheSlowLaneAfterwardsWhileOthersStayWithTheFast() throws Exception {
        var slowFunction = new FunctionDefinition("f-slowly", "slowly", 1,
                "function handler(input) { if (input.loop) { while (true) {} } return input.i; }",
                // long enough for a cold start on a machine busy with other tests
                CodeStyle.HANDLER, 10_000, 0, FunctionStatus.ACTIVE, Instant.now());
        // a timeout no cold start reaches, however busy the machine: a timeout would make it slow too
        var fastFunction = new FunctionDefinition("f-quick", "quick", 1, "function handler(input) { return input.i; }",
                CodeStyle.HANDLER, 120_000, 0, FunctionStatus.ACTIVE, Instant.now());
        try (var producer = broker.plainProducer()) {
            for (FunctionDefinition f : List.of(slowFunction, fastFunction)) {
                producer.send(new ProducerRecord<>(Topic.FUNCTION_DEFINITIONS.topicName(), f.id(),
                        JsonCodec.toBytes(f))).get();
            }
        }
        var slow = new SlowFunctions(Duration.ofMinutes(1), Duration.ofMinutes(1));
        var meters = withFastAndSlowLaneInstances("test-slow-lane", slow, () -> {
            try (var producer = broker.plainProducer()) {
                // warm: a cold start on a busy machine must not make the fast function look slow
                send(producer, new InvocationRequested("e-quick-0", fastFunction.id(), 1,
                        JsonCodec.readTree("{\"i\":0}"), Instant.now(), null));
                await().atMost(Duration.ofSeconds(60)).until(() -> broker.committedResults("e-quick-").size() == 1);
                send(producer, new InvocationRequested("e-slowly-1", slowFunction.id(), 1,
                        JsonCodec.readTree("{\"loop\":true}"), Instant.now(), null));
                await().atMost(Duration.ofSeconds(60)).until(() -> broker.committedResults("e-slowly-").size() == 1);
                assertThat(slow.isSlow(slowFunction.id())).isTrue();
                assertThat(slow.isSlow(fastFunction.id())).isFalse();
                send(producer, new InvocationRequested("e-slowly-2", slowFunction.id(), 1,
                        JsonCodec.readTree("{\"i\":2}"), Instant.now(), null));
                send(producer, new InvocationRequested("e-quick-1", fastFunction.id(), 1,
                        JsonCodec.readTree("{\"i\":1}"), Instant.now(), null));
                await().atMost(Duration.ofSeconds(60)).until(() -> broker.committedResults("e-slowly-").size() == 2
                        && broker.committedResults("e-quick-").size() == 2);
            }
        });
        Map<String, InvocationCompleted> results = new HashMap<>();
        broker.committedResults("e-").forEach(r -> results.put(r.executionId(), r));
        assertThat(results.get("e-slowly-1").status()).isEqualTo(dev.s3c.contracts.ExecutionStatus.TIMED_OUT);
        assertThat(results.get("e-slowly-1").instanceId()).isEqualTo("test/main");
        // once it timed out, its next invocation ran in the slow lane; another function's stayed with the fast (a
        // threshold no run reaches here: a machine busy with other tests gives a busy loop little CPU)
        assertThat(results.get("e-slowly-2").output().asInt()).as("%s", results.get("e-slowly-2")).isEqualTo(2);
        assertThat(results.get("e-slowly-2").instanceId()).isEqualTo("test/slow-0");
        assertThat(results.get("e-quick-1").instanceId()).isEqualTo("test/main");
        assertThat(broker.readAll(Topic.SLOW_LANE.topicName(), "read_committed")).extracting(r -> r.key())
                .containsExactly("e-slowly-2");
        assertThat(meters.get("s3c.executor.lane.moves").tag("lane", "slow").counter().count()).isEqualTo(1);
    }

    @Test
    void aFirstRunThatUsesItsCpuBudgetOnAFastInstanceIsHandedToTheSlowLaneAndTheRecordsBehindItAreServedAtOnce()
            throws Exception {
        // about three seconds of CPU per run, far past the budget; nothing has ever seen it run
        var heavy = new FunctionDefinition("f-heavy", "heavy", 1, """
                function handler(input) { const end = Date.now() + input.ms; while (Date.now() < end) {} return input.i; }""",
                CodeStyle.HANDLER, 60_000, 0, FunctionStatus.ACTIVE, Instant.now());
        var quick = new FunctionDefinition("f-quick-after", "quick-after", 1,
                "function handler(input) { return input.i; }", CodeStyle.HANDLER, 120_000, 0, FunctionStatus.ACTIVE,
                Instant.now());
        try (var producer = broker.plainProducer()) {
            for (FunctionDefinition f : List.of(heavy, quick)) {
                producer.send(new ProducerRecord<>(Topic.FUNCTION_DEFINITIONS.topicName(), f.id(),
                        JsonCodec.toBytes(f))).get();
            }
        }
        // a budget of 200 ms of CPU: a quick function, even cold on a busy machine, uses far less
        var slow = new SlowFunctions(Duration.ofMillis(200), Duration.ofMinutes(1));
        var meters = withFastAndSlowLaneInstances("test-hand-off", slow, () -> {
            try (var producer = broker.plainProducer()) {
                // one partition, in this order: the quick one is polled behind the heavy one
                send(producer, new InvocationRequested("e-heavy-1", heavy.id(), 1,
                        JsonCodec.readTree("{\"ms\":3000,\"i\":1}"), Instant.now(), null));
                send(producer, new InvocationRequested("e-after-1", quick.id(), 1, JsonCodec.readTree("{\"i\":7}"),
                        Instant.now(), null));
                // in a concurrency lane it keeps its lane, and with it its limit: run where its lane is, to the end
                send(producer, new InvocationRequested("e-heavy-lane", heavy.id(), 1,
                        JsonCodec.readTree("{\"ms\":1000,\"i\":2}"), Instant.now(), null).inLane(3, null));
                await().atMost(Duration.ofSeconds(90)).until(() -> broker.committedResults("e-heavy-").size() == 2
                        && broker.committedResults("e-after-").size() == 1);
            }
        });
        Map<String, InvocationCompleted> results = new HashMap<>();
        broker.committedResults("e-").forEach(r -> results.put(r.executionId(), r));
        InvocationCompleted handedOff = results.get("e-heavy-1");
        InvocationCompleted after = results.get("e-after-1");
        // one result, from the slow lane, where it ran from the start to its end (its first run left none)
        assertThat(handedOff.status()).as("%s", handedOff).isEqualTo(dev.s3c.contracts.ExecutionStatus.SUCCEEDED);
        assertThat(handedOff.output().asInt()).isEqualTo(1);
        assertThat(handedOff.instanceId()).isEqualTo("test/slow-0");
        assertThat(handedOff.attempt()).isEqualTo(1);
        assertThat(handedOff.durationMs()).isGreaterThanOrEqualTo(3000);
        assertThat(broker.committedResults("e-heavy-1")).hasSize(1);
        // the record polled behind it did not wait for its three seconds
        assertThat(after.instanceId()).isEqualTo("test/main");
        assertThat(after.output().asInt()).isEqualTo(7);
        assertThat(after.finishedAt()).isBefore(handedOff.finishedAt());
        assertThat(broker.readAll(Topic.SLOW_LANE.topicName(), "read_committed")).extracting(r -> r.key())
                .contains("e-heavy-1").doesNotContain("e-heavy-lane", "e-after-1");
        assertThat(results.get("e-heavy-lane").instanceId()).isEqualTo("test/main");
        assertThat(results.get("e-heavy-lane").output().asInt()).isEqualTo(2);
        assertThat(slow.isSlow(heavy.id())).isTrue();
        assertThat(slow.isSlow(quick.id())).isFalse();
        // the hand-off counts as a move to the slow lane, the lane's record as one to its lane
        assertThat(meters.get("s3c.executor.lane.moves").tag("lane", "slow").counter().count()).isEqualTo(1);
        assertThat(meters.get("s3c.executor.lane.moves").tag("lane", "concurrency").counter().count()).isEqualTo(1);
    }

    @Test
    void aTenantThatFloodsPastItsShareOfTheCpuWaitsInItsOwnLaneAndAnotherTenantsCallsAreNotHeldBehindItsBacklog()
            throws Exception {
        var flood = new FunctionDefinition("f-flood", "flood", 1, """
                function handler(input) { const end = Date.now() + input.ms; while (Date.now() < end) {} return input.i; }""",
                CodeStyle.HANDLER, 120_000, 0, FunctionStatus.ACTIVE, Instant.now(), "flooder");
        var light = new FunctionDefinition("f-light", "light", 1, "function handler(input) { return input.i; }",
                CodeStyle.HANDLER, 120_000, 0, FunctionStatus.ACTIVE, Instant.now(), "light");
        try (var producer = broker.plainProducer()) {
            for (FunctionDefinition f : List.of(flood, light)) {
                producer.send(new ProducerRecord<>(Topic.FUNCTION_DEFINITIONS.topicName(), f.id(),
                        JsonCodec.toBytes(f))).get();
            }
        }
        // nothing is slow here (a minute of CPU): what moves the flood is its tenant's share alone
        var slow = new SlowFunctions(Duration.ofMinutes(1), Duration.ofMinutes(1));
        var fair = new FairShare(0.5, Duration.ofMillis(250), Duration.ofMinutes(1), 1, id -> {
            FunctionDefinition known = catalog.current(id);
            return known == null ? null : known.owner();
        }, com.github.benmanes.caffeine.cache.Ticker.systemTicker());
        var meters = withFastAndSlowLaneInstances("test-fair-share", slow, fair, () -> {
            try (var producer = broker.plainProducer()) {
                // both tenants are active here, and both functions warm
                send(producer, new InvocationRequested("e-light-0", light.id(), 1, JsonCodec.readTree("{\"i\":0}"),
                        Instant.now(), null));
                send(producer, new InvocationRequested("e-flood-0", flood.id(), 1,
                        JsonCodec.readTree("{\"ms\":1,\"i\":0}"), Instant.now(), null));
                await().atMost(Duration.ofSeconds(60)).until(() -> broker.committedResults("e-light-").size() == 1
                        && broker.committedResults("e-flood-").size() == 1);
                assertThat(fair.placed("flooder")).isFalse();
            }
            // 30 calls of 80 ms of CPU, then three of the other tenant's, all on one partition, in this order, seen
            // all at once (one transaction): read in order, the other tenant's would wait behind the whole flood
            try (var producer = broker.transactionalProducer("test-fair-share-flood")) {
                producer.initTransactions();
                producer.beginTransaction();
                for (int i = 1; i <= 30; i++) {
                    send(producer, new InvocationRequested("e-flood-" + i, flood.id(), 1,
                            JsonCodec.readTree("{\"ms\":80,\"i\":" + i + "}"), Instant.now(), null));
                }
                for (int i = 1; i <= 3; i++) {
                    send(producer, new InvocationRequested("e-light-" + i, light.id(), 1,
                            JsonCodec.readTree("{\"i\":" + i + "}"), Instant.now(), null));
                }
                producer.commitTransaction();
                await().atMost(Duration.ofSeconds(90)).until(() -> broker.committedResults("e-light-").size() == 4
                        && broker.committedResults("e-flood-").size() == 31);
            }
        });
        Map<String, InvocationCompleted> results = new HashMap<>();
        broker.committedResults("e-flood-").forEach(r -> results.put(r.executionId(), r));
        broker.committedResults("e-light-").forEach(r -> results.put(r.executionId(), r));
        assertThat(broker.committedResults("e-flood-")).hasSize(31);
        assertThat(results.values()).allSatisfy(r -> assertThat(r.status()).as("%s", r)
                .isEqualTo(dev.s3c.contracts.ExecutionStatus.SUCCEEDED));
        // once its calls waited while it took most of the CPU, the flooder was placed: the rest of its backlog went
        // to its one lane without running, and the other tenant's calls ran before most of it
        assertThat(fair.placed("flooder")).isTrue();
        assertThat(fair.placed("light")).isFalse();
        for (int i = 1; i <= 3; i++) {
            Instant done = results.get("e-light-" + i).finishedAt();
            long floodsBefore = results.values().stream().filter(r -> r.executionId().startsWith("e-flood-")
                    && !r.executionId().equals("e-flood-0") && r.finishedAt().isBefore(done)).count();
            assertThat(floodsBefore).as("flood calls finished before the other tenant's call %d", i)
                    .isLessThanOrEqualTo(15);
        }
        // to its fair lane, apart from the lanes of limits, as it was (no lane of a limit: the slow lane and the
        // hand-off still apply to it)
        int lane = dev.s3c.contracts.ConcurrencyLanes.lane("flooder", 1, flood.id(), null, "any",
                Topic.FAIR_LANES.partitions());
        var moved = broker.readAll(Topic.FAIR_LANES.topicName(), "read_committed").stream()
                .filter(r -> r.key().startsWith("e-flood-")).toList();
        assertThat(moved).hasSizeGreaterThanOrEqualTo(15).allSatisfy(r -> {
            assertThat(r.partition()).isEqualTo(lane);
            assertThat(JsonCodec.fromBytes(r.value(), InvocationRequested.class).lane()).isNull();
        });
        assertThat(broker.readAll(Topic.FAIR_LANES.topicName(), "read_committed"))
                .noneSatisfy(r -> assertThat(r.key()).startsWith("e-light-"));
        assertThat(broker.readAll(Topic.INVOCATION_LANES.topicName(), "read_committed"))
                .noneSatisfy(r -> assertThat(r.key()).startsWith("e-flood-"));
        assertThat(meters.get("s3c.executor.lane.moves").tag("lane", "fair").counter().count())
                .isEqualTo(moved.size());
    }

    /** What a test does while the instances serve. */
    private interface WhileServed {
        void run() throws Exception;
    }

    /**
     * Runs {@code body} while two instances serve consumer group {@code group} (from the topics' ends: what other
     * tests left there is not this one's): {@code test/main}, a fast instance reading what the pool reads, and
     * {@code test/slow-0}, the slow lane's; returns their meters.
     */
    private static SimpleMeterRegistry withFastAndSlowLaneInstances(String group, SlowFunctions slow, WhileServed body)
            throws Exception {
        return withFastAndSlowLaneInstances(group, slow, FairShare.none(), body);
    }

    /** The same, with the fast instance sharing the CPU between tenants by {@code fair}. */
    private static SimpleMeterRegistry withFastAndSlowLaneInstances(String group, SlowFunctions slow, FairShare fair,
            WhileServed body) throws Exception {
        var producers = new DefaultKafkaProducerFactory<String, Object>(broker.kafka().buildProducerProperties(),
                new StringSerializer(), JsonSerde.anySerializer());
        producers.setTransactionIdPrefix(group + "-");
        var meters = new SimpleMeterRegistry();
        var processor = new InvocationProcessor(catalog, Duration.ofSeconds(10), watchdog, Duration.ofSeconds(30),
                started -> { }, new RetryPolicy(Duration.ofSeconds(1), 2, Duration.ofSeconds(10)));
        Map<String, Object> consumerConfig = new HashMap<>(broker.kafka().buildConsumerProperties());
        consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        var consumers = new DefaultKafkaConsumerFactory<>(consumerConfig, new StringDeserializer(),
                new ByteArrayDeserializer());
        var main = new ContainerProperties(Topic.INVOCATIONS.topicName(), Topic.RETRIES_DUE.topicName(),
                Topic.INVOCATION_LANES.topicName(), Topic.FAIR_LANES.topicName());
        var lane = new ContainerProperties(Topic.SLOW_LANE.topicName());
        List<KafkaMessageListenerContainer<String, byte[]>> containers = new ArrayList<>();
        try (var mainSandbox = new FunctionSandbox(engine, watchdog, SandboxLimits.defaults());
                var laneSandbox = new FunctionSandbox(engine, watchdog, SandboxLimits.defaults())) {
            main.setAckMode(ContainerProperties.AckMode.MANUAL_IMMEDIATE);
            main.setMessageListener(new InvocationBatchListener("test/main", mainSandbox, processor,
                    new KafkaTemplate<>(producers), Duration.ofSeconds(5), meters, slow, false, fair));
            lane.setAckMode(ContainerProperties.AckMode.MANUAL_IMMEDIATE);
            lane.setMessageListener(new InvocationBatchListener("test/slow-0", laneSandbox, processor,
                    new KafkaTemplate<>(producers), Duration.ofSeconds(5), meters, slow, true));
            containers.add(new KafkaMessageListenerContainer<>(consumers, main));
            containers.add(new KafkaMessageListenerContainer<>(consumers, lane));
            containers.forEach(KafkaMessageListenerContainer::start);
            ContainerTestUtils.waitForAssignment(containers.get(0), PARTITIONS);
            ContainerTestUtils.waitForAssignment(containers.get(1), Topic.SLOW_LANE.partitions());
            body.run();
        } finally {
            containers.forEach(KafkaMessageListenerContainer::stop);
            producers.destroy();
        }
        return meters;
    }

    private static void send(KafkaProducer<String, byte[]> producer, InvocationRequested request) throws Exception {
        producer.send(new ProducerRecord<>(Topic.INVOCATIONS.topicName(), 0, request.executionId(),
                JsonCodec.toBytes(request))).get();
    }
}
