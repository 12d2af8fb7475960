package dev.s3c.gateway.invoke;

import dev.s3c.contracts.InvocationCompleted;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/** Synchronous callers of this gateway instance waiting for their result, by execution id. */
@Component
class PendingResults {

    private final Map<String, Sinks.One<InvocationCompleted>> waiting = new ConcurrentHashMap<>();

    /** Registers before the request is published, so a fast result cannot pass by unseen. */
    Mono<InvocationCompleted> register(String executionId) {
        Sinks.One<InvocationCompleted> sink = Sinks.one();
        waiting.put(executionId, sink);
        return sink.asMono();
    }

    void forget(String executionId) {
        waiting.remove(executionId);
    }

    /** @return whether somebody was waiting for it */
    boolean complete(InvocationCompleted result) {
        Sinks.One<InvocationCompleted> sink = waiting.remove(result.executionId());
        if (sink == null) {
            return false;
        }
        sink.tryEmitValue(result);
        return true;
    }

    /**
     * Ends every wait as if its time were up (the caller is answered 202 with where to read the result).
     *
     * @return how many callers were waiting
     */
    int releaseAll() {
        int released = 0;
        for (String executionId : java.util.List.copyOf(waiting.keySet())) {
            Sinks.One<InvocationCompleted> sink = waiting.remove(executionId);
            if (sink != null) {
                sink.tryEmitError(new java.util.concurrent.TimeoutException("gateway stopping"));
                released++;
            }
        }
        return released;
    }

    int size() {
        return waiting.size();
    }
}
