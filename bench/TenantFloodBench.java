import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One tenant's flood beside another tenant: the default tenant's well-behaved function (sync, 16 concurrent
 * callers) alone, then while a second tenant floods the platform with async invocations of a function that spins
 * 100 ms of CPU per run (under the slow lane's threshold, so it stays with the fast instances), more than the CPUs
 * can run. The flooding tenant is made with the admin key (data/admin-key or S3C_ADMIN_KEY), with the concurrency
 * limit given (0: none), and removed at the end with its function (what it still had queued ends rejected).
 *
 *   java bench/TenantFloodBench.java [gatewayUrl] [calls] [floodPerSecond] [flooderConcurrency]
 */
public class TenantFloodBench {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    public static void main(String[] args) throws Exception {
        String gateway = args.length > 0 ? args[0] : "http://localhost:8080";
        int calls = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        double floodPerSecond = args.length > 2 ? Double.parseDouble(args[2]) : 40;
        int concurrency = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        String admin = key("S3C_ADMIN_KEY", "admin-key");

        String echo = BenchHttp.function(gateway, "bench-echo", "function handler(input) { return input; }", 30000);
        String tenant = "bench-flood-" + Long.toString(System.currentTimeMillis(), 36);
        String limits = "{\"invocationsPerSecond\":null" + (concurrency > 0 ? ",\"concurrentExecutions\":" + concurrency
                : "") + "}";
        HttpResponse<String> made = send(admin, "POST", gateway + "/api/tenants", "{\"id\":\"" + tenant
                + "\",\"limits\":" + limits + "}");
        if (made.statusCode() != 201) {
            throw new IllegalStateException("cannot create tenant " + tenant + ": " + made.body());
        }
        String flooderKey = field(made.body(), "key\":\\{[^}]*\"key\":\"([^\"]+)\"");
        HttpResponse<String> fn = send(flooderKey, "POST", gateway + "/api/functions", "{\"name\":\"spin\","
                + "\"code\":\"function handler(input) { const end = Date.now() + 100; while (Date.now() < end) {} "
                + "return input.i; }\",\"config\":{\"timeoutMs\":30000,\"retryCount\":0}}");
        if (fn.statusCode() != 201) {
            throw new IllegalStateException("cannot create the flooder's function: " + fn.body());
        }
        String spin = field(fn.body(), "\"id\":\"([0-9a-f]{24})\"");

        BenchHttp.syncLatency(gateway, echo, 3000); // warm-up
        BenchHttp.SyncLatency quiet = BenchHttp.syncLatency(gateway, echo, calls);
        System.out.printf("alone:      %s%n", quiet);

        ScheduledExecutorService load = Executors.newSingleThreadScheduledExecutor();
        AtomicInteger sent = new AtomicInteger();
        load.scheduleAtFixedRate(() -> send(flooderKey, gateway + "/api/functions/" + spin + "/execute?mode=async",
                "{\"input\":{\"i\":" + sent.incrementAndGet() + "}}"), 0, (long) (1_000_000 / floodPerSecond),
                TimeUnit.MICROSECONDS);
        Thread.sleep(3000);
        BenchHttp.SyncLatency noisy = BenchHttp.syncLatency(gateway, echo, calls);
        load.shutdownNow();
        System.out.printf("beside the flood: %s (tenant %s: %d async invocations of 100 ms of CPU sent at %.0f/s, "
                + "concurrency limit %s)%n", noisy, tenant, sent.get(), floodPerSecond,
                concurrency > 0 ? String.valueOf(concurrency) : "none");
        System.out.printf("p99 beside / alone: %.2f%n", noisy.p99() / quiet.p99());

        send(flooderKey, "DELETE", gateway + "/api/functions/" + spin, null);
        send(admin, "DELETE", gateway + "/api/tenants/" + tenant, null);
    }

    /** Fire and forget: the flood's answers are not waited for. */
    private static void send(String key, String url, String json) {
        HTTP.sendAsync(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.discarding());
    }

    private static HttpResponse<String> send(String key, String method, String url, String json) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + key)
                .timeout(Duration.ofSeconds(30));
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
        request.method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(json));
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String field(String body, String pattern) {
        Matcher m = Pattern.compile(pattern).matcher(body);
        if (!m.find()) {
            throw new IllegalStateException("no " + pattern + " in " + body);
        }
        return m.group(1);
    }

    /** The variable's first key, else the one the local run keeps in its data directory. */
    private static String key(String variable, String file) throws Exception {
        String given = System.getenv(variable);
        if (given != null && !given.isBlank()) {
            return given.split(",")[0].strip();
        }
        String dataDir = System.getenv("S3C_DATA_DIR");
        Path dir = dataDir == null || dataDir.isBlank() || dataDir.equals("memory") ? Path.of("data") : Path.of(dataDir);
        return Files.readString(dir.resolve(file)).strip();
    }
}
