package dev.s3c.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class MessageRoundTripTest {

    private static final Instant T0 = Instant.parse("2026-11-27T10:15:30.123456Z");

    private static <T> T roundTrip(T value, Class<T> type) {
        JsonSerde<T> serde = new JsonSerde<>(type);
        byte[] bytes = serde.serializer().serialize("t", value);
        return serde.deserializer().deserialize("t", bytes);
    }

    @Test
    void functionDefinitionRoundTrips() {
        var def = new FunctionDefinition("6566f1c2a1b2c3d4e5f60718", "fib", 3, "return 1;", CodeStyle.BODY,
                30_000, 3, FunctionStatus.ACTIVE, T0);
        assertThat(roundTrip(def, FunctionDefinition.class)).isEqualTo(def);
        assertThat(def.owner()).isEqualTo(FunctionDefinition.DEFAULT_TENANT);
        var owned = new FunctionDefinition("6566f1c2a1b2c3d4e5f60718", "fib", 3, "return 1;", CodeStyle.BODY,
                30_000, 3, FunctionStatus.ACTIVE, T0, "acme");
        assertThat(roundTrip(owned, FunctionDefinition.class)).isEqualTo(owned);
        assertThat(owned.owner()).isEqualTo("acme");
        // what was published before definitions named their tenant is the default tenant's
        var older = JsonCodec.fromBytes(("{\"id\":\"f\",\"name\":\"n\",\"version\":1,\"code\":\"return 1;\","
                + "\"style\":\"body\",\"timeoutMs\":1000,\"retryCount\":0,\"status\":\"active\"}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8), FunctionDefinition.class);
        assertThat(older.tenant()).isNull();
        assertThat(older.owner()).isEqualTo(FunctionDefinition.DEFAULT_TENANT);
        // nor environment variables: none
        assertThat(older.env()).isEmpty();
        var env = new java.util.LinkedHashMap<String, String>();
        env.put("TABLE", "orders");
        env.put("MODE", "live");
        var withEnv = new FunctionDefinition("6566f1c2a1b2c3d4e5f60718", "fib", 3, "return 1;", CodeStyle.BODY,
                30_000, 3, FunctionStatus.ACTIVE, T0, "acme", env);
        var back = roundTrip(withEnv, FunctionDefinition.class);
        assertThat(back).isEqualTo(withEnv);
        assertThat(back.env()).containsExactly(java.util.Map.entry("TABLE", "orders"), java.util.Map.entry("MODE",
                "live"));
    }

    @Test
    void invocationRequestedRoundTripsWithAnyJsonInput() {
        JsonNode input = JsonCodec.readTree("{\"n\":20,\"tags\":[\"a\",null,1.5],\"deep\":{\"x\":true}}");
        var req = new InvocationRequested("e-1", "f-1", 2, input, T0, "gw-1");
        InvocationRequested back = roundTrip(req, InvocationRequested.class);
        assertThat(back).isEqualTo(req);
        assertThat(back.input().get("n").asInt()).isEqualTo(20);
    }

    @Test
    void aRequestInAConcurrencyLaneKeepsItsLaneThroughRetriesAndRedrivesButNotItsCallersWait() {
        var req = new InvocationRequested("e-1", "f-1", 2, JsonCodec.readTree("1"), T0, "gw-1").inLane(7,
                T0.plusSeconds(30));
        InvocationRequested back = roundTrip(req, InvocationRequested.class);
        assertThat(back).isEqualTo(req);
        assertThat(back.lane()).isEqualTo(7);
        assertThat(back.startBy()).isEqualTo(T0.plusSeconds(30));
        var attempt = new AttemptRecord(1, "i", T0, 1, ExecutionStatus.FAILED, ExecutionError.of(ErrorType.USER_ERROR,
                "boom"));
        assertThat(req.retry(T0, attempt)).satisfies(r -> {
            assertThat(r.lane()).isEqualTo(7);
            assertThat(r.startBy()).isNull();
        });
        assertThat(req.redeliver(T0)).satisfies(r -> assertThat(r.startBy()).isEqualTo(req.startBy()));
        assertThat(req.redrive(null, T0).lane()).isEqualTo(7);
        // from writers before lanes: none
        assertThat(JsonCodec.fromBytes("{\"executionId\":\"e\",\"functionId\":\"f\"}".getBytes(
                StandardCharsets.UTF_8), InvocationRequested.class).lane()).isNull();
        var throttled = InvocationCompletedFor.throttled();
        assertThat(new String(JsonCodec.toBytes(throttled), StandardCharsets.UTF_8)).contains("\"type\":\"throttled\"");
        assertThat(roundTrip(throttled, InvocationCompleted.class)).isEqualTo(throttled);
    }

    private static final class InvocationCompletedFor {
        static InvocationCompleted throttled() {
            return new InvocationCompleted("e", "f", 1, ExecutionStatus.REJECTED, null,
                    ExecutionError.of(ErrorType.THROTTLED, "not started within the wait"), "", 0, 1, "i", false, T0,
                    null, T0, "gw-1");
        }
    }

    @Test
    void invocationCompletedRoundTripsBothOutcomes() {
        var ok = new InvocationCompleted("e-1", "f-1", 1, ExecutionStatus.SUCCEEDED, JsonCodec.readTree("6765"), null,
                "hello\n", 12, 1, "exec-1/0", true, T0, T0.plusMillis(3), T0.plusMillis(15), null);
        assertThat(roundTrip(ok, InvocationCompleted.class)).isEqualTo(ok);

        var failed = new InvocationCompleted("e-2", "f-1", 1, ExecutionStatus.TIMED_OUT, null,
                new ExecutionError(ErrorType.TIMEOUT, "TimeoutError", "ran past 100 ms", 3, 7, "at <js> :3:7"),
                "", 100, 1, "exec-1/1", false, T0, T0, T0, "gw-2");
        assertThat(roundTrip(failed, InvocationCompleted.class)).isEqualTo(failed);
    }

    @Test
    void retriesRoundTripAndOlderRequestsReadAsFirstAttempts() {
        var retry = new InvocationRequested("e-1", "f-1", 2, JsonCodec.readTree("1"), T0, null, 1, 2, null)
                .retry(T0.plusSeconds(4), new AttemptRecord(1, "i-1", T0, 5, ExecutionStatus.FAILED,
                        ExecutionError.of(ErrorType.USER_ERROR, "boom")));
        assertThat(roundTrip(retry, InvocationRequested.class)).isEqualTo(retry);
        assertThat(retry.attempt()).isEqualTo(2);
        assertThat(retry.maxRetries()).isEqualTo(2);
        assertThat(retry.history()).hasSize(1);
        assertThat(retry.redrive(JsonCodec.readTree("2"), T0).series()).isEqualTo(1);
        assertThat(retry.redrive(JsonCodec.readTree("2"), T0).history()).isEmpty();
        InvocationRequested redelivered = retry.redeliver(T0.plusSeconds(5));
        assertThat(redelivered.attempt()).isEqualTo(retry.attempt());
        assertThat(redelivered.redeliveries()).isEqualTo(1);
        assertThat(roundTrip(redelivered, InvocationRequested.class)).isEqualTo(redelivered);
        InvocationRequested old = JsonCodec.fromJson("{\"executionId\":\"e\",\"functionId\":\"f\","
                + "\"functionVersion\":1,\"requestedAt\":\"2026-11-27T10:15:30Z\"}", InvocationRequested.class);
        assertThat(old.attempt()).isEqualTo(1);
        assertThat(old.maxRetries()).isNull();
        assertThat(old.notBefore()).isNull();
    }

    @Test
    void deadLettersAndTheirResolutionsRoundTrip() {
        var attempt = new AttemptRecord(2, "i-1", T0, 5, ExecutionStatus.TIMED_OUT,
                ExecutionError.of(ErrorType.TIMEOUT, "late"));
        var dead = new DeadLettered("e-1", "f-1", new InvocationRequested("e-1", "f-1", 1, JsonCodec.readTree("{}"), T0,
                null, 2, null, null, java.util.List.of(attempt), 0, 0), attempt, T0);
        assertThat(roundTrip(dead, DeadLettered.class)).isEqualTo(dead);
        var resolved = new DeadLetterResolved("e-1", DeadLetterResolved.Resolution.REDRIVEN, T0, 2);
        assertThat(roundTrip(resolved, DeadLetterResolved.class)).isEqualTo(resolved);
        var completed = new InvocationCompleted("e", "f", 1, ExecutionStatus.FAILED, null,
                ExecutionError.of(ErrorType.USER_ERROR, "x"), "", 1, 2, "i", false, T0, T0, T0, null)
                .withHistory(java.util.List.of(attempt), 1);
        assertThat(roundTrip(completed, InvocationCompleted.class)).isEqualTo(completed);
        assertThat(completed.history()).hasSize(2);
    }

    @Test
    void invocationStartedRoundTrips() {
        var started = new InvocationStarted("e-1", "f-1", 4, "exec-1/2", 1, T0);
        assertThat(roundTrip(started, InvocationStarted.class)).isEqualTo(started);
        var waitedFor = new InvocationStarted("e-1", "f-1", 4, "exec-1/2", 1, T0, "gw-1");
        assertThat(roundTrip(waitedFor, InvocationStarted.class)).isEqualTo(waitedFor);
    }

    @Test
    void scalingMessagesRoundTrip() {
        var command = new ScaleCommand("s3c-executor", 7, java.util.Map.of("host-1", 4, "host-2", 3), "lag 90", 12, T0);
        assertThat(roundTrip(command, ScaleCommand.class)).isEqualTo(command);
        assertThat(command.instancesFor("host-2")).isEqualTo(3);
        assertThat(command.instancesFor("host-3")).isEqualTo(-1);

        var backlog = new java.util.LinkedHashMap<String, Long>();
        backlog.put("f-slow", 80L);
        backlog.put("f-fast", 10L);
        var event = new ScalingEvent("ev-1", "s3c-executor", ScalingAction.SCALE_UP, 3, 9, "lag 90 > 10 x 3", T0, 90,
                java.util.Map.of("s3c.invocations-0", 90L), 42.5, 3.25, backlog, 3, java.util.List.of("host-1"));
        ScalingEvent back = roundTrip(event, ScalingEvent.class);
        assertThat(back).isEqualTo(event);
        assertThat(back.backlogByFunction().keySet()).containsExactly("f-slow", "f-fast");
        assertThat(new String(JsonCodec.toBytes(event), StandardCharsets.UTF_8)).contains("\"action\":\"scale_up\"");

        var status = new ExecutorStatus("host-1", 4, 12, false, T0);
        assertThat(roundTrip(status, ExecutorStatus.class)).isEqualTo(status);
        var running = new ExecutorStatus("host-1", 4, 12, false, T0, java.util.Map.of("acme", 2, "default", 1));
        assertThat(roundTrip(running, ExecutorStatus.class)).isEqualTo(running);
        var withCores = new ExecutorStatus("host-1", 4, 12, false, T0, java.util.Map.of("acme", 2), 8);
        assertThat(roundTrip(withCores, ExecutorStatus.class)).isEqualTo(withCores);
        assertThat(roundTrip(withCores, ExecutorStatus.class).cores()).isEqualTo(8);
        // an older writer's status names no tenants and no cores
        var older = JsonCodec.fromBytes(("{\"process\":\"host-1\",\"instances\":4,\"appliedSequence\":12,"
                + "\"leaving\":false,\"at\":\"2026-01-01T00:00:00Z\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8),
                ExecutorStatus.class);
        assertThat(older.runningByTenant()).isEmpty();
        assertThat(older.cores()).isZero();

        var sample = new LagSample("s3c-executor", T0, java.util.List.of(
                new LagSample.PartitionLag("s3c.invocations", 0, 120, 100),
                new LagSample.PartitionLag("s3c.invocations", 1, 5, 9)));
        LagSample sampleBack = roundTrip(sample, LagSample.class);
        assertThat(sampleBack).isEqualTo(sample);
        assertThat(sampleBack.partitions()).extracting(LagSample.PartitionLag::lag).containsExactly(20L, 0L);
    }

    @Test
    void enumsUseLowercaseWireNames() {
        var failed = new InvocationCompleted("e", "f", 1, ExecutionStatus.TIMED_OUT, null,
                ExecutionError.of(ErrorType.USER_ERROR, "boom"), "", 0, 1, "i", false, T0, T0, T0, null);
        String json = new String(JsonCodec.toBytes(failed), StandardCharsets.UTF_8);
        assertThat(json).contains("\"status\":\"timed_out\"").contains("\"type\":\"user_error\"")
                .contains("\"requestedAt\":\"2026-11-27T10:15:30.123456Z\"");

        var developer = ExecutionError.of(ErrorType.DEVELOPER_ERROR, "result is not JSON-serialisable");
        assertThat(JsonCodec.toJson(developer)).contains("\"type\":\"developer_error\"");
        assertThat(roundTrip(developer, ExecutionError.class)).isEqualTo(developer);
    }

    @Test
    void unknownFieldsFromNewerWritersAreIgnored() {
        String json = "{\"executionId\":\"e\",\"functionId\":\"f\",\"functionVersion\":1,\"input\":null,"
                + "\"requestedAt\":\"2026-11-27T10:15:30Z\",\"replyTo\":null,\"addedLater\":42}";
        InvocationRequested req = JsonCodec.fromJson(json, InvocationRequested.class);
        assertThat(req.executionId()).isEqualTo("e");
    }

    @Test
    void tombstonesStayNull() {
        JsonSerde<FunctionDefinition> serde = new JsonSerde<>(FunctionDefinition.class);
        assertThat(serde.serializer().serialize("t", null)).isNull();
        assertThat(serde.deserializer().deserialize("t", null)).isNull();
    }
}
