package dev.s3c.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tools.jackson.databind.JsonNode;

/**
 * The built-in load tester through its REST API, on the whole platform: every call it sends is counted where it
 * ended, progress arrives on the live WebSocket, one test runs at a time, and a DELETE stops one. Its own broker:
 * load tests must not meet other tests' work.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LoadTesterOnEmbeddedTest {

    private LocalCluster cluster;
    private Api api;

    @BeforeAll
    void start() {
        cluster = LocalCluster.start(LocalCluster.Options.forTests(null, null));
        api = new Api(cluster.gatewayUrl());
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private String create(String name, String code, Map<String, Object> extra) {
        var spec = new java.util.HashMap<String, Object>(Map.of("name", name, "code", code));
        spec.putAll(extra);
        Api.Response created = api.post("/api/functions", Api.json(spec));
        assertThat(created.status()).as("%s", created.body()).isEqualTo(201);
        return created.body().get("id").asString();
    }

    private JsonNode awaitEnd(String id) {
        await().atMost(Duration.ofSeconds(60)).until(() -> api.get("/api/load-tests/" + id).body().has("endedAt"));
        return api.get("/api/load-tests/" + id).body();
    }

    /** One test at a time: the tests of this class take turns. */
    private synchronized JsonNode run(String body) {
        Api.Response started = api.post("/api/load-tests", body);
        assertThat(started.status()).as("%s", started.body()).isEqualTo(201);
        assertThat(started.location()).isEqualTo("/api/load-tests/" + started.body().get("id").asString());
        return started.body();
    }

    @Test
    void badRequestsNameTheFieldAndUnknownOrInactiveFunctionsAreRefused() {
        String inactive = create("sleeper", "function handler() { return 1; }", Map.of("status", "inactive"));
        assertRefused("{\"functionId\":\"" + inactive + "\",\"durationSeconds\":601}", 400, "durationSeconds");
        assertRefused("{\"functionId\":\"" + inactive + "\",\"concurrency\":257}", 400, "concurrency");
        assertRefused("{\"functionId\":\"" + inactive + "\",\"concurrency\":2,\"ratePerSecond\":2}", 400, "ratePerSecond");
        assertRefused("{\"functionId\":\"" + inactive + "\",\"mode\":\"later\"}", 400, "mode");
        assertRefused("{\"functionId\":\"" + inactive + "\",\"rate\":5}", 400, "rate");
        assertRefused("{\"functionId\":\"no pe?\"}", 400, "functionId");
        // a name no function has
        assertThat(api.post("/api/load-tests", "{\"functionId\":\"nope\"}").status()).isEqualTo(404);
        assertRefused("not json", 400, "body");
        assertThat(api.post("/api/load-tests", "{\"functionId\":\"0123456789abcdef01234567\"}").status()).isEqualTo(404);
        assertRefused("{\"functionId\":\"" + inactive + "\"}", 409, "functionId");
        assertThat(api.get("/api/load-tests/00000000-0000-0000-0000-000000000000").status()).isEqualTo(404);
        assertRefused(api.get("/api/load-tests/42"), 400, "id");
        assertThat(api.delete("/api/load-tests/00000000-0000-0000-0000-000000000000").status()).isEqualTo(404);
    }

    private void assertRefused(String body, int status, String field) {
        assertRefused(api.post("/api/load-tests", body), status, field);
    }

    private static void assertRefused(Api.Response response, int status, String field) {
        assertThat(response.status()).as("%s", response.body()).isEqualTo(status);
        assertThat(response.body().get("errors").get(0).get("field").asString()).isEqualTo(field);
    }

    @Test
    void aClosedLoopTestCountsEveryCallWhereItEndedAndReportsLiveOnTheWebSocket() throws Exception {
        String echo = create("echo-load", "function handler(input) { return input; }", Map.of());
        String ws = cluster.gatewayUrl().replaceFirst("^http", "ws") + "/api/metrics/live";
        try (LiveClient live = LiveClient.connect(ws, Long.MAX_VALUE)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> live.snapshots() > 0);
            JsonNode started;
            synchronized (this) {
                started = run("{\"functionId\":\"" + echo + "\",\"mode\":\"sync\",\"concurrency\":4,"
                        + "\"durationSeconds\":3,\"input\":{\"n\":1}}");
                assertThat(started.get("state").asString()).isEqualTo("running");
                // one at a time per gateway
                Api.Response second = api.post("/api/load-tests", "{\"functionId\":\"" + echo + "\"}");
                assertThat(second.status()).isEqualTo(409);
                assertThat(second.body().get("message").asString()).contains(started.get("id").asString());
                JsonNode done = awaitEnd(started.get("id").asString());

                assertThat(done.get("state").asString()).isEqualTo("finished");
                long sent = done.get("sent").asLong();
                assertThat(sent).isPositive();
                assertThat(done.get("accepted").asLong()).isEqualTo(sent);
                assertThat(done.get("succeeded").asLong()).isEqualTo(sent);
                for (String none : List.of("failed", "timedOut", "rejected", "unfinished", "skipped", "outstanding")) {
                    assertThat(done.get(none).asLong()).as(none).isZero();
                }
                assertThat(done.get("latencyMs").get("count").asLong()).isEqualTo(sent);
                assertThat(done.get("latencyMs").get("p99").asDouble())
                        .isGreaterThanOrEqualTo(done.get("latencyMs").get("p50").asDouble()).isPositive();
                assertThat(sum(done.get("seconds"), "sent")).isEqualTo(sent);
                assertThat(sum(done.get("seconds"), "completed")).isEqualTo(sent);
                assertThat(done.get("scalingDecisions").isArray()).isTrue();

                // the executions it made are ordinary executions of the function
                JsonNode logs = api.get("/api/functions/" + echo + "/logs?limit=5").body();
                assertThat(logs.get(0).get("input").get("n").asInt()).isEqualTo(1);
            }
            String id = started.get("id").asString();
            // and the stream goes on after it (it once stalled for good when progress joined it from another thread)
            int snapshotsBefore = live.snapshots();
            await().atMost(Duration.ofSeconds(10)).until(() -> live.snapshots() > snapshotsBefore + 2);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(live.messages("loadTest"))
                    .anySatisfy(m -> assertThat(m.get("loadTest").get("state").asString()).isEqualTo("finished")));
            List<JsonNode> progress = live.messages("loadTest").stream()
                    .map(m -> m.get("loadTest")).filter(t -> t.get("id").asString().equals(id)).toList();
            assertThat(progress).extracting(t -> t.get("state").asString()).contains("running", "finished");
        }
    }

    @Test
    void anOpenLoopTestSendsAtItsRateWhateverTheAnswersAndCountsFailures() {
        String failing = create("always-fails", "function handler() { throw new Error('no'); }",
                Map.of("config", Map.of("retryCount", 0)));
        JsonNode done;
        synchronized (this) {
            JsonNode started = run("{\"functionId\":\"" + failing + "\",\"ratePerSecond\":20,\"durationSeconds\":2}");
            assertThat(started.get("ratePerSecond").asInt()).isEqualTo(20);
            assertThat(started.has("concurrency")).isFalse();
            done = awaitEnd(started.get("id").asString());
        }
        assertThat(done.get("state").asString()).isEqualTo("finished");
        assertThat(done.get("sent").asLong()).isEqualTo(40);
        assertThat(done.get("failed").asLong()).isEqualTo(40);
        assertThat(done.get("succeeded").asLong()).isZero();
    }

    @Test
    void aDeleteStopsARunningTest() {
        String echo = create("echo-stopped", "function handler(input) { return input; }", Map.of());
        synchronized (this) {
            JsonNode started = run("{\"functionId\":\"" + echo + "\",\"concurrency\":2,\"durationSeconds\":600}");
            String id = started.get("id").asString();
            await().atMost(Duration.ofSeconds(30)).until(() -> api.get("/api/load-tests/" + id).body()
                    .get("succeeded").asLong() > 0);
            Api.Response stopped = api.delete("/api/load-tests/" + id);
            assertThat(stopped.status()).isEqualTo(200);
            assertThat(stopped.body().get("state").asString()).isIn("stopping", "stopped");
            JsonNode done = awaitEnd(id);
            assertThat(done.get("state").asString()).isEqualTo("stopped");
            assertThat(done.get("stopReason").asString()).contains("DELETE");
            assertThat(done.get("elapsedSeconds").asDouble()).isLessThan(60);
            assertThat(api.get("/api/load-tests").body().get(0).get("id").asString()).isEqualTo(id);
        }
    }

    private static long sum(JsonNode seconds, String field) {
        return StreamSupport.stream(seconds.spliterator(), false).mapToLong(s -> s.get(field).asLong()).sum();
    }
}
