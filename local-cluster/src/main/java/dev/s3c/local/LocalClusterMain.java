package dev.s3c.local;

import dev.s3c.gateway.keys.ApiKeys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * {@code ./run-local.sh}: everything on this machine, no Docker. Settings come from the environment:
 * KAFKA_BOOTSTRAP_SERVERS and MONGODB_URI point at external ones instead of the embedded ones, S3C_DATA_DIR says
 * where the embedded store keeps its data (default ./data; "memory" for none), GATEWAY_PORT (8080) and the next four ports for the
 * executor, monitor, scaler and the gateway's actuator (MANAGEMENT_PORT), EXECUTOR_INSTANCES (3), MONGODB_PORT (27017),
 * S3C_BACKGROUND_NICE (10).
 */
public final class LocalClusterMain {

    private LocalClusterMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        quietTerminal();
        // its own name: Spring Boot logs its start-up lines under the main class's name, which stay in the file
        Logger log = LoggerFactory.getLogger("s3c.banner");
        int gatewayPort = intEnv("GATEWAY_PORT", 8080);
        LocalCluster.Options options = new LocalCluster.Options(
                blankToNull(System.getenv("KAFKA_BOOTSTRAP_SERVERS")),
                blankToNull(System.getenv("MONGODB_URI")),
                // S3C_DATA_DIR=memory keeps the embedded store in memory (benchmarks)
                "memory".equals(env("S3C_DATA_DIR", "data")) ? null : Path.of(env("S3C_DATA_DIR", "data")).toAbsolutePath(),
                intEnv("MONGODB_PORT", 27017),
                gatewayPort,
                intEnv("MANAGEMENT_PORT", gatewayPort + 4),
                intEnv("EXECUTOR_PORT", gatewayPort + 1),
                intEnv("MONITOR_PORT", gatewayPort + 2),
                intEnv("SCALER_PORT", gatewayPort + 3),
                intEnv("EXECUTOR_INSTANCES", 3),
                List.of(),
                backgroundNice(System.getenv("S3C_BACKGROUND_NICE")));
        ApiKey key = key("S3C_API_KEY", "api-key", options.dataDir());
        ApiKey adminKey = key("S3C_ADMIN_KEY", "admin-key", options.dataDir());
        options = options.withServiceArgs("--" + LocalCluster.API_KEYS + "=" + key.accepted(),
                "--" + LocalCluster.ADMIN_KEYS + "=" + adminKey.accepted());
        // the one shutdown hook, in place before anything starts: Ctrl-C during the start stops what started, in order
        AtomicReference<LocalCluster> starting = new AtomicReference<>();
        AtomicBoolean stopRequested = new AtomicBoolean();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopRequested.set(true);
            LocalCluster toStop = starting.get();
            try {
                if (toStop != null) {
                    log.info("Stopping S3 for Compute...");
                    toStop.close();
                    log.info("Stopped S3 for Compute");
                }
            } finally {
                stopped.countDown();
            }
        }, "s3c-shutdown"));
        LocalCluster cluster;
        try {
            cluster = LocalCluster.start(options, starting::set);
        } catch (Throwable e) {
            if (stopRequested.get()) {
                // Ctrl-C while starting: the hook stops everything, this is how the start ended
                LoggerFactory.getLogger(LocalClusterMain.class).debug("The start ended on Ctrl-C", e);
                stopped.await();
                return;
            }
            // the start failed and stopped what it had started: nothing left for the hook to stop
            starting.set(null);
            throw e;
        }
        String banner = String.join(System.lineSeparator(),
                "",
                "  S3 for Compute is running.",
                "    Console:        " + cluster.gatewayUrl() + "/",
                "    API (gateway):  " + cluster.gatewayUrl() + "/api/functions",
                "    Live metrics:   " + cluster.gatewayUrl() + "/api/metrics  (WebSocket: "
                        + cluster.gatewayUrl().replaceFirst("^http", "ws") + "/api/metrics/live)",
                "    Scaling:        " + cluster.gatewayUrl() + "/api/metrics/scaling/history",
                "    Prometheus:     " + cluster.gatewayManagementUrl(cluster.gatewayUrl()) + "/actuator/prometheus  (gateway)",
                "                    " + cluster.executorUrl() + "/actuator/prometheus  (executor)",
                "                    " + cluster.monitorUrl() + "/actuator/prometheus  (monitor)",
                "                    " + cluster.scalerUrl() + "/actuator/prometheus  (scaler)",
                "    Kafka:          " + cluster.kafkaBootstrap(),
                "    MongoDB:        " + cluster.mongoUri(),
                "    Logs:           " + Path.of(env("S3C_LOG_DIR", "logs"), "s3c.log") + "  (warnings also here)",
                "    API key:        " + key.shown(),
                "    Admin key:      " + adminKey.where() + "  (manages tenants and their keys: /api/tenants)",
                "  Try:  curl -s -H \"Authorization: Bearer " + key.shell() + "\" -H 'Content-Type: application/json' "
                        + "-d '{\"input\":{\"n\":20}}' " + cluster.gatewayUrl() + "/api/functions/fibonacci/execute",
                "  Ctrl-C stops everything.",
                "");
        log.info("{}", banner);
        stopped.await();
    }

    /**
     * The banner and warnings on the console, the rest in logs/ (S3C_LOG_DIR): Logback is configured once, before the
     * first logger is made, so the broker's start-up logs there too; {@code -Dlogback.configurationFile=...} still
     * wins. Spring Boot leaves it alone: resetting it as each service starts let the broker's threads log into a
     * context without appenders, which Logback reported on the console.
     */
    private static void quietTerminal() {
        System.setProperty("logback.configurationFile",
                System.getProperty("logback.configurationFile", "s3c-local-logback.xml"));
        System.setProperty("org.springframework.boot.logging.LoggingSystem", "none");
        // what Spring Boot's logging system would have done: Tomcat logs through java.util.logging
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        // four Spring applications share this JVM: one start-up banner (ours) instead of four Spring Boot logos
        System.setProperty("spring.main.banner-mode", System.getProperty("spring.main.banner-mode", "off"));
    }

    /**
     * The key of the local run (the first, where several are accepted), how the banner shows it, and how a shell
     * command reads it (the banner never repeats the key's value in a command line).
     */
    private record ApiKey(String value, String accepted, String shown, String shell, String where) {
    }

    /**
     * The variable's keys when set; else the key kept in the data directory ({@code ./data} in memory mode too) in
     * {@code fileName}, made on the first start and readable by its owner only, so scripts and the bench keep
     * working across restarts.
     */
    private static ApiKey key(String variable, String fileName, Path dataDir) {
        String given = blankToNull(System.getenv(variable));
        if (given != null) {
            return new ApiKey(given.split(",")[0].strip(), given, "from " + variable, "${" + variable + "%%,*}",
                    "from " + variable);
        }
        Path dir = dataDir != null ? dataDir : Path.of("data").toAbsolutePath();
        Path file = dir.resolve(fileName);
        try {
            Files.createDirectories(dir);
            String kept = Files.exists(file) ? Files.readString(file).strip() : "";
            if (kept.isEmpty()) {
                kept = ApiKeys.newKey();
                Files.deleteIfExists(file);
                // created readable by its owner only, before the key is in it
                Files.writeString(Files.createFile(file, ownerOnly()), kept + System.lineSeparator());
            }
            return new ApiKey(kept, kept, kept + "  (kept in " + file + ")", "$(cat " + file + ")",
                    "kept in " + file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the API key in " + file, e);
        }
    }

    private static FileAttribute<?>[] ownerOnly() {
        return FileSystems.getDefault().supportedFileAttributeViews().contains("posix")
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
                : new FileAttribute<?>[0];
    }

    /**
     * S3C_BACKGROUND_NICE (default 10): the broker and the executor's instances yield the cores to the threads that
     * answer users; 0 runs everything at the same priority.
     */
    static int backgroundNice(String setting) {
        String value = setting == null || setting.isBlank() ? "10" : setting.strip();
        try {
            int nice = Integer.parseInt(value);
            if (nice >= 0 && nice <= 19) {
                return nice;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException(
                "S3C_BACKGROUND_NICE must be a whole number from 0 (normal priority) to 19 (lowest), not '" + value + "'");
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }

    private static int intEnv(String name, int fallback) {
        return Integer.parseInt(env(name, String.valueOf(fallback)));
    }
}
