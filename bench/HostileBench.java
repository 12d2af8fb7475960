import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
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
        BenchHttp.syncLatency(gateway, echo, 3000); // warm-up
        BenchHttp.SyncLatency quiet = BenchHttp.syncLatency(gateway, echo, calls);
        System.out.printf("alone:        %s%n", quiet);

        ScheduledExecutorService load = Executors.newSingleThreadScheduledExecutor();
        int[] next = {0};
        load.scheduleAtFixedRate(() -> BenchHttp.post(gateway + "/api/functions/" + hostile.get(next[0]++ % hostile.size())
                + "/execute?mode=async", "{}"), 0, (long) (1000 / hostilePerSecond), TimeUnit.MILLISECONDS);
        Thread.sleep(3000);
        BenchHttp.SyncLatency noisy = BenchHttp.syncLatency(gateway, echo, calls);
        load.shutdownNow();
        System.out.printf("with hostile: %s (%.1f hostile invocations/s: loop, recursion, churn)%n", noisy,
                hostilePerSecond);
    }

}
