package dev.s3c.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.s3c.contracts.ExecutionTimeline;
import dev.s3c.contracts.InvocationCompleted;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.contracts.Topic;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.util.FileSystemUtils;
import tools.jackson.databind.JsonNode;

/**
 * The chaos suite: the platform as processes of its own on this machine (a broker, a MongoDB-wire store, a monitor,
 * two gateways, two executor processes of two instances each; {@link ChaosNode}), and in each scenario one of them
 * killed or stopped in the middle of the work. After each: every accepted invocation has exactly one final stored
 * result, the sync callers that got an answer got the stored one, the results topic (read committed) holds
 * exactly one result per execution, and the live metrics' history counts as many finished as are stored. Each scenario logs its figures (invocations, re-runs, time to recover); the
 * README keeps them. The processes' logs are in {@code target/chaos/}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChaosTest {

    private static final Logger log = LoggerFactory.getLogger(ChaosTest.class);
    private static final Path LOGS = Path.of("target", "chaos");

    private static Path brokerLog;
    private static int brokerPort;
    private static int controllerPort;
    private static String bootstrap;
    private static String mongoUri;
    private static Node broker;
    private static Node store;
    private static Node monitor;
    private static Node gateway;
    private static Node gateway2;
    private static Node executor1;
    private static Node executor2;
    private static Api api;

    @BeforeAll
    static void start() throws IOException {
        Files.createDirectories(LOGS);
        brokerLog = Files.createTempDirectory("s3c-chaos-kafka");
        brokerPort = uniquePort();
        controllerPort = uniquePort();
        int storePort = uniquePort();
        bootstrap = "127.0.0.1:" + brokerPort;
        mongoUri = "mongodb://127.0.0.1:" + storePort + "/s3c";
        broker = new Node("broker", List.of("broker", brokerLog.toString(), String.valueOf(brokerPort),
                String.valueOf(controllerPort)), null, null);
        store = new Node("store", List.of("store", String.valueOf(storePort)), null, null);
        broker.start();
        store.start();
        awaitBroker();
        awaitPort(storePort);
        int monitorPort = uniquePort();
        monitor = service("monitor", monitorPort);
        gateway = service("gateway", uniquePort(), "--s3c.gateway.instance-id=chaos-gw-1",
                "--s3c.gateway.monitor-url=http://localhost:" + monitorPort);
        gateway2 = service("gateway", uniquePort(), "--s3c.gateway.instance-id=chaos-gw-2",
                "--s3c.gateway.monitor-url=http://localhost:" + monitorPort);
        executor1 = service("executor", uniquePort(), "--s3c.executor.instances=2",
                "--s3c.executor.instance-id-prefix=exec-1", "--s3c.executor.shutdown-grace=20s");
        executor2 = service("executor", uniquePort(), "--s3c.executor.instances=2",
                "--s3c.executor.instance-id-prefix=exec-2", "--s3c.executor.shutdown-grace=20s");
        for (Node node : List.of(monitor, gateway, gateway2, executor1, executor2)) {
            node.start();
        }
        for (Node node : List.of(monitor, gateway, gateway2, executor1, executor2)) {
            node.awaitHealthy();
        }
        api = new Api(gateway.url());
    }

    @AfterAll
    static void stop() {
        for (Node node : new Node[] {gateway2, gateway, executor2, executor1, monitor, store, broker}) {
            if (node != null) {
                node.terminate();
            }
        }
        // the broker has stopped: its log is of no further use, and each run would leave 15 MB in the temp folder
        if (brokerLog != null) {
            FileSystemUtils.deleteRecursively(brokerLog.toFile());
        }
    }

    @Test
    @Order(1)
    void anExecutorKilledMidBurstLosesNothingAndDoublesNothing() throws Exception {
        String function = create("chaos-kill-executor", "function handler(input) { return { i: input.i }; }");
        long since = nextSecond();
        Burst burst = Burst.start(api, function, 5_000, 16);
        SyncProbe probe = SyncProbe.start(new Api(gateway2.url()), function, 40);
        await().atMost(Duration.ofSeconds(120)).until(() -> burst.accepted.size() >= 1_500);
        long killedAt = System.nanoTime();
        executor1.kill();
        burst.done.get(180, TimeUnit.SECONDS);
        probe.done.get(180, TimeUnit.SECONDS);

        // the other process takes the killed one's partitions over (after the 10 s session timeout)
        Figures figures = verify(function, burst, probe, killedAt, since);
        log.info("Chaos (a) executor kill -9 mid-burst: {}", figures);
        // a process manager starts it again
        executor1.start();
        executor1.awaitHealthy();
        // every call was answered and queued: nothing was refused while only an executor failed
        assertThat(burst.refused.get()).isZero();
        assertThat(burst.maybe).isEmpty();
        assertThat(burst.accepted).hasSize(5_000);
    }

    @Test
    @Order(2)
    void anExecutorStoppedWhileRunningSlowFunctionsFinishesThemAndHandsOverTheRest() throws Exception {
        String function = create("chaos-term-executor",
                "function handler(input) { const t = Date.now(); while (Date.now() - t < 1500) {} return { i: input.i }; }");
        long since = nextSecond();
        Burst burst = Burst.start(api, function, 24, 24);
        burst.done.get(60, TimeUnit.SECONDS);
        // both processes are running functions: some results are stored already
        await().atMost(Duration.ofSeconds(60)).until(() -> storedCount(function) >= 2);
        long stoppedAt = System.nanoTime();
        executor1.terminate();
        long stopMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt);

        Figures figures = verify(function, burst, SyncProbe.none(), stoppedAt, since);
        log.info("Chaos (e) executor SIGTERM with slow functions running: stopped in {} ms; {}", stopMillis, figures);
        executor1.start();
        executor1.awaitHealthy();
        // each function ran to its end: nothing was cut off by the stop (a cut-off run would be a system error)
        assertThat(figures.statuses()).containsOnlyKeys("succeeded");
        assertThat(stopMillis).isLessThan(20_000 + 10_000);
    }

    @Test
    @Order(3)
    void aGatewayStoppedWhileSyncCallersWaitAnswersThemWithTheStoredResults() throws Exception {
        String function = create("chaos-term-gateway",
                "function handler(input) { const t = Date.now(); while (Date.now() - t < 1000) {} return { i: input.i }; }");
        Api second = new Api(gateway2.url());
        Api secondActuator = new Api(gateway2.managementUrl());
        long since = nextSecond();
        List<CompletableFuture<Api.Response>> calls = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            calls.add(second.postAsync("/api/functions/" + function + "/execute", "{\"input\":{\"i\":" + i + "}}"));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> secondActuator.get("/actuator/health").body().path("components")
                .path("resultRouter").path("details").path("waiting").asInt() >= 4);
        long stoppedAt = System.nanoTime();
        gateway2.terminate();
        SyncProbe probe = SyncProbe.of(calls);

        Figures figures = verify(function, Burst.none(), probe, stoppedAt, since);
        log.info("Chaos (c) gateway SIGTERM with sync callers waiting: {} answered with their result, {} with 202; {}",
                probe.answered.size(), probe.queued.size(), figures);
        gateway2.start();
        gateway2.awaitHealthy();
        // the drain let them finish: every caller got an answer, none a broken connection
        assertThat(probe.answered.size() + probe.queued.size()).isEqualTo(8);
    }

    @Test
    @Order(4)
    void aMonitorKilledMidWriteStoresEveryResultOnceAfterItsRestart() throws Exception {
        String function = create("chaos-kill-monitor", "function handler(input) { return { i: input.i }; }");
        Burst burst = Burst.start(api, function, 1_000, 16);
        await().atMost(Duration.ofSeconds(120)).until(() -> storedCount(function) >= 200);
        long killedAt = System.nanoTime();
        monitor.kill();
        burst.done.get(180, TimeUnit.SECONDS);
        monitor.start();
        monitor.awaitHealthy();

        // not compared with the live metrics: the restarted monitor counts afresh
        Figures figures = verify(function, burst, SyncProbe.none(), killedAt, null);
        log.info("Chaos (d) monitor kill -9 mid-write: {}", figures);
    }

    @Test
    @Order(5)
    void theBrokerStoppedAndStartedMidBurstLosesNothingAccepted() throws Exception {
        String function = create("chaos-restart-broker", "function handler(input) { return { i: input.i }; }");
        long since = nextSecond();
        Burst burst = Burst.start(api, function, 1_000, 8);
        await().atMost(Duration.ofSeconds(120)).until(() -> burst.accepted.size() >= 300);
        long stoppedAt = System.nanoTime();
        broker.terminate();
        // calls during the outage fail fast, saying whether they may have been queued
        await().atMost(Duration.ofSeconds(30)).until(() -> burst.refused.get() + burst.maybe.size() > 0);
        broker.start();
        awaitBroker();
        burst.done.get(300, TimeUnit.SECONDS);

        Figures figures = verify(function, burst, SyncProbe.none(), stoppedAt, since);
        log.info("Chaos (b) broker stopped and started mid-burst: {} refused (not queued), {} maybe queued; {}",
                burst.refused.get(), burst.maybe.size(), figures);
    }

    // ---------------------------------------------------------------------------------------------------------------

    /**
     * What a scenario shows: how many executions; how many results were published and then aborted (runs whose
     * transaction did not commit: the run happened again elsewhere; runs lost with a killed process before they
     * published anything are not seen here); how long from the fault until every execution was stored and checked.
     */
    record Figures(int invocations, int abortedResults, long storedAfterFaultMillis, Map<String, Integer> statuses) {
    }

    /**
     * The guarantees, checked for one function's executions: each accepted one (and each that may have been) is
     * stored with one final result, no more; sync callers' answers are the stored ones; the results topic, read
     * committed, has exactly one result per stored execution.
     */
    private static Figures verify(String function, Burst burst, SyncProbe probe, long faultAt, Long countedSince) {
        Set<String> expected = ConcurrentHashMap.newKeySet();
        expected.addAll(burst.accepted);
        expected.addAll(probe.answered.keySet());
        expected.addAll(probe.queued);
        Map<String, JsonNode> stored;
        try {
            stored = await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> storedFinal(function), s -> s.keySet().containsAll(expected)
                            && burst.maybe.stream().allMatch(id -> s.containsKey(id) || absent(id)));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("not stored: " + diagnose(function, expected, storedFinal(function).keySet()), e);
        }
        long recovered = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - faultAt);
        Map<String, Integer> statuses = new HashMap<>();
        stored.values().forEach(v -> statuses.merge(v.get("status").asString(), 1, Integer::sum));
        // nothing ran as a retry and nothing failed: the functions never fail (and have no retries), so every stored
        // result is its first attempt's, and a run the fault cut off would show as a status other than succeeded
        stored.values().forEach(v -> assertThat(v.get("attempts").asInt()).as("%s", v).isEqualTo(1));
        assertThat(statuses).as("statuses of the stored executions").containsOnlyKeys("succeeded");
        probe.answered.forEach((id, answer) -> {
            JsonNode view = stored.get(id);
            assertThat(view.get("status").asString()).as(id).isEqualTo(answer.get("status").asString());
            assertThat(view.get("output")).as(id).isEqualTo(answer.get("output"));
            assertThat(view.get("instanceId").asString()).as(id).isEqualTo(answer.get("instanceId").asString());
        });
        // a call the test got no answer for may still be finishing: the store and the topic agree once it is done
        Map<String, Integer> committed = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                .until(() -> results(function, "read_committed"),
                        c -> c.keySet().equals(storedFinal(function).keySet()));
        Map<String, Integer> everything = results(function, "read_uncommitted");
        committed.forEach((id, n) -> assertThat(n).as("committed results of %s", id).isEqualTo(1));
        int aborted = everything.values().stream().mapToInt(Integer::intValue).sum() - committed.size();
        if (countedSince != null) {
            // the live metrics counted each stored execution once: their history since the scenario began (by the
            // second each finished in) adds up to what the store has
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(completedSince(countedSince)).isEqualTo(stored.size()));
        }
        return new Figures(stored.size(), aborted, recovered, statuses);
    }

    /** Executions finished from second {@code since} on, as {@code /api/metrics/executions/history} counts them. */
    private static long completedSince(long since) {
        long window = java.time.Instant.now().getEpochSecond() - since + 2;
        JsonNode points = api.get("/api/metrics/executions/history?window=" + window + "s&step=1s").body()
                .get("points");
        long completed = 0;
        for (JsonNode point : points) {
            if (java.time.Instant.parse(point.get("at").asString()).getEpochSecond() >= since) {
                completed += point.get("stats").get("completed").asLong();
            }
        }
        return completed;
    }

    /**
     * The second a scenario's executions are counted from: the next one, so that nothing of the scenario before
     * (all of it finished by now) shares it.
     */
    private static long nextSecond() {
        long now = java.time.Instant.now().getEpochSecond();
        await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(20))
                .until(() -> java.time.Instant.now().getEpochSecond() > now);
        return now + 1;
    }

    /** Where the executions expected but not stored are: as the API shows them, on the topics, in the group. */
    private static String diagnose(String function, Set<String> expected, Set<String> stored) {
        List<String> missing = expected.stream().filter(id -> !stored.contains(id)).limit(10).toList();
        Map<String, Integer> committed = results(function, "read_committed");
        Map<String, Integer> everything = results(function, "read_uncommitted");
        StringBuilder out = new StringBuilder(missing.size() + " of " + expected.size() + " (first 10):");
        Map<String, String> requests = new HashMap<>();
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (var consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
                Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            List<Topic> topics = new ArrayList<>(List.of(Topic.INVOCATIONS, Topic.RETRIES_DUE, Topic.INVOCATION_LANES,
                    Topic.FAIR_LANES));
            topics.addAll(Topic.retryTiers());
            for (Topic topic : topics) {
                List<TopicPartition> partitions = consumer.partitionsFor(topic.topicName()).stream()
                        .map(p -> new TopicPartition(topic.topicName(), p.partition())).toList();
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
                while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                    consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                        if (missing.contains(r.key())) {
                            requests.merge(r.key(), r.topic() + "-" + r.partition() + "@" + r.offset(), (a, b) -> a + "," + b);
                        }
                    });
                }
            }
            var offsets = admin.listConsumerGroupOffsets("s3c-executor").partitionsToOffsetAndMetadata()
                    .get(10, TimeUnit.SECONDS);
            out.append(" group s3c-executor committed ").append(offsets.entrySet().stream()
                    .filter(e -> e.getKey().topic().equals(Topic.INVOCATIONS.topicName()))
                    .map(e -> e.getKey().partition() + "=" + e.getValue().offset()).sorted().toList());
        } catch (Exception e) {
            out.append(" (topics not read: ").append(e).append(')');
        }
        Map<String, String> inStore = storeView(function, missing);
        for (String id : missing) {
            Api.Response view = api.get("/api/executions/" + id);
            out.append("\n  ").append(id).append(": API ").append(view.status()).append(' ').append(view.body())
                    .append("; requests at ").append(requests.get(id)).append("; results committed ")
                    .append(committed.get(id)).append(", in all ").append(everything.get(id)).append("; store ")
                    .append(inStore.get(id));
        }
        return out.toString();
    }

    /**
     * What the store holds of each missing execution: its status and timeline place, and the places its function's
     * timeline lists it at (a listing shows it only where the two agree).
     */
    private static Map<String, String> storeView(String function, List<String> missing) {
        Map<String, String> view = new HashMap<>();
        try (var client = com.mongodb.reactivestreams.client.MongoClients.create(mongoUri)) {
            var db = client.getDatabase("s3c");
            var blocks = reactor.core.publisher.Flux.from(db.getCollection(ExecutionTimeline.BLOCKS)
                    .find(new org.bson.Document(ExecutionTimeline.FUNCTION_ID, function))).collectList()
                    .block(Duration.ofSeconds(30));
            for (String id : missing) {
                org.bson.Document execution = reactor.core.publisher.Mono.from(db.getCollection(dev.s3c.contracts.ExecutionRecord.COLLECTION)
                        .find(new org.bson.Document("_id", id)).first()).block(Duration.ofSeconds(10));
                List<Object> places = new ArrayList<>();
                for (org.bson.Document block : blocks) {
                    for (org.bson.Document entry : block.getList(ExecutionTimeline.ENTRIES, org.bson.Document.class, List.of())) {
                        if (id.equals(entry.getString(ExecutionTimeline.ENTRY_ID))) {
                            places.add(entry.get(ExecutionTimeline.ENTRY_SEQ));
                        }
                    }
                }
                view.put(id, execution == null ? "none, listed at " + places
                        : "status " + execution.get(dev.s3c.contracts.ExecutionRecord.STATUS) + ", seq "
                                + execution.get(dev.s3c.contracts.ExecutionRecord.SEQ) + ", listed at " + places);
            }
        } catch (RuntimeException e) {
            missing.forEach(id -> view.put(id, "not read: " + e));
        }
        return view;
    }

    private static boolean absent(String executionId) {
        return api.get("/api/executions/" + executionId).status() == 404;
    }

    /** The function's stored executions in a final state, by id; a listing that names one twice fails. */
    private static Map<String, JsonNode> storedFinal(String function) {
        Map<String, JsonNode> all = new LinkedHashMap<>();
        String next = "/api/functions/" + function + "/logs?limit=1000";
        while (next != null) {
            Api.Response page = api.get(next);
            assertThat(page.status()).isEqualTo(200);
            for (JsonNode view : page.body()) {
                String status = view.get("status").asString();
                if (!status.equals("queued") && !status.equals("running")) {
                    assertThat(all.put(view.get("executionId").asString(), view)).as("listed twice: %s", view).isNull();
                }
            }
            next = page.nextLink();
        }
        return all;
    }

    private static int storedCount(String function) {
        return storedFinal(function).size();
    }

    /** How many results each execution of the function has on the results topic, read with {@code isolation}. */
    private static Map<String, Integer> results(String function, String isolation) {
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        Map<String, Integer> counts = new HashMap<>();
        try (var consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            String topic = Topic.INVOCATION_RESULTS.topicName();
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    InvocationCompleted result = JsonCodec.fromBytes(r.value(), InvocationCompleted.class);
                    if (function.equals(result.functionId())) {
                        counts.merge(result.executionId(), 1, Integer::sum);
                    }
                });
            }
        }
        return counts;
    }

    private static String create(String name, String code) {
        Api.Response created = api.post("/api/functions", Api.json(Map.of("name", name, "code", code,
                // the default 30 s timeout: with 10 s, 3 of 5,040 runs of the first scenario timed out in one CI run
                // (the surviving executor taking over the killed one's backlog on two busy cores)
                "config", Map.of("retryCount", 0))));
        assertThat(created.status()).as("%s", created.body()).isEqualTo(201);
        return created.body().get("id").asString();
    }

    private static final List<Burst> BURSTS = new java.util.concurrent.CopyOnWriteArrayList<>();

    @org.junit.jupiter.api.AfterEach
    void cancelBursts() {
        BURSTS.forEach(b -> b.cancelled = true);
        BURSTS.clear();
    }

    /** Async calls at a fixed concurrency; what the gateway answered, by kind. */
    static final class Burst {

        final Set<String> accepted = ConcurrentHashMap.newKeySet();
        /** 503s naming an execution that may have been queued. */
        final Set<String> maybe = ConcurrentHashMap.newKeySet();
        final AtomicInteger refused = new AtomicInteger();
        final CompletableFuture<Void> done = new CompletableFuture<>();
        /** Set when its scenario ended: a burst that outlives a failed scenario must not pollute the next one. */
        volatile boolean cancelled;

        static Burst none() {
            Burst burst = new Burst();
            burst.done.complete(null);
            return burst;
        }

        static Burst start(Api api, String function, int total, int concurrency) {
            Burst burst = new Burst();
            BURSTS.add(burst);
            Semaphore slots = new Semaphore(concurrency);
            Thread.ofVirtual().start(() -> {
                List<CompletableFuture<?>> calls = new ArrayList<>();
                for (int i = 0; i < total && !burst.cancelled; i++) {
                    slots.acquireUninterruptibly();
                    int n = i;
                    calls.add(api.postAsync("/api/functions/" + function + "/execute?mode=async",
                                    "{\"input\":{\"i\":" + n + "}}")
                            .handle((r, e) -> {
                                slots.release();
                                if (e == null) {
                                    burst.record(r);
                                } else {
                                    burst.refused.incrementAndGet();
                                }
                                return null;
                            }));
                }
                CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
                burst.done.complete(null);
            });
            return burst;
        }

        private void record(Api.Response r) {
            if (r.status() == 202) {
                accepted.add(r.body().get("executionId").asString());
            } else if (r.status() == 503 && r.location() != null) {
                maybe.add(r.location().substring(r.location().lastIndexOf('/') + 1));
            } else {
                refused.incrementAndGet();
            }
        }
    }

    /** Sync calls one after another: the answers with a result, and the executions answered 202. */
    static final class SyncProbe {

        final Map<String, JsonNode> answered = new ConcurrentHashMap<>();
        final Set<String> queued = ConcurrentHashMap.newKeySet();
        final CompletableFuture<Void> done = new CompletableFuture<>();

        static SyncProbe none() {
            SyncProbe probe = new SyncProbe();
            probe.done.complete(null);
            return probe;
        }

        static SyncProbe start(Api api, String function, int calls) {
            SyncProbe probe = new SyncProbe();
            Thread.ofVirtual().start(() -> {
                for (int i = 0; i < calls; i++) {
                    try {
                        probe.record(api.post("/api/functions/" + function + "/execute",
                                "{\"input\":{\"i\":" + (100_000 + i) + "}}"));
                    } catch (RuntimeException e) {
                        // no answer: nothing to compare
                    }
                }
                probe.done.complete(null);
            });
            return probe;
        }

        /** Waits for calls already made. */
        static SyncProbe of(List<CompletableFuture<Api.Response>> calls) {
            SyncProbe probe = new SyncProbe();
            for (CompletableFuture<Api.Response> call : calls) {
                try {
                    probe.record(call.get(120, TimeUnit.SECONDS));
                } catch (Exception e) {
                    // no answer: counted by the caller
                }
            }
            probe.done.complete(null);
            return probe;
        }

        private void record(Api.Response r) {
            if (r.status() == 200) {
                answered.put(r.body().get("executionId").asString(), r.body());
            } else if (r.status() == 202) {
                queued.add(r.body().get("executionId").asString());
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    /** Ports handed out to this suite's processes: a port free now is not taken by another of them later. */
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    /**
     * A free port never handed out before in this run: the OS gives a released port out again, and two processes
     * given the same one fail to start (a gateway's management port was once an executor's HTTP port).
     */
    private static int uniquePort() throws IOException {
        while (true) {
            int port = PersistentBroker.freePort();
            if (HANDED_OUT.add(port)) {
                return port;
            }
        }
    }

    private static Node service(String kind, int port, String... extra) {
        // a gateway's actuator has a port of its own; the other services serve theirs on their only port
        int managementPort;
        try {
            managementPort = kind.equals("gateway") ? uniquePort() : port;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        List<String> args = new ArrayList<>(List.of(kind, "--server.port=" + port,
                "--management.server.port=" + managementPort,
                "--spring.kafka.bootstrap-servers=" + bootstrap, "--spring.mongodb.uri=" + mongoUri,
                "--management.health.mongodb.enabled=false", "--s3c.gateway.seed-samples=false",
                "--" + LocalCluster.API_KEYS + "=" + LocalCluster.TEST_API_KEY));
        if (!kind.equals("gateway")) {
            args.addAll(List.of("--springdoc.api-docs.enabled=false", "--springdoc.swagger-ui.enabled=false"));
        }
        args.addAll(List.of(extra));
        return new Node(kind + "-" + port, args, "http://localhost:" + port, "http://localhost:" + managementPort);
    }

    private static void awaitBroker() {
        // its port first: an admin client made while nothing listens fills the test's output with its retries
        awaitPort(brokerPort);
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() -> {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 2000, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000))) {
                return admin.listTopics().names().get(3, TimeUnit.SECONDS).contains(Topic.INVOCATIONS.topicName());
            }
        });
    }

    private static void awaitPort(int port) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                return true;
            }
        });
    }

    /** A process of the platform, started again with the same arguments after it was killed or stopped. */
    static final class Node {

        private final String name;
        private final List<String> args;
        private final String url;
        private final String managementUrl;
        private Process process;

        Node(String name, List<String> args, String url, String managementUrl) {
            this.name = name;
            this.args = args;
            this.url = url;
            this.managementUrl = managementUrl;
        }

        String url() {
            return url;
        }

        /** Its actuator: health and Prometheus. */
        String managementUrl() {
            return managementUrl;
        }

        void start() {
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            // the test JVM's own options (the GraalJS JIT's module path among them), a smaller heap each
            for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                if (!option.startsWith("-javaagent") && !option.startsWith("-agentlib") && !option.startsWith("-Xmx")
                        && !option.startsWith("-D")) {
                    command.add(option);
                }
            }
            command.add("-Xmx768m");
            command.add("-Ds3c.chaos.parent=" + ProcessHandle.current().pid());
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(ChaosNode.class.getName());
            command.addAll(args);
            try {
                process = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(LOGS.resolve(name + ".log").toFile()))
                        .start();
            } catch (IOException e) {
                throw new IllegalStateException("cannot start " + name, e);
            }
        }

        void awaitHealthy() {
            Api node = new Api(managementUrl);
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                    .until(() -> {
                        assertThat(process.isAlive()).as("%s exited; see %s", name, LOGS.resolve(name + ".log")).isTrue();
                        return node.get("/actuator/health").status() == 200;
                    });
        }

        /** SIGKILL: no shutdown hook, no drain. */
        void kill() {
            process.destroyForcibly();
            waitFor();
        }

        /** SIGTERM: the process drains and stops. */
        void terminate() {
            if (process != null && process.isAlive()) {
                process.destroy();
                waitFor();
            }
        }

        private void waitFor() {
            try {
                if (!process.waitFor(90, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
