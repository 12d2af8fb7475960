package dev.s3c.local;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.s3c.executor.ExecutorApplication;
import dev.s3c.gateway.GatewayApplication;
import dev.s3c.monitor.MonitorApplication;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.springframework.boot.builder.SpringApplicationBuilder;

/**
 * One part of the platform as a process of its own, for the chaos suite ({@link ChaosTest}): {@code broker <logDir>
 * <port> <controllerPort>}, {@code store <port>}, or {@code gateway|executor|monitor <spring args…>}. A process is
 * stopped with SIGTERM (its shutdown hooks run: a service drains) or killed with SIGKILL.
 */
public final class ChaosNode {

    private ChaosNode() {
    }

    public static void main(String[] args) throws Exception {
        exitWithTheTestJvm();
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "broker" -> {
                PersistentBroker broker = PersistentBroker.start(Path.of(rest[0]), Map.of(
                        "auto.create.topics.enable", "false", "group.initial.rebalance.delay.ms", "0",
                        "transaction.state.log.num.partitions", "5"),
                        Integer.parseInt(rest[1]), Integer.parseInt(rest[2]));
                LocalCluster.createTopics(broker.bootstrap());
                blockUntilStopped(broker::close);
            }
            case "store" -> {
                MongoServer server = new MongoServer(new MemoryBackend());
                server.bind(new InetSocketAddress("127.0.0.1", Integer.parseInt(rest[0])), 1, 16);
                blockUntilStopped(server::shutdownNow);
            }
            case "gateway" -> run(GatewayApplication.builder(), rest);
            case "executor" -> run(ExecutorApplication.builder(), rest);
            case "monitor" -> run(MonitorApplication.builder(), rest);
            default -> throw new IllegalArgumentException("unknown node " + args[0]);
        }
    }

    /**
     * A test JVM that dies without stopping its nodes (killed on a timeout, say) must not leave them running: they
     * hold ports and CPU, and the next build would find them.
     */
    private static void exitWithTheTestJvm() {
        long parent = Long.getLong("s3c.chaos.parent", -1);
        if (parent < 0) {
            return;
        }
        ProcessHandle.of(parent).ifPresentOrElse(
                handle -> handle.onExit().thenRun(() -> Runtime.getRuntime().halt(1)),
                () -> Runtime.getRuntime().halt(1));
    }

    /** A Spring service: its context closes on SIGTERM (Boot's shutdown hook), which is how it drains. */
    private static void run(SpringApplicationBuilder builder, String[] args) {
        builder.run(args);
    }

    private static void blockUntilStopped(Runnable close) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            close.run();
            stopped.countDown();
        }));
        stopped.await();
    }
}
