import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * The bench command (bench/run.sh): named scenarios against a running platform (./run-local.sh), one table at the
 * end with the machine and the commit; {@code -Dmarkdown=FILE} also writes it as Markdown.
 *
 * <pre>
 *   bench/run.sh [scenario ...]      (default: all, in this order)
 *   warmup     async, sync and CPU-heavy load and new functions' first calls (-DwarmupCold=100) (-Dwarmup=seconds, default
 *              60), then async load until the JITs use under 5% of the platform's CPU (-DwarmupMax=seconds, default 300)
 *   echo       POST /api/echo, 64 connections: the same gateway's web stack without the pipeline (the baseline)
 *   async      async execute, 256 callers; counted where users read it: finished and stored
 *   sync-1     sync execute, one caller at a time
 *   sync-hops  sync execute, one caller at a time: where a call's time goes, from the execution's own timestamps
 *   sync-open  sync execute, open loop at 50, 200 and 500/s: latency from each call's due time (no coordinated omission);
 *              at 500/s also where the time went, hop by hop, as in sync-hops
 *   sync-64    sync execute, 64 connections; also hop by hop, and where the platform's CPU goes (as for async)
 *   cold       the first call of new functions, end to end
 *   cpu        a CPU-heavy function (fib(24)), 4 callers
 *   mixed      async, 128 callers: 80% echo, 10% failing then retried, 10% failing into dead letters
 * </pre>
 * Each load runs -Dseconds (default 20). URLs: GATEWAY_URL, GATEWAY_ACTUATOR_URL (the gateway's port + 4, as in the
 * local run), EXECUTOR_URL, MONITOR_URL (localhost:8080..8082). The
 * platform's CPU time is read from its process when it runs on this machine (the local-cluster JVM).
 */
public class Bench {

    static final String ECHO = "function handler(input) { return input; }";
    static final String FIB = "function handler(input) { function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); } "
            + "return { fib: fib(input.n) }; }";
    /** Answers a function URL's call with the body it was sent. */
    static final String URL_ECHO = "function handler(request) { return { statusCode: 200, "
            + "headers: { 'Content-Type': 'application/json' }, body: request.body }; }";
    static final String FLAKY = "function handler(input) { if (Math.random() < 0.5) throw new Error('flaky'); return input; }";
    static final String FAILING = "function handler(input) { throw new Error('always'); }";

    final String gateway;
    /** The gateway's actuator: a port of its own, not the API's. */
    final String gatewayActuator;
    final String executor;
    final String monitor;
    final Duration seconds = Duration.ofSeconds(Integer.getInteger("seconds", 20));
    final long pid = platformPid();
    final List<Row> rows = new ArrayList<>();
    final LoadClient load;
    String echoFunction;

    Bench(String gateway, String gatewayActuator, String executor, String monitor) {
        this.gateway = gateway;
        this.gatewayActuator = gatewayActuator;
        this.executor = executor;
        this.monitor = monitor;
        this.load = new LoadClient(gateway);
    }

    record Row(String scenario, String load, String rate, String p50, String p99, String note) {
    }

