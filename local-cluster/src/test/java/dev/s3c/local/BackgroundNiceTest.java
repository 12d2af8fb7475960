package dev.s3c.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The local run's lower priority for the broker and the executor's instances. */
class BackgroundNiceTest {

    @Test
    void whatStartsAtANiceValueRunsAtItAndSoDoTheThreadsItLeavesRunningWhileTheCallerKeepsItsOwn() throws Exception {
        assumeTrue(Files.exists(Path.of("/proc/thread-self/stat")), "Linux only");
        int before = currentNice();
        // lowering is what any process may do; a JVM already below it could only raise, which needs privilege
        assumeTrue(before < 7, "the JVM runs at nice " + before);
        AtomicInteger startedAt = new AtomicInteger(-1);
        AtomicInteger leftRunningAt = new AtomicInteger(-1);
        Thread leftRunning = LocalCluster.atNice(7, "test", () -> {
            startedAt.set(currentNice());
            Thread t = new Thread(() -> {
                try {
                    leftRunningAt.set(currentNice());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "left-running");
            t.start();
            return t;
        });
        leftRunning.join();
        assertThat(startedAt.get()).isEqualTo(7);
        assertThat(leftRunningAt.get()).isEqualTo(7);
        assertThat(currentNice()).isEqualTo(before);
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

    /** The calling thread's nice value, as the kernel reports it. */
    static int currentNice() throws Exception {
        String stat = Files.readString(Path.of("/proc/thread-self/stat"));
        // after the command name in parentheses: state is field 3, nice field 19
        return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]);
    }
}
