import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Load generator for a running platform (./run-local.sh): throughput of async invocations of a trivial function,
 * counted where they complete (the executor's s3c_executor_invocations_total), and latency of sync invocations.
 *
 *   java [-Dwarmup=30000] [-Dsequential=500] bench/Bench.java [gatewayUrl] [executorUrl] [asyncCount] [concurrency] [syncCount]
 */
public class Bench {


    public static void main(String[] args) throws Exception {
        String gateway = arg(args, 0, "http://localhost:8080");
        String executor = arg(args, 1, "http://localhost:8081");
        int count = Integer.parseInt(arg(args, 2, "20000"));
        int concurrency = Integer.parseInt(arg(args, 3, "256"));
        int syncCount = Integer.parseInt(arg(args, 4, "2000"));

        String id = BenchHttp.function(gateway, "bench-echo", "function handler(input) { return input; }", 30000);
        // the JVM's and GraalJS's JITs need tens of seconds of CPU on two cores before numbers mean anything
        int warmup = Integer.parseInt(System.getProperty("warmup", "30000"));
        runAsync(gateway, id, warmup, concurrency);
        awaitCompleted(executor, completed(executor) , 0);

        double before = completed(executor);
        long start = System.nanoTime();
        int accepted = runAsync(gateway, id, count, concurrency);
        double acceptSeconds = (System.nanoTime() - start) / 1e9;
        awaitCompleted(executor, before, count);
        double totalSeconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("async: %d accepted in %.2f s (%.0f/s accepted), all %d completed in %.2f s (%.0f/s completed)%n",
                accepted, acceptSeconds, accepted / acceptSeconds, count, totalSeconds, count / totalSeconds);

        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        Semaphore slots = new Semaphore(16);
        List<CompletableFuture<?>> calls = new ArrayList<>();
        long syncStart = System.nanoTime();
        for (int i = 0; i < syncCount; i++) {
            slots.acquire();
            long t0 = System.nanoTime();
            calls.add(BenchHttp.post(gateway + "/api/functions/" + id + "/execute", "{\"input\":{\"i\":" + i + "}}")
                    .thenAccept(r -> {
                        if (r.statusCode() != 200) {
                            throw new IllegalStateException("sync call answered " + r.statusCode() + ": " + r.body());
                        }
                        latencies.add(System.nanoTime() - t0);
                    })
                    .whenComplete((r, e) -> slots.release()));
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
        double syncSeconds = (System.nanoTime() - syncStart) / 1e9;
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        System.out.printf("sync: %d calls, 16 concurrent, %.0f/s; latency p50 %.1f ms, p95 %.1f ms, p99 %.1f ms%n",
                syncCount, syncCount / syncSeconds, BenchHttp.pct(sorted, 50), BenchHttp.pct(sorted, 95), BenchHttp.pct(sorted, 99));

        // one caller at a time: what a single call waits for on an otherwise idle platform
        int sequential = Integer.parseInt(System.getProperty("sequential", "500"));
        List<Long> alone = new ArrayList<>(sequential);
        for (int i = 0; i < sequential; i++) {
            long t0 = System.nanoTime();
            var r = BenchHttp.post(gateway + "/api/functions/" + id + "/execute", "{\"input\":{\"i\":" + i + "}}").join();
            if (r.statusCode() != 200) {
                throw new IllegalStateException("sync call answered " + r.statusCode() + ": " + r.body());
            }
            alone.add(System.nanoTime() - t0);
        }
        Collections.sort(alone);
        System.out.printf("sync: %d calls, one at a time; latency p50 %.1f ms, p95 %.1f ms, p99 %.1f ms%n",
                sequential, BenchHttp.pct(alone, 50), BenchHttp.pct(alone, 95), BenchHttp.pct(alone, 99));
    }

    private static int runAsync(String gateway, String id, int count, int concurrency) throws InterruptedException {
        Semaphore slots = new Semaphore(concurrency);
        AtomicInteger accepted = new AtomicInteger();
        List<CompletableFuture<?>> calls = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            slots.acquire();
            calls.add(BenchHttp.post(gateway + "/api/functions/" + id + "/execute?mode=async", "{\"input\":{\"i\":" + i + "}}")
                    .thenAccept(r -> {
                        if (r.statusCode() == 202) {
                            accepted.incrementAndGet();
                        } else {
                            throw new IllegalStateException("async call answered " + r.statusCode() + ": " + r.body());
                        }
                    })
                    .whenComplete((r, e) -> slots.release()));
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
        return accepted.get();
    }

    private static void awaitCompleted(String executor, double before, int count) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        double last = -1;
        while (System.nanoTime() < deadline) {
            double now = completed(executor);
            if (now - before >= count && now == last) {
                return;
            }
            last = now;
            Thread.sleep(50);
        }
        throw new IllegalStateException("not all invocations completed in 10 minutes");
    }

    /** Sum of s3c_executor_invocations_total over all statuses. */
    private static double completed(String executor) throws Exception {
        return BenchHttp.metricSum(BenchHttp.get(executor + "/actuator/prometheus"), "s3c_executor_invocations_total", "");
    }




    private static String arg(String[] args, int i, String fallback) {
        return args.length > i ? args[i] : fallback;
    }
}
