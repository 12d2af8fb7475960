package dev.s3c.local;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
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

/**
 * The local run's Kafka: one KRaft node (broker and controller) in this JVM whose log lives in a directory, formatted
 * on first use. Invocations still queued, retries waiting in a delay tier and results not yet stored are there after a
 * restart, with every consumer group's committed offsets.
 */
final class PersistentBroker implements AutoCloseable {

    private static final String CONTROLLER = "CONTROLLER";

    private final KafkaRaftServer server;
    private final String bootstrap;

    private PersistentBroker(KafkaRaftServer server, String bootstrap) {
        this.server = server;
        this.bootstrap = bootstrap;
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
            server.startup();
            return new PersistentBroker(server, "127.0.0.1:" + port);
        } catch (Exception e) {
            throw new IllegalStateException("cannot start a Kafka broker with its log in " + logDir, e);
        }
    }

    String bootstrap() {
        return bootstrap;
    }

    /** Shuts down cleanly: logs are flushed and the next start does not recover them. */
    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
