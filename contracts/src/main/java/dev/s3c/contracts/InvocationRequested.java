package dev.s3c.contracts;

import java.time.Instant;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.NullNode;

/**
 * An accepted invocation, published by the gateway to the invocations topic keyed by execution id.
 *
 * @param functionVersion the version current when the request was accepted; executors run this version or newer
 * @param replyTo the gateway instance holding a synchronous caller, or null for asynchronous invocations
 */
public record InvocationRequested(
        String executionId,
        String functionId,
        long functionVersion,
        JsonNode input,
        Instant requestedAt,
        String replyTo) {

    public InvocationRequested {
        input = input == null ? NullNode.getInstance() : input;
    }
}