    public static void main(String[] args) throws Exception {
        String gateway = env("GATEWAY_URL", "http://localhost:8080");
        URI api = URI.create(gateway);
        var bench = new Bench(gateway, env("GATEWAY_ACTUATOR_URL", api.getScheme() + "://" + api.getHost() + ":"
                + (api.getPort() + 4)), env("EXECUTOR_URL", "http://localhost:8081"),
                env("MONITOR_URL", "http://localhost:8082"));
        List<String> scenarios = args.length == 0
                ? List.of("warmup", "echo", "async", "sync-1", "url-1", "sync-hops", "sync-open", "sync-64", "cold", "cpu",
                        "mixed")
                : Arrays.asList(args);
        bench.echoFunction = BenchHttp.function(bench.gateway, "bench-echo", ECHO, 30000);
        for (String scenario : scenarios) {
            log("%s ...", scenario);
            switch (scenario) {
                case "warmup" -> bench.warmup();
                case "echo" -> bench.echo();
                case "async" -> bench.async();
                case "sync-1" -> bench.syncOne();
                case "url-1" -> bench.urlOne();
                case "sync-hops" -> bench.syncHops();
                case "sync-open" -> bench.syncOpen();
                case "sync-64" -> bench.syncClosed(64);
                case "cold" -> bench.cold();
                case "cpu" -> bench.cpu();
                case "mixed" -> bench.mixed();
                default -> throw new IllegalArgumentException("unknown scenario " + scenario);
            }
        }
        String table = bench.table();
        System.out.println(table);
        String markdown = System.getProperty("markdown");
        if (markdown != null) {
            Files.writeString(Path.of(markdown), table);
        }
    }

    // ---- scenarios

    void warmup() throws Exception {
        Duration time = Duration.ofSeconds(Integer.getInteger("warmup", 60));
        closed(128, time.multipliedBy(3).dividedBy(4), i -> executeAsync(echoFunction, i));
        closed(16, time.dividedBy(8), i -> execute(echoFunction, i));
        // the CPU-heavy scenario's function too: GraalJS compiles it once it is hot
        String fib = BenchHttp.function(gateway, "bench-fib", FIB, 30000);
        closed(2, time.dividedBy(8), i -> load.post("/api/functions/" + fib + "/execute", "{\"input\":{\"n\":24}}"));
        // and new functions' first calls: a platform that has run a while has created contexts many times, and the
        // JITs compile GraalJS's context creation only once it is hot (a JVM a few minutes old took twice as long)
        coldStarts(Integer.getInteger("warmupCold", 100), new Histogram(3));
        untilTheJitsAreDone();
        settle();
    }

