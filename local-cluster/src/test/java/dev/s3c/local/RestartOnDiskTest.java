package dev.s3c.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The local run stopped in the middle of a burst and started again on the same data directory: the broker's log and
 * the store are both there, so every accepted invocation still reaches its one final status.
 */
class RestartOnDiskTest {

    @TempDir
    Path data;

    @Test
    void everyInvocationAcceptedBeforeAStopEndsOnceAfterTheRestart() throws Exception {
        LocalCluster.Options options = LocalCluster.Options.forTests(null, null).withDataDir(data)
                .withExecutorInstances(1).withServiceArgs("--s3c.scaler.max-instances=1");
        int total = 200;
        List<String> accepted = new ArrayList<>();
        Set<String> scalerMembers = new HashSet<>();
        String functionId;
        LocalCluster cluster = LocalCluster.start(options);
        try {
            Api api = new Api(cluster.gatewayUrl());
            Api.Response created = api.post("/api/functions", Api.json(Map.of("name", "slow",
                    "code", "function handler(input) { const t = Date.now(); while (Date.now() - t < 25) {} return input; }")));
            assertThat(created.status()).isEqualTo(201);
            functionId = created.body().get("id").asString();
            List<CompletableFuture<Api.Response>> calls = new ArrayList<>();
            for (int i = 0; i < total; i++) {
                calls.add(api.postAsync("/api/functions/" + functionId + "/execute?mode=async",
                        "{\"input\":{\"i\":" + i + "}}"));
            }
            for (CompletableFuture<Api.Response> call : calls) {
                Api.Response r = call.join();
                assertThat(r.status()).isEqualTo(202);
                accepted.add(r.body().get("executionId").asString());
            }
            // stop while some have run and the rest are still queued (one instance, 25 ms each)
            String id = functionId;
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    assertThat(api.get("/api/functions/" + id + "/logs?status=succeeded&limit=1000").body().size())
                            .isPositive());
            String bootstrap = cluster.kafkaBootstrap();
            scalerMembers.addAll(await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> scalerGroupMembers(bootstrap), members -> !members.isEmpty()));
        } finally {
            cluster.close();
        }

        cluster = LocalCluster.start(options);
        try {
            // the scaler that stopped left its group: the new one is not held in its first rebalance waiting for it
            assertThat(scalerGroupMembers(cluster.kafkaBootstrap())).doesNotContainAnyElementsOf(scalerMembers);
            Api api = new Api(cluster.gatewayUrl());
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                    assertThat(api.get("/api/functions/" + functionId + "/logs?status=succeeded&limit=1000").body()
                            .size()).isEqualTo(total));
            JsonNode all = api.get("/api/functions/" + functionId + "/logs?limit=1000").body();
            Set<String> listed = new HashSet<>();
            all.forEach(e -> {
                assertThat(listed.add(e.get("executionId").asString())).as("listed once").isTrue();
                assertThat(e.get("output").get("i").asInt()).isEqualTo(e.get("input").get("i").asInt());
            });
            assertThat(listed).isEqualTo(new HashSet<>(accepted));
            for (String id : accepted.subList(0, 20)) {
                assertThat(api.get("/api/executions/" + id).body().get("status").asString()).isEqualTo("succeeded");
            }
        } finally {
            cluster.close();
        }
    }

    /** The member ids in the scaler's Kafka Streams group, as the broker has them. */
    private static Set<String> scalerGroupMembers(String bootstrap) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            Set<String> members = new HashSet<>();
            admin.describeConsumerGroups(List.of("s3c-scaler")).all().get().get("s3c-scaler").members()
                    .forEach(m -> members.add(m.consumerId()));
            return members;
        }
    }
}
