package dev.s3c.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * A gateway stopped the way SIGTERM stops it, while a sync caller waits on it: new calls get a 503 with Retry-After
 * (nothing of them done), the waiting caller still gets its result, and then the port closes. Its health says
 * whether Kafka and the store answer. Its own cluster and broker: it stops one of the gateways.
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
                "timeoutMs", 10_000)));
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
}
