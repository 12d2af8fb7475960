package dev.s3c.contracts;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Why an execution did not succeed, in OpenWhisk's spirit: the function's own fault (USER_ERROR, TIMEOUT,
 * LIMIT_EXCEEDED), its code's (DEVELOPER_ERROR), the caller's or the function's state (REJECTED), or the platform's
 * (SYSTEM_ERROR).
 */
public enum ErrorType {
    /** The function threw or rejected its promise. */
    @JsonProperty("user_error") USER_ERROR,
    /**
     * The function's code cannot produce a result the platform carries: it defines no handler, or it returned
     * something that is not JSON, is nested too deep or is too large. Running the same code on the same input again
     * would fail the same way, so it is not retried.
     */
    @JsonProperty("developer_error") DEVELOPER_ERROR,
    /** The function ran past its timeout, or returned a promise that can never settle. */
    @JsonProperty("timeout") TIMEOUT,
    /** The function exceeded a sandbox limit: statements executed or memory allocated in one invocation. */
    @JsonProperty("limit_exceeded") LIMIT_EXCEEDED,
    /** The function could not be run at all: unknown, deleted or inactive function, or bad input. */
    @JsonProperty("rejected") REJECTED,
    /**
     * Not run: a synchronous caller's wait ended before a slot of its concurrency limit (the function's
     * {@code maxConcurrency} or the tenant's {@code concurrentExecutions}) came free. Answered 429.
     */
    @JsonProperty("throttled") THROTTLED,
    /** The platform failed; not the function's fault. */
    @JsonProperty("system_error") SYSTEM_ERROR
}
