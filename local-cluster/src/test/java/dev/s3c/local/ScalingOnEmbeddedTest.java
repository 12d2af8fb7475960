package dev.s3c.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tools.jackson.databind.JsonNode;

/**
 * The scaler driving a real executor: a backlog of slow invocations grows the pool within seconds, it drains, and
 * the pool shrinks after the quiet period; the scaling history says why; a second executor process gets its share.
 * The tests run in order on one cluster. A broker of its own, because the scaler's
 * state and the compacted scale commands must not carry over from other tests.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ScalingOnEmbeddedTest {

    private static final Pattern INSTANCES = Pattern.compile("^s3c_executor_instances\\{[^}]*} ([0-9.]+)$",
            Pattern.MULTILINE);
    private static final Pattern SUCCEEDED = Pattern.compile(
            "^s3c_executor_invocations_total\\{[^}]*status=\"succeeded\"[^}]*} ([0-9.]+)$", Pattern.MULTILINE);

    private LocalCluster cluster;
    private Api api;
    private Api executor;

    @BeforeAll
    void start() {
        // the pool grows to at most one instance per core: on one core there is nothing to grow
        assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "needs 2 cores or more");
        cluster = LocalCluster.start(LocalCluster.Options.forTests(null, null).withExecutorInstances(1)
                .withServiceArgs("--s3c.scaler.max-instances=4", "--s3c.scaler.scale-down-after=3s",
                        "--s3c.scaler.scale-up-cooldown=1s"));
        api = new Api(cluster.gatewayUrl());
        executor = new Api(cluster.executorUrl());
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void aBacklogGrowsThePoolWhichShrinksOnceItDrains() {
        String id = slowFunction("slow");
        assertThat(api.post("/api/functions/" + id + "/execute", "{\"input\":{\"i\":0}}").body().get("status")
                .asString()).isEqualTo("succeeded");
        await().atMost(Duration.ofSeconds(30)).until(() -> instances() == 1);

        int calls = 300;
        List<CompletableFuture<Api.Response>> accepted = new ArrayList<>();
        for (int i = 1; i <= calls; i++) {
            accepted.add(api.postAsync("/api/functions/" + id + "/execute?mode=async", "{\"input\":{\"i\":" + i + "}}"));
        }
        Set<String> executions = new HashSet<>();
        for (CompletableFuture<Api.Response> call : accepted) {
            Api.Response response = call.join();
            assertThat(response.status()).isEqualTo(202);
            executions.add(response.body().get("executionId").asString());
        }
        assertThat(executions).hasSize(calls);

        // 300 queued at 50 ms each on one instance: the scaler sees the backlog and the pool grows
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).until(() -> instances() > 1);
        JsonNode up = await().atMost(Duration.ofSeconds(10)).until(() -> oldestEvent("scale_up"), e -> e != null);
        assertThat(up.get("fromInstances").asInt()).isEqualTo(1);
        // the executor runs in this JVM and reports its cores: by default no more instances than them
        int cores = Runtime.getRuntime().availableProcessors();
        assertThat(up.get("toInstances").asInt()).isBetween(2, Math.min(4, cores));
        assertThat(up.get("lag").asLong()).isGreaterThan(10);
        assertThat(up.get("reason").asString()).contains("above 10 per instance");
        if (cores < 4 && up.get("lag").asLong() > 10L * cores) {
            assertThat(up.get("reason").asString()).contains("capped at " + cores + " (" + cores
                    + " cores in the executor processes, 1 instance(s) per core)");
        }
        long perPartition = 0;
        for (JsonNode p : up.get("lagByPartition")) {
            perPartition += p.get("lag").asLong();
        }
        assertThat(perPartition).isEqualTo(up.get("lag").asLong());
        // the lag probe is fresher than the traffic counts: the first decision may not have the backlog yet
        for (JsonNode b : up.get("backlogByFunction")) {
            assertThat(b.get("functionId").asString()).isEqualTo(id);
        }

        // every invocation ends in exactly one record, through the scale-up and the scale-down
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() ->
                api.get("/api/functions/" + id + "/logs?status=succeeded&limit=1000").body().size() == calls + 1);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> instances() == 1);
        // delivery is at-least-once: a batch cut while its partitions move may run again on their new owner
        // (results are idempotent), which must stay the exception
        assertThat(succeededRuns()).isBetween((long) calls + 1, calls + 1 + calls / 20L);

        // the monitor stores the last decision a moment after the executor applied it
        JsonNode history = await().atMost(Duration.ofSeconds(10)).until(
                () -> api.get("/api/metrics/scaling/history").body(),
                h -> h.size() > 0 && h.get(0).get("action").asString().equals("scale_down")
                        && h.get(0).get("toInstances").asInt() == 1);
        List<String> actions = new ArrayList<>();
        history.forEach(e -> actions.add(e.get("action").asString()));
        assertThat(actions).as("newest first: %s", history).startsWith("scale_down").contains("scale_up");
        JsonNode down = history.get(0);
        assertThat(down.get("toInstances").asInt()).isEqualTo(1);
        assertThat(down.get("reason").asString()).contains("stayed below 3 per instance for 3s");
        List<Instant> times = new ArrayList<>();
        history.forEach(e -> times.add(Instant.parse(e.get("timestamp").asString())));
        assertThat(times).isSortedAccordingTo(java.util.Comparator.reverseOrder());
        assertThat(api.get("/api/metrics/scaling/history?limit=1").body()).hasSize(1);
        Api.Response bad = api.get("/api/metrics/scaling/history?limit=0");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.body().toString()).contains("limit");
    }

    @Test
    @Order(2)
    void aSecondExecutorProcessGetsItsShareOfThePool() {
        long ranBefore = succeededRuns(executor);
        String id = slowFunction("slow-shared");
        // until the scaler has decided something it adopts the pool as it is; a burst makes sure it has
        Instant burst = Instant.now().minusSeconds(1);
        fire(id, 100);
        await().atMost(Duration.ofSeconds(15)).until(() -> {
            JsonNode newest = api.get("/api/metrics/scaling/history?limit=1").body();
            return newest.size() == 1 && Instant.parse(newest.get(0).get("timestamp").asString()).isAfter(burst);
        });

        Api second = new Api(cluster.startExecutor("exec-b", 1));
        // the next decision (a rebalance, or a scale-down if the quiet period ends first) splits among both
        JsonNode split = await().atMost(Duration.ofSeconds(20)).until(
                () -> api.get("/api/metrics/scaling/history?limit=1").body().path(0),
                e -> e.path("processes").toString().contains("exec-b"));
        assertThat(split.get("action").asString()).isIn("rebalance", "scale_down", "scale_up");
        // both processes together run the desired total, split as evenly as it goes
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> {
            int desired = api.get("/api/metrics/scaling/history?limit=1").body().get(0).get("toInstances").asInt();
            int a = instances();
            int b = instances(second);
            return a + b == desired && Math.abs(a - b) <= 1;
        });

        fire(id, 300);
        // two processes on this JVM's cores (two here): twice the cores, up to the maximum of 4
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> instances() == 2 && instances(second) == 2);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() ->
                api.get("/api/functions/" + id + "/logs?status=succeeded&limit=1000").body().size() == 400);
        // each ran on one process or the other (at least once, as above)
        assertThat(succeededRuns(executor) - ranBefore + succeededRuns(second)).isBetween(400L, 420L);
    }

    private String slowFunction(String name) {
        String code = """
                function handler(input) {
                  const end = Date.now() + 50;
                  while (Date.now() < end) { }
                  return input.i;
                }""";
        Api.Response created = api.post("/api/functions", Api.json(Map.of("name", name, "code", code)));
        assertThat(created.status()).as("%s", created.body()).isEqualTo(201);
        return created.body().get("id").asString();
    }

    private void fire(String id, int calls) {
        List<CompletableFuture<Api.Response>> accepted = new ArrayList<>();
        for (int i = 1; i <= calls; i++) {
            accepted.add(api.postAsync("/api/functions/" + id + "/execute?mode=async", "{\"input\":{\"i\":" + i + "}}"));
        }
        accepted.forEach(call -> assertThat(call.join().status()).isEqualTo(202));
    }

    private int instances() {
        return instances(executor);
    }

    private static int instances(Api executor) {
        Matcher m = INSTANCES.matcher(executor.raw("/actuator/prometheus"));
        return m.find() ? (int) Double.parseDouble(m.group(1)) : -1;
    }

    private long succeededRuns() {
        return succeededRuns(executor);
    }

    /** Succeeded runs of every function (one series per function). */
    private static long succeededRuns(Api executor) {
        Matcher m = SUCCEEDED.matcher(executor.raw("/actuator/prometheus"));
        long total = 0;
        while (m.find()) {
            total += (long) Double.parseDouble(m.group(1));
        }
        return total;
    }

    /** The oldest stored event of that action (the history lists newest first). */
    private JsonNode oldestEvent(String action) {
        JsonNode oldest = null;
        for (JsonNode event : api.get("/api/metrics/scaling/history?limit=100").body()) {
            if (action.equals(event.get("action").asString())) {
                oldest = event;
            }
        }
        return oldest;
    }
}
