package dev.s3c.executor.runtime;

/**
 * Per-invocation limits of the sandbox.
 *
 * @param consoleBytes console output kept per invocation
 * @param outputBytes largest JSON result accepted
 * @param contextsPerInstance warm contexts an instance keeps (least recently used are closed)
 * @param stackBytes stack size of instance threads: deep enough for ordinary recursion (GraalJS frames are
 *        large), reserved lazily by the OS so it costs little until used
 * @param statementLimit JavaScript statements one invocation may execute (0: no limit, the default: compiled code
 *        runs over a billion statements a second, so the wall-clock timeout is the better bound; set it to cap
 *        work independently of the machine's speed)
 * @param allocationBytes bytes one invocation may allocate (0: no budget); the community edition has no heap cap,
 *        so the thread's allocation is measured and the run cancelled past it, before the JVM suffers
 * @param contextRuns runs after which a warm context is replaced by a fresh one (0: never)
 * @param contextAllocationBytes where what a context retains cannot be measured (GraalJS interpreter-only, or
 *        {@code retainedBytes} 0): bytes a warm context may allocate over all its runs before it is replaced by a
 *        fresh one (0: no bound). What a context keeps between runs it allocated first, so a function that holds on
 *        to more and more holds at most this much before its context, and what it kept, is dropped
 * @param retainedBytes bytes a warm context may keep on the heap across runs (0: not measured). The community edition
 *        has no heap cap per context, so the sandbox measures what a context retains (Truffle's own measure) whenever
 *        it could have grown past this since it was last measured; the run that leaves it past the bound ends
 *        {@code limit_exceeded} and the context, with all it kept, is dropped
 */
public record SandboxLimits(int consoleBytes, int outputBytes, int contextsPerInstance, long stackBytes,
        long statementLimit, long allocationBytes, int contextRuns, long contextAllocationBytes, long retainedBytes) {

    public static final int DEFAULT_CONTEXT_RUNS = 100_000;
    public static final long DEFAULT_CONTEXT_ALLOCATION = 128L * 1024 * 1024;
    public static final long DEFAULT_RETAINED = 64L * 1024 * 1024;

    public SandboxLimits(int consoleBytes, int outputBytes, int contextsPerInstance, long stackBytes,
            long statementLimit, long allocationBytes) {
        this(consoleBytes, outputBytes, contextsPerInstance, stackBytes, statementLimit, allocationBytes,
                DEFAULT_CONTEXT_RUNS, DEFAULT_CONTEXT_ALLOCATION, DEFAULT_RETAINED);
    }

    public static SandboxLimits defaults() {
        return new SandboxLimits(64 * 1024, 1024 * 1024, 64, 16L * 1024 * 1024, 0, 256L * 1024 * 1024);
    }
}
