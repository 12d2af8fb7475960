package dev.s3c.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.s3c.executor.runtime.ThreadNiceness;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The local run's lower priority for the broker and the executor's instances. */
class BackgroundNiceTest {

    @Test
    void whatStartsAtANiceValueRunsAtItAndSoDoTheThreadsItLeavesRunningWhileTheCallerKeepsItsOwn() throws Exception {
        Integer before = ThreadNiceness.currentThreadNice();
        assumeTrue(before != null, "Linux only");
        // lowering is what any process may do; a JVM already below it could only raise, which needs privilege
        assumeTrue(before < 7, "the JVM runs at nice " + before);
        AtomicReference<Integer> startedAt = new AtomicReference<>();
        AtomicReference<Integer> leftRunningAt = new AtomicReference<>();
        Thread leftRunning = LocalCluster.atNice(7, "test", () -> {
            startedAt.set(ThreadNiceness.currentThreadNice());
            Thread t = new Thread(() -> leftRunningAt.set(ThreadNiceness.currentThreadNice()), "left-running");
            t.start();
            return t;
        });
        leftRunning.join();
        assertThat(startedAt.get()).isEqualTo(7);
        assertThat(leftRunningAt.get()).isEqualTo(7);
        assertThat(ThreadNiceness.currentThreadNice()).isEqualTo(before);
    }

    @Test
    void aStartThatFailsFailsTheCallerWithItsOwnException() {
        assertThatThrownBy(() -> LocalCluster.atNice(7, "test", () -> {
            throw new IllegalStateException("no broker today");
        })).isInstanceOf(IllegalStateException.class).hasMessage("no broker today");
    }

    @Test
    void theSettingDefaultsToTenAndAnythingButZeroToNineteenStopsStartUpNamingTheVariable() {
        assertThat(LocalClusterMain.backgroundNice(null)).isEqualTo(10);
        assertThat(LocalClusterMain.backgroundNice(" ")).isEqualTo(10);
        assertThat(LocalClusterMain.backgroundNice("0")).isZero();
        assertThat(LocalClusterMain.backgroundNice(" 19 ")).isEqualTo(19);
        for (String bad : new String[] {"20", "-1", "low", "5.5"}) {
            assertThatThrownBy(() -> LocalClusterMain.backgroundNice(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("S3C_BACKGROUND_NICE").hasMessageContaining("'" + bad + "'");
        }
    }
}
