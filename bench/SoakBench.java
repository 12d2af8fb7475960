import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sustained load against a running platform (./run-local.sh, default on-disk store): async invocations of a trivial
 * function from a fixed number of callers for a number of minutes, and per window what users get: accepted,
 * finished (executor) and stored (monitor, readable) per second, the persistence lag, and while the load runs the
 * p99 of the three reads users make (one execution, a function's logs, the function list), how long after finishing
 * a sampled call first reads as final, the JVM's garbage-collection pauses (a read that meets one waits it out), heap
 * and RSS (anonymous memory and mapped files apart). Ends when every finished result is stored.
 *
 * <p>The logs and the function list are each read ten times a second on a fixed schedule from a connection of their
 * own, timed from when each read was due: about 300 reads a window, so their p99 is a p99 (read in turn with the
 * execution polls, 200 ms apart, they had 37 a window, and their "p99" was the slowest read). The execution's reads
 * are the polls of a just-accepted call until it reads as final, 20 ms apart: about 700 a window.
 *
 *   java [-Drate=N] [-Dslow=MS] bench/SoakBench.java [gatewayUrl] [executorUrl] [monitorUrl] [minutes] [callers] [windowSeconds]
 *
 * Without a rate the callers send as fast as they are answered (closed loop: the highest rate the platform takes);
 * with -Drate=N calls go out at N a second on a fixed schedule (open loop), at most [callers] in flight. With -Dslow=MS
 * every read that took that long or longer is printed to stderr with its kind and when it began (seconds since the
 * load began; for the logs and the list, when the read was due): reads slow at the same moment across kinds are a
 * pause of the whole process, a run of them a stretch (the cold start's first seconds).
 */
public class SoakBench {

    /** The reads users make, timed on one blocking keep-alive connection: no client thread hand-offs in the figure. */
    private static LoadClient readClient;

    private static final long READ_EVERY_NANOS = 100_000_000L;
    private static final AtomicLong FAILED_READS = new AtomicLong();
    /** -Dslow=MS: each read that took this long or longer is printed to stderr with when it began, to tell stalls apart. */
    private static final long SLOW_NANOS = Long.getLong("slow", 0) * 1_000_000L;
    /** When the load began: the times printed for slow reads count from here. */
    private static long started;

    private static final Pattern FINISHED_AT = Pattern.compile("\"finishedAt\":\"([^\"]+)\"");
    private static final Pattern STATUS = Pattern.compile("\"status\":\"([a-z_]+)\"");
    private static final Pattern EXECUTION_ID = Pattern.compile("\"executionId\":\"([^\"]+)\"");

    public static void main(String[] args) throws Exception {
        String gateway = arg(args, 0, "http://localhost:8080");
        String executor = arg(args, 1, "http://localhost:8081");
        String monitor = arg(args, 2, "http://localhost:8082");
        double minutes = Double.parseDouble(arg(args, 3, "10"));
        int callers = Integer.parseInt(arg(args, 4, "64"));
        int windowSeconds = Integer.parseInt(arg(args, 5, "30"));
        int rate = Integer.getInteger("rate", 0);

        readClient = new LoadClient(gateway);
        String id = BenchHttp.function(gateway, "bench-echo", "function handler(input) { return input; }", 30000);
        long pid = platformPid();
        // accepted calls, newest last, with when they were accepted
        ConcurrentLinkedDeque<Accepted> recent = new ConcurrentLinkedDeque<>();
        AtomicLong accepted = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        started = System.nanoTime();
        long end = started + (long) (minutes * 60e9);
        Thread load = Thread.ofPlatform().name("load").start(() -> load(gateway, id, callers, rate, end, accepted, refused,
                recent));
        ConcurrentLinkedQueue<Long> logReads = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Long> functionReads = new ConcurrentLinkedQueue<>();
        reader("read-logs", gateway, "/api/functions/" + id + "/logs?limit=50", end, logReads);
        reader("read-functions", gateway, "/api/functions", end, functionReads);
        long[] readCounts = new long[3];

        System.out.printf("soak: %s, %s, %.0f min, %d s windows, platform pid %d%n", gateway,
                rate > 0 ? rate + "/s open loop (at most " + callers + " in flight)" : callers + " callers, closed loop",
                minutes, windowSeconds, pid);
        System.out.println("| window | accepted/s | finished/s | stored/s | stored/finished | persistence lag p50 / p99 | "
                + "GET execution p99 | GET logs p99 | GET functions p99 | final readable after finish (max) | "
                + "GC pauses (count, longest lately, share of the window) | heap | RSS (anonymous + files) |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        double finished0 = finished(executor);
        // one scrape of the monitor per window: its page is a few hundred KB, read by the platform being measured
        String monitorMetrics0 = metrics(monitor);
        double stored0 = stored(monitorMetrics0);
        Map<Double, Double> lag0 = lagBuckets(monitorMetrics0);
        double[] pauses0 = pauses(monitorMetrics0);
        long accepted0 = accepted.get();
        int window = 0;
        long totalFinished = 0;
        long totalStored = 0;
        while (System.nanoTime() < end) {
            window++;
            long windowStart = System.nanoTime();
            long windowEnd = Math.min(end, windowStart + windowSeconds * 1_000_000_000L);
            List<Long> getExecution = new ArrayList<>();
            long worstVisible = 0;
            while (System.nanoTime() < windowEnd) {
                Accepted sample = recent.peekLast();
                // a call accepted just now: its first read is before it finished (a call accepted long ago would
                // measure its age, not how soon its result became readable)
                if (sample != null && System.nanoTime() - sample.at() < 200_000_000L) {
                    worstVisible = Math.max(worstVisible, readUntilFinal(gateway, sample.id(), getExecution));
                }
                Thread.sleep(200);
            }
            List<Long> getLogs = drain(logReads);
            List<Long> getFunctions = drain(functionReads);
            readCounts[0] += getExecution.size();
            readCounts[1] += getLogs.size();
            readCounts[2] += getFunctions.size();
            double finished = finished(executor);
            String monitorMetrics = metrics(monitor);
            double stored = stored(monitorMetrics);
            Map<Double, Double> lag = lagBuckets(monitorMetrics);
            double[] pauses = pauses(monitorMetrics);
            long acc = accepted.get();
            double seconds = (System.nanoTime() - windowStart) / 1e9;
            totalFinished += (long) (finished - finished0);
            totalStored += (long) (stored - stored0);
            System.out.printf("| %d | %.0f | %.0f | %.0f | %.3f | %s / %s | %.1f ms | %.1f ms | %.1f ms | %d ms | %.0f, %.0f ms, %.1f%% | %s | %s |%n",
                    window, (acc - accepted0) / seconds, (finished - finished0) / seconds, (stored - stored0) / seconds, finished == finished0 ? 1.0 : (stored - stored0) / (finished - finished0),
                    quantile(lag0, lag, 0.5), quantile(lag0, lag, 0.99), p99(getExecution), p99(getLogs), p99(getFunctions),
                    worstVisible, pauses[0] - pauses0[0], pauses[2] * 1000, (pauses[1] - pauses0[1]) / seconds * 100,
                    mib(heap(monitorMetrics)), rss(pid));
            finished0 = finished;
            pauses0 = pauses;
            stored0 = stored;
            lag0 = lag;
            accepted0 = acc;
        }
        load.join();
        long drainStart = System.nanoTime();
        while (stored(metrics(monitor)) < finished(executor) && System.nanoTime() - drainStart < Duration.ofMinutes(5).toNanos()) {
            Thread.sleep(200);
        }
        System.out.printf("total: %d accepted (%d refused), %d finished, %d stored during the windows; after the load, "
                + "all stored %.1f s later: finished %.0f, stored %.0f%n", accepted.get(), refused.get(), totalFinished,
                totalStored, (System.nanoTime() - drainStart) / 1e9, finished(executor), stored(metrics(monitor)));
        System.out.printf("reads per window: %d of one execution, %d of a function's logs, %d of the function list; "
                + "%d failed%n", readCounts[0] / Math.max(1, window), readCounts[1] / Math.max(1, window),
                readCounts[2] / Math.max(1, window), FAILED_READS.get());
    }

    /**
     * Closed loop: each caller sends its next call when the last is answered. Open loop ({@code rate} > 0): calls are
     * sent at their due times, at most {@code callers} in flight. Through the bench's own keep-alive client on virtual
     * threads: the JDK's HttpClient cost about as much CPU as the gateway it loaded, on the same two cores.
     */
    private static void load(String gateway, String id, int callers, int rate, long end, AtomicLong accepted,
            AtomicLong refused, ConcurrentLinkedDeque<Accepted> recent) {
        LoadClient client = new LoadClient(gateway);
        AtomicLong sent = new AtomicLong();
        Runnable call = () -> {
            long i = sent.getAndIncrement();
            try {
                LoadClient.Response r = client.post("/api/functions/" + id + "/execute?mode=async",
                        "{\"input\":{\"i\":" + i + "}}");
                if (r.status() == 202) {
                    accepted.incrementAndGet();
                    Matcher m = EXECUTION_ID.matcher(r.body());
                    if (m.find()) {
                        recent.addLast(new Accepted(m.group(1), System.nanoTime()));
                        if (recent.size() > 1000) {
                            recent.pollFirst();
                        }
                    }
                } else {
                    refused.incrementAndGet();
                }
            } catch (Exception e) {
                refused.incrementAndGet();
            }
        };
        try (var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            if (rate <= 0) {
                for (int c = 0; c < callers; c++) {
                    threads.submit(() -> {
                        while (System.nanoTime() < end) {
                            call.run();
                        }
                    });
                }
                return;
            }
            Semaphore slots = new Semaphore(callers);
            long start = System.nanoTime();
            for (long i = 0; System.nanoTime() < end; i++) {
                long wait = start + i * 1_000_000_000L / rate - System.nanoTime();
                if (wait > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(wait);
                }
                slots.acquire();
                threads.submit(() -> {
                    try {
                        call.run();
                    } finally {
                        slots.release();
                    }
                });
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    record Accepted(String id, long at) {
    }

    /**
     * Polls one execution until it reads as final; answers how long after its finish that was (0 when it already was
     * at the first read after finishing within a poll), timing each read.
     */
    private static long readUntilFinal(String gateway, String executionId, List<Long> reads) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            long t0 = System.nanoTime();
            LoadClient.Response read = readClient.get("/api/executions/" + executionId);
            if (read.status() == 200) {
                reads.add(slow("execution", t0, System.nanoTime() - t0));
            } else {
                failedRead("/api/executions/" + executionId, read.status() + " " + read.body());
            }
            String body = read.body();
            Matcher status = STATUS.matcher(body);
            if (status.find() && !status.group(1).equals("queued") && !status.group(1).equals("running")) {
                Matcher at = FINISHED_AT.matcher(body);
                return at.find() ? Math.max(0, Duration.between(Instant.parse(at.group(1)), Instant.now()).toMillis()) : 0;
            }
            Thread.sleep(20);
        }
        return Duration.ofSeconds(60).toMillis();
    }

    /**
     * Reads {@code path} every 100 ms until {@code end} from a connection of its own, each read timed from when it was
     * due: a read held up by a slow one before it counts its wait too (no coordinated omission).
     */
    private static void reader(String name, String gateway, String path, long end, Queue<Long> times) {
        LoadClient client = new LoadClient(gateway);
        Thread.ofPlatform().name(name).daemon(true).start(() -> {
            long start = System.nanoTime();
            for (long i = 0; start + i * READ_EVERY_NANOS < end; i++) {
                long due = start + i * READ_EVERY_NANOS;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                try {
                    LoadClient.Response read = client.get(path);
                    if (read.status() == 200) {
                        // a failed read is counted apart: a quick error would flatter the p99
                        times.add(slow(name, due, System.nanoTime() - due));
                    } else {
                        failedRead(path, read.status() + " " + read.body());
                    }
                } catch (Exception e) {
                    failedRead(path, e.toString());
                }
            }
        });
    }

    private static long slow(String what, long from, long nanos) {
        if (SLOW_NANOS > 0 && nanos >= SLOW_NANOS) {
            System.err.printf("slow read: %s at %.3f s: %.1f ms%n", what, (from - started) / 1e9, nanos / 1e6);
        }
        return nanos;
    }

    /** Counts a read that did not answer 200; the first few are shown on stderr, so a run says what failed. */
    private static void failedRead(String path, String what) {
        if (FAILED_READS.incrementAndGet() <= 5) {
            System.err.println("read failed: GET " + path + ": " + what.substring(0, Math.min(300, what.length())));
        }
    }

    private static List<Long> drain(Queue<Long> times) {
        List<Long> drained = new ArrayList<>();
        for (Long t = times.poll(); t != null; t = times.poll()) {
            drained.add(t);
        }
        return drained;
    }

    private static double p99(List<Long> nanos) {
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        return BenchHttp.pct(sorted, 99);
    }

    private static double finished(String executor) throws Exception {
        return BenchHttp.metricSum(BenchHttp.get(executor + "/actuator/prometheus"), "s3c_executor_invocations_total", "");
    }

    private static String metrics(String monitor) throws Exception {
        return BenchHttp.get(monitor + "/actuator/prometheus");
    }

    private static double stored(String monitorMetrics) {
        return BenchHttp.metricSum(monitorMetrics, "s3c_monitor_results_stored_total", "");
    }

    private static double heap(String monitorMetrics) {
        return BenchHttp.metricSum(monitorMetrics, "jvm_memory_used_bytes", "area=\"heap\"");
    }

    /**
     * The JVM's stop-the-world collections so far: count, seconds paused, and the longest pause of Micrometer's
     * recent window (its {@code _max}, which decays within a couple of minutes). The monitor's registry is read:
     * in the local run the four services share one JVM, and each would report the same pauses.
     */
    private static double[] pauses(String text) {
        double max = 0;
        Matcher m = Pattern.compile("(?m)^jvm_gc_pause_seconds_max\\{[^}]*} ([0-9.eE+]+)").matcher(text);
        while (m.find()) {
            max = Math.max(max, Double.parseDouble(m.group(1)));
        }
        return new double[] {BenchHttp.metricSum(text, "jvm_gc_pause_seconds_count", ""),
                BenchHttp.metricSum(text, "jvm_gc_pause_seconds_sum", ""), max};
    }

    /** Cumulative counts of the persistence-lag histogram by upper bound (seconds). */
    private static Map<Double, Double> lagBuckets(String text) {
        Matcher m = Pattern.compile("(?m)^s3c_monitor_persistence_lag_seconds_bucket\\{[^}]*le=\"([^\"]+)\"[^}]*} ([0-9.eE+]+)")
                .matcher(text);
        Map<Double, Double> buckets = new TreeMap<>();
        while (m.find()) {
            double le = m.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(m.group(1));
            buckets.merge(le, Double.parseDouble(m.group(2)), Double::sum);
        }
        return buckets;
    }

    /** The bucket bound under which the q-th share of this window's results fell. */
    private static String quantile(Map<Double, Double> before, Map<Double, Double> after, double q) {
        double total = after.getOrDefault(Double.POSITIVE_INFINITY, 0.0) - before.getOrDefault(Double.POSITIVE_INFINITY, 0.0);
        if (total <= 0) {
            return "–";
        }
        for (Map.Entry<Double, Double> e : after.entrySet()) {
            double count = e.getValue() - before.getOrDefault(e.getKey(), 0.0);
            if (count >= q * total) {
                return e.getKey().isInfinite() ? "> max" : "≤ " + Math.round(e.getKey() * 1000) + " ms";
            }
        }
        return "–";
    }

    /** The process serving the platform: the local run's JVM. */
    private static long platformPid() {
        long self = ProcessHandle.current().pid();
        return ProcessHandle.allProcesses()
                .filter(p -> p.pid() != self)
                .filter(p -> p.info().commandLine().map(c -> c.contains("local-cluster")).orElse(false))
                .mapToLong(ProcessHandle::pid).findFirst().orElse(-1);
    }

    /**
     * The process's resident memory and its two parts: anonymous memory (heap, thread stacks, native allocations: what
     * would grow with a leak) and the pages of files it maps (the broker's indexes, the JDK's modules), which the
     * kernel can drop and read again.
     */
    private static String rss(long pid) {
        Map<String, Double> kb = new TreeMap<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:") || line.startsWith("RssAnon:") || line.startsWith("RssFile:")
                        || line.startsWith("RssShmem:")) {
                    kb.put(line.substring(0, line.indexOf(':')), Double.parseDouble(line.replaceAll("[^0-9]", "")));
                }
            }
        } catch (Exception e) {
            // not on Linux, or the process is gone
        }
        if (!kb.containsKey("VmRSS")) {
            return "–";
        }
        // shared memory (RssShmem, none here) is in the total only: it is neither anonymous nor a file the kernel drops
        return String.format("%s (%s + %s)", mib(kb.get("VmRSS") * 1024), mib(kb.getOrDefault("RssAnon", Double.NaN) * 1024),
                mib(kb.getOrDefault("RssFile", Double.NaN) * 1024));
    }

    private static String mib(double bytes) {
        return Double.isNaN(bytes) ? "–" : Math.round(bytes / (1 << 20)) + " MiB";
    }

    private static String arg(String[] args, int i, String fallback) {
        return args.length > i ? args[i] : fallback;
    }
}
