package dev.s3c.executor.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ThreadNicenessTest {

    @Test
    void aThreadLowersItsOwnPriorityAndNoOtherThreads() throws Exception {
        assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"), "Linux only");
        AtomicReference<Integer> lowered = new AtomicReference<>();
        AtomicReference<Boolean> set = new AtomicReference<>();
        Thread slow = new Thread(() -> {
            set.set(ThreadNiceness.lowerCurrentThread(10));
            lowered.set(ThreadNiceness.currentThreadNice());
        });
        Integer before = ThreadNiceness.currentThreadNice();
        slow.start();
        slow.join();
        assertThat(set.get()).isTrue();
        assertThat(lowered.get()).isEqualTo(Math.max(10, before));
        // the calling thread keeps its own
        assertThat(ThreadNiceness.currentThreadNice()).isEqualTo(before);
    }
}
