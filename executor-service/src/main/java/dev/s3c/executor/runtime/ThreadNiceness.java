package dev.s3c.executor.runtime;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lowers the operating system's scheduling priority of the calling thread (its nice value, on Linux a per-thread
 * setting), through libc's {@code setpriority} and {@code gettid} called with the Foreign Function API. Threads that
 * run slow or hostile functions get the CPU only when the threads serving fast work leave it free, so a looping
 * function slows its neighbours by its share of the scheduler's weight (about a tenth at nice 10) rather than by a
 * whole core. Lowering a priority needs no privilege. Where the calls are missing (not Linux), it says so once and
 * the thread keeps its priority.
 */
public final class ThreadNiceness {

    private static final Logger log = LoggerFactory.getLogger(ThreadNiceness.class);
    private static final int PRIO_PROCESS = 0;
    private static final MethodHandle SET_PRIORITY;
    private static final MethodHandle GET_TID;

    static {
        MethodHandle set = null;
        MethodHandle tid = null;
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            set = linker.downcallHandle(libc.find("setpriority").orElseThrow(), FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            tid = linker.downcallHandle(libc.find("gettid").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT));
        } catch (RuntimeException | LinkageError e) {
            log.warn("Thread priorities cannot be lowered here ({}): slow functions, and the local run's broker, run at "
                    + "the normal priority",
                    e.toString());
        }
        SET_PRIORITY = set;
        GET_TID = tid;
    }

    private ThreadNiceness() {
    }

    /**
     * Sets the calling thread's nice value (0 normal, 19 lowest), unless it already runs at that value or lower.
     *
     * @return whether it runs at that value or lower now
     */
    public static boolean lowerCurrentThread(int nice) {
        if (SET_PRIORITY == null) {
            return false;
        }
        Integer current = currentThreadNice();
        if (current != null && current >= nice) {
            // raising a priority would need privilege: a JVM started lower keeps its value
            return true;
        }
        try {
            int tid = (int) GET_TID.invokeExact();
            int rc = (int) SET_PRIORITY.invokeExact(PRIO_PROCESS, tid, nice);
            if (rc != 0) {
                log.warn("setpriority({}) failed for thread {}: it keeps its priority", nice,
                        Thread.currentThread().getName());
            }
            return rc == 0;
        } catch (Throwable e) {
            log.warn("Lowering the priority of {} failed: {}", Thread.currentThread().getName(), e.toString());
            return false;
        }
    }

    /** The calling thread's nice value as the kernel reports it, or null where it cannot be read. */
    public static Integer currentThreadNice() {
        return niceOf(Path.of("/proc/thread-self"));
    }

    /**
     * The nice value of the thread whose {@code /proc} directory this is (such as {@code /proc/self/task/<tid>}), or
     * null where it cannot be read (not Linux, or the thread has ended).
     */
    public static Integer niceOf(Path procTask) {
        try {
            String stat = Files.readString(procTask.resolve("stat"));
            // after the command name in parentheses: state is field 3, nice field 19
            return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
