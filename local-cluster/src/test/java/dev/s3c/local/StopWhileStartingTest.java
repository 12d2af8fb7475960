package dev.s3c.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C while the local run starts: the one shutdown hook stops the cluster that is starting. The start finishes the
 * step it is in and goes no further, and the stop returns only once what the start had made (here the store) is
 * stopped and its file closed.
 */
class StopWhileStartingTest {

    @TempDir
    Path data;

    @Test
    void aStopDuringTheStartEndsItAndClosesWhatItStarted() throws Exception {
        LocalCluster.Options options = LocalCluster.Options.forTests(null, null).withDataDir(data)
                .withExecutorInstances(1);
        CompletableFuture<Void> stopped = new CompletableFuture<>();

        assertThatThrownBy(() -> LocalCluster.start(options, cluster -> {
            // what the shutdown hook does, from a thread of its own, before anything has started
            Thread.ofPlatform().name("test-stop").start(() -> {
                try {
                    cluster.close();
                    // close() returns once the start has ended, and the store it opened meanwhile has closed its
                    // file: it opens again (the file is locked while open)
                    assertThat(cluster.startEnded()).as("the start ended before close() returned").isTrue();
                    OnDiskStore.open(data.resolve("mongo.mv")).close();
                    stopped.complete(null);
                } catch (RuntimeException | AssertionError e) {
                    stopped.completeExceptionally(e);
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(cluster::stopping);
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("stopped while it started");

        stopped.get(60, TimeUnit.SECONDS);
        // the start stopped after its first step, the store: no broker was started
        assertThat(data.resolve("mongo.mv")).exists();
        assertThat(data.resolve("kafka")).doesNotExist();
    }
}
