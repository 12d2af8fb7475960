package dev.s3c.executor.runtime;

/**
 * The sandbox was closed from outside while a function ran (the instance or the engine is stopping). Not the
 * function's fault and not a result: the invocation must not be committed, so it runs again elsewhere.
 */
public final class SandboxClosedException extends RuntimeException {

    SandboxClosedException(Throwable cause) {
        super("sandbox closed while a function was running", cause);
    }
}