    /**
     * Then async load in 15 s rounds until the JITs' threads use under 5% of the platform's CPU in a round (for
     * -DwarmupMax seconds more at most, 300, give or take a round). The platform's JVM holds the broker, the store and
     * five services, and its C2 was still compiling their paths two minutes in, at a tenth of the CPU; what is
     * measured is the platform as it runs for hours, and each row's CPU split still shows the JITs' share.
     */
    void untilTheJitsAreDone() throws Exception {
        if (pid < 0) {
            return;
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(Integer.getInteger("warmupMax", 300)).toNanos();
        while (System.nanoTime() < deadline) {
            Map<String, Double> before = threadCpu(pid);
            Duration platformBefore = cpuOf(pid);
            closed(128, Duration.ofSeconds(15), i -> executeAsync(echoFunction, i));
            Map<String, Double> after = threadCpu(pid);
            double jit = 0;
            for (var thread : after.entrySet()) {
                if (isJit(thread.getKey())) {
                    jit += thread.getValue() - before.getOrDefault(thread.getKey(), 0.0);
                }
            }
            // HotSpot stops idle compiler threads: one that ended took its CPU with it, so the round says nothing
            boolean compilerThreadEnded = before.keySet().stream().anyMatch(t -> isJit(t) && !after.containsKey(t));
            double platform = cpuOf(pid).minus(platformBefore).toNanos() / 1e6;
            if (platform <= 0) {
                return;
            }
            log("warmup: the JITs used %.0f%% of the platform's CPU in the last 15 s%s", 100 * jit / platform,
                    compilerThreadEnded ? " (and a compiler thread ended: once more)" : "");
            if (jit < 0.05 * platform && !compilerThreadEnded) {
                return;
            }
        }
        log("warmup: the JITs were still compiling after -DwarmupMax seconds; measuring anyway");
    }

    /** A thread of {@link #threadCpu}, named with its id, is a JIT compiler's. */
    private boolean isJit(String threadAndId) {
        return part(threadAndId.substring(0, threadAndId.lastIndexOf('@'))).equals("JIT");
    }

    void echo() throws Exception {
        Cpu cpu = cpuFromNow();
        Result r = closed(64, seconds, i -> load.post("/api/echo", input(i)));
        rows.add(new Row("echo (baseline)", "64 connections", perSecond(r.ok, r.seconds), ms(r.latency, 50),
                ms(r.latency, 99), cpu.perCall(r.ok) + errors(r)));
    }

    void async() throws Exception {
        settle();
        Cpu cpu = cpuFromNow();
        Map<String, Double> threads0 = threadCpu(pid);
        Writes writes0 = writes();
        double stored0 = stored();
        long start = System.nanoTime();
        Result r = closed(256, seconds, i -> executeAsync(echoFunction, i));
        double storedSeconds = awaitStored(stored0 + r.ok, start);
        cpuByScenario.put("async execute, 256 callers", byService(threads0, threadCpu(pid), cpu, r.ok));
        rows.add(new Row("async execute", "256 callers", perSecond(r.ok, storedSeconds) + " finished and stored",
                ms(r.latency, 50), ms(r.latency, 99), "accepted " + perSecond(r.ok, r.seconds) + " (latency: to 202); "
                + String.join("; ", java.util.stream.Stream.of(cpu.perCall(r.ok), writes().since(writes0))
                        .filter(part -> !part.isEmpty()).toList()) + errors(r)));
    }

    void syncOne() throws Exception {
        settle();
        oneAtATime("sync execute", i -> execute(echoFunction, i));
    }

    /**
     * A public function URL, one call at a time, without a key: what a webhook sender or a browser waits for, beside
     * sync-1's execute of the same kind of function (its first calls, a cold start, are not counted).
     */
    void urlOne() throws Exception {
        String url = "/fn/" + BenchHttp.function(gateway, "bench-url", URL_ECHO, 30000, 0, ",\"http\":\"public\"")
                + "/hook";
        for (int i = 0; i < 20; i++) {
            load.postWithoutKey(url, input(i));
        }
        settle();
        oneAtATime("function URL (POST, no key)", i -> load.postWithoutKey(url, input(i)));
    }

    /** {@code -Dsequential} calls (500), one after the other, each timed from its send to its answer. */
    private void oneAtATime(String scenario, Call call) throws Exception {
        int count = Integer.getInteger("sequential", 500);
        Histogram latency = new Histogram(3);
        int failed = 0;
        for (int i = 0; i < count; i++) {
            long t0 = System.nanoTime();
            LoadClient.Response response = call.apply(i);
            latency.recordValue((System.nanoTime() - t0) / 1000);
            failed += response.status() == 200 ? 0 : 1;
        }
        rows.add(new Row(scenario, "1 caller", "-", ms(latency, 50), ms(latency, 99),
                "p95 " + ms(latency, 95) + (failed > 0 ? "; " + failed + " not 200" : "")));
    }

    /**
     * One call at a time, split by the execution's timestamps (same clock: client and platform on this machine):
     * accept (client send to the gateway's requestedAt), to the run (publish and the executor's poll), the run, and
     * back (the executor's transaction, the gateway's read of the result and the reply).
     */
    void syncHops() throws Exception {
        settle();
        int count = Integer.getInteger("sequential", 500);
        Hops hops = new Hops();
        Histogram whole = new Histogram(3);
        for (int i = 0; i < count; i++) {
            int call = i;
            long t0 = System.nanoTime();
            LoadClient.Response response = hops.timed(() -> execute(echoFunction, call));
            if (response.status() == 200) {
                whole.recordValue((System.nanoTime() - t0) / 1000);
            }
        }
        hops.addRows(rows, "sync execute, 1 caller");
        rows.add(new Row("sync execute, 1 caller: whole call", "hop all", "-", ms(whole, 50), ms(whole, 99), ""));
    }

    static long micros(String body, String field) {
        int at = body.indexOf("\"" + field + "\":\"");
        String text = body.substring(at + field.length() + 4, body.indexOf('"', at + field.length() + 4));
        return epochMicros(java.time.Instant.parse(text));
    }

    static long epochMicros(java.time.Instant instant) {
        return instant.getEpochSecond() * 1_000_000 + instant.getNano() / 1000;
    }

    /** Where answered sync calls' time went, hop by hop, from the executions' own timestamps. */
    static final class Hops {
        static final String[] NAMES = {"accept", "publish and poll", "run", "commit, result read and reply"};
        final ConcurrentHistogram[] hops = new ConcurrentHistogram[NAMES.length];

        Hops() {
            for (int h = 0; h < hops.length; h++) {
                hops[h] = new ConcurrentHistogram(3);
            }
        }

        /** A call timed from its send (not its due time) to its answer. */
        LoadClient.Response timed(java.util.concurrent.Callable<LoadClient.Response> call) throws Exception {
            long sent = epochMicros(java.time.Instant.now());
            LoadClient.Response response = call.call();
            long answered = epochMicros(java.time.Instant.now());
            if (response.status() == 200) {
                long[] at = {sent, micros(response.body(), "requestedAt"), micros(response.body(), "startedAt"),
                        micros(response.body(), "finishedAt"), answered};
                for (int h = 0; h < hops.length; h++) {
                    hops[h].recordValue(Math.max(0, at[h + 1] - at[h]));
                }
            }
            return response;
        }

        void addRows(List<Row> rows, String scenario) {
            for (int h = 0; h < NAMES.length; h++) {
                rows.add(new Row(scenario + ": " + NAMES[h], "hop " + (h + 1), "-", ms(hops[h], 50), ms(hops[h], 99),
                        ""));
            }
        }
    }

    void syncOpen() throws Exception {
        for (int rate : new int[] {50, 200, 500}) {
            settle();
            Hops hops = new Hops();
            Result r = open(rate, seconds, i -> hops.timed(() -> execute(echoFunction, i)));
            rows.add(new Row("sync execute", "open loop " + rate + "/s", perSecond(r.ok, r.seconds), ms(r.latency, 50),
                    ms(r.latency, 99), "from each call's due time" + errors(r)));
            if (rate == 500) {
                hops.addRows(rows, "sync execute, open loop " + rate + "/s");
            }
        }
    }

    void syncClosed(int connections) throws Exception {
        settle();
        Cpu cpu = cpuFromNow();
        Map<String, Double> threads0 = threadCpu(pid);
        Hops hops = new Hops();
        Result r = closed(connections, seconds, i -> hops.timed(() -> execute(echoFunction, i)));
        cpuByScenario.put("sync execute, " + connections + " connections", byService(threads0, threadCpu(pid), cpu,
                r.ok));
        rows.add(new Row("sync execute", connections + " connections", perSecond(r.ok, r.seconds), ms(r.latency, 50),
                ms(r.latency, 99), cpu.perCall(r.ok) + errors(r)));
        hops.addRows(rows, "sync execute, " + connections + " connections");
    }

    void cold() throws Exception {
        settle();
        int count = Integer.getInteger("cold", 30);
        Histogram latency = new Histogram(3);
        int failed = coldStarts(count, latency);
        rows.add(new Row("cold start", count + " new functions, first call each", "-", ms(latency, 50),
                ms(latency, 99), "created, then called sync" + (failed > 0 ? "; " + failed + " not a cold 200" : "")));
    }

    /** Creates {@code count} new functions, calls each once (its first call into {@code latency}), deletes them. */
    private int coldStarts(int count, Histogram latency) throws Exception {
        String prefix = "bench-cold-" + Long.toString(System.currentTimeMillis(), 36) + "-";
        int failed = 0;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            // a new function each time: its definition reaches the executors, the first call compiles it
            String id = BenchHttp.function(gateway, prefix + i, "function handler(input) { return { n: input.n * " + i
                    + " }; }", 30000);
            ids.add(id);
            long t0 = System.nanoTime();
            LoadClient.Response response = execute(id, i);
            latency.recordValue((System.nanoTime() - t0) / 1000);
            failed += response.status() == 200 && response.body().contains("\"coldStart\":true") ? 0 : 1;
        }
        for (String id : ids) {
            BenchHttp.delete(gateway + "/api/functions/" + id);
        }
        return failed;
    }

