package dev.s3c.executor.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import dev.s3c.contracts.CodeStyle;
import dev.s3c.contracts.ErrorType;
import dev.s3c.contracts.ExecutionError;
import dev.s3c.contracts.ExecutionStatus;
import dev.s3c.contracts.FunctionDefinition;
import dev.s3c.contracts.FunctionStatus;
import dev.s3c.contracts.InvocationCompleted;
import dev.s3c.contracts.InvocationRequested;
import dev.s3c.executor.catalog.FunctionCatalog;
import dev.s3c.executor.retry.RetryPolicy;
import dev.s3c.executor.runtime.Watchdog;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;

/** Which failures are retried, how many retries a call gets, and what happens to platform faults. */
class RetryRulesTest {

    private static final Instant T0 = Instant.parse("2026-11-27T10:00:00Z");

    @ParameterizedTest(name = "{0}/{1} retried: {2}")
    @CsvSource({
        "FAILED, USER_ERROR, true",
        "TIMED_OUT, TIMEOUT, true",
        "FAILED, LIMIT_EXCEEDED, true",
        "FAILED, DEVELOPER_ERROR, false",
        "REJECTED, REJECTED, false",
        "FAILED, SYSTEM_ERROR, false",
        "SUCCEEDED, , false"})
    void onlyTheFunctionsOwnFailuresAreRetried(ExecutionStatus status, ErrorType type, boolean retried) {
        var result = new InvocationCompleted("e", "f", 1, status, null,
                type == null ? null : ExecutionError.of(type, "x"), "", 1, 1, "i", false, T0, T0, T0, null);
        assertThat(InvocationProcessor.retryable(result)).isEqualTo(retried);
    }

    @ParameterizedTest(name = "function allows {0}, caller asks {1}: {2}")
    @CsvSource({"3, , 3", "3, 1, 1", "3, 10, 3", "0, 5, 0", "10, 0, 0"})
    void callersMayAskForFewerRetriesNeverMore(int functionRetries, Integer asked, int allowed) {
        var function = new FunctionDefinition("f", "f", 1, "return 1;", CodeStyle.BODY, 1000, functionRetries,
                FunctionStatus.ACTIVE, T0);
        var request = new InvocationRequested("e", "f", 1, null, T0, null, 1, asked, null);
        assertThat(InvocationProcessor.allowedRetries(request, function)).isEqualTo(allowed);
    }

    @Test
    void aFailureTheSameCodeWouldRepeatIsDeadLetteredAtOnceAndAThrowIsRetried() throws Exception {
        // a generous timeout: the first context of a fresh engine is slow to make on a busy machine
        var invalid = new FunctionDefinition("invalid", "invalid", 1, "return 10n;", CodeStyle.BODY, 60_000, 3,
                FunctionStatus.ACTIVE, T0);
        var thrower = new FunctionDefinition("thrower", "thrower", 1, "throw new Error('boom');", CodeStyle.BODY,
                60_000, 3, FunctionStatus.ACTIVE, T0);
        var catalog = new FunctionCatalog(new KafkaProperties()) {
            @Override
            public Lookup await(String functionId, long minVersion, Duration wait) {
                return new Lookup(functionId.equals("invalid") ? invalid : thrower, false);
            }
        };
        try (Watchdog watchdog = new Watchdog(); var engine = new dev.s3c.executor.runtime.JsEngine();
                var sandbox = new dev.s3c.executor.runtime.FunctionSandbox(engine, watchdog,
                        dev.s3c.executor.runtime.SandboxLimits.defaults())) {
            var processor = new InvocationProcessor(catalog, Duration.ofSeconds(10), watchdog, Duration.ofSeconds(1),
                    started -> { }, new RetryPolicy(Duration.ofSeconds(1), 2, Duration.ofSeconds(8)));

            // three retries left, none taken: the result is final and the request is dead-lettered
            InvocationProcessor.Step repeated = processor.process(
                    new InvocationRequested("e-1", "invalid", 1, null, T0, null), sandbox, "i-0");
            assertThat(repeated.result().error().type()).isEqualTo(ErrorType.DEVELOPER_ERROR);
            assertThat(repeated.retry()).isNull();
            assertThat(repeated.deadLetter()).isNotNull();
            assertThat(repeated.deadLetter().lastAttempt().attempt()).isEqualTo(1);

            InvocationProcessor.Step thrown = processor.process(
                    new InvocationRequested("e-2", "thrower", 1, null, T0, null), sandbox, "i-0");
            assertThat(thrown.result().error().type()).isEqualTo(ErrorType.USER_ERROR);
            assertThat(thrown.retry().attempt()).isEqualTo(2);
            assertThat(thrown.deadLetter()).isNull();
        }
    }

    /** A processor whose catalog has seen no function and does not wait for one. */
    private static InvocationProcessor processor(Watchdog watchdog) {
        return new InvocationProcessor(new FunctionCatalog(new KafkaProperties()), Duration.ZERO, watchdog,
                Duration.ofSeconds(1), started -> { }, new RetryPolicy(Duration.ofSeconds(1), 2, Duration.ofSeconds(8)));
    }

