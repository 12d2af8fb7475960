package dev.s3c.executor.runtime;

import com.oracle.truffle.api.instrumentation.TruffleInstrument;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Truffle instrument whose only service is Truffle's own measure of what a context retains on the heap: the
 * community edition has no heap cap per context (Oracle GraalVM's {@code sandbox.MaxHeapMemory} is built on this same
 * measure), so the sandbox measures and cuts by itself.
 */
final class HeapMeter extends TruffleInstrument {

    static final String ID = "s3c-heap-meter";

    private volatile Env env;

    @Override
    protected void onCreate(Env created) {
        this.env = created;
        created.registerService(this);
    }

    /**
     * Bytes reachable from the context entered on this thread, walking no further than {@code stopAtBytes}.
     *
     * @throws UnsupportedOperationException on a Truffle runtime that cannot measure (interpreter only)
     */
    long retainedByEnteredContext(long stopAtBytes) {
        return env.calculateContextHeapSize(env.getEnteredContext(), stopAtBytes, new AtomicBoolean());
    }
}
