package dev.s3c.local;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.util.FileSystemUtils;

/**
 * The local run's Kafka: one KRaft node (broker and controller) in this JVM whose log lives in a directory, formatted
 * on first use. Invocations still queued, retries waiting in a delay tier and results not yet stored are there after a
 * restart, with every consumer group's committed offsets. In memory mode the same node runs on a temporary directory,
 * deleted once it has stopped.
 */
final class PersistentBroker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PersistentBroker.class);
    private static final String CONTROLLER = "CONTROLLER";

    private final KafkaRaftServer server;
    private final String bootstrap;
    /** The log's directory when it is deleted at {@link #close()}, else null. */
    private final Path temporaryDir;

    private PersistentBroker(KafkaRaftServer server, String bootstrap, Path temporaryDir) {
        this.server = server;
        this.bootstrap = bootstrap;
        this.temporaryDir = temporaryDir;
    }

    /**
     * A node whose log is in a new temporary directory, deleted when it stops: memory mode keeps nothing. (Not Spring's
     * test broker: that one printed its formatting on the console, and deleted its log while its checkpoint thread
     * still wrote there, which logged errors at every stop.)
     */
    static PersistentBroker startTemporary(Map<String, String> settings) {
        Path dir;
        try {
            dir = Files.createTempDirectory("s3c-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory for the Kafka broker's log", e);
        }
        try {
            PersistentBroker started = start(dir, settings, 0, 0);
            return new PersistentBroker(started.server, started.bootstrap, dir);
        } catch (RuntimeException e) {
            try {
                delete(dir);
            } catch (RuntimeException deleting) {
                e.addSuppressed(deleting);
            }
            throw e;
        }
    }

    /**
     * @param settings broker settings over the defaults (topic auto-creation off, replication factors of 1)
     */
    static PersistentBroker start(Path logDir, Map<String, String> settings) {
        return start(logDir, settings, 0, 0);
    }

    /**
     * @param port the client port, 0 for a free one; a broker started again on the same log with the same ports is
     *        found again by clients that knew it
     * @param controllerPort the controller's port, 0 for a free one
     */
    static PersistentBroker start(Path logDir, Map<String, String> settings, int port, int controllerPort) {
        try {
            Files.createDirectories(logDir);
            port = port == 0 ? freePort() : port;
            controllerPort = controllerPort == 0 ? freePort() : controllerPort;
            Map<String, Object> config = new HashMap<>();
            config.put("process.roles", "broker,controller");
            config.put("node.id", "1");
            config.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
            config.put("listeners", "PLAINTEXT://127.0.0.1:" + port + "," + CONTROLLER + "://127.0.0.1:" + controllerPort);
            config.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
            config.put("controller.listener.names", CONTROLLER);
            config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER + ":PLAINTEXT");
            config.put("inter.broker.listener.name", "PLAINTEXT");
            config.put("log.dirs", logDir.toString());
            config.put("offsets.topic.replication.factor", "1");
            config.put("offsets.topic.num.partitions", "12");
            config.put("transaction.state.log.replication.factor", "1");
            config.put("transaction.state.log.min.isr", "1");
            config.putAll(settings);
            KafkaConfig kafkaConfig = new KafkaConfig(config, false);
            if (!Files.exists(logDir.resolve("meta.properties"))) {
                new Formatter()
                        .setNodeId(1)
                        .setClusterId(Uuid.randomUuid().toString())
                        .setDirectories(List.of(logDir.toString()))
                        .setMetadataLogDirectory(logDir.toString())
                        .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                        .setControllerListenerName(CONTROLLER)
                        .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                        .run();
            }
            KafkaRaftServer server = new KafkaRaftServer(kafkaConfig, Time.SYSTEM);
            try {
                server.startup();
            } catch (RuntimeException e) {
                // a broker that failed to start leaves its controller running, with its threads and ports
                try {
                    server.shutdown();
                    server.awaitShutdown();
                } catch (RuntimeException stopping) {
                    e.addSuppressed(stopping);
                }
                throw e;
            }
            return new PersistentBroker(server, "127.0.0.1:" + port, null);
        } catch (Exception e) {
            throw new IllegalStateException("cannot start a Kafka broker with its log in " + logDir, e);
        }
    }

    String bootstrap() {
        return bootstrap;
    }

    /** The temporary directory of memory mode's log, null for a log kept on disk. */
    Path temporaryLogDir() {
        return temporaryDir;
    }

    /** Shuts down cleanly: logs are flushed and the next start does not recover them; a temporary log is deleted. */
    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
        // only once the broker has stopped: its threads write there until then
        if (temporaryDir != null) {
            try {
                delete(temporaryDir);
            } catch (UncheckedIOException e) {
                log.warn("The Kafka broker's temporary log {} could not be deleted entirely", temporaryDir, e);
            }
        }
    }

    private static void delete(Path dir) {
        try {
            FileSystemUtils.deleteRecursively(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the Kafka broker's temporary log " + dir, e);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
