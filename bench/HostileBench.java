import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Latency of a well-behaved function (sync, 16 concurrent callers) without and then with hostile functions
 * invoked beside it: an infinite loop (cut at its 1 s timeout), runaway recursion and a memory churner.
 *
 *   java bench/HostileBench.java [gatewayUrl] [calls] [hostilePerSecond]
 */
public class HostileBench {


    public static void main(String[] args) throws Exception {
        String gateway = args.length > 0 ? args[0] : "http://localhost:8080";
        int calls = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        double hostilePerSecond = args.length > 2 ? Double.parseDouble(args[2]) : 2;

        String echo = BenchHttp.function(gateway, "bench-echo", "function handler(input) { return input; }", 30000);
        List<String> hostile = List.of(
                BenchHttp.function(gateway, "bench-hostile-loop", "while (true) {}", 1000),
                BenchHttp.function(gateway, "bench-hostile-recursion", "function r() { return r() + 1; } return r();", 5000),
                BenchHttp.function(gateway, "bench-hostile-churn",
                        "let a = []; for (let i = 0; i < 200000; i++) { a.push({ i }); if (a.length > 1000) a = []; } return 1;",
                        5000));
        measure(gateway, echo, 3000); // warm-up
        Result quiet = measure(gateway, echo, calls);
        System.out.printf("alone:        %s%n", quiet);

        ScheduledExecutorService load = Executors.newSingleThreadScheduledExecutor();
        int[] next = {0};
        load.scheduleAtFixedRate(() -> BenchHttp.post(gateway + "/api/functions/" + hostile.get(next[0]++ % hostile.size())
                + "/execute?mode=async", "{}"), 0, (long) (1000 / hostilePerSecond), TimeUnit.MILLISECONDS);
        Thread.sleep(3000);
        Result noisy = measure(gateway, echo, calls);
        load.shutdownNow();
        System.out.printf("with hostile: %s (%.1f hostile invocations/s: loop, recursion, churn)%n", noisy,
                hostilePerSecond);
    }

    record Result(int calls, double p50, double p95, double p99, int wrong) {
        @Override
        public String toString() {
            return String.format("%d sync calls, p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, %d wrong results", calls, p50,
                    p95, p99, wrong);
        }
    }

    private static Result measure(String gateway, String id, int calls) throws Exception {
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        int[] wrong = {0};
        Semaphore slots = new Semaphore(16);
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
            slots.acquire();
            long t0 = System.nanoTime();
            int n = i;
            all.add(BenchHttp.post(gateway + "/api/functions/" + id + "/execute", "{\"input\":{\"i\":" + n + "}}")
                    .thenAccept(r -> {
                        latencies.add(System.nanoTime() - t0);
                        if (r.statusCode() != 200 || !r.body().contains("\"output\":{\"i\":" + n + "}")) {
                            synchronized (wrong) {
                                wrong[0]++;
                            }
                        }
                    })
                    .whenComplete((r, e) -> slots.release()));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        return new Result(calls, BenchHttp.pct(sorted, 50), BenchHttp.pct(sorted, 95), BenchHttp.pct(sorted, 99), wrong[0]);
    }



}
