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

    int size() {
        return waiting.size();
    }
}
