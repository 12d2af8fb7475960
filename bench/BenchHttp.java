import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the bench programs share: the HTTP client, creating a function, percentiles. */
final class BenchHttp {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** The platform's API key: S3C_API_KEY, else the one the local run keeps in data/api-key. */
    static final String API_KEY = apiKey();

    private BenchHttp() {
    }

    private static String apiKey() {
        String given = System.getenv("S3C_API_KEY");
        if (given != null && !given.isBlank()) {
            return given.split(",")[0].strip();
        }
        try {
            String dataDir = System.getenv("S3C_DATA_DIR");
            Path dir = dataDir == null || dataDir.isBlank() || dataDir.equals("memory") ? Path.of("data") : Path.of(dataDir);
            return Files.readString(dir.resolve("api-key")).strip();
        } catch (IOException e) {
            throw new IllegalStateException("no API key: set S3C_API_KEY or run from the directory of ./run-local.sh "
                    + "(it keeps its key in data/api-key)", e);
        }
    }

    private static HttpRequest.Builder request(String url) {
        return HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + API_KEY);
    }

    static String get(String url) throws Exception {
        return HTTP.send(request(url).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    static void delete(String url) throws Exception {
        HTTP.send(request(url).DELETE().build(), HttpResponse.BodyHandlers.discarding());
    }

    static CompletableFuture<HttpResponse<String>> post(String url, String json) {
        return HTTP.sendAsync(request(url).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Creates the function (an existing one of that name is kept) and returns its id. */
    static String function(String gateway, String name, String code, int timeoutMs) throws Exception {
        return function(gateway, name, code, timeoutMs, 0);
    }

    static String function(String gateway, String name, String code, int timeoutMs, int retries) throws Exception {
        return function(gateway, name, code, timeoutMs, retries, "");
    }

    /** @param moreConfig more of {@code config}'s fields, as JSON that follows the others: {@code ,"http":"public"} */
    static String function(String gateway, String name, String code, int timeoutMs, int retries, String moreConfig)
            throws Exception {
        HttpResponse<String> created = post(gateway + "/api/functions", "{\"name\":\"" + name + "\",\"code\":\""
                + code.replace("\"", "\\\"") + "\",\"config\":{\"timeoutMs\":" + timeoutMs + ",\"retryCount\":"
                + retries + moreConfig + "}}").join();
        if (created.statusCode() != 201 && created.statusCode() != 409) {
            throw new IllegalStateException("cannot create " + name + ": " + created.body());
        }
        String page = get(gateway + "/api/functions?name=" + name);
        Matcher m = Pattern.compile("\"id\":\"([0-9a-f]{24})\"").matcher(page);
        if (!m.find()) {
            throw new IllegalStateException("no function " + name + " in " + page);
        }
        return m.group(1);
    }

    /** The sum of a metric's series in Prometheus text, those whose labels contain {@code labels} (empty: all). */
    static double metricSum(String prometheusText, String metric, String labels) {
        Matcher m = Pattern.compile("(?m)^" + metric + "(\\{[^}]*})? ([0-9.eE+]+)").matcher(prometheusText);
        double sum = 0;
        while (m.find()) {
            if (labels.isEmpty() || (m.group(1) != null && m.group(1).contains(labels))) {
                sum += Double.parseDouble(m.group(2));
            }
        }
        return sum;
    }

    /** Latencies of sync calls of one function. */
    record SyncLatency(int calls, double p50, double p95, double p99, int wrong) {
        @Override
        public String toString() {
            return String.format("%d sync calls, p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, %d wrong results", calls, p50,
                    p95, p99, wrong);
        }
    }

    /**
     * {@code calls} sync calls of an echo function from 16 concurrent callers, each with its own input: a call is
     * wrong unless it answered 200 with that input as its output.
     */
    static SyncLatency syncLatency(String gateway, String id, int calls) throws Exception {
        List<Long> latencies = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        int[] wrong = {0};
        java.util.concurrent.Semaphore slots = new java.util.concurrent.Semaphore(16);
        List<CompletableFuture<?>> all = new java.util.ArrayList<>();
        for (int i = 0; i < calls; i++) {
            slots.acquire();
            long t0 = System.nanoTime();
            int n = i;
            all.add(post(gateway + "/api/functions/" + id + "/execute", "{\"input\":{\"i\":" + n + "}}")
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
        List<Long> sorted = new java.util.ArrayList<>(latencies);
        java.util.Collections.sort(sorted);
        return new SyncLatency(calls, pct(sorted, 50), pct(sorted, 95), pct(sorted, 99), wrong[0]);
    }

    /** The p-th percentile of sorted nanoseconds, in milliseconds. */
    static double pct(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int i = (int) Math.min(sorted.size() - 1, Math.ceil(p / 100.0 * sorted.size()) - 1);
        return sorted.get(Math.max(0, i)) / 1e6;
    }
}
