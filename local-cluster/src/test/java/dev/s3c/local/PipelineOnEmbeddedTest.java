package dev.s3c.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.LoggerContext;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.web.server.WebFilter;

/** The pipeline on the test JVM's embedded KRaft broker and an in-memory MongoDB-wire server. */
class PipelineOnEmbeddedTest extends PipelineContract {

    @Override
    LocalCluster startCluster() {
        // the one broker of this test JVM (surefire starts it); null starts one for this class. The pool stays at
        // its 3 instances: these tests share one cluster in any order, and one test's backlog made the scaler
        // shrink the pool and then grow it to 10 instances on 2 cores in the middle of the next (the hostile
        // functions' test then starved its well-behaved calls). Scaling has its own tests (ScalingOnEmbeddedTest).
        return LocalCluster.start(LocalCluster.Options.forTests(System.getProperty("spring.embedded.kafka.brokers"), null)
                .withServiceArgs("--s3c.scaler.min-instances=3", "--s3c.scaler.max-instances=3"));
    }

    @Test
    void theServicesCountTheJvmsLogLinesWithOneSharedCounterAndNoTurboFilter() {
        LoggerContext logback = (LoggerContext) LoggerFactory.getILoggerFactory();
        // each of the (five) service contexts used to add a filter of its own, run by every level check in the JVM;
        // one counter on the root logger sees only the lines logged
        assertThat(logback.getTurboFilterList())
                .noneMatch(filter -> filter.getClass().getSimpleName().equals("MetricsTurboFilter"));
        assertThat(logback.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).iteratorForAppenders()).toIterable()
                .filteredOn(appender -> appender instanceof SharedLogbackMetrics.LogEventCounter).hasSize(1);

        List<String> actuators = List.of(cluster().gatewayManagementUrl(cluster().gatewayUrl()),
                cluster().executorUrl(), cluster().monitorUrl(), cluster().scalerUrl());
        Map<String, Double> before = actuators.stream().collect(Collectors.toMap(a -> a, this::errorLinesCounted));
        LoggerFactory.getLogger("s3c.test.shared-log-counter").error("counted once in each service's registry");

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(actuators)
                .allSatisfy(a -> assertThat(errorLinesCounted(a)).as(a).isGreaterThanOrEqualTo(before.get(a) + 1)));
    }

    /** Boot gives WebFlux the gateway's mapping, which finds the execute endpoint's pattern path by path first. */
    @Test
    void theGatewayFindsItsControllersByPathFirst() {
        assertThat(cluster().gateway(cluster().gatewayUrl()).getBean("requestMappingHandlerMapping").getClass()
                .getSimpleName()).isEqualTo("PathFirstHandlerMapping");
    }

    /**
     * The context hold is the gateway's last filter, after the security chain and the gateway's own filters: the
     * controllers' reads of the Reactor context stop there instead of walking up through all of them.
     */
    @Test
    void theGatewaysLastFilterHoldsTheContextForTheControllers() {
        List<String> filters = cluster().gateway(cluster().gatewayUrl()).getBeanProvider(WebFilter.class)
                .orderedStream().map(filter -> filter.getClass().getSimpleName()).toList();
        assertThat(filters).containsSubsequence("WebFilterChainProxy", "ContextHold")
                .contains("RequestLog", "ApiAnswersNotStored", "GatewayDrain").last().isEqualTo("ContextHold");
    }

    /** The gateway times every request, without an in-flight timer per request beside it. */
    @Test
    void theGatewayTimesItsRequestsWithoutAnInFlightTimerEach() {
        assertThat(new Api(cluster().gatewayUrl()).post("/api/echo", "{\"a\":1}").status()).isEqualTo(200);
        assertThat(new Api(cluster().gatewayManagementUrl(cluster().gatewayUrl()), null).raw("/actuator/prometheus"))
                .contains("http_server_requests_seconds_count{").doesNotContain("http_server_requests_active");
    }

    /**
     * A lone sync caller's invocation leaves on the gateway's producer that does not linger; an async one goes with
     * the batches. Counted by the producers' own record counters in the gateway's Prometheus output.
     */
    @Test
    void aSyncCallersInvocationLeavesOnTheProducerThatDoesNotLinger() {
        Api gateway = new Api(cluster().gatewayUrl());
        Api.Response created = gateway.post("/api/functions", Api.json(Map.of("name", "prompt-echo",
                "code", "return input;")));
        assertThat(created.status()).as("%s", created.body()).isEqualTo(201);
        String execute = "/api/functions/" + created.body().get("id").asString() + "/execute";
        double prompt = recordsSent(true);

        assertThat(gateway.post(execute, "{\"input\":1}").status()).isEqualTo(200);

        double promptAfterSync = recordsSent(true);
        assertThat(promptAfterSync).isGreaterThanOrEqualTo(prompt + 1);
        double batched = recordsSent(false);
        assertThat(gateway.post(execute + "?mode=async", "{\"input\":2}").status()).isEqualTo(202);
        assertThat(recordsSent(false)).isGreaterThanOrEqualTo(batched + 1);
        // only sync invocations take the prompt producer
        assertThat(recordsSent(true)).isEqualTo(promptAfterSync);
    }

    /** Records the gateway's producers sent: the prompt one's ({@code s3c-gateway-prompt-N}) or the others'. */
    private double recordsSent(boolean prompt) {
        Matcher line = Pattern.compile("(?m)^kafka_producer_record_send_total\\{([^}]*)} (\\S+)$")
                .matcher(new Api(cluster().gatewayManagementUrl(cluster().gatewayUrl()), null).raw("/actuator/prometheus"));
        double sent = 0;
        while (line.find()) {
            if (line.group(1).contains("-prompt-") == prompt) {
                sent += Double.parseDouble(line.group(2));
            }
        }
        return sent;
    }

    private double errorLinesCounted(String actuator) {
        Matcher line = Pattern.compile("(?m)^logback_events_total\\{[^}]*level=\"error\"[^}]*} (\\S+)$")
                .matcher(new Api(actuator, null).raw("/actuator/prometheus"));
        assertThat(line.find()).as("%s exports logback_events_total", actuator).isTrue();
        return Double.parseDouble(line.group(1));
    }
}
