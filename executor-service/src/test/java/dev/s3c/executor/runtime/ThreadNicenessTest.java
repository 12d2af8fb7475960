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
        // lowering is what any process may do; a JVM already below it could only raise, which needs privilege
        assumeTrue(before != null && before < 10, "the JVM runs at nice " + before);
        slow.start();
        slow.join();
        assertThat(set.get()).isTrue();
        assertThat(lowered.get()).isEqualTo(10);
        // the calling thread keeps its own
        assertThat(ThreadNiceness.currentThreadNice()).isEqualTo(before);
    }
}
