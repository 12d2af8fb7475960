package dev.s3c.executor.runtime;

import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;
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
        engine.close(true);
    }
}