    void cpu() throws Exception {
        settle();
        String id = BenchHttp.function(gateway, "bench-fib", FIB, 30000);
        Cpu cpu = cpuFromNow();
        Result r = closed(4, seconds, i -> load.post("/api/functions/" + id + "/execute", "{\"input\":{\"n\":24}}"));
        rows.add(new Row("CPU-heavy: fib(24) sync", "4 callers", perSecond(r.ok, r.seconds), ms(r.latency, 50),
                ms(r.latency, 99), cpu.perCall(r.ok) + errors(r)));
    }

    void mixed() throws Exception {
        settle();
        String flaky = BenchHttp.function(gateway, "bench-flaky", FLAKY, 30000, 3);
        String failing = BenchHttp.function(gateway, "bench-failing", FAILING, 30000, 1);
        double retries0 = metric(executor, "s3c_executor_retries_total");
        double dead0 = metric(executor, "s3c_executor_dead_letters_total");
        double stored0 = stored();
        long start = System.nanoTime();
        Result r = closed(128, seconds, i -> executeAsync(i % 10 == 8 ? flaky : i % 10 == 9 ? failing : echoFunction, i));
        double storedSeconds = awaitStored(stored0 + r.ok, start);
        rows.add(new Row("mixed async (80% echo, 10% retried, 10% dead-lettered)", "128 callers",
                perSecond(r.ok, storedSeconds) + " finished and stored", ms(r.latency, 50), ms(r.latency, 99),
                String.format("%.0f retries, %.0f dead letters%s", metric(executor, "s3c_executor_retries_total") - retries0,
                        metric(executor, "s3c_executor_dead_letters_total") - dead0, errors(r))));
    }

