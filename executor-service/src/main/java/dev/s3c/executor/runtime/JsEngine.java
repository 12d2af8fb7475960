package dev.s3c.executor.runtime;

import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.Engine;
import org.graalvm.polyglot.SandboxPolicy;
import org.graalvm.polyglot.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one GraalJS engine of this JVM, shared by every context so that parsed and compiled code is reused
 * across contexts, plus the cache of parsed sources per function version.
 */
public final class JsEngine implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(JsEngine.class);
    private static final int SOURCE_CACHE_SIZE = 2048;

    private final Engine engine;
    private final boolean optimizing;
    /** Null where what a context retains cannot be measured. */
    private final HeapMeter heapMeter;
    private static final long SHARED_FRESH_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** An empty context, measured for the part of every walk the engine shares; entered under the lock. */
    private final ReentrantLock emptyLock = new ReentrantLock();
    private Context empty;
    private volatile long shared;
    private long sharedMeasuredAt;
    private volatile boolean measured;
    private final Map<String, Source> sources = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Source> eldest) {
            return size() > SOURCE_CACHE_SIZE;
        }
    };

    public JsEngine() {
        this.engine = Engine.newBuilder("js")
                .sandbox(SandboxPolicy.CONSTRAINED)
                .out(OutputStream.nullOutputStream())
                .err(OutputStream.nullOutputStream())
                // we report the mode ourselves, loudly, instead of Truffle's stderr warning
                .option("engine.WarnInterpreterOnly", "false")
                .build();
        this.optimizing = !"Interpreted".equalsIgnoreCase(engine.getImplementationName());
        if (optimizing) {
            log.info("GraalJS runs with the optimizing compiler (runtime: {})", engine.getImplementationName());
        } else {
            log.warn("GraalJS runs INTERPRETER-ONLY: CPU-heavy functions will be 10-50x slower. Start the JVM with "
                    + "-XX:+UnlockExperimentalVMOptions -XX:+EnableJVMCI --upgrade-module-path=<graal compiler jars>");
        }
        // Truffle measures retained heap only with its optimizing runtime
        this.heapMeter = optimizing ? heapMeter(engine) : null;
    }

    private static HeapMeter heapMeter(Engine engine) {
        var instrument = engine.getInstruments().get(HeapMeter.ID);
        if (instrument == null) {
            log.warn("The heap meter instrument is not registered: memory a function keeps across runs is bounded by "
                    + "what its context allocated instead");
            return null;
        }
        return instrument.lookup(HeapMeter.class);
    }

    /** Whether {@link #retainedBytes} measures. */
    public boolean measuresRetained() {
        return heapMeter != null;
    }

    /**
     * Bytes {@code context} holds on the heap beyond what an empty context of this engine holds, counted up to a
     * little past {@code stopAtBytes}; -1 where it cannot be measured. Truffle's walk from a context also reaches what
     * the engine shares between contexts (the code of every function loaded, which grows with other tenants' code:
     * 55 MB after 40,000 functions here), so the walk of an empty context, at most a few seconds old, is taken off.
     * The context must be idle: it is entered on this thread for the walk.
     */
    public long retainedBytes(Context context, long stopAtBytes) {
        if (heapMeter == null) {
            return -1;
        }
        long kept = retainedBeyondShared(context, stopAtBytes, false);
        if (kept >= stopAtBytes) {
            // the shared part may have grown since it was walked (other functions loaded in the last seconds): a
            // context is found past the bound only against a fresh walk of it
            kept = retainedBeyondShared(context, stopAtBytes, true);
        }
        return kept;
    }

    private long retainedBeyondShared(Context context, long stopAtBytes, boolean freshShared) {
        long shared = sharedBytes(freshShared);
        if (shared < 0) {
            return -1;
        }
        long all = walk(context, stopAtBytes > Long.MAX_VALUE - shared ? Long.MAX_VALUE : shared + stopAtBytes);
        return all < 0 ? -1 : Math.max(0, all - shared);
    }

    /**
     * What an empty context of this engine holds, the engine's shared part with it; measured again when stale, or
     * when {@code fresh}. While one instance walks it the others use the last figure rather than wait, unless they
     * need a fresh one.
     */
    private long sharedBytes(boolean fresh) {
        if (measured && !fresh && !emptyLock.tryLock()) {
            return shared;
        }
        if (!measured || fresh) {
            emptyLock.lock();
        }
        try {
            long now = System.nanoTime();
            if (!measured || fresh || now - sharedMeasuredAt > SHARED_FRESH_NANOS) {
                if (empty == null) {
                    empty = Context.newBuilder("js").engine(engine).sandbox(SandboxPolicy.CONSTRAINED)
                            .out(OutputStream.nullOutputStream()).err(OutputStream.nullOutputStream()).build();
                    empty.eval(source("empty", "s3c-empty.js", "0"));
                }
                shared = walk(empty, Long.MAX_VALUE);
                sharedMeasuredAt = now;
                measured = true;
            }
            return shared;
        } finally {
            emptyLock.unlock();
        }
    }

    private long walk(Context context, long stopAtBytes) {
        context.enter();
        try {
            return heapMeter.retainedByEnteredContext(stopAtBytes);
        } catch (UnsupportedOperationException e) {
            return -1;
        } finally {
            context.leave();
        }
    }

    public Engine engine() {
        return engine;
    }

    /** True when Truffle compiles hot guest code with Graal; false in interpreter-only fallback. */
    public boolean optimizing() {
        return optimizing;
    }

    public String mode() {
        return optimizing ? "jit" : "interpreter";
    }

    /** One Source object per key, so the shared engine parses and compiles that code once. */
    public Source source(String key, String name, String text) {
        synchronized (sources) {
            Source cached = sources.get(key);
            if (cached != null) {
                return cached;
            }
            Source created = Source.newBuilder("js", text, name).cached(true).buildLiteral();
            sources.put(key, created);
            return created;
        }
    }

    @Override
    public void close() {
        emptyLock.lock();
        try {
            if (empty != null) {
                empty.close(true);
            }
        } finally {
            emptyLock.unlock();
        }
        engine.close(true);
    }
}
