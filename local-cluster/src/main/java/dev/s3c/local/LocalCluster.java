package dev.s3c.local;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.s3c.contracts.Topic;
import dev.s3c.executor.ExecutorApplication;
import dev.s3c.executor.runtime.ThreadNiceness;
import dev.s3c.gateway.GatewayApplication;
import dev.s3c.monitor.MonitorApplication;
import dev.s3c.scaler.ScalerApplication;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The whole platform in one JVM: a KRaft broker (or an external Kafka), a MongoDB-wire server (in memory, on disk,
 * or an external MongoDB), and the four services as separate Spring contexts, each on its own port and config.
 * Used by the one-command local run and by the end-to-end tests, so both exercise the same wiring.
 */
public final class LocalCluster implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalCluster.class);
    /** The gateways' setting of the keys API calls must present. */
    public static final String API_KEYS = "s3c.gateway.api-keys";
    /** The key of clusters started {@link Options#forTests for tests}; never one of a local run. */
    public static final String TEST_API_KEY = "s3c_key-of-the-tests";
    /** The gateways' setting of the keys that manage tenants. */
    public static final String ADMIN_KEYS = "s3c.gateway.admin-keys";
    /** The admin key of clusters started {@link Options#forTests for tests}. */
    public static final String TEST_ADMIN_KEY = "s3c_admin-key-of-the-tests";

    /**
     * @param kafkaBootstrap an external Kafka to use, or null to start a broker in this JVM
     * @param mongoUri an external MongoDB to use, or null to start a MongoDB-wire server in this JVM
     * @param dataDir where the embedded broker keeps its log and the MongoDB-wire server its data; null keeps nothing
     *        (store in memory, broker log in a temporary directory)
     * @param mongoPort port of the embedded MongoDB-wire server (0: any free port)
     * @param gatewayPort port of the first gateway (0: any free port); the other services take ports 0 or the next ones
     * @param gatewayManagementPort port of the first gateway's actuator, on this machine only (0: any free port)
     * @param executorInstances consumer threads the executor starts with
     * @param serviceArgs further {@code --property=value} arguments for every service (each ignores what it does
     *        not know)
     * @param backgroundNice the nice value (0 normal, 19 lowest) of the embedded broker's threads and the executor's
     *        instances: the work users wait on only through a queue. The threads that answer them (gateway, monitor,
     *        store) keep the normal priority, so they answer first when the cores are busy
     */
    public record Options(String kafkaBootstrap, String mongoUri, Path dataDir, int mongoPort, int gatewayPort,
            int gatewayManagementPort, int executorPort, int monitorPort, int scalerPort, int executorInstances,
            List<String> serviceArgs, int backgroundNice) {

        public Options {
            serviceArgs = serviceArgs == null ? List.of() : List.copyOf(serviceArgs);
            if (backgroundNice < 0 || backgroundNice > 19) {
                throw new IllegalArgumentException("backgroundNice must be from 0 to 19, not " + backgroundNice);
            }
        }

        public static Options forTests(String kafkaBootstrap, String mongoUri) {
            return new Options(kafkaBootstrap, mongoUri, null, 0, 0, 0, 0, 0, 0, 3,
                    List.of("--" + API_KEYS + "=" + TEST_API_KEY, "--" + ADMIN_KEYS + "=" + TEST_ADMIN_KEY), 0);
        }

        public Options withExecutorInstances(int instances) {
            return new Options(kafkaBootstrap, mongoUri, dataDir, mongoPort, gatewayPort, gatewayManagementPort, executorPort, monitorPort,
                    scalerPort, instances, serviceArgs, backgroundNice);
        }

        public Options withDataDir(Path dir) {
            return new Options(kafkaBootstrap, mongoUri, dir, mongoPort, gatewayPort, gatewayManagementPort, executorPort, monitorPort,
                    scalerPort, executorInstances, serviceArgs, backgroundNice);
        }

        public Options withServiceArgs(String... args) {
            List<String> all = new ArrayList<>(serviceArgs);
            all.addAll(Arrays.asList(args));
            return new Options(kafkaBootstrap, mongoUri, dataDir, mongoPort, gatewayPort, gatewayManagementPort, executorPort, monitorPort,
                    scalerPort, executorInstances, all, backgroundNice);
        }
    }

    private final Options options;
    private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();
    private final List<ConfigurableApplicationContext> gateways = new ArrayList<>();
    private PersistentBroker persistentBroker;
    private MongoServer mongoServer;
    private String kafkaBootstrap;
    private String mongoUri;
    private ConfigurableApplicationContext executor;
    private ConfigurableApplicationContext monitor;
    private ConfigurableApplicationContext scaler;

    /** Set by {@link #close()}: a start still under way stops at its next step. */
    private volatile boolean closing;
    /** The thread that runs {@link #start}, until the start ended. */
    private volatile Thread starter;
    private final CountDownLatch startEnded = new CountDownLatch(1);

    private LocalCluster(Options options) {
        this.options = options;
    }

    public static LocalCluster start(Options options) {
        return start(options, cluster -> { });
    }

    /**
     * @param created given the cluster before anything starts, so that a shutdown hook can {@link #close()} it while it
     *        starts
     */
    public static LocalCluster start(Options options, Consumer<LocalCluster> created) {
        LocalCluster cluster = new LocalCluster(options);
        cluster.starter = Thread.currentThread();
        try {
            created.accept(cluster);
            cluster.startInfrastructure();
            // the monitor first: gateways forward live metrics to it, so they are told where it listens
            cluster.monitor = cluster.run(MonitorApplication.builder(), options.monitorPort());
            cluster.startGateway("gateway-1", options.gatewayPort(), options.gatewayManagementPort(), List.of());
            // Ctrl-C stops everything within 15 s: running functions get 10 of them to finish
            cluster.executor = cluster.run(ExecutorApplication.builder(), options.executorPort(),
                    "--s3c.executor.instances=" + options.executorInstances(),
                    "--s3c.executor.shutdown-grace=${S3C_SHUTDOWN_GRACE:10s}",
                    "--s3c.executor.instance-nice=" + options.backgroundNice());
            cluster.scaler = cluster.run(ScalerApplication.builder(), options.scalerPort());
            List<ConfigurableApplicationContext> started;
            synchronized (cluster) {
                started = List.copyOf(cluster.contexts);
            }
            for (ConfigurableApplicationContext context : started) {
                cluster.awaitHealthy(context);
            }
            return cluster;
        } catch (Throwable e) {
            // any failure, also a checked one thrown unchecked (the store's port in use: a BindException): what
            // started is stopped, or its threads (the broker's) would keep the JVM from ending
            try {
                cluster.close();
            } catch (Throwable stopping) {
                e.addSuppressed(stopping);
            }
            throw e;
        } finally {
            cluster.starter = null;
            cluster.startEnded.countDown();
        }
    }

    /** Whether {@link #close()} was called. */
    boolean stopping() {
        return closing;
    }

    /** Whether {@link #start} has returned or failed. */
    boolean startEnded() {
        return startEnded.getCount() == 0;
    }

    /** Between the steps of a start: one that {@link #close()} stopped goes no further. */
    private void checkNotClosing() {
        if (closing) {
            throw new IllegalStateException("the local cluster was stopped while it started");
        }
    }

    private void startInfrastructure() {
        // the store first: it fails at once when its port is taken, before a broker has started only to be stopped
        if (options.mongoUri() == null) {
            MongoBackend backend;
            if (options.dataDir() == null) {
                backend = new MemoryBackend();
            } else {
                try {
                    Files.createDirectories(options.dataDir());
                } catch (java.io.IOException e) {
                    throw new IllegalStateException("cannot create " + options.dataDir(), e);
                }
                backend = OnDiskStore.open(options.dataDir().resolve("mongo.mv"));
            }
            mongoServer = new MongoServer(backend);
            // a worker per connection the services open: a read never waits behind another connection's bulk write
            try {
                mongoServer.bind(new InetSocketAddress("127.0.0.1", options.mongoPort()), 1, 16);
            } catch (Exception e) {
                // thrown unchecked, though a java.net.BindException: say which port and how to choose another
                throw new IllegalStateException("the embedded store cannot listen on 127.0.0.1:" + options.mongoPort()
                        + " (" + e.getMessage() + "); set MONGODB_PORT to a free port", e);
            }
            InetSocketAddress address = mongoServer.getLocalAddress();
            mongoUri = "mongodb://127.0.0.1:" + address.getPort() + "/s3c";
            log.info("Started a MongoDB-wire server at {} ({})", mongoUri,
                    options.dataDir() == null ? "in memory" : "data in " + options.dataDir());
            checkNotClosing();
        } else {
            mongoUri = options.mongoUri();
        }
        if (options.kafkaBootstrap() == null) {
            Map<String, String> settings = Map.of("auto.create.topics.enable", "false",
                    "group.initial.rebalance.delay.ms", "0",
                    // one broker: the scaler's exactly-once transactions need their log to fit on it
                    "transaction.state.log.replication.factor", "1", "transaction.state.log.min.isr", "1",
                    "transaction.state.log.num.partitions", "5");
            // memory mode: the same node on a temporary directory, deleted once it stops. On disk: beside the store,
            // so what was queued when the platform stopped is still there when it starts again
            persistentBroker = atNice(options.backgroundNice(), "broker", () -> options.dataDir() == null
                    ? PersistentBroker.startTemporary(settings)
                    : PersistentBroker.start(options.dataDir().resolve("kafka"), settings));
            kafkaBootstrap = persistentBroker.bootstrap();
            checkNotClosing();
            log.info("Started a KRaft broker at {} ({})", kafkaBootstrap,
                    options.dataDir() == null ? "log in a temporary directory" : "log in " + options.dataDir());
        } else {
            kafkaBootstrap = options.kafkaBootstrap();
        }
        createTopics(kafkaBootstrap);
    }

    /**
     * Runs {@code start} on a thread of its own at the given nice value. Linux gives a new thread its creator's nice
     * value, so the threads {@code start} leaves running (a broker's), and those they start later, run at it too.
     * Lowering a priority needs no privilege; where it cannot be lowered, {@code start} runs at the caller's.
     */
    static <T> T atNice(int nice, String what, Callable<T> start) {
        if (nice == 0) {
            return call(start);
        }
        FutureTask<T> task = new FutureTask<>(start);
        Thread starter = new Thread(() -> {
            try {
                ThreadNiceness.lowerCurrentThread(nice);
            } finally {
                task.run();
            }
        }, "s3c-start-" + what);
        starter.start();
        // waits out an interrupt: what the start made must reach the caller, who alone can close it
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return task.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof RuntimeException r ? r
                            : new IllegalStateException("cannot start the " + what, e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static <T> T call(Callable<T> start) {
        try {
            return start.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Each service declares the topics it writes; creating them all here first lets the services start in any order
     * without consumers waiting on a topic their writer has not declared yet.
     */
    static void createTopics(String kafkaBootstrap) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafkaBootstrap))) {
            for (Topic topic : Topic.values()) {
                try {
                    admin.createTopics(List.of(topic.newTopic())).all().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + topic.topicName(), e.getCause());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("Kafka at " + kafkaBootstrap + " did not answer", e);
        }
    }

    /**
     * Starts one more gateway instance (they share the database and topics), its actuator on any free port; returns
     * its base URL.
     */
    public String startGateway(String instanceId, int port) {
        return startGateway(instanceId, port, 0, List.of());
    }

    /** One more gateway, with settings of its own ({@code --name=value}, none the cluster's options give too). */
    public String startGateway(String instanceId, int port, List<String> ownArgs) {
        return startGateway(instanceId, port, 0, ownArgs);
    }

    private String startGateway(String instanceId, int port, int managementPort, List<String> ownArgs) {
        List<String> args = new ArrayList<>(List.of("--s3c.gateway.instance-id=" + instanceId,
                "--s3c.gateway.monitor-url=" + baseUrl(monitor),
                // the actuator answers this machine only, the API's port does not serve it
                "--management.server.port=" + managementPort, "--management.server.address=127.0.0.1"));
        args.addAll(ownArgs);
        // one machine, no load balancer to tell: Ctrl-C stops at once, calls in flight get 5 s to finish
        addUnlessGiven(args, "s3c.gateway.drain-notice", "${S3C_GATEWAY_DRAIN_NOTICE:0s}");
        addUnlessGiven(args, "spring.lifecycle.timeout-per-shutdown-phase", "5s");
        ConfigurableApplicationContext gateway = run(GatewayApplication.builder(), port, args.toArray(String[]::new));
        awaitHealthy(gateway);
        gateways.add(gateway);
        return baseUrl(gateway);
    }

    /** A default of the local run, unless the options set it (a property given twice would read as a list). */
    private void addUnlessGiven(List<String> args, String property, String value) {
        if (options.serviceArgs().stream().noneMatch(a -> a.startsWith("--" + property + "="))) {
            args.add("--" + property + "=" + value);
        }
    }

    /**
     * Starts one more executor process (it joins the same consumer group; the scaler splits the pool among the
     * processes); returns its base URL.
     */
    public String startExecutor(String processId, int instances) {
        ConfigurableApplicationContext extra = run(ExecutorApplication.builder(), 0,
                "--s3c.executor.instances=" + instances, "--s3c.executor.instance-id-prefix=" + processId);
        awaitHealthy(extra);
        return baseUrl(extra);
    }

    private ConfigurableApplicationContext run(SpringApplicationBuilder builder, int port, String... extra) {
        List<String> args = new ArrayList<>(List.of(
                "--server.port=" + port,
                "--spring.kafka.bootstrap-servers=" + kafkaBootstrap,
                "--spring.mongodb.uri=" + mongoUri,
                // the MongoDB-wire server does not implement 'hello'
                "--management.health.mongodb.enabled=" + (mongoServer == null)));
        // the API is described by the gateway only; here every service shares the gateway's classpath
        if (!builder.application().getAllSources().contains(GatewayApplication.class)) {
            args.addAll(List.of("--springdoc.api-docs.enabled=false", "--springdoc.swagger-ui.enabled=false"));
            // the gateway is the way in (its API needs a key); the others answer this machine only
            addUnlessGiven(args, "server.address", "127.0.0.1");
        }
        args.addAll(options.serviceArgs());
        args.addAll(Arrays.asList(extra));
        checkNotClosing();
        // the cluster stops its services itself, in order (close()): each one's own shutdown hook would stop it at
        // the same time as the others, and as the broker it still uses
        ConfigurableApplicationContext context = builder.sources(OwnNettyResources.class, SharedLogbackMetrics.class)
                .registerShutdownHook(false)
                .run(args.toArray(String[]::new));
        synchronized (this) {
            contexts.add(context);
        }
        checkNotClosing();
        // its web server's threads are named after it (OwnNettyResources), for the log's %service
        String name = context.getEnvironment().getProperty("spring.application.name", "");
        ServiceConverter.register(OwnNettyResources.threadPrefix(name) + "-", name.replace("-service", ""));
        return context;
    }

    private void awaitHealthy(ConfigurableApplicationContext context) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        URI health = URI.create(managementUrl(context) + "/actuator/health");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        String last = "";
        while (System.nanoTime() < deadline) {
            checkNotClosing();
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(5))
                        .build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
                last = response.body();
            } catch (java.io.IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException(health + " is not healthy after 90 s: " + last);
    }

    public static String baseUrl(ConfigurableApplicationContext context) {
        // a service bound to one address (the internal ones: loopback) is reached at exactly that address
        String address = context.getEnvironment().getProperty("server.address", "");
        String host = address.isBlank() || address.equals("0.0.0.0") ? "localhost" : address;
        return "http://" + host + ":" + context.getEnvironment().getProperty("local.server.port");
    }

    /** Where the service's actuator answers: the gateway's own management port, the others' only port. */
    public static String managementUrl(ConfigurableApplicationContext context) {
        String port = context.getEnvironment().getProperty("local.management.port");
        if (port == null) {
            return baseUrl(context);
        }
        String address = context.getEnvironment().getProperty("management.server.address", "");
        String host = address.isBlank() || address.equals("0.0.0.0") ? "localhost" : address;
        return "http://" + host + ":" + port;
    }

    /** The key the gateways accept (the last one given), or null when none was given. */
    public String apiKey() {
        String prefix = "--" + API_KEYS + "=";
        String key = null;
        for (String arg : options.serviceArgs()) {
            if (arg.startsWith(prefix)) {
                key = arg.substring(prefix.length()).split(",")[0].strip();
            }
        }
        return key;
    }

    public String gatewayUrl() {
        return baseUrl(gateways.getFirst());
    }

    /** The actuator (health, Prometheus) of the gateway at {@code gatewayUrl}. */
    public String gatewayManagementUrl(String gatewayUrl) {
        return managementUrl(gateway(gatewayUrl));
    }

    /** The gateway at {@code url}: tests look at its beans. */
    ConfigurableApplicationContext gateway(String url) {
        return gateways.stream().filter(g -> baseUrl(g).equals(url)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no gateway at " + url));
    }


    public String executorUrl() {
        return baseUrl(executor);
    }

    public String monitorUrl() {
        return baseUrl(monitor);
    }

    public String scalerUrl() {
        return baseUrl(scaler);
    }

    public String kafkaBootstrap() {
        return kafkaBootstrap;
    }

    public String mongoUri() {
        return mongoUri;
    }


    /**
     * Stops the monitor, runs {@code whileDown}, and starts it again on the same port (the gateways keep its
     * address): what a restart of that service looks like to the console.
     */
    public void restartMonitor(Runnable whileDown) {
        int port = Integer.parseInt(monitor.getEnvironment().getProperty("local.server.port"));
        synchronized (this) {
            contexts.remove(monitor);
        }
        monitor.close();
        whileDown.run();
        monitor = run(MonitorApplication.builder(), port);
        awaitHealthy(monitor);
    }

    /**
     * Stops a gateway the way SIGTERM does (its context closes: drain, graceful shutdown, then its result reader),
     * blocking until it stopped.
     */
    public void stopGateway(String url) {
        ConfigurableApplicationContext gateway = gateway(url);
        synchronized (this) {
            gateways.remove(gateway);
            contexts.remove(gateway);
        }
        gateway.close();
    }

    /**
     * Stops the services (newest first, so producers stop before consumers), then the store and the broker. Called
     * while the cluster starts (Ctrl-C during its start), it waits for the start to end: the start finishes the step
     * it is in (a service being started needs the store and the broker), goes no further, and stops what it started.
     */
    @Override
    public void close() {
        closing = true;
        Thread starting = starter;
        if (starting != null && starting != Thread.currentThread() && !awaitStartEnd()) {
            log.warn("The start did not end within {} of the stop; stopping what has started", START_END_WAIT);
        }
        stopStarted();
    }

    /** A step of a start that does not end (a broker that never comes up) must not hold up a stop for good. */
    private static final Duration START_END_WAIT = Duration.ofSeconds(60);

    /** Waits for the start to end, an interrupt notwithstanding (a stop half done leaves services running). */
    private boolean awaitStartEnd() {
        boolean interrupted = false;
        long deadline = System.nanoTime() + START_END_WAIT.toNanos();
        try {
            while (true) {
                try {
                    return startEnded.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Stops the embedded store. Not {@code shutdownNow()}: it warns "Closing N clients" on the console whenever a
     * service's client has closed its socket but the store's event loop has not yet seen it (one stop of four by
     * hand). Shutting the event loops down closes such connections all the same, and waits for them, before the file
     * is closed.
     */
    static void stopStore(MongoServer server) {
        server.shutdown();
    }

    private synchronized void stopStarted() {
        for (ConfigurableApplicationContext context : contexts.reversed()) {
            try {
                context.close();
            } catch (RuntimeException e) {
                log.warn("Stopping a service failed", e);
            }
        }
        contexts.clear();
        // the store first: with the services stopped nothing writes to it, and its file is closed cleanly even if
        // stopping the broker ends the JVM
        if (mongoServer != null) {
            try {
                stopStore(mongoServer);
            } catch (RuntimeException e) {
                log.warn("Stopping the MongoDB-wire server failed", e);
            }
            mongoServer = null;
            log.info("Stopped the MongoDB-wire server");
        }
        try {
            if (persistentBroker != null) {
                persistentBroker.close();
            }
        } catch (RuntimeException e) {
            log.warn("Stopping the broker failed", e);
        } finally {
            persistentBroker = null;
        }
    }
}