    // ---- load shapes

    record Result(long ok, long failed, double seconds, Histogram latency) {
    }

    /** One call of a load; the i-th call's answer. */
    interface Call {
        LoadClient.Response apply(int i) throws Exception;
    }

    /**
     * N callers, each on its own virtual thread and keep-alive connection, sends its next call when its last one is
     * answered; latency from send to answer.
     */
    static Result closed(int callers, Duration time, Call call) {
        ConcurrentHistogram latency = new ConcurrentHistogram(3);
        AtomicLong ok = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicInteger next = new AtomicInteger();
        long start = System.nanoTime();
        long end = start + time.toNanos();
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < callers; c++) {
                threads.execute(() -> {
                    while (System.nanoTime() < end) {
                        long t0 = System.nanoTime();
                        if (answered(call, next.getAndIncrement())) {
                            latency.recordValue((System.nanoTime() - t0) / 1000);
                            ok.incrementAndGet();
                        } else {
                            failed.incrementAndGet();
                        }
                    }
                });
            }
        }
        return new Result(ok.get(), failed.get(), (System.nanoTime() - start) / 1e9, latency);
    }

    static boolean answered(Call call, int i) {
        try {
            return call.apply(i).status() < 300;
        } catch (Exception e) {
            return false;
        }
    }

    /**
     * Calls go out at a fixed rate whatever the answers do; each call's latency counts from when it was due, so a
     * stall shows in every call it delayed.
     */
    static Result open(int rate, Duration time, Call call) {
        ConcurrentHistogram latency = new ConcurrentHistogram(3);
        AtomicLong ok = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        long start = System.nanoTime();
        long count = rate * time.toSeconds();
        // each call on a virtual thread of its own, a connection from the pool (new ones when all are busy)
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int n = 0; n < count; n++) {
                int i = n;
                long due = start + i * 1_000_000_000L / rate;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                threads.execute(() -> {
                    if (answered(call, i)) {
                        latency.recordValue(Math.max(0, System.nanoTime() - due) / 1000);
                        ok.incrementAndGet();
                    } else {
                        failed.incrementAndGet();
                    }
                });
            }
        }
        // until the last answer: a platform that falls behind shows a rate below the one sent
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Result(ok.get(), failed.get(), seconds, latency);
    }

    // ---- the platform

    LoadClient.Response execute(String function, int i) throws IOException {
        return load.post("/api/functions/" + function + "/execute", input(i));
    }

    LoadClient.Response executeAsync(String function, int i) throws IOException {
        return load.post("/api/functions/" + function + "/execute?mode=async", input(i));
    }

    static String input(int i) {
        return "{\"input\":{\"i\":" + i + ",\"n\":1}}";
    }

    double stored() throws Exception {
        return metric(monitor, "s3c_monitor_results_stored_total");
    }

    /** The monitor's writes of executions: of request and result together, and of either alone. */
    record Writes(double both, double alone) {
        String since(Writes before) {
            double one = both - before.both;
            double executions = one + (alone - before.alone) / 2;
            return executions <= 0 ? "" : String.format("%.0f%% stored in one write", 100 * one / executions);
        }
    }

    Writes writes() throws Exception {
        String page = BenchHttp.get(monitor + "/actuator/prometheus");
        String name = "s3c_monitor_execution_writes_total";
        return new Writes(BenchHttp.metricSum(page, name, "of=\"request and result\""),
                BenchHttp.metricSum(page, name, "of=\"request\"") + BenchHttp.metricSum(page, name, "of=\"result\""));
    }

    double finished() throws Exception {
        return metric(executor, "s3c_executor_invocations_total");
    }

    /**
     * Waits until everything accepted has finished and everything finished is stored: the load before a scenario,
     * retries still waiting included, must not count in it.
     */
    void settle() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (System.nanoTime() < deadline) {
            double finished = finished();
            if (finished >= metric(gatewayActuator, "s3c_gateway_invocations_accepted_total") && stored() >= finished) {
                return;
            }
            Thread.sleep(200);
        }
        log("not settled after 5 minutes: the next scenario's figures include earlier load");
    }

    /** Seconds from start until the stored count reached target (readable by users). */
    double awaitStored(double target, long start) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (stored() < target) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not all accepted invocations were stored within 5 minutes");
            }
            Thread.sleep(50);
        }
        return (System.nanoTime() - start) / 1e9;
    }

    static double metric(String service, String name) throws Exception {
        return BenchHttp.metricSum(BenchHttp.get(service + "/actuator/prometheus"), name, "");
    }

    /** CPU time of the platform's process (all services, broker and store) from now on. */
    record Cpu(long pid, Duration before, Duration loadBefore) {
        String perCall(long calls) {
            if (pid < 0 || calls == 0) {
                return "";
            }
            Duration used = cpuOf(pid).minus(before);
            Duration load = cpuOf(ProcessHandle.current().pid()).minus(loadBefore);
            return String.format("platform %.2f CPU-ms per call (load generator %.2f)", used.toNanos() / 1e6 / calls,
                    load.toNanos() / 1e6 / calls);
        }
    }

    Cpu cpuFromNow() {
        return new Cpu(pid, pid < 0 ? Duration.ZERO : cpuOf(pid), cpuOf(ProcessHandle.current().pid()));
    }

    static Duration cpuOf(long pid) {
        return ProcessHandle.of(pid).flatMap(p -> p.info().totalCpuDuration()).orElse(Duration.ZERO);
    }

    /** The local run's JVM (./run-local.sh), or -Dpid; -1 when the platform runs elsewhere. */
    static long platformPid() {
        if (System.getProperty("pid") != null) {
            return Long.getLong("pid");
        }
        long self = ProcessHandle.current().pid();
        return ProcessHandle.allProcesses()
                .filter(p -> p.pid() != self)
                .filter(p -> p.info().commandLine().map(c -> c.contains("local-cluster-0.1.0-SNAPSHOT-exec.jar"))
                        .orElse(false))
                .mapToLong(ProcessHandle::pid).findFirst().orElse(-1);
    }

    // ---- where the CPU goes

    /** Where the CPU went, by scenario (those that measure it), in the order they ran. */
    final Map<String, Map<String, Double>> cpuByScenario = new LinkedHashMap<>();

    /** CPU-ms of each live thread of the platform's JVM, by name (jcmd Thread.print reports each thread's cpu=). */
    static Map<String, Double> threadCpu(long pid) throws IOException, InterruptedException {
        Map<String, Double> cpu = new LinkedHashMap<>();
        if (pid < 0) {
            return cpu;
        }
        Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid), "Thread.print").start();
        var name = java.util.regex.Pattern.compile("^\"(.*)\" .*?\\[(\\d+)].*? cpu=([0-9.]+)ms");
        var vmThread = java.util.regex.Pattern.compile("^\"(.*)\" .*? cpu=([0-9.]+)ms.* nid=(\\d+)");
        for (String line : new String(jcmd.getInputStream().readAllBytes()).split("\n")) {
            var m = name.matcher(line);
            if (m.find()) {
                cpu.put(m.group(1) + "@" + m.group(2), Double.parseDouble(m.group(3)));
                continue;
            }
            m = vmThread.matcher(line);
            if (m.find()) {
                cpu.put(m.group(1) + "@" + m.group(3), Double.parseDouble(m.group(2)));
            }
        }
        jcmd.waitFor();
        return cpu;
    }

    /** CPU-ms per 1,000 calls by part of the platform; threads gone meanwhile and JVM internals not listed: other. */
    Map<String, Double> byService(Map<String, Double> before, Map<String, Double> after, Cpu cpu, long calls) {
        Map<String, Double> parts = new LinkedHashMap<>();
        for (String part : List.of("gateway", "executor", "monitor", "scaler", "HTTP and Reactor (shared)", "broker",
                "store", "store client", "GC", "JIT", "other")) {
            parts.put(part, 0.0);
        }
        if (pid < 0 || calls == 0) {
            return parts;
        }
        double listed = 0;
        for (var e : after.entrySet()) {
            double used = e.getValue() - before.getOrDefault(e.getKey(), 0.0);
            listed += used;
            parts.merge(part(e.getKey().substring(0, e.getKey().lastIndexOf('@'))), used * 1000 / calls, Double::sum);
        }
        double total = cpuOf(pid).minus(cpu.before()).toNanos() / 1e6;
        parts.merge("other", Math.max(0, total - listed) * 1000 / calls, Double::sum);
        return parts;
    }

    String part(String thread) {
        for (String service : List.of("gateway", "executor", "monitor", "scaler")) {
            // the local run names each service's web event loops after it
            if (thread.startsWith(service + "-http-")) {
                return service;
            }
        }
        if (thread.contains("s3c-gateway")) {
            return "gateway";
        }
        if (thread.matches(".*s3c-(executor|instance|watchdog|retry|running-notices|scale-follower|function-catalog).*")) {
            return "executor";
        }
        if (thread.contains("s3c-monitor") || thread.contains("s3c-retention")) {
            return "monitor";
        }
        if (thread.contains("s3c-scaler")) {
            return "scaler";
        }
        if (thread.matches("(reactor-http-|boundedElastic-|parallel-).*")) {
            // Reactor's schedulers (and Reactor Netty's global loops, elsewhere) serve every service in the JVM
            return "HTTP and Reactor (shared)";
        }
        if (thread.matches("(mongo-server|H2-|MVStore).*")) {
            // the wire server's workers, and H2's threads that serialize and write the store's file
            return "store";
        }
        // s3c-store-client: the MongoDB driver's transport threads (InnocuousThread: the JDK's default group, before)
        if (thread.matches("(AsyncGetter|multiThreadIoEventLoopGroup|InnocuousThread|s3c-store-client|cluster-|MaintenanceTimer).*")) {
            return "store client";
        }
        if (thread.matches("(GC Thread|G1 |VM Thread).*")) {
            return "GC";
        }
        if (thread.matches(".*(CompilerThread|Truffle|JVMCI).*")) {
            return "JIT";
        }
        if (thread.matches("(data-plane-kafka|kafka-|group-coordinator|quorum-controller|raft|ExpirationReaper|share-"
                + "|transaction-log|TxnMarker|AddPartitionsToTxn|controller-|executor-(Fetch|group|share)|persister"
                + "|LogDirFailure|broker-).*")) {
            return "broker";
        }
        return "other";
    }

    // ---- the table

    String table() throws IOException, InterruptedException {
        var os = ManagementFactory.getOperatingSystemMXBean();
        long memory = ((com.sun.management.OperatingSystemMXBean) os).getTotalMemorySize();
        StringBuilder out = new StringBuilder();
        out.append(String.format("bench/run.sh on %s: %d cores (%s), %.0f GiB, commit %s, %d s per load, everything "
                + "on this machine%n%n", LocalDate.now(), Runtime.getRuntime().availableProcessors(), cpuModel(),
                memory / (double) (1L << 30), commit(), seconds.toSeconds()));
        out.append("| scenario | load | rate | p50 | p99 | notes |\n| --- | --- | --- | --- | --- | --- |\n");
        for (Row row : rows) {
            out.append(String.format("| %s | %s | %s | %s | %s | %s |%n", row.scenario, row.load, row.rate, row.p50,
                    row.p99, row.note));
        }
        if (!cpuByScenario.isEmpty() && pid >= 0) {
            Set<String> parts = cpuByScenario.values().iterator().next().keySet();
            out.append("\nWhere the CPU goes, CPU-ms per 1,000 invocations (threads of the platform's JVM; JVM internals "
                    + "and threads that ended: other):\n\n| scenario | ");
            out.append(String.join(" | ", parts)).append(" | total |\n|");
            out.append(" --- |".repeat(parts.size() + 2)).append("\n");
            cpuByScenario.forEach((scenario, cpu) -> {
                out.append("| ").append(scenario).append(" |");
                cpu.values().forEach(v -> out.append(String.format(" %,.0f |", v)));
                out.append(String.format(" %,.0f |%n", cpu.values().stream().mapToDouble(Double::doubleValue).sum()));
            });
        }
        return out.toString();
    }

    static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("?");
        } catch (IOException e) {
            return "?";
        }
    }

    static String commit() throws IOException, InterruptedException {
        Process git = new ProcessBuilder("git", "rev-parse", "--short", "HEAD").redirectErrorStream(true).start();
        String sha = new String(git.getInputStream().readAllBytes()).strip();
        Process status = new ProcessBuilder("git", "status", "--porcelain", "--untracked-files=no").start();
        boolean dirty = !new String(status.getInputStream().readAllBytes()).isBlank();
        return git.waitFor() == 0 ? sha + (dirty ? " (with local changes)" : "") : "?";
    }

    static String perSecond(long count, double seconds) {
        return String.format("%,.0f/s", count / seconds);
    }

    static String ms(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? "-" : String.format("%.1f ms", h.getValueAtPercentile(percentile) / 1000.0);
    }

    static String errors(Result r) {
        return r.failed == 0 ? "" : "; " + r.failed + " failed";
    }

    static void log(String format, Object... args) {
        System.err.printf("%tT %s%n", System.currentTimeMillis(), String.format(format, args));
    }

    static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
