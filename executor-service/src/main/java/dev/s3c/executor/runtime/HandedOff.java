package dev.s3c.executor.runtime;

/**
 * The run used up the CPU its instance gives one run and was stopped, with no result and no trace in the function's
 * context (which is dropped): its invocation is to start again where long runs are served, out of the way of fast
 * ones. The sandbox has no I/O, so a run started again is the same as one that ran once.
 */
public final class HandedOff extends RuntimeException {

    HandedOff(String functionId) {
        super("a run of function " + functionId + " used the CPU its instance gives one run", null, false, false);
    }
}
