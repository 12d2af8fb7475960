package dev.s3c.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C while the local run starts: the one shutdown hook stops the cluster that is starting. The start goes no
 * further, and the stop returns only once what the start had made (here the broker) is stopped cleanly.
 */
class StopWhileStartingTest {

    @TempDir
    Path data;

    @Test
    void aStopDuringTheStartEndsItAndClosesTheBrokerCleanly() throws Exception {
        LocalCluster.Options options = LocalCluster.Options.forTests(null, null).withDataDir(data)
                .withExecutorInstances(1);
        CompletableFuture<Boolean> stoppedCleanly = new CompletableFuture<>();

        assertThatThrownBy(() -> LocalCluster.start(options, cluster -> {
            // what the shutdown hook does, from a thread of its own, before anything has started
            Thread.ofPlatform().name("test-stop").start(() -> {
                cluster.close();
                // by the time close() returns, the broker the start made meanwhile was shut down cleanly
                stoppedCleanly.complete(Files.exists(data.resolve("kafka").resolve(".kafka_cleanshutdown")));
            });
            await().atMost(Duration.ofSeconds(10)).until(cluster::stopping);
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("stopped while it started");

        assertThat(stoppedCleanly.get(60, TimeUnit.SECONDS)).as("the broker's log closed cleanly").isTrue();
        // the start stopped at its first step: no store, no service
        assertThat(data.resolve("mongo.mv")).doesNotExist();
    }
}