    @Test
    void aSyncRequestInALaneWhoseCallersWaitEndsWhileItsDefinitionIsAwaitedIsRefusedNotRun() throws Exception {
        var function = new FunctionDefinition("f", "f", 1, "return 1;", CodeStyle.BODY, 1000, 0,
                FunctionStatus.ACTIVE, T0);
        Instant startBy = Instant.now().plusMillis(200);
        var catalog = new FunctionCatalog(new KafkaProperties()) {
            @Override
            public Lookup await(String functionId, long minVersion, Duration wait) {
                // the definition arrives, but only once the caller's wait is over (and its gateway answered 429)
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10))
                        .until(() -> Instant.now().isAfter(startBy));
                return new Lookup(function, false);
            }
        };
        List<dev.s3c.contracts.InvocationStarted> notices = new java.util.ArrayList<>();
        try (Watchdog watchdog = new Watchdog()) {
            var processor = new InvocationProcessor(catalog, Duration.ofSeconds(10), watchdog, Duration.ofSeconds(1),
                    notices::add, new RetryPolicy(Duration.ofSeconds(1), 2, Duration.ofSeconds(8)));
            var request = new InvocationRequested("e", "f", 1, null, Instant.now(), "gw-1").inLane(3, startBy);
            // no engine: a run would fail this test
            var step = processor.process(request, new dev.s3c.executor.runtime.FunctionSandbox(null, watchdog,
                    dev.s3c.executor.runtime.SandboxLimits.defaults()), "i-0");
            assertThat(step.result().status()).isEqualTo(ExecutionStatus.REJECTED);
            assertThat(step.result().error().type()).isEqualTo(ErrorType.THROTTLED);
            assertThat(step.result().startedAt()).isNull();
            assertThat(notices).isEmpty();
        }
    }

    @Test
    void platformFaultsAreRedeliveredWithoutCountingAsAttemptsThenGiveUp() {
        try (Watchdog watchdog = new Watchdog()) {
            var processor = processor(watchdog);
            var request = new InvocationRequested("e", "f", 1, null, T0, null, 2, null, null);

            InvocationProcessor.Step first = processor.systemFault(request, "broker hiccup", "i-0");
            assertThat(first.retry()).isNotNull();
            assertThat(first.retry().attempt()).isEqualTo(2);
            assertThat(first.retry().redeliveries()).isEqualTo(1);
            assertThat(first.retry().notBefore()).isAfter(Instant.now());

            InvocationRequested worn = request;
            for (int i = 0; i < InvocationProcessor.MAX_REDELIVERIES; i++) {
                worn = worn.redeliver(T0);
            }
            InvocationProcessor.Step last = processor.systemFault(worn, "broker hiccup", "i-0");
            assertThat(last.retry()).isNull();
            assertThat(last.result().error().type()).isEqualTo(ErrorType.SYSTEM_ERROR);
            assertThat(last.result().attempt()).isEqualTo(2);
            assertThat(last.deadLetter()).isNotNull();
        }
    }

    @Test
    void redeliveriesWaitLongerEachTimeUpTo16Seconds() {
        assertThat(java.util.stream.IntStream.range(0, InvocationProcessor.MAX_REDELIVERIES)
                .mapToObj(InvocationProcessor::redeliveryDelay).mapToLong(Duration::toSeconds).toArray())
                .containsExactly(1, 2, 4, 8, 16, 16, 16, 16, 16, 16);
    }

    @Test
    void aPlatformFaultIsNotARunNorARetry() {
        try (Watchdog watchdog = new Watchdog()) {
            var processor = processor(watchdog);
            var request = new InvocationRequested("e", "f", 1, null, T0, null, 1, null, null);

            InvocationProcessor.Step step = processor.systemFault(request, "broker hiccup", "i-0");

            assertThat(step.redelivery()).isTrue();
            // no start time: metrics and the store count no run (warm or cold) and no queue wait for it
            assertThat(step.result().startedAt()).isNull();
            assertThat(step.result().durationMs()).isZero();
            // a real retry is not a redelivery
            var retried = new InvocationProcessor.Step(step.result(), request.retry(T0, dev.s3c.contracts.AttemptRecord.of(step.result())), null);
            assertThat(retried.redelivery()).isFalse();
        }
    }

    @Test
    void aFunctionWhoseDefinitionHasNotArrivedIsRedeliveredNotRejected() throws Exception {
        try (Watchdog watchdog = new Watchdog()) {
            // the catalog has seen nothing: the definition is still on its way
            var processor = processor(watchdog);
            var request = new InvocationRequested("e", "f-new", 1, null, T0, null);

            InvocationProcessor.Step step = processor.process(request, null, "i-0");

            assertThat(step.result().status()).isEqualTo(ExecutionStatus.FAILED);
            assertThat(step.result().error().type()).isEqualTo(ErrorType.SYSTEM_ERROR);
            assertThat(step.result().error().message()).contains("f-new", "has not reached this executor yet");
            assertThat(step.redelivery()).isTrue();
            assertThat(step.retry().attempt()).isEqualTo(1);
            assertThat(step.deadLetter()).isNull();
        }
    }
}
