package dev.s3c.contracts;

/** What went wrong in an execution. Line and column point into the function's code when known. */
public record ExecutionError(ErrorType type, String name, String message, Integer line, Integer column, String stack) {

    public static ExecutionError of(ErrorType type, String message) {
        return new ExecutionError(type, null, message, null, null, null);
    }
}
