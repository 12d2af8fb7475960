package dev.s3c.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.node.MissingNode;

/**
 * The pipeline end to end, through the REST API only: gateway, Kafka, executor, monitor, MongoDB. Subclasses say
 * which Kafka and MongoDB it runs on.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class PipelineContract {

    private LocalCluster cluster;
    private Api gatewayA;
    private Api gatewayB;

    abstract LocalCluster startCluster();

    LocalCluster cluster() {
        return cluster;
    }

    @BeforeAll
    void start() {
        cluster = startCluster();
        gatewayA = new Api(cluster.gatewayUrl());
        gatewayB = new Api(cluster.startGateway("gateway-2", 0));
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private String create(String name, String code) {
        return create(name, code, Map.of());
    }

    private String create(String name, String code, Map<String, Object> config) {
        Api.Response created = gatewayA.post("/api/functions", Api.json(Map.of("name", name, "code", code,
                "config", config)));
        assertThat(created.status()).as("%s", created.body()).isEqualTo(201);
        return created.body().get("id").asString();
    }

    @Test
    void theOriginalSamplesAreSeededAndRunSynchronously() {
        JsonNode page = gatewayA.get("/api/functions?name=fibonacci").body();
        assertThat(page.get("total").asInt()).isEqualTo(1);
        String fib = page.get("items").get(0).get("id").asString();

        Api.Response result = gatewayA.post("/api/functions/" + fib + "/execute", "{\"input\":{\"n\":20}}");
        assertThat(result.status()).isEqualTo(200);
        assertThat(result.body().get("status").asString()).isEqualTo("succeeded");
        assertThat(result.body().get("output").asInt()).isEqualTo(6765);
        assertThat(result.body().get("attempts").asInt()).isEqualTo(1);
        assertThat(result.body().get("instanceId").asString()).isNotBlank();
        // the answer is the execution: Content-Location names where it stays readable
        assertThat(result.raw().headers().firstValue("Content-Location"))
                .hasValue("/api/executions/" + result.body().get("executionId").asString());

        JsonNode all = gatewayA.get("/api/functions?size=50").body();
        List<String> names = new ArrayList<>();
        all.get("items").forEach(f -> names.add(f.get("name").asString()));
        assertThat(names).contains("fibonacci", "reverse-string", "array-sum", "prime-checker");
        assertThat(run(all, "reverse-string", "{\"input\":{\"text\":\"hello\"}}").asString()).isEqualTo("olleh");
        assertThat(run(all, "array-sum", "{\"input\":{\"numbers\":[1,2,3.5]}}").asDouble()).isEqualTo(6.5);
        assertThat(run(all, "prime-checker", "{\"input\":{\"number\":97}}").get("isPrime").asBoolean()).isTrue();
    }

    private JsonNode run(JsonNode functions, String name, String body) {
        for (JsonNode f : functions.get("items")) {
            if (f.get("name").asString().equals(name)) {
                Api.Response r = gatewayB.post("/api/functions/" + f.get("id").asString() + "/execute", body);
                assertThat(r.body().get("status").asString()).as("%s", r.body()).isEqualTo("succeeded");
                return r.body().get("output");
            }
        }
        throw new AssertionError("no function " + name);
    }

    @Test
    void asyncInvocationIsQueuedThenPolledToItsResultOnEitherGateway() {
        String id = create("greeter", """
                async function handler(input, context) {
                  console.log('greeting', input.name);
                  return { greeting: 'hello ' + input.name, execution: context.executionId };
                }""");
        Api.Response accepted = gatewayA.post("/api/functions/" + id + "/execute?mode=async", "{\"input\":{\"name\":\"ada\"}}");
        assertThat(accepted.status()).isEqualTo(202);
        String executionId = accepted.body().get("executionId").asString();
        assertThat(accepted.location()).isEqualTo("/api/executions/" + executionId);
        assertThat(accepted.body().get("status").asString()).isEqualTo("queued");

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Api.Response polled = gatewayB.get(accepted.location());
            assertThat(polled.status()).isEqualTo(200);
            assertThat(polled.body().get("status").asString()).isEqualTo("succeeded");
        });
        JsonNode done = gatewayB.get(accepted.location()).body();
        assertThat(done.get("output").get("greeting").asString()).isEqualTo("hello ada");
        assertThat(done.get("output").get("execution").asString()).isEqualTo(executionId);
        assertThat(done.get("logs").asString()).isEqualTo("greeting ada\n");
        assertThat(done.get("input").get("name").asString()).isEqualTo("ada");

        JsonNode logs = gatewayA.get("/api/functions/" + id + "/logs?status=succeeded&limit=10").body();
        assertThat(logs.size()).isEqualTo(1);
        assertThat(logs.get(0).get("executionId").asString()).isEqualTo(executionId);
    }

    @Test
    void aSyncCallerGetsItsResultFromWhicheverGatewayItCalled() {
        String id = create("doubler", "return input * 2;");
        for (int i = 0; i < 5; i++) {
            Api.Response onB = gatewayB.post("/api/functions/" + id + "/execute", "{\"input\":" + i + "}");
            assertThat(onB.status()).isEqualTo(200);
            assertThat(onB.body().get("output").asInt()).isEqualTo(i * 2);
            Api.Response onA = gatewayA.post("/api/functions/" + id + "/execute", "{\"input\":" + i + "}");
            assertThat(onA.status()).isEqualTo(200);
            assertThat(onA.body().get("output").asInt()).isEqualTo(i * 2);
        }
    }

    @Test
    void failuresInUserCodeAreResults() {
        String thrower = create("thrower", "console.log('about to fail');\nthrow new Error('boom');",
                Map.of("retryCount", 0));
        Api.Response failed = gatewayA.post("/api/functions/" + thrower + "/execute", "{}");
        assertThat(failed.status()).isEqualTo(200);
        assertThat(failed.body().get("status").asString()).isEqualTo("failed");
        assertThat(failed.body().get("error").get("type").asString()).isEqualTo("user_error");
        assertThat(failed.body().get("error").get("message").asString()).isEqualTo("boom");
        assertThat(failed.body().get("error").get("line").asInt()).isEqualTo(2);
        assertThat(failed.body().get("logs").asString()).isEqualTo("about to fail\n");

        // valid JSON, but nested deeper than the platform carries: the code's fault, not a stuck batch; a retry
        // would only repeat it, so it is final at once (retries left or not) and dead-lettered to redrive once fixed
        String deep = create("deep", "let a = 0; for (let i = 0; i < 600; i++) a = [a]; return a;",
                Map.of("retryCount", 3));
        Api.Response tooDeep = gatewayA.post("/api/functions/" + deep + "/execute", "{}");
        assertThat(tooDeep.status()).isEqualTo(200);
        assertThat(tooDeep.body().get("status").asString()).isEqualTo("failed");
        assertThat(tooDeep.body().get("error").get("type").asString()).isEqualTo("developer_error");
        assertThat(tooDeep.body().get("error").get("message").asString()).startsWith("result cannot be carried");
        assertThat(tooDeep.body().get("attempts").asInt()).isEqualTo(1);
        String tooDeepId = tooDeep.body().get("executionId").asString();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(gatewayB.get("/api/dead-letters?functionId=" + deep).body().size()).isEqualTo(1));
        JsonNode deadDeep = gatewayB.get("/api/dead-letters?functionId=" + deep).body().get(0);
        assertThat(deadDeep.get("executionId").asString()).isEqualTo(tooDeepId);
        assertThat(deadDeep.get("attempts").asInt()).isEqualTo(1);

        String looper = create("looper", "while (true) {}", Map.of("timeoutMs", 300, "retryCount", 0));
        Api.Response timedOut = gatewayA.post("/api/functions/" + looper + "/execute", "{}");
        assertThat(timedOut.status()).isEqualTo(200);
        assertThat(timedOut.body().get("status").asString()).isEqualTo("timed_out");
    }

    @Test
    void hostileFunctionsGetClassifiedResultsWhileAWellBehavedOneKeepsBeingServed() throws Exception {
        Map<String, String> hostile = new java.util.LinkedHashMap<>();
        hostile.put("hostile-loop", "while (true) {}");
        hostile.put("hostile-recursion", "function r() { return r() + 1; } return r();");
        hostile.put("hostile-promise", "return new Promise(() => {});");
        hostile.put("hostile-output", "return 'x'.repeat(2 * 1024 * 1024);");
        hostile.put("hostile-host", "return Java.type('java.lang.System').exit(1);");
        hostile.put("hostile-pollution", "Object.prototype.isAdmin = true; Array.prototype.map = null; return 1;");
        hostile.put("hostile-getter-trap", """
                Object.defineProperty(Object.prototype, 'output',
                    { configurable: true, set() {}, get() { for (;;) {} } });
                return 1;""");
        Map<String, String> expected = Map.of(
                "hostile-loop", "timed_out", "hostile-recursion", "failed", "hostile-promise", "timed_out",
                "hostile-output", "failed", "hostile-host", "failed", "hostile-pollution", "succeeded",
                "hostile-getter-trap", "succeeded");
        Map<String, String> ids = new java.util.LinkedHashMap<>();
        // loops are cut at 1 s so they do not starve the rest of the two CPUs; runaway recursion on a cold, busy
        // instance may need seconds to overflow its 16 MiB stack: 10 s, and on a machine too busy for that it is
        // cut as a timeout. The first runs, three at once, hold the fast instances until they used 250 ms of CPU
        // each (then they start again in the slow lane), or, on a machine too busy to give them that, until timeout
        Map<String, Integer> timeouts = Map.of("hostile-loop", 1000, "hostile-promise", 1000,
                "hostile-recursion", 10_000);
        hostile.forEach((name, code) -> ids.put(name, create(name, code,
                Map.of("timeoutMs", timeouts.getOrDefault(name, 5000), "retryCount", 0))));
        String good = create("well-behaved", "return { sum: input.a + input.b, polluted: ({}).isAdmin === undefined,"
                + " mapped: [1, 2].map(x => x * 2) };");

        List<CompletableFuture<Api.Response>> hostileCalls = new ArrayList<>();
        for (String id : ids.values()) {
            for (int i = 0; i < 3; i++) {
                hostileCalls.add(gatewayA.postAsync("/api/functions/" + id + "/execute", "{}"));
            }
        }
        for (int i = 0; i < 30; i++) {
            // served, though maybe late: an instance runs its records in order, so a call polled behind the first
            // hostile ones waits for them (a runaway recursion may take seconds on a cold, busy JVM); once a
            // function ran long, its invocations go to the slow lane instead
            Api.Response r = gatewayB.post("/api/functions/" + good + "/execute?wait=60",
                    "{\"input\":{\"a\":" + i + ",\"b\":1}}");
            JsonNode execution = r.body();
            if (r.status() == 202) {
                // still in line after the longest wait a caller may ask for (once, on a 2.0 GHz CI machine, the
                // first call): read where the answer said, as the caller would
                String location = r.body().get("location").asString();
                execution = await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                        .until(() -> gatewayB.get(location).body(),
                                e -> !List.of("queued", "running").contains(e.get("status").asString()));
            }
            // the body names the execution: where a call waited too long, its record says where the time went
            assertThat(execution.get("status").asString()).as("call %d: %s", i, execution).isEqualTo("succeeded");
            assertThat(execution.get("output").get("sum").asInt()).isEqualTo(i + 1);
            assertThat(execution.get("output").get("polluted").asBoolean()).isTrue();
            assertThat(execution.get("output").get("mapped").toString()).isEqualTo("[2,4]");
        }
        for (CompletableFuture<Api.Response> call : hostileCalls) {
            call.get();
        }
        // slow work waits behind slow work in the slow lane (one instance, low priority): a sync caller may have
        // been answered 202 before its run ended
        ids.forEach((name, id) -> {
            await().atMost(Duration.ofSeconds(120)).until(() -> statuses(gatewayA.get("/api/functions/" + id
                    + "/logs?limit=10").body()), all -> all.size() == 3 && all.stream().allMatch(st -> !st.equals(
                            "queued") && !st.equals("running")));
            JsonNode logs = gatewayA.get("/api/functions/" + id + "/logs?limit=10").body();
            assertThat(logs.size()).as(name).isEqualTo(3);
            logs.forEach(r -> assertThat(r.get("status").asString()).as("%s: %s", name, r)
                    .isIn(name.equals("hostile-recursion") ? List.of("failed", "timed_out") : List.of(expected.get(name))));
        });
        // the loop timed out: from now on it runs in the slow lane, on an instance of its own
        Api.Response again = gatewayA.post("/api/functions/" + ids.get("hostile-loop") + "/execute?wait=30", "{}");
        assertThat(again.body().get("status").asString()).as("%s", again.body()).isEqualTo("timed_out");
        assertThat(again.body().get("instanceId").asString()).contains("/slow-");
    }

    @Test
    void failedAttemptsAreRetriedWithBackoffUntilOneSucceeds() {
        String flaky = create("flaky", """
                function handler(input, context) {
                  if (context.attempt < 3) throw new Error('flaky on attempt ' + context.attempt);
                  return { attempt: context.attempt };
                }""", Map.of("retryCount", 3));
        Api.Response result = gatewayA.post("/api/functions/" + flaky + "/execute", "{}");
        assertThat(result.status()).isEqualTo(200);
        assertThat(result.body().get("status").asString()).isEqualTo("succeeded");
        assertThat(result.body().get("attempts").asInt()).isEqualTo(3);
        assertThat(result.body().get("output").get("attempt").asInt()).isEqualTo(3);
        // the retries waited 1 s and then 2 s: never run before they were due
        java.time.Instant requested = java.time.Instant.parse(result.body().get("requestedAt").asString());
        java.time.Instant started = java.time.Instant.parse(result.body().get("startedAt").asString());
        assertThat(Duration.between(requested, started)).isGreaterThanOrEqualTo(Duration.ofSeconds(3));

        // a caller may ask for fewer retries: one retry, then the failure is final
        Api.Response limited = gatewayB.post("/api/functions/" + flaky + "/execute?retries=1", "{}");
        assertThat(limited.body().get("status").asString()).isEqualTo("failed");
        assertThat(limited.body().get("attempts").asInt()).isEqualTo(2);
        assertThat(limited.body().get("error").get("message").asString()).isEqualTo("flaky on attempt 2");

        // never more than the function's own: retries=10 on a function with retryCount 0 runs once
        String once = create("fails-once", "throw new Error('no');", Map.of("retryCount", 0));
        Api.Response single = gatewayA.post("/api/functions/" + once + "/execute?retries=10", "{}");
        assertThat(single.body().get("attempts").asInt()).isEqualTo(1);
        assertError(gatewayA.post("/api/functions/" + once + "/execute?retries=11", "{}"), 400, "retries");
    }

    @Test
    void exhaustedInvocationsLandInTheDeadLetterQueueAndCanBeRedrivenOrDiscarded() {
        String broken = create("broken-until-fixed", """
                function handler(input) {
                  if (!input.ok) throw new Error('not ok: ' + input.value);
                  return input.value * 2;
                }""", Map.of("retryCount", 1));
        Api.Response first = gatewayA.post("/api/functions/" + broken + "/execute?mode=async",
                "{\"input\":{\"ok\":false,\"value\":21}}");
        Api.Response second = gatewayA.post("/api/functions/" + broken + "/execute?mode=async",
                "{\"input\":{\"ok\":false,\"value\":1}}");
        String firstId = first.body().get("executionId").asString();
        String secondId = second.body().get("executionId").asString();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(gatewayB.get("/api/dead-letters?functionId=" + broken).body().size()).isEqualTo(2));
        // the same listing by the function's name
        assertThat(gatewayA.get("/api/dead-letters?functionId=broken-until-fixed").body().size()).isEqualTo(2);
        JsonNode dead = null;
        for (JsonNode d : gatewayB.get("/api/dead-letters?functionId=" + broken).body()) {
            if (d.get("executionId").asString().equals(firstId)) {
                dead = d;
            }
        }
        assertThat(dead).isNotNull();
        assertThat(dead.get("attempts").asInt()).isEqualTo(2);
        assertThat(dead.get("history").size()).isEqualTo(2);
        assertThat(dead.get("history").get(1).get("error").get("message").asString()).isEqualTo("not ok: 21");
        assertThat(dead.get("input").get("value").asInt()).isEqualTo(21);
        // the dead letter and the final result are stored by two consumers of the monitor: either may be first
        JsonNode failed = await().atMost(Duration.ofSeconds(10)).until(
                () -> gatewayA.get("/api/executions/" + firstId).body(),
                e -> e.get("status").asString().equals("failed"));
        assertThat(failed.get("attempts").asInt()).isEqualTo(2);
        assertThat(failed.get("history").size()).isEqualTo(2);

        // redrive with edited input: a new attempt series on the same execution
        String fixed = "{\"input\":{\"ok\":true,\"value\":21}}";
        Api.Response redriven = gatewayA.post("/api/dead-letters/" + firstId + "/redrive", fixed,
                "Idempotency-Key", "redrive-" + firstId);
        assertThat(redriven.status()).isEqualTo(202);
        assertThat(redriven.location()).isEqualTo("/api/executions/" + firstId);
        assertThat(redriven.body().get("series").asInt()).isEqualTo(1);
        // a double click, on this gateway or the other, does not run it twice
        assertThat(gatewayB.post("/api/dead-letters/" + firstId + "/redrive", "{}").status()).isIn(404, 409);
        // the same call again with its key (a client's retry after a lost answer) gets the same answer
        Api.Response retried = gatewayB.post("/api/dead-letters/" + firstId + "/redrive", fixed,
                "Idempotency-Key", "redrive-" + firstId);
        assertThat(retried.status()).isEqualTo(202);
        assertThat(retried.raw().headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(retried.body().get("series").asInt()).isEqualTo(1);
        assertError(gatewayA.post("/api/dead-letters/" + firstId + "/redrive", "{\"input\":{\"ok\":true,\"value\":1}}",
                "Idempotency-Key", "redrive-" + firstId), 422, "Idempotency-Key");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode again = gatewayB.get("/api/executions/" + firstId).body();
            assertThat(again.get("status").asString()).isEqualTo("succeeded");
            assertThat(again.get("output").asInt()).isEqualTo(42);
            assertThat(again.get("attempts").asInt()).isEqualTo(1);
            assertThat(again.get("series").asInt()).isEqualTo(1);
        });
        // the function's logs list the redrive once, as the newest, like any new call
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode logs = gatewayB.get("/api/functions/" + broken + "/logs?limit=10").body();
            assertThat(logs.size()).isEqualTo(2);
            assertThat(logs.get(0).get("executionId").asString()).isEqualTo(firstId);
            assertThat(logs.get(0).get("status").asString()).isEqualTo("succeeded");
            assertThat(logs.get(1).get("executionId").asString()).isEqualTo(secondId);
        });
        // once the dead letter is gone, the key still answers what its call did
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(gatewayA.get("/api/dead-letters?functionId=" + broken).body().size()).isEqualTo(1));
        Api.Response later = gatewayA.post("/api/dead-letters/" + firstId + "/redrive", fixed,
                "Idempotency-Key", "redrive-" + firstId);
        assertThat(later.status()).isEqualTo(202);
        assertThat(later.body().get("series").asInt()).isEqualTo(1);

        assertThat(gatewayA.delete("/api/dead-letters/" + secondId).status()).isEqualTo(204);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(gatewayB.get("/api/dead-letters?functionId=" + broken).body().size()).isZero());
        assertThat(gatewayA.delete("/api/dead-letters/" + secondId).status()).isEqualTo(404);
        assertThat(gatewayA.post("/api/dead-letters/00000000-0000-0000-0000-000000000000/redrive", "{}").status())
                .isEqualTo(404);
        assertError(gatewayA.post("/api/dead-letters/not-an-id/redrive", "{}"), 400, "id");
        assertError(gatewayA.post("/api/dead-letters/" + secondId + "/redrive", "[1]"), 400, "body");
        assertError(gatewayA.post("/api/dead-letters/" + secondId + "/redrive", "{\"inputs\":{}}"), 400, "inputs");

        // a dead letter of a function deleted since cannot be redriven: 409, and it stays listed
        String doomed = create("doomed", "throw new Error('always');", Map.of("retryCount", 0));
        String doomedRun = gatewayA.post("/api/functions/" + doomed + "/execute?mode=async", "{}").body()
                .get("executionId").asString();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(gatewayA.get("/api/dead-letters?functionId=" + doomed).body().size()).isEqualTo(1));
        assertThat(gatewayA.delete("/api/functions/" + doomed).status()).isEqualTo(204);
        assertError(gatewayA.post("/api/dead-letters/" + doomedRun + "/redrive", "{}"), 409, "functionId");
        assertThat(gatewayA.get("/api/dead-letters?functionId=" + doomed).body().size()).isEqualTo(1);
    }

    @Test
    void aSlowResultTurnsIntoA202AndShowsRunningUntilItEnds() {
        String id = create("slow", "const end = Date.now() + 3000; while (Date.now() < end) {} return 'done';");
        Api.Response early = gatewayA.post("/api/functions/" + id + "/execute?wait=0", "{}");
        assertThat(early.status()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                assertThat(gatewayB.get(early.location()).body().get("status").asString()).isEqualTo("running"));
        JsonNode running = gatewayB.get(early.location()).body();
        assertThat(running.get("instanceId").asString()).isNotBlank();
        assertThat(running.has("output")).isFalse();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(gatewayA.get(early.location()).body().get("status").asString()).isEqualTo("succeeded"));
        assertThat(gatewayA.get(early.location()).body().get("output").asString()).isEqualTo("done");
    }

    @Test
    void updatesMakeANewVersionAndDeletesStopTheFunction() {
        String id = create("versioned", "return 'v1';");
        assertThat(gatewayA.post("/api/functions/" + id + "/execute", "{}").body().get("output").asString())
                .isEqualTo("v1");
        Api.Response updated = gatewayA.put("/api/functions/" + id, "{\"code\":\"return 'v2';\"}");
        assertThat(updated.status()).isEqualTo(200);
        assertThat(updated.body().get("version").asLong()).isEqualTo(2);
        Api.Response second = gatewayB.post("/api/functions/" + id + "/execute", "{}");
        assertThat(second.body().get("output").asString()).isEqualTo("v2");
        assertThat(second.body().get("functionVersion").asLong()).isEqualTo(2);
        // a function as read, changed and sent back: its read-only fields (id, version, ...) are no error
        ObjectNode asRead = (ObjectNode) gatewayA.get("/api/functions/" + id).body();
        asRead.put("description", "sent back as read");
        Api.Response sentBack = gatewayA.put("/api/functions/" + id, asRead.toString());
        assertThat(sentBack.status()).as("%s", sentBack.body()).isEqualTo(200);
        assertThat(sentBack.body().get("description").asString()).isEqualTo("sent back as read");
        // sent back again as first read: changed since, so refused rather than undoing that change unseen
        assertError(gatewayA.put("/api/functions/" + id, asRead.toString()), 409, "version");

        assertThat(gatewayA.put("/api/functions/" + id, "{\"status\":\"inactive\"}").status()).isEqualTo(200);
        Api.Response inactive = gatewayA.post("/api/functions/" + id + "/execute", "{}");
        assertThat(inactive.status()).isEqualTo(409);
        assertThat(inactive.body().get("errors").get(0).get("field").asString()).isEqualTo("status");

        assertThat(gatewayA.delete("/api/functions/" + id).status()).isEqualTo(204);
        assertThat(gatewayA.get("/api/functions/" + id).status()).isEqualTo(404);
        assertThat(gatewayA.post("/api/functions/" + id + "/execute", "{}").status()).isEqualTo(404);
        // another gateway may answer from its one-second function cache until then; the executor rejects those
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(gatewayB.post("/api/functions/" + id + "/execute", "{}").status()).isEqualTo(404));
        assertThat(gatewayA.delete("/api/functions/" + id).status()).isEqualTo(404);
    }

    @Test
    void aFunctionReadsItsEnvironmentAndAnUpdateReplacesIt() {
        Api.Response created = gatewayA.post("/api/functions", Api.json(Map.of("name", "configured",
                "code", "function handler() { return [process.env.TABLE, process.env.MODE || 'default']; }",
                "config", Map.of("env", Map.of("TABLE", "orders")))));
        assertThat(created.status()).as("%s", created.body()).isEqualTo(201);
        String id = created.body().get("id").asString();
        assertThat(created.body().get("config").get("env").get("TABLE").asString()).isEqualTo("orders");
        assertThat(gatewayB.post("/api/functions/" + id + "/execute", "{}").body().get("output").toString())
                .isEqualTo("[\"orders\",\"default\"]");

        // the variables sent are all of them: TABLE goes, MODE comes; a change of code alone keeps them
        Api.Response updated = gatewayA.put("/api/functions/" + id, "{\"config\":{\"env\":{\"MODE\":\"live\"}}}");
        assertThat(updated.body().get("version").asLong()).isEqualTo(2);
        assertThat(gatewayB.post("/api/functions/" + id + "/execute", "{}").body().get("output").toString())
                .isEqualTo("[null,\"live\"]");
        gatewayA.put("/api/functions/" + id,
                "{\"code\":\"function handler() { return process.env.MODE || 'unset'; }\"}");
        assertThat(gatewayA.post("/api/functions/" + id + "/execute", "{}").body().get("output").asString())
                .isEqualTo("live");
        // null takes them all away
        Api.Response cleared = gatewayA.put("/api/functions/" + id, "{\"config\":{\"env\":null}}");
        assertThat(cleared.body().get("config").has("env")).isFalse();
        assertThat(gatewayA.post("/api/functions/" + id + "/execute", "{}").body().get("output").asString())
                .isEqualTo("unset");

        assertError(gatewayA.put("/api/functions/" + id, "{\"config\":{\"env\":{\"1X\":\"a\"}}}"), 400,
                "config.env.1X");
        assertError(gatewayA.put("/api/functions/" + id, "{\"config\":{\"env\":{\"PORT\":8080}}}"), 400,
                "config.env.PORT");
        assertThat(gatewayA.get("/api/functions/" + id).body().get("version").asLong()).isEqualTo(4);
    }

    @Test
    void aReadOfAnExecutionWaitsUntilItIsFinalWhenAskedToOnEitherGateway() {
        String id = create("waited-for", "function handler() { const end = Date.now() + 700; while (Date.now() < end) "
                + "{} return 'done'; }");
        // accepted on A and read on B, where it is not found until stored: one read that waits gets the result
        String first = gatewayA.post("/api/functions/" + id + "/execute?mode=async", "{}").body().get("executionId")
                .asString();
        Api.Response waited = gatewayB.get("/api/executions/" + first + "?wait=30");
        assertThat(waited.status()).as("%s", waited.body()).isEqualTo(200);
        assertThat(waited.body().get("status").asString()).isEqualTo("succeeded");
        assertThat(waited.body().get("output").asString()).isEqualTo("done");

        // a wait shorter than the run answers as the execution stands when it is over
        String second = gatewayA.post("/api/functions/" + id + "/execute?mode=async", "{}").body().get("executionId")
                .asString();
        Api.Response early = gatewayA.get("/api/executions/" + second + "?wait=100ms");
        assertThat(early.status()).isEqualTo(200);
        assertThat(early.body().get("status").asString()).isIn("queued", "running");
        assertThat(gatewayA.get("/api/executions/" + second + "?wait=20s").body().get("status").asString())
                .isEqualTo("succeeded");

        assertError(gatewayA.get("/api/executions/" + second + "?wait=soon"), 400, "wait");
        assertError(gatewayA.get("/api/executions/" + second + "?wait=61"), 400, "wait");
        // one that never was is a 404, after a few seconds of looking when waited for
        assertThat(gatewayB.get("/api/executions/00000000-0000-4000-8000-000000000000?wait=1").status())
                .isEqualTo(404);
    }

    @Test
    void aFunctionsEarlierVersionsAreListedReadAndRestoredOnEitherGateway() {
        String id = create("restorable", "function handler() { return 'v1:' + process.env.MODE; }",
                Map.of("env", Map.of("MODE", "one"), "timeoutMs", 2000));
        Api.Response updated = gatewayA.put("/api/functions/" + id, "{\"code\":\"function handler() { return 'v2:' "
                + "+ process.env.MODE; }\",\"config\":{\"env\":{\"MODE\":\"two\"}},\"note\":\"mode two\"}");
        assertThat(updated.body().get("note").asString()).isEqualTo("mode two");
        assertThat(updated.body().get("version").asLong()).isEqualTo(2);
        Api.Response ran = gatewayB.post("/api/functions/" + id + "/execute", "{}");
        assertThat(ran.body().get("output").asString()).isEqualTo("v2:two");

        // listed on the other gateway, by name, newest first, without code
        Api.Response listed = gatewayB.get("/api/functions/restorable/versions");
        assertThat(listed.status()).as("%s", listed.body()).isEqualTo(200);
        assertThat(listed.body().get("functionId").asString()).isEqualTo(id);
        assertThat(listed.body().get("current").asLong()).isEqualTo(2);
        assertThat(listed.body().get("kept").asInt()).isEqualTo(50);
        JsonNode items = listed.body().get("items");
        assertThat(items).hasSize(2);
        assertThat(items.get(0).get("version").asLong()).isEqualTo(2);
        assertThat(items.get(0).get("current").asBoolean()).isTrue();
        assertThat(items.get(0).get("note").asString()).isEqualTo("mode two");
        assertThat(items.get(1).has("note")).isFalse();
        assertThat(items.get(1).get("version").asLong()).isEqualTo(1);
        assertThat(items.get(1).get("current").asBoolean()).isFalse();
        assertThat(items.get(1).has("code")).isFalse();
        assertThat(items.get(1).get("codeBytes").asInt()).isPositive();
        JsonNode first = gatewayB.get("/api/functions/" + id + "/versions/1").body();
        assertThat(first.get("code").asString()).contains("'v1:'");
        assertThat(first.get("config").get("env").get("MODE").asString()).isEqualTo("one");

        // restored on B: a new version with v1's code and settings, which the executors run at once
        Api.Response restored = gatewayB.post("/api/functions/" + id + "/versions/1/restore", "{\"version\":2}");
        assertThat(restored.status()).as("%s", restored.body()).isEqualTo(200);
        assertThat(restored.body().get("version").asLong()).isEqualTo(3);
        assertThat(restored.body().get("config").get("timeoutMs").asInt()).isEqualTo(2000);
        assertThat(restored.body().get("note").asString()).isEqualTo("restored version 1");
        Api.Response again = gatewayA.post("/api/functions/" + id + "/execute", "{}");
        assertThat(again.body().get("output").asString()).isEqualTo("v1:one");
        String executionId = again.body().get("executionId").asString();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(gatewayA.get("/api/executions/"
                + executionId).body().path("functionVersion").asLong()).isEqualTo(3));
        // a function's executions of one version
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode ofTwo = gatewayA.get("/api/functions/" + id + "/logs?version=2").body();
            assertThat(ofTwo).hasSize(1);
            assertThat(ofTwo.get(0).get("output").asString()).isEqualTo("v2:two");
        });
        // (listed once stored: the read above may have been answered from what the gateway accepted)
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode ofThree = gatewayB.get("/api/functions/restorable/logs?version=3&status=succeeded").body();
            assertThat(ofThree).hasSize(1);
            assertThat(ofThree.get(0).get("executionId").asString()).isEqualTo(executionId);
        });
        assertThat(gatewayB.get("/api/functions/restorable/logs?version=1").body()).isEmpty();
        assertError(gatewayA.get("/api/functions/" + id + "/logs?version=v2"), 400, "version");

        assertError(gatewayA.get("/api/functions/" + id + "/versions/0"), 400, "version");
        assertThat(gatewayA.get("/api/functions/" + id + "/versions/9").status()).isEqualTo(404);
        assertError(gatewayA.post("/api/functions/" + id + "/versions/3/restore", "{}"), 409, "version");
        // read at version 2, changed since: not undone unseen
        assertError(gatewayA.post("/api/functions/" + id + "/versions/1/restore", "{\"version\":2}"), 409, "version");
        assertError(gatewayA.post("/api/functions/" + id + "/versions/1/restore", "{\"input\":{}}"), 400, "input");
        assertThat(gatewayA.get("/api/functions/" + id).body().get("version").asLong()).isEqualTo(3);

        // another tenant finds none of it, by id or by a name of its own
        Api admin = new Api(cluster.gatewayUrl(), LocalCluster.TEST_ADMIN_KEY);
        Api other = new Api(gatewayB.base(), admin.post("/api/tenants", "{\"id\":\"versions-tenant\"}").body()
                .get("key").get("key").asString());
        assertThat(other.get("/api/functions/" + id + "/versions").status()).isEqualTo(404);
        assertThat(other.get("/api/functions/" + id + "/versions/1").status()).isEqualTo(404);
        assertThat(other.post("/api/functions/" + id + "/versions/1/restore", "{}").status()).isEqualTo(404);
        assertThat(other.get("/api/functions/restorable/versions").status()).isEqualTo(404);
        // a restore as curl sends it without -d: no body, no Content-Type
        Api.Response bare = gatewayA.call("POST", "/api/functions/restorable/versions/2/restore", null, null);
        assertThat(bare.status()).as("%s", bare.raw().body()).isEqualTo(200);
        assertThat(bare.body().get("version").asLong()).isEqualTo(4);
        assertThat(bare.body().get("code").asString()).contains("'v2:'");

        assertThat(gatewayA.delete("/api/functions/" + id).status()).isEqualTo(204);
        assertThat(gatewayB.get("/api/functions/" + id + "/versions").status()).isEqualTo(404);
    }

    @Test
    void aScheduledFunctionRunsOncePerTickWithTwoGatewaysFiringAndStopsWhenItsScheduleIsRemoved() {
        String id = create("every second", "function handler(event) { return event.source + ' ' + event.time; }");
        assertError(gatewayB.put("/api/functions/" + id, "{\"config\":{\"schedule\":\"@every 0s\"}}"), 400,
                "config.schedule");
        assertError(gatewayB.put("/api/functions/" + id, "{\"config\":{\"schedule\":\"* * *\"}}"), 400,
                "config.schedule");
        assertError(gatewayB.put("/api/functions/" + id, "{\"config\":{\"schedule\":\"CRON_TZ=Asia/Kolkatta 0 9 "
                + "* * *\"}}"), 400, "config.schedule");
        try {
            // a time zone's schedule is kept as given (9:00 in India on New Year's Day: not during this test)
            Api.Response zoned = gatewayB.put("/api/functions/" + id, "{\"config\":{\"schedule\":\"CRON_TZ=Asia/"
                    + "Kolkata 0 9 1 1 *\"}}");
            assertThat(zoned.status()).as("%s", zoned.body()).isEqualTo(200);
            assertThat(zoned.body().get("config").get("schedule").asString())
                    .isEqualTo("CRON_TZ=Asia/Kolkata 0 9 1 1 *");
            // and when it would fire can be asked before saving it: in UTC and on India's clocks
            Api.Response next = gatewayA.get("/api/schedules/next?count=2&schedule=CRON_TZ%3DAsia%2FKolkata%200%209"
                    + "%201%201%20*");
            assertThat(next.status()).as("%s", next.body()).isEqualTo(200);
            assertThat(next.body().get("timeZone").asString()).isEqualTo("Asia/Kolkata");
            assertThat(next.body().get("next").get(0).asString()).endsWith("-01-01T03:30:00Z");
            assertThat(next.body().get("local").get(1).asString()).endsWith("-01-01T09:00:00+05:30");
            assertError(gatewayA.get("/api/schedules/next?schedule=CRON_TZ%3DAsia%2FKolkatta%200%209%20*%20*%20*"),
                    400, "schedule");
            // set through gateway B, which reads it at once; A reads it within its refresh (10 s)
            Api.Response set = gatewayB.put("/api/functions/" + id, "{\"config\":{\"schedule\":\"@every 1s\"}}");
            assertThat(set.status()).as("%s", set.body()).isEqualTo(200);
            assertThat(set.body().get("config").get("schedule").asString()).isEqualTo("@every 1s");
            java.time.Instant scheduledAt = java.time.Instant.parse(set.body().get("updatedAt").asString());
            // both gateways fire every tick; each tick is queued by one and found queued by the other
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(scheduleTicks(gatewayA.base(), "queued") + scheduleTicks(gatewayA.base(), "taken"))
                        .isPositive();
                assertThat(scheduleTicks(gatewayB.base(), "queued") + scheduleTicks(gatewayB.base(), "taken"))
                        .isPositive();
                assertThat(scheduleTicks(gatewayA.base(), "taken") + scheduleTicks(gatewayB.base(), "taken"))
                        .isPositive();
                assertThat(scheduledRuns(id)).hasSizeGreaterThanOrEqualTo(8);
            });
            Api.Response removed = gatewayA.put("/api/functions/" + id, "{\"config\":{\"schedule\":null}}");
            assertThat(removed.status()).as("%s", removed.body()).isEqualTo(200);
            assertThat(removed.body().get("config").has("schedule")).isFalse();
            java.time.Instant removedAt = java.time.Instant.parse(removed.body().get("updatedAt").asString());

            // nothing fires once the other gateway has read the removal (its reading is at most a second old), and
            // what ran ran once a tick, every one final
            await().atMost(Duration.ofSeconds(30)).during(Duration.ofSeconds(4)).untilAsserted(() -> {
                JsonNode runs = scheduledRuns(id);
                List<java.time.Instant> ticks = new ArrayList<>();
                runs.forEach(run -> {
                    assertThat(run.get("status").asString()).isEqualTo("succeeded");
                    ticks.add(java.time.Instant.parse(run.get("input").get("time").asString()));
                });
                assertThat(ticks).doesNotHaveDuplicates().allSatisfy(tick -> assertThat(tick)
                        .isAfter(scheduledAt).isBefore(removedAt.plusSeconds(3)));
            });
            List<java.time.Instant> ticks = new ArrayList<>();
            scheduledRuns(id).forEach(run -> ticks.add(java.time.Instant.parse(run.get("input").get("time")
                    .asString())));
            ticks.sort(null);
            // every second from the first to the last: none skipped, none twice
            assertThat(Duration.between(ticks.getFirst(), ticks.getLast()).toSeconds()).isEqualTo(ticks.size() - 1);
            assertThat(scheduleTicks(gatewayA.base(), "missed") + scheduleTicks(gatewayB.base(), "missed")).isZero();
        } finally {
            gatewayA.put("/api/functions/" + id, "{\"config\":{\"schedule\":null}}");
        }
    }

    /**
     * Whether a call over its tenant's rate is refused before its body is sent: a burst uses the second's allowance,
     * then a call sends its headers and a tenth of its body and waits for an answer. Tried a few times: the second
     * may turn over between the burst and the call (then it is let in, and waits for the rest of its body).
     */
    private static boolean refusedBeforeItsBody(String base, String path, Api anyone) {
        java.net.URI uri = java.net.URI.create(base);
        for (int attempt = 0; attempt < 5; attempt++) {
            for (int i = 0; i < 3; i++) {
                anyone.call("GET", path, null, null);
            }
            try (java.net.Socket socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
                socket.setSoTimeout(3000);
                var out = socket.getOutputStream();
                out.write(("POST " + path + " HTTP/1.1\r\nHost: " + uri.getHost() + "\r\nContent-Type: text/plain\r\n"
                        + "Content-Length: 10000\r\n\r\n" + "x".repeat(1000))
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                out.flush();
                String status = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                        java.nio.charset.StandardCharsets.US_ASCII)).readLine();
                if (status != null && status.startsWith("HTTP/1.1 429")) {
                    return true;
                }
            } catch (java.net.SocketTimeoutException letIn) {
                // admitted in a new second, waiting for the rest of its body: try again
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return false;
    }

    /** A function's stored executions, each made by its schedule and answering its tick when it succeeded. */
    private JsonNode scheduledRuns(String functionId) {
        JsonNode logs = gatewayB.get("/api/functions/" + functionId + "/logs?limit=1000").body();
        for (JsonNode execution : logs) {
            JsonNode input = execution.get("input");
            assertThat(input.get("source").asString()).isEqualTo("schedule");
            assertThat(input.get("schedule").asString()).isEqualTo("@every 1s");
            if (execution.get("status").asString().equals("succeeded")) {
                assertThat(execution.get("output").asString()).isEqualTo("schedule " + input.get("time").asString());
            }
        }
        return logs;
    }

    /** A gateway's {@code s3c_gateway_schedule_ticks_total} of one outcome. */
    private double scheduleTicks(String gatewayUrl, String outcome) {
        return new Api(cluster.gatewayManagementUrl(gatewayUrl), null).raw("/actuator/prometheus").lines()
                .filter(l -> l.startsWith("s3c_gateway_schedule_ticks_total{") && l.contains("outcome=\"" + outcome
                        + "\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void aFunctionUrlRunsTheFunctionOnTheRequestAndAnswersWhatItReturns() {
        String id = create("web hook", """
                function handler(event) {
                  if (event.method === 'OPTIONS') return {statusCode: 204, headers: {
                    'Access-Control-Allow-Origin': event.headers.origin,
                    'Access-Control-Allow-Methods': event.headers['access-control-request-method']}};
                  if (event.path === '/fail') throw new Error('secret detail');
                  if (event.path === '/bad') return {statusCode: 99};
                  if (event.path === '/plain') return {hello: event.query.name};
                  return {statusCode: 201,
                    headers: {'Content-Type': 'application/json', 'X-Seen': [event.method, event.headers['x-custom'] || '-']},
                    body: JSON.stringify({path: event.path, rawQuery: event.rawQuery, body: event.body,
                      base64: event.isBase64Encoded, auth: event.headers.authorization || null,
                      cookie: event.headers.cookie || null})};
                }""");
        Api anyone = new Api(gatewayA.base(), null);
        // no URL until config.http gives it one
        assertError(anyone.call("GET", "/fn/" + id, null, null), 404, "id");
        assertError(gatewayA.put("/api/functions/" + id, "{\"config\":{\"http\":\"open\"}}"), 400, "config.http");
        Api.Response made = gatewayA.put("/api/functions/" + id, "{\"config\":{\"http\":\"public\"}}");
        assertThat(made.body().get("config").get("http").asString()).isEqualTo("public");

        // public: anyone, any method, also a page of another origin; the console's session cookie is never passed on
        Api.Response answer = anyone.call("POST", "/fn/" + id + "/orders/7?name=Ada&x=1&x=2",
                "application/x-www-form-urlencoded", "a=1".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                "X-Custom", "yes", "Origin", "https://elsewhere.example", "Cookie", "s3c_key=token; theme=dark",
                "Authorization", "Bearer the-functions-own");
        assertThat(answer.status()).as("%s", answer.raw().body()).isEqualTo(201);
        assertThat(answer.body().toString()).isEqualTo("{\"path\":\"/orders/7\",\"rawQuery\":\"name=Ada&x=1&x=2\","
                + "\"body\":\"a=1\",\"base64\":false,\"auth\":\"Bearer the-functions-own\",\"cookie\":\"theme=dark\"}");
        assertThat(answer.raw().headers().allValues("X-Seen")).containsExactly("POST", "yes");
        assertThat(answer.raw().headers().firstValue("Content-Security-Policy")).hasValueSatisfying(
                csp -> assertThat(csp).startsWith("sandbox"));
        // the execution is readable like any other, its input without the console's cookie
        String executionId = answer.raw().headers().firstValue("X-S3C-Execution-Id").orElseThrow();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode stored = gatewayB.get("/api/executions/" + executionId).body();
            assertThat(stored.get("status").asString()).isEqualTo("succeeded");
            assertThat(stored.get("input").get("headers").get("cookie").asString()).isEqualTo("theme=dark");
            assertThat(stored.get("input").toString()).doesNotContain("s3c_key");
        });

        // a key of the platform sent to a public URL is not passed on, nor stored with the input
        Api.Response withKey = gatewayA.call("GET", "/fn/" + id + "?flag", null, null);
        assertThat(withKey.body().get("auth").isNull()).isTrue();
        assertThat(withKey.body().get("rawQuery").asString()).isEqualTo("flag");
        String withKeyId = withKey.raw().headers().firstValue("X-S3C-Execution-Id").orElseThrow();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode stored = gatewayA.get("/api/executions/" + withKeyId).body();
            assertThat(stored.get("status").asString()).isEqualTo("succeeded");
            assertThat(stored.get("input").get("query").toString()).isEqualTo("{\"flag\":\"\"}");
            assertThat(stored.get("input").get("headers").has("authorization")).isFalse();
            assertThat(stored.get("input").toString()).doesNotContain(LocalCluster.TEST_API_KEY);
        });
        // too large for an input: 413 naming the body, nothing run
        assertError(anyone.call("POST", "/fn/" + id, "text/plain", new byte[1_100_000]), 413, "body");
        // a page elsewhere may send it JSON if the function allows it: the function answers the CORS pre-flight
        Api.Response preflight = anyone.call("OPTIONS", "/fn/" + id + "/orders", null, null,
                "Origin", "https://elsewhere.example", "Access-Control-Request-Method", "PUT");
        assertThat(preflight.status()).isEqualTo(204);
        assertThat(preflight.raw().headers().firstValue("Access-Control-Allow-Origin"))
                .hasValue("https://elsewhere.example");
        assertThat(preflight.raw().headers().firstValue("Access-Control-Allow-Methods")).hasValue("PUT");
        Api.Response plain = anyone.call("GET", "/fn/" + id + "/plain?name=Ada", null, null);
        assertThat(plain.status()).isEqualTo(200);
        assertThat(plain.body().toString()).isEqualTo("{\"hello\":\"Ada\"}");
        Api.Response binary = anyone.call("PUT", "/fn/" + id, "application/octet-stream", new byte[] {(byte) 0xff, 0});
        assertThat(binary.body().get("body").asString()).isEqualTo("/wA=");
        assertThat(binary.body().get("base64").asBoolean()).isTrue();
        assertThat(binary.body().get("path").asString()).isEqualTo("/");

        Api.Response failed = anyone.call("GET", "/fn/" + id + "/fail", null, null);
        assertThat(failed.status()).isEqualTo(502);
        assertThat(failed.raw().body()).doesNotContain("secret detail");
        String failedId = failed.raw().headers().firstValue("X-S3C-Execution-Id").orElseThrow();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode execution = gatewayA.get("/api/executions/" + failedId).body();
            assertThat(execution.get("status").asString()).isEqualTo("failed");
            assertThat(execution.get("attempts").asInt()).isEqualTo(1);
            assertThat(execution.get("error").get("message").asString()).isEqualTo("secret detail");
        });
        assertError(anyone.call("GET", "/fn/" + id + "/bad", null, null), 502, "statusCode");

        // key: a key of the function's tenant, which the function never sees; another tenant's is told nothing
        Api anyoneOnB = new Api(gatewayB.base(), null);
        assertThat(anyoneOnB.call("GET", "/fn/" + id, null, null).status()).as("public, as gateway B last read it")
                .isEqualTo(201);
        gatewayA.put("/api/functions/" + id, "{\"config\":{\"http\":\"key\"}}");
        assertError(anyone.call("GET", "/fn/" + id, null, null), 401, "Authorization");
        // and on the other gateway, which read the function as public a moment ago, once its second is over: the
        // first call there after it is refused (a cache answering its last value while it reads again would let it in)
        await().pollDelay(Duration.ofMillis(1200)).until(() -> true);
        assertError(anyoneOnB.call("GET", "/fn/" + id, null, null), 401, "Authorization");
        assertError(anyone.call("GET", "/fn/" + id, null, null, "Authorization", "Bearer not-a-key"), 401,
                "Authorization");
        Api.Response keyed = gatewayB.call("GET", "/fn/" + id + "/k", null, null, "X-Custom", "k");
        assertThat(keyed.status()).as("%s", keyed.raw().body()).isEqualTo(201);
        assertThat(keyed.body().get("auth").isNull()).isTrue();
        // a key sent under another scheme, or second, is kept from the function as well
        gatewayA.put("/api/functions/" + id, "{\"config\":{\"http\":\"public\"}}");
        assertThat(anyone.call("GET", "/fn/" + id, null, null, "Authorization", "Token the-callers-own",
                "Authorization", "Basic " + LocalCluster.TEST_API_KEY).body().get("auth").isNull()).isTrue();
        gatewayA.put("/api/functions/" + id, "{\"config\":{\"http\":\"key\"}}");
        Api admin = new Api(cluster.gatewayUrl(), LocalCluster.TEST_ADMIN_KEY);
        String otherKey = admin.post("/api/tenants", "{\"id\":\"url-tenant\"}").body().get("key").get("key")
                .asString();
        assertError(new Api(gatewayA.base(), otherKey).call("GET", "/fn/" + id, null, null), 404, "id");
        // a tenant over its rate: its public URL's callers get a 429 that tells them when to retry, not whose it is
        String limited = createAs(new Api(gatewayA.base(), otherKey), "limited-url",
                "function handler() { return 'ok'; }", Map.of("http", "public"));
        assertThat(admin.put("/api/tenants/url-tenant/limits", "{\"invocationsPerSecond\":1}").status()).isEqualTo(200);
        List<Api.Response> calls = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            calls.add(anyone.call("GET", "/fn/" + limited, null, null));
        }
        assertThat(calls).extracting(Api.Response::status).contains(200, 429).containsOnly(200, 429);
        Api.Response busy = calls.stream().filter(r -> r.status() == 429).findFirst().orElseThrow();
        assertThat(busy.raw().headers().firstValue("Retry-After")).hasValue("1");
        assertThat(busy.body().get("message").asString()).contains("busy");
        assertThat(busy.raw().body()).doesNotContain("url-tenant").doesNotContain("invocationsPerSecond");
        // the rate is checked before the body is read: a caller over it has its 429 while its upload has hardly begun
        assertThat(refusedBeforeItsBody(gatewayA.base(), "/fn/" + limited, anyone)).isTrue();
        assertError(admin.call("GET", "/fn/" + id, null, null), 404, "id");
        // inactive: 409, as execute answers
        gatewayA.put("/api/functions/" + id, "{\"status\":\"inactive\"}");
        assertError(gatewayA.call("GET", "/fn/" + id, null, null), 409, "status");
        gatewayA.put("/api/functions/" + id, "{\"status\":\"active\"}");

        // off again: gone at once on the gateway that changed it
        Api.Response off = gatewayA.put("/api/functions/" + id, "{\"config\":{\"http\":\"off\"}}");
        assertThat(off.body().get("config").has("http")).isFalse();
        assertError(gatewayA.call("GET", "/fn/" + id, null, null), 404, "id");
        assertError(anyone.call("GET", "/fn/not-an-id", null, null), 404, "id");
    }

    @Test
    void aFunctionIsReachedByItsNameAsByItsId() {
        String id = create("by name", "function handler(input) { return input; }");
        String path = "/api/functions/by%20name";
        Api.Response sync = gatewayA.post(path + "/execute", "{\"input\":{\"n\":1}}");
        assertThat(sync.status()).as("%s", sync.body()).isEqualTo(200);
        assertThat(sync.body().get("functionId").asString()).isEqualTo(id);
        assertThat(sync.body().get("output").get("n").asInt()).isEqualTo(1);
        Api.Response async = gatewayB.post(path + "/execute?mode=async", "{\"input\":{\"n\":2}}");
        assertThat(async.status()).isEqualTo(202);
        assertThat(async.body().get("functionId").asString()).isEqualTo(id);
        assertThat(gatewayB.get(path).body().get("id").asString()).isEqualTo(id);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(gatewayA.get(path + "/logs").body().size()).isEqualTo(2));

        // renamed: the new name reaches it, the old one nothing (at once where it was renamed, within the function
        // cache's second elsewhere)
        Api.Response renamed = gatewayA.put(path, "{\"name\":\"by-name\"}");
        assertThat(renamed.status()).as("%s", renamed.body()).isEqualTo(200);
        assertThat(renamed.body().get("id").asString()).isEqualTo(id);
        assertThat(gatewayA.post("/api/functions/by-name/execute", "{\"input\":3}").body().get("output").asInt())
                .isEqualTo(3);
        assertThat(gatewayA.post(path + "/execute", "{}").status()).isEqualTo(404);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(gatewayB.post(path + "/execute", "{}").status()).isEqualTo(404));

        // a name given up on one gateway and taken by another function: a change by that name on the other gateway,
        // which had just called the first by it, reaches the new holder
        String first = create("swap", "return 1;");
        assertThat(gatewayB.post("/api/functions/swap/execute", "{}").body().get("output").asInt()).isEqualTo(1);
        assertThat(gatewayA.put("/api/functions/swap", "{\"name\":\"swap-old\"}").status()).isEqualTo(200);
        String second = create("swap", "return 2;");
        Api.Response changed = gatewayB.put("/api/functions/swap", "{\"description\":\"the new one\"}");
        assertThat(changed.body().get("id").asString()).isEqualTo(second);
        assertThat(gatewayB.get("/api/functions/" + first).body().get("description").asString()).isEmpty();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(gatewayB.post(
                "/api/functions/swap/execute", "{}").body().get("output").asInt()).isEqualTo(2));
        // a name not found on one gateway and then created on the other
        assertThat(gatewayB.post("/api/functions/late/execute", "{}").status()).isEqualTo(404);
        create("late", "return 'here';");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(gatewayB.post(
                "/api/functions/late/execute", "{}").status()).isEqualTo(200));

        // a load test by its name tests it by its id
        Api.Response loadTest = gatewayA.post("/api/load-tests", Api.json(Map.of("functionId", "by-name",
                "durationSeconds", 1, "concurrency", 1, "input", 4)));
        assertThat(loadTest.status()).as("%s", loadTest.body()).isEqualTo(201);
        assertThat(loadTest.body().get("functionId").asString()).isEqualTo(id);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(gatewayA.get(loadTest.location()).body()
                .get("state").asString()).isEqualTo("finished"));

        // what is neither an id nor a name a function could have is named
        assertError(gatewayA.post("/api/functions/by$name/execute", "{}"), 400, "id");
        assertError(gatewayA.get("/api/functions/%20by-name"), 400, "id");
        assertThat(gatewayA.delete("/api/functions/by-name").status()).isEqualTo(204);
        assertThat(gatewayA.get("/api/functions/" + id).status()).isEqualTo(404);
        assertThat(gatewayA.get("/api/functions/by-name").status()).isEqualTo(404);
    }

    @Test
    void badInputsGetClearFourHundredsAndChangeNothing() throws Exception {
        String id = create("kept", "return 1;");
        long before = gatewayA.get("/api/functions").body().get("total").asLong();

        assertError(gatewayA.post("/api/functions", "{\"name\": \"x\", "), 400, "body");
        assertError(gatewayA.post("/api/functions", "[1,2]"), 400, "body");
        assertError(gatewayA.post("/api/functions", "{\"code\":\"return 1;\"}"), 400, "name");
        assertError(gatewayA.post("/api/functions", "{\"name\":\"kept\",\"code\":\"return 2;\"}"), 409, "name");
        Api.Response syntax = gatewayA.post("/api/functions", "{\"name\":\"broken\",\"code\":\"let a = 1;\\nlet b = ;\"}");
        assertError(syntax, 400, "code");
        assertThat(syntax.body().get("errors").get(0).get("line").asInt()).isEqualTo(2);
        assertThat(syntax.body().get("errors").get(0).get("column").asInt()).isEqualTo(9);
        String huge = "return 1;" + " ".repeat(300 * 1024);
        assertError(gatewayA.post("/api/functions", Api.json(Map.of("name", "huge", "code", huge))), 413, "code");
        assertError(gatewayA.post("/api/functions", "{\"name\":\"cfg\",\"code\":\"return 1;\",\"config\":{\"timeoutMs\":50}}"),
                400, "config.timeoutMs");
        assertError(gatewayA.post("/api/functions", "{\"name\":\"cfg\",\"code\":\"return 1;\",\"config\":{\"retryCount\":11}}"),
                400, "config.retryCount");
        assertError(gatewayA.put("/api/functions/" + id, "{\"config\":{\"timeoutMs\":\"fast\"}}"), 400, "config.timeoutMs");
        // a misspelled setting or field is named, not ignored
        assertError(gatewayA.put("/api/functions/" + id, "{\"config\":{\"timeout\":5000}}"), 400, "config.timeout");
        assertError(gatewayA.put("/api/functions/" + id, "{\"descripton\":\"typo\"}"), 400, "descripton");

        assertError(gatewayA.get("/api/functions/not%20an%20id%20nor%20a%20name%3F"), 400, "id");
        assertError(gatewayA.get("/api/dead-letters?functionId=n%20pe%3F"), 400, "functionId");
        assertThat(gatewayA.get("/api/dead-letters?functionId=nope").status()).isEqualTo(404);
        assertThat(gatewayA.get("/api/functions/0123456789abcdef01234567").status()).isEqualTo(404);
        assertThat(gatewayA.post("/api/functions/0123456789abcdef01234567/execute", "{}").status()).isEqualTo(404);
        assertError(gatewayA.post("/api/functions/" + id + "/execute", "{\"input\": "), 400, "body");
        // the input sent as the body itself, without {"input": ...}: named, rather than run with no input
        assertError(gatewayA.post("/api/functions/" + id + "/execute", "{\"name\": \"ada\"}"), 400, "name");
        assertError(gatewayA.post("/api/functions/" + id + "/execute?mode=later", "{}"), 400, "mode");
        // read as @RequestParam read them: repeated values joined, an empty one is there, "name[]" counts as "name"
        assertError(gatewayA.post("/api/functions/" + id + "/execute?mode=sync&mode=async", "{}"), 400, "mode");
        assertError(gatewayA.post("/api/functions/" + id + "/execute?retries=", "{}"), 400, "retries");
        assertThat(gatewayA.post("/api/functions/" + id + "/execute?mode%5B%5D=async", "{}").status()).isEqualTo(202);
        assertError(gatewayA.post("/api/functions/" + id + "/execute?wait=999", "{}"), 400, "wait");
        assertError(gatewayA.get("/api/executions/nope"), 400, "id");
        assertThat(gatewayA.get("/api/executions/00000000-0000-0000-0000-000000000000").status()).isEqualTo(404);
        assertError(gatewayA.get("/api/functions/" + id + "/logs?status=weird"), 400, "status");
        assertError(gatewayA.get("/api/functions?size=0"), 400, "size");
        // a query parameter a request does not read is named, not ignored (here the misspelled limit would have
        // listed 50, and the execute run sync)
        assertError(gatewayA.get("/api/functions/" + id + "/logs?limt=5"), 400, "limt");
        assertError(gatewayA.get("/api/functions?sort=name"), 400, "sort");
        assertError(gatewayA.post("/api/functions/" + id + "/execute?mdoe=async", "{}"), 400, "mdoe");
        assertThat(gatewayA.get("/api/functions/" + id + "/logs?limit=5&status=failed").status()).isEqualTo(200);
        // the bench's baseline: the same web stack, no pipeline
        Api.Response echo = gatewayA.post("/api/echo", "{\"input\": {\"n\": [1, 2]}}");
        assertThat(echo.status()).isEqualTo(200);
        assertThat(echo.body().get("input").get("n").get(1).asInt()).isEqualTo(2);
        assertError(gatewayA.post("/api/echo", "{\"input\": "), 400, "body");
        // a header holding a C1 control character (byte 0x85: HTTP lets it through, Java's client cannot send it) is
        // refused where it is first read, by the security chain (the key) or by a handler (an idempotency key): a 400
        // naming it either way, never repeating the value
        JsonNode refusedKey = rawCall("GET /api/functions HTTP/1.1\r\nAuthorization: Bearer s3c_x\u0085\r\n", 400);
        assertThat(refusedKey.get("errors").get(0).get("field").asString()).isEqualTo("Authorization");
        assertThat(refusedKey.toString()).doesNotContain("s3c_x");
        JsonNode refusedIdempotencyKey = rawCall("POST /api/functions/" + id + "/execute HTTP/1.1\r\nAuthorization: Bearer "
                + LocalCluster.TEST_API_KEY + "\r\nIdempotency-Key: k\u0085\r\nContent-Type: application/json\r\n"
                + "Content-Length: 2\r\n\r\n{}", 400);
        assertThat(refusedIdempotencyKey.get("errors").get(0).get("field").asString()).isEqualTo("Idempotency-Key");

        assertThat(gatewayA.get("/api/functions").body().get("total").asLong()).isEqualTo(before);
        Api.Response kept = gatewayA.get("/api/functions/" + id);
        assertThat(kept.body().get("code").asString()).isEqualTo("return 1;");
        assertThat(kept.body().get("version").asLong()).isEqualTo(1);
    }

    @Test
    void everyApiRouteAndTheLiveStreamNeedAKey() throws Exception {
        String id = create("keyed", "function handler(input) { return 1; }");
        Api anonymous = new Api(cluster.gatewayUrl(), null);
        Api wrongKey = new Api(cluster.gatewayUrl(), "s3c_not-a-key");
        for (Api caller : List.of(anonymous, wrongKey)) {
            assertError(caller.get("/api/functions"), 401, "Authorization");
            assertError(caller.get("/api/functions/" + id), 401, "Authorization");
            assertError(caller.post("/api/functions", Api.json(Map.of("name", "sneaky", "code", "return 1;"))), 401,
                    "Authorization");
            assertError(caller.post("/api/functions/" + id + "/execute", "{}"), 401, "Authorization");
            assertError(caller.delete("/api/functions/" + id), 401, "Authorization");
            assertError(caller.get("/api/functions/" + id + "/logs"), 401, "Authorization");
            assertError(caller.get("/api/executions/00000000-0000-0000-0000-000000000000"), 401, "Authorization");
            assertError(caller.get("/api/dead-letters"), 401, "Authorization");
            assertError(caller.get("/api/load-tests"), 401, "Authorization");
            assertError(caller.get("/api/metrics"), 401, "Authorization");
            assertError(caller.get("/api/metrics/scaling/history"), 401, "Authorization");
            assertError(caller.post("/api/echo", "{}"), 401, "Authorization");
        }
        assertThat(anonymous.get("/api/functions").raw().headers().firstValue("WWW-Authenticate"))
                .hasValue("Bearer realm=\"s3c\"");
        String ws = cluster.gatewayUrl().replaceFirst("^http", "ws") + "/api/metrics/live";
        assertThatThrownBy(() -> LiveClient.connect(ws, 1, null, null))
                .cause().isInstanceOfSatisfying(java.net.http.WebSocketHandshakeException.class,
                        refused -> assertThat(refused.getResponse().statusCode()).isEqualTo(401));
        // nothing was created, changed or run
        assertThat(gatewayA.get("/api/functions?name=sneaky").body().get("total").asLong()).isZero();
        assertThat(gatewayA.get("/api/functions/" + id).status()).isEqualTo(200);
        assertThat(gatewayA.get("/api/functions/" + id + "/logs").body().size()).isZero();
        // answers carrying a tenant's data are kept by no cache
        assertThat(gatewayA.get("/api/functions/" + id).raw().headers().firstValue("Cache-Control")).hasValue("no-store");
        // open without a key: the console's files, the API's description
        assertThat(anonymous.get("/").status()).isEqualTo(200);
        assertThat(anonymous.get("/console/app.js").status()).isEqualTo(200);
        // and for HEAD, as uptime checks ask: the page's type and length, no body
        Api.Response head = anonymous.call("HEAD", "/", null, null);
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.raw().headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/html"));
        assertThat(head.raw().headers().firstValueAsLong("Content-Length")).isNotEmpty()
                .isEqualTo(anonymous.get("/").raw().headers().firstValueAsLong("Content-Length"));
        assertThat(anonymous.call("HEAD", "/console/app.js", null, null).status()).isEqualTo(200);
        assertThat(anonymous.get("/api/openapi").status()).isEqualTo(200);
        // the actuator is not on the API's origin (a web page cannot call it): it has a port of its own, this
        // machine's only
        for (String path : List.of("/actuator/health", "/actuator/prometheus", "/actuator")) {
            assertThat(anonymous.get(path).status()).as(path).isEqualTo(404);
        }
        String management = cluster.gatewayManagementUrl(cluster.gatewayUrl());
        assertThat(management).startsWith("http://127.0.0.1:").isNotEqualTo(cluster.gatewayUrl());
        assertThat(new Api(management, null).get("/actuator/health").body().get("status").asString()).isEqualTo("UP");
        // every API call is measured (the dashboards' requests by status), but not each security filter's share of
        // it: those observations cost a large part of a call's CPU and nothing read them
        assertThat(new Api(management, null).raw("/actuator/prometheus")).contains("application=\"gateway-service\"")
                .contains("http_server_requests_seconds_count{").doesNotContain("spring_security_");
        // and the API is not served there, even with a key
        assertThat(new Api(management).get("/api/functions").status()).isEqualTo(404);

        // the console's sign-in: the key once, then a cookie the browser sends and scripts cannot read
        assertError(anonymous.post("/api/session", "{\"key\":\"s3c_not-a-key\"}"), 401, "key");
        assertError(anonymous.post("/api/session", "{}"), 400, "key");
        Api.Response signedIn = anonymous.post("/api/session", Api.json(Map.of("key", LocalCluster.TEST_API_KEY)));
        assertThat(signedIn.status()).isEqualTo(200);
        assertThat(signedIn.body().get("tenant").asString()).isEqualTo("default");
        String setCookie = signedIn.raw().headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(setCookie).startsWith("s3c_key=").contains("HttpOnly").contains("SameSite=Strict");
        String cookie = setCookie.split(";")[0];
        // the cookie holds a token derived from the key, not the key, and the token is no bearer key
        String token = cookie.substring("s3c_key=".length());
        assertThat(token).isNotBlank().doesNotContain(LocalCluster.TEST_API_KEY);
        assertError(new Api(cluster.gatewayUrl(), token).get("/api/functions"), 401, "Authorization");
        assertThat(anonymous.get("/api/functions/" + id, "Cookie", cookie).status()).isEqualTo(200);
        assertError(anonymous.get("/api/functions", "Cookie", "s3c_key=" + LocalCluster.TEST_API_KEY), 401,
                "Authorization");
        assertThat(anonymous.get("/api/openapi.yaml").status()).isEqualTo(200);
        assertThat(anonymous.get("/api/session", "Cookie", cookie).body().get("tenant").asString()).isEqualTo("default");
        assertError(anonymous.get("/api/session"), 401, "Authorization");
        Api.Response signedOut = anonymous.delete("/api/session", "Cookie", cookie);
        assertThat(signedOut.status()).isEqualTo(204);
        assertThat(signedOut.raw().headers().firstValue("Set-Cookie").orElseThrow()).contains("Max-Age=0");
    }

    @Test
    void tenantsAreManagedWithAnAdminKeyAndSeeNothingOfEachOther() throws Exception {
        Api admin = new Api(cluster.gatewayUrl(), LocalCluster.TEST_ADMIN_KEY);
        // each key to its own routes
        assertError(gatewayA.get("/api/tenants"), 403, "Authorization");
        assertError(admin.get("/api/functions"), 403, "Authorization");
        assertThat(admin.get("/api/tenants/me").body().get("admin").asBoolean()).isTrue();
        assertError(admin.post("/api/tenants", "{\"id\":\"Not OK\"}"), 400, "id");
        assertError(admin.post("/api/tenants", "{\"id\":\"default\"}"), 409, "id");
        Api.Response created = admin.post("/api/tenants", "{\"id\":\"globex\"}");
        assertThat(created.status()).as("%s", created.body()).isEqualTo(201);
        String firstKey = created.body().get("key").get("key").asString();
        String firstKeyId = created.body().get("key").get("id").asString();
        Api globex = new Api(gatewayB.base(), firstKey);
        JsonNode me = globex.get("/api/tenants/me").body();
        assertThat(me.get("tenant").asString()).isEqualTo("globex");
        assertThat(me.get("usage").get("functions").asLong()).isZero();

        // the default tenant's function, an execution, a dead letter and a load test
        String mine = create("tenant-owned", """
                function handler(input) { if (input.fail) throw new Error('no'); return input.n; }""",
                Map.of("retryCount", 0));
        String ran = gatewayA.post("/api/functions/" + mine + "/execute", "{\"input\":{\"n\":1}}").body()
                .get("executionId").asString();
        String dead = gatewayA.post("/api/functions/" + mine + "/execute?mode=async", "{\"input\":{\"fail\":true}}")
                .body().get("executionId").asString();
        // on the gateway that just accepted it (which answers from memory until it is stored) as on the other
        assertThat(new Api(cluster.gatewayUrl(), firstKey).get("/api/executions/" + dead).status()).isEqualTo(404);
        await().atMost(Duration.ofSeconds(30)).until(() -> gatewayA.get("/api/dead-letters?functionId=" + mine).body()
                .size() == 1);
        Api.Response loadTest = gatewayA.post("/api/load-tests", Api.json(Map.of("functionId", mine,
                "durationSeconds", 1, "concurrency", 1, "input", Map.of("n", 2))));
        assertThat(loadTest.status()).as("%s", loadTest.body()).isEqualTo(201);
        String test = loadTest.body().get("id").asString();

        // another tenant: every route that takes one of those ids answers 404, and no listing shows them
        for (Api.Response foreign : List.of(globex.get("/api/functions/" + mine),
                globex.put("/api/functions/" + mine, "{\"description\":\"taken over\"}"),
                globex.post("/api/functions/" + mine + "/execute", "{\"input\":{\"n\":3}}"),
                globex.get("/api/functions/" + mine + "/logs"),
                globex.get("/api/executions/" + ran),
                globex.get("/api/executions/" + dead),
                globex.get("/api/dead-letters?functionId=" + mine),
                globex.post("/api/dead-letters/" + dead + "/redrive", "{}"),
                globex.delete("/api/dead-letters/" + dead),
                globex.get("/api/load-tests/" + test),
                globex.delete("/api/load-tests/" + test),
                globex.post("/api/load-tests", Api.json(Map.of("functionId", mine, "durationSeconds", 1))),
                globex.delete("/api/functions/" + mine),
                // nor by its name, which is the owner's tenant's
                globex.get("/api/functions/tenant-owned"),
                globex.post("/api/functions/tenant-owned/execute", "{\"input\":{\"n\":3}}"))) {
            assertThat(foreign.status()).as("%s", foreign.body()).isEqualTo(404);
        }
        assertThat(globex.get("/api/functions?name=tenant-owned").body().get("total").asLong()).isZero();
        assertThat(globex.get("/api/dead-letters").body()).noneMatch(d -> d.get("executionId").asString().equals(dead));
        assertThat(globex.get("/api/load-tests").body()).noneMatch(t -> t.get("id").asString().equals(test));
        // nothing of the owner's changed
        assertThat(gatewayA.get("/api/functions/" + mine).body().get("version").asLong()).isEqualTo(1);
        assertThat(gatewayA.get("/api/dead-letters?functionId=" + mine).body().size()).isEqualTo(1);
        // read as its owner would: the sync answer comes from the results topic, the execution from the store, which
        // has it within the persistence lag (the accepting gateway answers "queued" until then)
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(gatewayA.get("/api/executions/" + ran)
                .body().path("output").asInt(-1)).isEqualTo(1));

        // names are each tenant's own; the other tenant's live stream carries its own functions only
        String ws = gatewayB.base().replaceFirst("^http", "ws") + "/api/metrics/live";
        LiveClient globexLive = LiveClient.connect(ws, Long.MAX_VALUE, null, firstKey);
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> globexLive.snapshots() >= 1);
            Api.Response theirs = globex.post("/api/functions", Api.json(Map.of("name", "tenant-owned",
                    "code", "function handler(input) { return input.n; }")));
            assertThat(theirs.status()).as("%s", theirs.body()).isEqualTo(201);
            String theirId = theirs.body().get("id").asString();
            assertThat(gatewayA.get("/api/functions/" + theirId).status()).isEqualTo(404);
            // the same name reaches each tenant's own function (on the gateway that had just found none by it too)
            assertThat(globex.post("/api/functions/tenant-owned/execute", "{\"input\":{\"n\":6}}").body()
                    .get("functionId").asString()).isEqualTo(theirId);
            assertThat(gatewayB.post("/api/functions/tenant-owned/execute", "{\"input\":{\"n\":6}}").body()
                    .get("functionId").asString()).isEqualTo(mine);
            for (int i = 0; i < 3; i++) {
                assertThat(gatewayA.post("/api/functions/" + mine + "/execute", "{\"input\":{\"n\":4}}").status())
                        .isEqualTo(200);
                assertThat(globex.post("/api/functions/" + theirId + "/execute", "{\"input\":{\"n\":5}}").status())
                        .isEqualTo(200);
            }
            await().atMost(Duration.ofSeconds(15)).until(() -> globexLive.events("execution").stream()
                    .filter(e -> e.path("functionId").asString().equals(theirId)).count() >= 3
                    && globexLive.snapshotFunctions().contains(theirId));
            // the owner's executions ran in the same seconds: none of them reached the other tenant
            assertThat(globexLive.events("execution")).allMatch(e -> e.path("functionId").asString().equals(theirId));
            assertThat(globexLive.snapshotFunctions()).containsOnly(theirId);
            assertThat(globex.get("/api/metrics").body().path("functions").propertyNames()).containsOnly(theirId);

            // keys rotate: a new one works beside the old, and a deleted one stops on every gateway
            Api.Response added = admin.post("/api/tenants/globex/keys", "");
            assertThat(added.status()).as("%s", added.body()).isEqualTo(201);
            Api rotated = new Api(gatewayB.base(), added.body().get("key").asString());
            assertThat(rotated.get("/api/functions/" + theirId).status()).isEqualTo(200);
            assertThat(admin.get("/api/tenants/globex").body().get("keys").toString())
                    .contains(firstKeyId).doesNotContain(firstKey);
            assertThat(admin.delete("/api/tenants/globex/keys/" + firstKeyId).status()).isEqualTo(204);
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                    assertError(globex.get("/api/functions/" + theirId), 401, "Authorization"));
            assertThat(rotated.get("/api/functions/" + theirId).status()).isEqualTo(200);

            // a tenant that owns functions is kept; once they are gone it can go, and its keys with it
            assertError(admin.delete("/api/tenants/globex"), 409, "functions");
            assertThat(rotated.delete("/api/functions/" + theirId).status()).isEqualTo(204);
            assertThat(admin.delete("/api/tenants/globex").status()).isEqualTo(204);
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                    assertError(rotated.get("/api/tenants/me"), 401, "Authorization"));
            assertThat(admin.get("/api/tenants/globex").status()).isEqualTo(404);
        } finally {
            globexLive.close();
        }
    }

    @Test
    void aTenantOverItsLimitsGetsClearRefusalsAndLosesNothingItWasAccepted() {
        Api admin = new Api(gatewayB.base(), LocalCluster.TEST_ADMIN_KEY);
        Api.Response created = admin.post("/api/tenants", Api.json(Map.of("id", "initech",
                "limits", Map.of("invocationsPerSecond", 3, "maxFunctions", 1))));
        assertThat(created.status()).as("%s", created.body()).isEqualTo(201);
        assertError(admin.post("/api/tenants", "{\"id\":\"umbrella\",\"limits\":{\"speed\":1}}"), 400, "limits.speed");
        Api initech = new Api(gatewayB.base(), created.body().get("key").get("key").asString());
        Api.Response fn = initech.post("/api/functions", Api.json(Map.of("name", "limited",
                "code", "function handler(input) { return input.n; }")));
        assertThat(fn.status()).isEqualTo(201);
        String id = fn.body().get("id").asString();
        assertError(initech.post("/api/functions", Api.json(Map.of("name", "one-more", "code", "return 1;"))), 403,
                "maxFunctions");

        List<String> accepted = new java.util.ArrayList<>();
        int throttled = 0;
        long started = System.nanoTime();
        for (int i = 0; i < 20; i++) {
            Api.Response r = initech.post("/api/functions/" + id + "/execute?mode=async", "{\"input\":{\"n\":" + i + "}}");
            if (r.status() == 429) {
                throttled++;
                assertThat(r.raw().headers().firstValue("Retry-After")).hasValue("1");
                assertThat(r.body().get("errors").get(0).get("field").asString()).isEqualTo("invocationsPerSecond");
            } else {
                assertThat(r.status()).as("%s", r.body()).isEqualTo(202);
                accepted.add(r.body().get("executionId").asString());
            }
        }
        long seconds = java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started) + 1;
        assertThat(throttled).isPositive();
        assertThat(accepted).isNotEmpty().hasSizeLessThanOrEqualTo((int) (3 * (seconds + 1)));
        JsonNode me = initech.get("/api/tenants/me").body();
        assertThat(me.get("limits").get("invocationsPerSecond").asInt()).isEqualTo(3);
        assertThat(me.get("usage").get("functions").asLong()).isEqualTo(1);
        // every call that was accepted ends in its result
        for (String execution : accepted) {
            await().atMost(Duration.ofSeconds(30)).until(() -> initech.get("/api/executions/" + execution).body()
                    .path("status").asString(), "succeeded"::equals);
        }

        // the limit lifted: applies at once on this gateway
        assertThat(admin.put("/api/tenants/initech/limits", "{\"invocationsPerSecond\":null}").status()).isEqualTo(200);
        for (int i = 0; i < 10; i++) {
            assertThat(initech.post("/api/functions/" + id + "/execute?mode=async", "{\"input\":{\"n\":1}}").status())
                    .isEqualTo(202);
        }
        assertThat(initech.get("/api/tenants/me").body().get("limits").has("invocationsPerSecond")).isFalse();
        assertThat(initech.delete("/api/functions/" + id).status()).isEqualTo(204);
        assertThat(admin.delete("/api/tenants/initech").status()).isEqualTo(204);
    }

    @Test
    void concurrencyLimitsHoldUnderABurstAndASyncCallerWhoseWaitRunsOutGets429() {
        Api admin = new Api(gatewayB.base(), LocalCluster.TEST_ADMIN_KEY);
        Api.Response created = admin.post("/api/tenants", Api.json(Map.of("id", "hooli",
                "limits", Map.of("concurrentExecutions", 2))));
        assertThat(created.status()).as("%s", created.body()).isEqualTo(201);
        Api hooli = new Api(gatewayA.base(), created.body().get("key").get("key").asString());
        String busy = "function handler(input) { const end = Date.now() + input.ms; while (Date.now() < end) {} "
                + "return input.n; }";
        String single = createAs(hooli, "single", busy, Map.of("maxConcurrency", 1));
        String pair = createAs(hooli, "pair", busy, Map.of());
        assertError(hooli.put("/api/functions/" + pair, "{\"config\":{\"maxConcurrency\":0}}"), 400,
                "config.maxConcurrency");

        // a burst on both: three instances could run three at once, the limits allow one and two
        List<String> ofSingle = new ArrayList<>();
        List<String> ofPair = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            ofSingle.add(executeAsync(hooli, single, "{\"input\":{\"ms\":120,\"n\":" + i + "}}"));
            ofPair.add(executeAsync(hooli, pair, "{\"input\":{\"ms\":120,\"n\":" + i + "}}"));
        }
        // nothing is lost: every one waits in line and runs
        List<JsonNode> runs = new ArrayList<>();
        for (String execution : concat(ofSingle, ofPair)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> hooli.get("/api/executions/" + execution).body()
                    .path("status").asString(), "succeeded"::equals);
            runs.add(hooli.get("/api/executions/" + execution).body());
        }
        assertThat(mostAtOnce(runs.subList(0, ofSingle.size()))).isEqualTo(1);
        assertThat(mostAtOnce(runs)).isLessThanOrEqualTo(2);

        // a sync caller behind a long run: its wait ends before a run comes free, so 429, and it never runs
        String holding = executeAsync(hooli, single, "{\"input\":{\"ms\":4000,\"n\":-1}}");
        await().atMost(Duration.ofSeconds(30)).until(() -> hooli.get("/api/executions/" + holding).body()
                .path("status").asString(), "running"::equals);
        Api.Response refused = hooli.post("/api/functions/" + single + "/execute?wait=1s",
                "{\"input\":{\"ms\":1,\"n\":-2}}");
        assertError(refused, 429, "maxConcurrency");
        assertThat(refused.raw().headers().firstValue("Retry-After")).hasValue("1");
        // with a wait long enough, the same call waits its turn and is answered
        Api.Response served = hooli.post("/api/functions/" + single + "/execute?wait=20s",
                "{\"input\":{\"ms\":1,\"n\":-3}}");
        assertThat(served.status()).as("%s", served.body()).isEqualTo(200);
        assertThat(served.body().get("output").asInt()).isEqualTo(-3);
        // the refused call is stored as throttled, not run: beside it the log holds the ten runs, all finished
        // the sync answers come from the results topic; the log is what the store holds, which can lag behind
        await().atMost(Duration.ofSeconds(30)).until(() -> statuses(hooli.get("/api/functions/" + single
                + "/logs?limit=100").body()), all -> all.size() == 11
                && all.stream().allMatch(s -> s.equals("succeeded") || s.equals("rejected")));
        JsonNode logs = hooli.get("/api/functions/" + single + "/logs?limit=100").body();
        List<String> throttled = new ArrayList<>();
        logs.forEach(e -> {
            if ("throttled".equals(e.path("error").path("type").asString())) {
                throttled.add(e.get("status").asString());
            }
        });
        assertThat(throttled).as("%s", logs).containsExactly("rejected");
        assertThat(statuses(logs)).filteredOn("succeeded"::equals).hasSize(10);
        assertThat(refused.body().get("message").asString()).contains("was not run");

        assertThat(hooli.delete("/api/functions/" + single).status()).isEqualTo(204);
        assertThat(hooli.delete("/api/functions/" + pair).status()).isEqualTo(204);
    }

    @Test
    void aTenantSeesHowManyOfItsExecutionsRunNowOnEitherGateway() {
        Api admin = new Api(gatewayA.base(), LocalCluster.TEST_ADMIN_KEY);
        Api.Response created = admin.post("/api/tenants", Api.json(Map.of("id", "wayne")));
        assertThat(created.status()).as("%s", created.body()).isEqualTo(201);
        String key = created.body().get("key").get("key").asString();
        Api onA = new Api(gatewayA.base(), key);
        Api onB = new Api(gatewayB.base(), key);
        String spinner = createAs(onA, "spinner", """
                function handler(input) { const end = Date.now() + input.ms; while (Date.now() < end) {} return 1; }""",
                Map.of("timeoutMs", 60_000, "retryCount", 0));
        assertThat(onB.get("/api/tenants/me").body().at("/usage/concurrentExecutions").asLong()).isZero();
        // six seconds of running: the executors report what they run every two
        String execution = executeAsync(onA, spinner, "{\"input\":{\"ms\":6000}}");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(onB.get("/api/tenants/me").body()
                .at("/usage/concurrentExecutions").asLong()).isEqualTo(1));
        await().atMost(Duration.ofSeconds(60)).until(() -> onA.get("/api/executions/" + execution).body()
                .path("status").asString(), "succeeded"::equals);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(onA.get("/api/tenants/me").body()
                .at("/usage/concurrentExecutions").asLong()).isZero());
        assertThat(onA.delete("/api/functions/" + spinner).status()).isEqualTo(204);
        assertThat(admin.delete("/api/tenants/wayne").status()).isEqualTo(204);
    }

    @Test
    void aFunctionThatKeepsMemoryAcrossRunsIsCutWithLimitExceededAndTheExecutorServesOn() {
        // limited to one at a time, so runs follow each other in one warm context; no retries: a cut is final
        String hoarder = create("hoarder", """
                const kept = [];
                function handler(input) { kept.push(new Array(1000000).fill(1.5)); return kept.length; }""",
                Map.of("maxConcurrency", 1, "retryCount", 0));
        List<JsonNode> answers = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            Api.Response r = gatewayA.post("/api/functions/" + hoarder + "/execute", "{}");
            assertThat(r.status()).as("call %d: %s", i, r.body()).isEqualTo(200);
            answers.add(r.body());
        }
        // 7.6 MiB more kept per run: without a bound the context would hold 30 runs' worth (230 MiB) and grow on;
        // past the default 64 MiB the run is cut, and the next one starts from a fresh context
        int cuts = 0;
        List<Integer> afterCuts = new ArrayList<>();
        for (int i = 0; i < answers.size(); i++) {
            JsonNode answer = answers.get(i);
            if (answer.get("status").asString().equals("succeeded")) {
                int held = answer.get("output").asInt();
                assertThat(held).as("call %d", i).isBetween(1, 10);
                if (i > 0 && !answers.get(i - 1).get("status").asString().equals("succeeded")) {
                    afterCuts.add(held);
                }
            } else {
                cuts++;
                assertThat(answer.get("status").asString()).as("call %d: %s", i, answer).isEqualTo("failed");
                assertThat(answer.at("/error/type").asString()).isEqualTo("limit_exceeded");
                assertThat(answer.at("/error/message").asString()).contains("bytes in memory across runs");
            }
        }
        assertThat(cuts).as("%s", answers).isGreaterThanOrEqualTo(2);
        // the call after a cut starts afresh (unless the scaler moved the lane meanwhile to an instance with a warm
        // context of its own: so not every time)
        assertThat(afterCuts).contains(1);
        // the cut is stored as the execution's result, and the executor serves on
        String cutId = answers.stream().filter(a -> a.get("status").asString().equals("failed")).findFirst()
                .orElseThrow().get("executionId").asString();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(gatewayB.get("/api/executions/" + cutId)
                .body().at("/error/type").asString()).isEqualTo("limit_exceeded"));
        String plain = create("after-the-hoarder", "function handler(input) { return input.n + 1; }");
        Api.Response after = gatewayA.post("/api/functions/" + plain + "/execute", "{\"input\":{\"n\":41}}");
        assertThat(after.body().get("output").asInt()).as("%s", after.body()).isEqualTo(42);
    }

    private static List<String> statuses(JsonNode executions) {
        List<String> statuses = new ArrayList<>();
        executions.forEach(e -> statuses.add(e.path("status").asString()));
        return statuses;
    }

    private static String createAs(Api api, String name, String code, Map<String, Object> config) {
        Api.Response created = api.post("/api/functions", Api.json(Map.of("name", name, "code", code,
                "config", config)));
        assertThat(created.status()).as("%s", created.body()).isEqualTo(201);
        return created.body().get("id").asString();
    }

    private static String executeAsync(Api api, String function, String body) {
        Api.Response r = api.post("/api/functions/" + function + "/execute?mode=async", body);
        assertThat(r.status()).as("%s", r.body()).isEqualTo(202);
        return r.body().get("executionId").asString();
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** The most executions running at one moment, from their stored start and finish (one clock: one JVM). */
    private static int mostAtOnce(List<JsonNode> executions) {
        List<long[]> edges = new ArrayList<>();
        for (JsonNode e : executions) {
            edges.add(new long[] {java.time.Instant.parse(e.get("startedAt").asString()).toEpochMilli() * 2 + 1, 1});
            // an end at the same millisecond as a start comes first: the next run began as this one ended
            edges.add(new long[] {java.time.Instant.parse(e.get("finishedAt").asString()).toEpochMilli() * 2, -1});
        }
        edges.sort(java.util.Comparator.comparingLong(edge -> edge[0]));
        int running = 0;
        int most = 0;
        for (long[] edge : edges) {
            running += (int) edge[1];
            most = Math.max(most, running);
        }
        return most;
    }

    @Test
    void pagesOfOtherWebOriginsCanNotChangeAnythingNorListen() throws Exception {
        String id = create("origin-guarded", "function handler(input) { return 1; }");
        String execute = "/api/functions/" + id + "/execute";
        // what any web page can make a browser send without a CORS preflight: a text/plain body, a form post
        assertError(gatewayA.postAs(execute, "text/plain", "{\"input\":1}"), 415, "Content-Type");
        assertError(gatewayA.postAs(execute, "application/x-www-form-urlencoded", "input=1"), 415, "Content-Type");
        // and with the page's origin named, as browsers do: refused before anything runs, whatever the body
        assertError(gatewayA.post(execute, "{}", "Origin", "http://evil.test"), 403, "Origin");
        assertError(gatewayA.postAs(execute, "text/plain", "", "Origin", "http://evil.test"), 403, "Origin");
        assertError(gatewayA.delete("/api/functions/" + id, "Origin", "http://evil.test"), 403, "Origin");
        assertThat(gatewayA.get("/api/functions/" + id).status()).isEqualTo(200);

        // the console's own origin, and callers that are not browsers, are served
        assertThat(gatewayA.post(execute, "{}", "Origin", cluster.gatewayUrl()).status()).isEqualTo(200);
        assertThat(gatewayA.post(execute, "{}").status()).isEqualTo(200);

        // the live stream: a foreign page's handshake is refused by the gateway and by the monitor behind it
        String viaGateway = cluster.gatewayUrl().replaceFirst("^http", "ws") + "/api/metrics/live";
        String atMonitor = cluster.monitorUrl().replaceFirst("^http", "ws") + "/api/metrics/live";
        for (String ws : List.of(viaGateway, atMonitor)) {
            assertThatThrownBy(() -> LiveClient.connect(ws, 1, "http://evil.test")).as(ws)
                    .cause().isInstanceOfSatisfying(java.net.http.WebSocketHandshakeException.class,
                            refused -> assertThat(refused.getResponse().statusCode()).isEqualTo(403));
        }
        LiveClient own = LiveClient.connect(viaGateway, 1, cluster.gatewayUrl());
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> own.received() == 1);
        } finally {
            own.close();
        }
        // the two calls served ran, and only they (the refused ones were sent first)
        await().atMost(Duration.ofSeconds(15)).until(() -> gatewayA.get("/api/functions/" + id + "/logs").body().size(),
                n -> n >= 2);
        assertThat(gatewayA.get("/api/functions/" + id + "/logs").body().size()).isEqualTo(2);
    }

    /**
     * Sends {@code request} (a request line and headers, then a body if it ends with one) as ISO-8859-1 bytes on a
     * connection of its own, and returns the answer's JSON body, asserting its status.
     */
    private JsonNode rawCall(String request, int status) throws java.io.IOException {
        java.net.URI gateway = java.net.URI.create(cluster.gatewayUrl());
        String head = request.endsWith("\r\n") ? request + "Host: localhost\r\nConnection: close\r\n\r\n"
                : request.replaceFirst("\r\n\r\n", "\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        try (java.net.Socket socket = new java.net.Socket(gateway.getHost(), gateway.getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(head.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            String answer = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(answer).as(answer).startsWith("HTTP/1.1 " + status + " ");
            String body = answer.substring(answer.indexOf("\r\n\r\n") + 4);
            // a chunked answer: the JSON is between its first chunk's size line and the chunk's end
            String json = body.startsWith("{") ? body : body.substring(body.indexOf("\r\n") + 2, body.lastIndexOf('}') + 1);
            return tools.jackson.databind.json.JsonMapper.builder().build().readTree(json);
        }
    }

    private static void assertError(Api.Response response, int status, String field) {
        assertThat(response.status()).as("%s", response.body()).isEqualTo(status);
        assertThat(response.body().get("status").asInt()).isEqualTo(status);
        assertThat(response.body().get("message").asString()).isNotBlank();
        List<String> fields = new ArrayList<>();
        response.body().get("errors").forEach(e -> fields.add(e.get("field").asString()));
        assertThat(fields).contains(field);
    }

    @Test
    void anIdempotencyKeyGivesTheSameExecutionOnEitherGatewayAndNeverASecondRun() {
        String id = create("idempotent", "function handler(input) { return { doubled: input.n * 2, at: Date.now() }; }");
        String other = create("idempotent-other", "function handler(input) { return input; }");
        String key = "order-" + java.util.UUID.randomUUID();
        String execute = "/api/functions/" + id + "/execute";

        // sync, then the same request again on the other gateway: the same execution and result, marked replayed
        Api.Response first = gatewayA.post(execute, "{\"input\":{\"n\":21}}", "Idempotency-Key", key);
        assertThat(first.status()).isEqualTo(200);
        assertThat(first.body().get("output").get("doubled").asInt()).isEqualTo(42);
        Api.Response again = gatewayB.post(execute, "{ \"input\": { \"n\": 21 } }", "Idempotency-Key", key);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.raw().headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(again.body().get("executionId").asString()).isEqualTo(first.body().get("executionId").asString());
        assertThat(again.body().get("output")).isEqualTo(first.body().get("output"));
        // asked async this time: the same execution, where to read it
        Api.Response async = gatewayA.post(execute + "?mode=async", "{\"input\":{\"n\":21}}", "Idempotency-Key", key);
        assertThat(async.status()).isEqualTo(202);
        assertThat(async.body().get("executionId").asString()).isEqualTo(first.body().get("executionId").asString());

        // the same key with another input: refused, naming the header; nothing runs
        assertError(gatewayB.post(execute, "{\"input\":{\"n\":22}}", "Idempotency-Key", key), 422,
                "Idempotency-Key");
        // keys are per function: the same key on another function is a request of its own
        Api.Response elsewhere = gatewayA.post("/api/functions/" + other + "/execute", "{\"input\":{\"n\":21}}",
                "Idempotency-Key", key);
        assertThat(elsewhere.status()).isEqualTo(200);
        assertThat(elsewhere.body().get("executionId").asString()).isNotEqualTo(first.body().get("executionId")
                .asString());
        assertError(gatewayA.post(execute, "{}", "Idempotency-Key", "x".repeat(256)), 400, "Idempotency-Key");

        // async first, retried at once while it may still be queued: one execution
        String asyncKey = "batch-" + java.util.UUID.randomUUID();
        Api.Response queued = gatewayB.post(execute + "?mode=async", "{\"input\":{\"n\":5}}", "Idempotency-Key",
                asyncKey);
        Api.Response retried = gatewayA.post(execute + "?mode=async", "{\"input\":{\"n\":5}}", "Idempotency-Key",
                asyncKey);
        assertThat(queued.status()).isEqualTo(202);
        assertThat(retried.status()).isEqualTo(202);
        assertThat(retried.body().get("executionId").asString()).isEqualTo(queued.body().get("executionId").asString());

        // what ran: one execution per key, nothing for the refused request
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode logs = gatewayA.get("/api/functions/" + id + "/logs?limit=100").body();
            assertThat(logs).hasSize(2);
            assertThat(logs).allSatisfy(e -> assertThat(e.get("status").asString()).isEqualTo("succeeded"));
        });
    }

    @Test
    void aThousandAsyncInvocationsEachEndInExactlyOneRecord() throws Exception {
        String id = create("counter", "function handler(input) { return input.i + 1; }");
        int total = 1000;
        Semaphore inFlight = new Semaphore(50);
        List<CompletableFuture<Api.Response>> calls = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            inFlight.acquire();
            Api gateway = i % 2 == 0 ? gatewayA : gatewayB;
            calls.add(gateway.postAsync("/api/functions/" + id + "/execute?mode=async", "{\"input\":{\"i\":" + i + "}}")
                    .whenComplete((r, e) -> inFlight.release()));
        }
        Set<String> accepted = new HashSet<>();
        for (CompletableFuture<Api.Response> call : calls) {
            Api.Response r = call.get();
            assertThat(r.status()).isEqualTo(202);
            accepted.add(r.body().get("executionId").asString());
        }
        assertThat(accepted).hasSize(total);

        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(gatewayA.get("/api/functions/" + id + "/logs?status=succeeded&limit=1000").body().size())
                        .isEqualTo(total));
        JsonNode records = gatewayA.get("/api/functions/" + id + "/logs?limit=1000").body();
        List<String> recorded = new ArrayList<>();
        Set<Integer> outputs = new HashSet<>();
        records.forEach(r -> {
            recorded.add(r.get("executionId").asString());
            outputs.add(r.get("output").asInt());
            assertThat(r.get("input").get("i").asInt() + 1).isEqualTo(r.get("output").asInt());
        });
        assertThat(recorded).hasSize(total).doesNotHaveDuplicates();
        assertThat(new HashSet<>(recorded)).isEqualTo(accepted);
        assertThat(outputs).hasSize(total);

        // the same, page by page, following the Link header's cursor: newest first, each execution once
        List<String> paged = new ArrayList<>();
        String next = "/api/functions/" + id + "/logs?limit=300";
        int pages = 0;
        while (next != null) {
            Api.Response page = gatewayB.get(next);
            assertThat(page.status()).isEqualTo(200);
            page.body().forEach(r -> paged.add(r.get("executionId").asString()));
            next = page.nextLink();
            pages++;
        }
        assertThat(pages).isBetween(4, 5);
        assertThat(paged).isEqualTo(recorded);
        assertError(gatewayA.get("/api/functions/" + id + "/logs?cursor=not-a-cursor"), 400, "cursor");

        // how far storing trails the executors is part of the live snapshot
        JsonNode persistence = gatewayA.get("/api/metrics").body().get("persistence");
        assertThat(persistence.get("stored").asLong()).isGreaterThanOrEqualTo(total);
        assertThat(persistence.get("lagP99Ms").asDouble()).isPositive();
        assertThat(persistence.get("recorderLag").asLong()).isGreaterThanOrEqualTo(0);

        // the scaler's probe sees the executor group drained
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(metric(cluster.scalerUrl(), "s3c_scaler_executor_lag")).isZero());
    }

    @Test
    void theExecutorReportsItsInstancesAndThatGraalJsRunsWithTheJit() {
        // 3 at start; the scaler may have resized the pool since, within its bounds
        assertThat(metric(cluster.executorUrl(), "s3c_executor_instances")).isBetween(1.0, 10.0);
        // the test JVM starts with the Graal compiler on the upgrade module path, as the local run does
        assertThat(metric(cluster.executorUrl(), "s3c_executor_graaljs_optimizing")).isEqualTo(1.0);
    }

    @Test
    void everyMetricTheProvisionedDashboardsQueryIsExported() {
        List<java.nio.file.Path> files = Dashboards.files().toList();
        assertThat(files).extracting(f -> f.getFileName().toString())
                .contains("overview.json", "function.json", "scaling.json", "kafka-jvm.json");
        Set<String> wanted = new java.util.TreeSet<>();
        Set<String> uids = new HashSet<>();
        for (java.nio.file.Path file : files) {
            JsonNode dashboard = Dashboards.read(file);
            assertThat(uids.add(dashboard.get("uid").asString())).as("unique uid in %s", file).isTrue();
            assertThat(dashboard.get("panels").size()).as("panels in %s", file).isPositive();
            wanted.addAll(Dashboards.metricNames(dashboard));
        }
        assertThat(wanted).contains("s3c_executor_invocations_total", "s3c_scaler_executor_lag", "jvm_memory_used_bytes");

        // counters appear with their first event: a success, and a failure that is retried once and dead-lettered
        String ok = create("metrics-ok", "function handler(input) { return 1; }");
        String failing = create("metrics-failing", "function handler() { throw new Error('no'); }",
                Map.of("retryCount", 1));
        assertThat(gatewayA.post("/api/functions/" + ok + "/execute", "{}").status()).isEqualTo(200);
        assertThat(gatewayA.post("/api/functions/" + failing + "/execute?mode=async", "{}").status()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            Set<String> exported = new HashSet<>();
            for (String url : List.of(cluster.gatewayManagementUrl(cluster.gatewayUrl()), cluster.executorUrl(),
                    cluster.monitorUrl(), cluster.scalerUrl())) {
                new Api(url).raw("/actuator/prometheus").lines().filter(l -> !l.startsWith("#") && !l.isBlank())
                        .map(l -> l.split("[{ ]", 2)[0]).forEach(exported::add);
            }
            assertThat(exported).containsAll(wanted);
        });
        // the live figures count the retry (read from the retry tier by a reader of its own) and the dead letter
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            JsonNode live = gatewayA.get("/api/metrics").body().path("functions").path(failing);
            assertThat(live.path("retried").asLong()).isEqualTo(1);
            assertThat(live.path("deadLettered").asLong()).isEqualTo(1);
        });
        // the executors' lag per partition is exported (the dashboards' lag panels; Micrometer binds a client's new
        // metrics once a minute); no service exports the other figures per partition, or a topic's second series
        // under its old, underscored name (KafkaClientMeters)
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
            assertThat(new Api(cluster.executorUrl()).raw("/actuator/prometheus").lines())
                    .anyMatch(l -> l.startsWith("kafka_consumer_fetch_manager_records_lag_max{")
                            && l.contains("partition=") && l.contains("topic=\"s3c.invocations\""));
            for (String url : List.of(cluster.gatewayManagementUrl(cluster.gatewayUrl()), cluster.executorUrl(),
                    cluster.monitorUrl(), cluster.scalerUrl())) {
                assertThat(new Api(url).raw("/actuator/prometheus").lines()).as(url)
                        .noneMatch(l -> l.startsWith("kafka_consumer_fetch_manager_records_lead")
                                && l.contains("partition="))
                        .noneMatch(l -> l.contains("topic=\"s3c_"));
            }
        });
    }

    @Test
    void theLiveStreamCountsWhatRanAndASlowClientHoldsUpNoOne() throws Exception {
        String ws = cluster.gatewayUrl().replaceFirst("^http", "ws") + "/api/metrics/live";
        LiveClient fast = LiveClient.connect(ws, Long.MAX_VALUE);
        // takes one message and then nothing more: its socket fills up and stays full
        LiveClient stalled = LiveClient.connect(ws, 1);
        try {
            // the first snapshot comes as soon as the stream (through the gateway to the monitor) is subscribed;
            // events from before that are not replayed
            await().atMost(Duration.ofSeconds(10)).until(() -> fast.snapshots() >= 1 && stalled.received() == 1);
            String id = create("live-counted", "function handler(input) { return input.i * 2; }");
            int calls = 20;
            for (int i = 0; i < calls; i++) {
                assertThat(gatewayB.post("/api/functions/" + id + "/execute", "{\"input\":{\"i\":" + i + "}}")
                        .status()).isEqualTo(200);
            }
            // the snapshots' counts for the function match the invocations made
            JsonNode counted = await().atMost(Duration.ofSeconds(15)).until(() -> fast.latestSnapshot()
                    .map(s -> s.path("functions").path(id)).orElse(MissingNode.getInstance()),
                    f -> f.path("completed").asLong() == calls);
            assertThat(counted.path("accepted").asLong()).isEqualTo(calls);
            assertThat(counted.path("succeeded").asLong()).isEqualTo(calls);
            assertThat(counted.path("executionMs").has("p99")).isTrue();
            // and every finished execution came as an event, as it happened
            await().atMost(Duration.ofSeconds(10)).until(() -> fast.events("execution").stream()
                    .filter(e -> e.path("functionId").asString().equals(id))
                    .map(e -> e.path("executionId").asString()).distinct().count() == calls);
            // snapshots keep coming once a second to the fast client while the other one takes nothing
            int before = fast.snapshots();
            await().atMost(Duration.ofSeconds(10)).until(() -> fast.snapshots() >= before + 3);
            assertThat(stalled.received()).isEqualTo(1);

            JsonNode now = gatewayA.get("/api/metrics").body();
            assertThat(now.path("functions").path(id).path("completed").asLong()).isEqualTo(calls);
            assertThat(now.path("instances").asInt()).isPositive();
        } finally {
            fast.close();
            stalled.close();
        }
    }

    @Test
    void theExecutionHistoryHasOnePointPerStepOverTheWindow() {
        String id = create("history-counted", "function handler() { return 1; }");
        // other tests ran before: count from what the window already holds
        long before = sum(gatewayA.get("/api/metrics/executions/history?window=2m&step=10s").body().path("points"),
                "accepted");
        for (int i = 0; i < 5; i++) {
            assertThat(gatewayA.post("/api/functions/" + id + "/execute", "{}").status()).isEqualTo(200);
        }
        JsonNode history = await().atMost(Duration.ofSeconds(10)).until(
                () -> gatewayA.get("/api/metrics/executions/history?window=2m&step=10s").body(),
                h -> sum(h.path("points"), "accepted") >= before + 5);
        JsonNode points = history.path("points");
        assertThat(points.size()).isEqualTo(12);
        java.time.Instant first = java.time.Instant.parse(points.get(0).path("at").asString());
        java.time.Instant last = java.time.Instant.parse(points.get(11).path("at").asString());
        assertThat(Duration.between(first, last)).isEqualTo(Duration.ofSeconds(110));
        assertThat(Duration.between(last, java.time.Instant.now()).abs()).isLessThan(Duration.ofSeconds(15));
        assertThat(gatewayA.get("/api/metrics/executions/history?window=30s&step=1s").body().path("points").size())
                .isEqualTo(30);

        assertError(gatewayA.get("/api/metrics/executions/history?window=2h"), 400, "window");
        assertError(gatewayA.get("/api/metrics/executions/history?window=99999999999999h"), 400, "window");
        assertError(gatewayA.get("/api/metrics/executions/history?window=1m&step=2m"), 400, "step");
        assertError(gatewayA.get("/api/metrics/executions/history?step=soon"), 400, "step");
    }

    private static long sum(JsonNode points, String field) {
        long total = 0;
        for (JsonNode p : points) {
            total += p.path("stats").path(field).asLong();
        }
        return total;
    }

    /** The first value of a metric on a service's Prometheus endpoint. */
    static double metric(String baseUrl, String name) {
        String text = new Api(baseUrl).raw("/actuator/prometheus");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^" + name + "\\{[^}]*} ([-0-9.eE+]+)$")
                .matcher(text);
        if (!m.find()) {
            throw new AssertionError(name + " not exported by " + baseUrl);
        }
        return Double.parseDouble(m.group(1));
    }
}
