package dev.s3c.executor.runtime;

/**
 * Per-invocation limits of the sandbox.
 *
 * @param consoleBytes console output kept per invocation
 * @param outputBytes largest JSON result accepted
 * @param contextsPerInstance warm contexts an instance keeps (least recently used are closed)
 * @param stackBytes stack size of instance threads: deep enough for ordinary recursion (GraalJS frames are
 *        large), reserved lazily by the OS so it costs little until used
 */
public record SandboxLimits(int consoleBytes, int outputBytes, int contextsPerInstance, long stackBytes) {

    public static SandboxLimits defaults() {
        return new SandboxLimits(64 * 1024, 1024 * 1024, 64, 16L * 1024 * 1024);
    }
}
