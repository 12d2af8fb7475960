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
 */
public record SandboxLimits(int consoleBytes, int outputBytes, int contextsPerInstance, long stackBytes,
        long statementLimit, long allocationBytes) {

    public static SandboxLimits defaults() {
        return new SandboxLimits(64 * 1024, 1024 * 1024, 64, 16L * 1024 * 1024, 0, 256L * 1024 * 1024);
    }
}
