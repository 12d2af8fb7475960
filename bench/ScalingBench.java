import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How fast the pool follows a step in load: from the first request of a burst to the scaler's scale-up decision,
 * to the executor running more consumer threads, and to the first invocation started by a new instance.
 * Start the platform with one instance and a short quiet period, so each round starts from one instance:
 *
 *   EXECUTOR_INSTANCES=1 S3C_SCALER_SCALE_DOWN_AFTER=5s ./run-local.sh
 *   java bench/ScalingBench.java [gatewayUrl] [executorUrl] [rounds] [burst]
 */
public class ScalingBench {

    private static final Pattern INSTANCES = Pattern.compile("(?m)^s3c_executor_instances\\{[^}]*} ([0-9.]+)$");
    private static final Pattern EXECUTION = Pattern.compile(
            "\"instanceId\":\"([^\"]+)\"[^}]*?\"startedAt\":\"([^\"]+)\"");
    private static final Pattern SCALE_UP = Pattern.compile(
            "\"action\":\"scale_up\",\"fromInstances\":(\\d+),\"toInstances\":(\\d+)[^}]*?\"timestamp\":\"([^\"]+)\"");

    public static void main(String[] args) throws Exception {
        String gateway = args.length > 0 ? args[0] : "http://localhost:8080";
        String executor = args.length > 1 ? args[1] : "http://localhost:8081";
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        int burst = args.length > 3 ? Integer.parseInt(args[3]) : 1000;

        String id = BenchHttp.function(gateway, "bench-busy-20ms",
                "function handler(input) { const end = Date.now() + 20; while (Date.now() < end) { } return input.i; }",
                30000);
        List<Long> toDecision = new ArrayList<>();
        List<Long> toThreads = new ArrayList<>();
        List<Long> toConsuming = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            awaitInstances(executor, 1, Duration.ofMinutes(3));
            String before = BenchHttp.post(gateway + "/api/functions/" + id + "/execute", "{\"input\":{\"i\":0}}")
                    .join().body();
            Matcher first = Pattern.compile("\"instanceId\":\"([^\"]+)\"").matcher(before);
            String original = first.find() ? first.group(1) : "?";

            // watch the pool from before the first request, so the moment it grows is not missed
            Instant step = Instant.now();
            CompletableFuture<Long> threads = CompletableFuture.supplyAsync(() -> {
                try {
                    while (instances(executor) <= 1) {
                        Thread.sleep(10);
                    }
                    return Duration.between(step, Instant.now()).toMillis();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Semaphore slots = new Semaphore(64);
            List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
            for (int i = 1; i <= burst; i++) {
                slots.acquire();
                calls.add(BenchHttp.post(gateway + "/api/functions/" + id + "/execute?mode=async",
                        "{\"input\":{\"i\":" + i + "}}").whenComplete((r, e) -> slots.release()));
            }
            CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
            long threadsAt = threads.get(60, java.util.concurrent.TimeUnit.SECONDS);
            awaitInstances(executor, 1, Duration.ofMinutes(3));

            long decisionAt = -1;
            Matcher up = SCALE_UP.matcher(BenchHttp.get(gateway + "/api/metrics/scaling/history?limit=20"));
            while (up.find()) {
                Instant at = Instant.parse(up.group(3));
                if (!at.isBefore(step)) {
                    decisionAt = Duration.between(step, at).toMillis();
                }
            }
            long consumingAt = Long.MAX_VALUE;
            Matcher run = EXECUTION.matcher(BenchHttp.get(gateway + "/api/functions/" + id + "/logs?limit=" + burst));
            while (run.find()) {
                Instant started = Instant.parse(run.group(2));
                if (!run.group(1).equals(original) && !started.isBefore(step)) {
                    consumingAt = Math.min(consumingAt, Duration.between(step, started).toMillis());
                }
            }
            System.out.printf("round %d: scale-up decided after %d ms, threads running after %d ms, "
                    + "first invocation on a new instance after %d ms%n", round, decisionAt, threadsAt, consumingAt);
            toDecision.add(decisionAt);
            toThreads.add(threadsAt);
            toConsuming.add(consumingAt);
        }
        System.out.printf("median of %d rounds: decision %d ms, threads %d ms, consuming %d ms%n", rounds,
                median(toDecision), median(toThreads), median(toConsuming));
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get(sorted.size() / 2);
    }

    private static int instances(String executor) throws Exception {
        Matcher m = INSTANCES.matcher(BenchHttp.get(executor + "/actuator/prometheus"));
        return m.find() ? (int) Double.parseDouble(m.group(1)) : -1;
    }

    private static void awaitInstances(String executor, int wanted, Duration patience) throws Exception {
        long deadline = System.nanoTime() + patience.toNanos();
        while (instances(executor) != wanted) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the executor did not come back to " + wanted + " instance(s); start it"
                        + " with EXECUTOR_INSTANCES=1 S3C_SCALER_SCALE_DOWN_AFTER=5s ./run-local.sh");
            }
            Thread.sleep(200);
        }
    }
}
