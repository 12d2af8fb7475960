package dev.s3c.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Gateways that turn calls away. One stopped the way SIGTERM stops it, while a sync caller waits on it: new calls get
 * a 503 with Retry-After (nothing of them done), the waiting caller still gets its result, and then the port closes.
 * One whose bound on the executors' queue is reached: calls wait for room, and those that find none get a 503
 * (nothing of them queued). A gateway's health says whether Kafka and the store answer. Its own cluster and broker:
 * it starts and stops gateways of its own.
 */
class GatewayDrainTest {

    private static LocalCluster cluster;

    @BeforeAll
    static void start() {
        cluster = LocalCluster.start(LocalCluster.Options.forTests(null, null)
                .withServiceArgs("--s3c.gateway.drain-notice=3s", "--spring.lifecycle.timeout-per-shutdown-phase=20s",
                        "--s3c.scaler.max-instances=3"));
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    @Test
    void theHealthOfAGatewaySaysWhetherKafkaAndTheStoreAnswer() {
        JsonNode health = new Api(cluster.gatewayManagementUrl(cluster.gatewayUrl())).get("/actuator/health").body();
        assertThat(health.get("status").asString()).isEqualTo("UP");
        assertThat(health.get("components").get("kafka").get("status").asString()).isEqualTo("UP");
        assertThat(health.get("components").get("kafka").get("details").get("brokers").asInt()).isEqualTo(1);
        assertThat(health.get("components").get("store").get("status").asString()).isEqualTo("UP");
    }

    @Test
    void aStoppingGatewayRefusesNewCallsWith503AndStillAnswersItsSyncCallers() throws Exception {
        Api first = new Api(cluster.gatewayUrl());
        String url = cluster.startGateway("gateway-draining", 0);
        Api draining = new Api(url);
        Api drainingActuator = new Api(cluster.gatewayManagementUrl(url));
        Api.Response created = first.post("/api/functions", Api.json(Map.of("name", "takes-3s",
                "code", "function handler(input) { const t = Date.now(); while (Date.now() - t < 3000) {} return input.n * 2; }",
                "config", Map.of("timeoutMs", 10_000))));
        assertThat(created.status()).isEqualTo(201);
        String id = created.body().get("id").asString();

        CompletableFuture<Api.Response> waiting = draining.postAsync("/api/functions/" + id + "/execute",
                "{\"input\":{\"n\":21}}");
        // the call is in: its gateway waits for its result
        await().atMost(Duration.ofSeconds(30)).until(() -> drainingActuator.get("/actuator/health").body().get("components")
                .get("resultRouter").get("details").get("waiting").asInt() == 1);

        // a browser's live stream on the stopping gateway: a request that never ends by itself
        LiveClient live = LiveClient.connect(url.replaceFirst("^http", "ws") + "/api/metrics/live", Long.MAX_VALUE);
        await().atMost(Duration.ofSeconds(10)).until(() -> live.received() > 0);

        CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> cluster.stopGateway(url));
        // probed with a quick read: a call that slipped in before the drain must not hold the probe past it
        Api.Response refused = await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .ignoreExceptions().until(() -> draining.get("/api/functions/" + id), r -> r.status() == 503);
        assertThat(refused.raw().headers().firstValue("Retry-After")).hasValue("5");
        assertThat(refused.body().get("status").asInt()).isEqualTo(503);
        assertThat(refused.body().get("message").asString()).contains("shutting down", "send it again");

        // the caller that was waiting gets its result, not a closed connection
        Api.Response answered = waiting.join();
        assertThat(answered.status()).isEqualTo(200);
        assertThat(answered.body().get("status").asString()).isEqualTo("succeeded");
        assertThat(answered.body().get("output").asInt()).isEqualTo(42);

        // the stream is closed by the gateway, so it does not hold the shutdown until its phase times out (20 s)
        await().atMost(Duration.ofSeconds(10)).until(live::closedByServer);
        stopping.get(15, java.util.concurrent.TimeUnit.SECONDS);
        live.close();
        assertThatThrownBy(() -> draining.get("/api/functions")).isInstanceOf(IllegalStateException.class);
        // the other gateway never stopped serving
        assertThat(first.get("/api/functions/" + id).status()).isEqualTo(200);
    }

    @Test
    void aGatewayWhoseQueueBoundIsReachedHoldsCallsAndRefusesThoseThatFindNoRoomWith503() {
        // a small bound, counted in invocations (what the executors finish in 1 ms is less), and a short hold
        String url = cluster.startGateway("gateway-bounded", 0, List.of("--s3c.gateway.queue.max-wait=1ms",
                "--s3c.gateway.queue.min-queued=10", "--s3c.gateway.queue.hold=2s"));
        try {
            Api bounded = new Api(url);
            String actuator = cluster.gatewayManagementUrl(url);
            Api.Response created = bounded.post("/api/functions", Api.json(Map.of("name", "takes-100ms", "code",
                    "function handler(input) { const t = Date.now(); while (Date.now() - t < 100) {} "
                            + "return input.n; }")));
            assertThat(created.status()).isEqualTo(201);
            String id = created.body().get("id").asString();
            // the gateway has the scaler's measure of the queue (once a second)
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> PipelineContract.metric(actuator, "s3c_gateway_queue_bound") == 10);

            List<CompletableFuture<Api.Response>> calls = new ArrayList<>();
            for (int n = 0; n < 120; n++) {
                calls.add(bounded.postAsync("/api/functions/" + id + "/execute?mode=async",
                        "{\"input\":{\"n\":" + n + "}}"));
            }
            List<Api.Response> answers = calls.stream().map(CompletableFuture::join).toList();
            List<Api.Response> accepted = answers.stream().filter(a -> a.status() == 202).toList();
            List<Api.Response> refused = answers.stream().filter(a -> a.status() == 503).toList();
            assertThat(accepted.size() + refused.size()).as("only 202 and 503").isEqualTo(120);
            assertThat(accepted).as("the room the first sample left, and what came free within the hold").isNotEmpty();
            assertThat(refused).as("more calls at once than may wait for the bound's room").isNotEmpty();
            for (Api.Response r : refused) {
                assertThat(r.raw().headers().firstValue("Retry-After")).hasValue("1");
                assertThat(r.raw().headers().firstValue("Location")).isEmpty();
                assertThat(r.body().get("status").asInt()).isEqualTo(503);
                assertThat(r.body().get("message").asString()).startsWith("the executors are behind: their queue")
                        .contains("nothing was queued");
            }
            assertThat(PipelineContract.metric(actuator, "s3c_gateway_queue_refused_total")).isEqualTo(refused.size());
            assertThat(PipelineContract.metric(actuator, "s3c_gateway_queue_held_total"))
                    .isGreaterThanOrEqualTo(refused.size());

            // every accepted call runs once and succeeds; none of the refused ever runs
            Set<String> acceptedIds = accepted.stream().map(a -> a.body().get("executionId").asString())
                    .collect(Collectors.toSet());
            await().atMost(Duration.ofSeconds(120)).until(() -> {
                JsonNode logs = bounded.get("/api/functions/" + id + "/logs?limit=200").body();
                return logs.size() == acceptedIds.size() && StreamSupport.stream(logs.spliterator(), false)
                        .allMatch(e -> e.get("status").asString().equals("succeeded"));
            });
            JsonNode logs = bounded.get("/api/functions/" + id + "/logs?limit=200").body();
            assertThat(StreamSupport.stream(logs.spliterator(), false).map(e -> e.get("executionId").asString()))
                    .containsExactlyInAnyOrderElementsOf(acceptedIds);
        } finally {
            cluster.stopGateway(url);
        }
    }
}
