package dev.s3c.gateway.invoke;

import dev.s3c.contracts.InvocationCompleted;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.gateway.CallerLoop;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/** Synchronous callers of this gateway instance waiting for their result, by execution id. */
@Component
class PendingResults {

    private static final Logger log = LoggerFactory.getLogger(PendingResults.class);

    private final Map<String, Waiting> waiting = new ConcurrentHashMap<>();
    /** Callers in a concurrency lane: whether their run started, which the executor says at once. */
    private final Map<String, Sinks.One<Boolean>> starting = new ConcurrentHashMap<>();
    private final Executor workerThreads;
    private final CallerLoop loops;

    @Autowired
    PendingResults(CallerLoop loops) {
        this(Schedulers.parallel(), loops);
    }

    PendingResults(Scheduler workers, CallerLoop loops) {
        this.workerThreads = workers::schedule;
        this.loops = loops;
    }

    /** A caller's wait, and where its answer is made: its event loop when it registered on one, else a worker. */
    private record Waiting(Sinks.One<InvocationCompleted> sink, Executor answerOn) {
    }

    /**
     * Registers before the request is published, so a fast result cannot pass by unseen. Called on the caller's
     * event loop, its answer is made there (see {@link CallerLoop}).
     */
    Mono<InvocationCompleted> register(String executionId) {
        Sinks.One<InvocationCompleted> sink = Sinks.one();
        waiting.put(executionId, new Waiting(sink, loops.current(workerThreads)));
        return sink.asMono();
    }

    void forget(String executionId) {
        waiting.remove(executionId);
        starting.remove(executionId);
    }

    /** Completes with true once the execution's start notice arrived; register first. */
    Mono<Boolean> started(String executionId) {
        return starting.computeIfAbsent(executionId, id -> Sinks.one()).asMono();
    }

    /** A start notice read for {@code executionId}. */
    void start(String executionId) {
        Sinks.One<Boolean> sink = starting.get(executionId);
        if (sink != null) {
            sink.tryEmitValue(true);
        }
    }

    /**
     * Hands a result, as read from the results topic, to the caller waiting for it. The result is decoded and the
     * caller answered on the caller's event loop or a worker thread: the one reader of the results topic would
     * otherwise encode and write every sync caller's HTTP answer itself, and under sync load it was the gateway's
     * busiest thread.
     *
     * @param executionId the result's key
     * @return whether somebody was waiting for it
     */
    boolean complete(String executionId, byte[] result) {
        Waiting caller = waiting.remove(executionId);
        if (caller == null) {
            return false;
        }
        Sinks.One<InvocationCompleted> sink = caller.sink();
        caller.answerOn().execute(() -> {
            try {
                sink.tryEmitValue(JsonCodec.fromBytes(result, InvocationCompleted.class));
            } catch (RuntimeException e) {
                log.warn("Unreadable result {}: {}", executionId, e.getMessage());
                // answered like a wait that ran out: 202 with where to read the execution, which is stored as usual
                sink.tryEmitError(new java.util.concurrent.TimeoutException("unreadable result"));
            }
        });
        return true;
    }

    /**
     * Ends every wait as if its time were up (the caller is answered 202 with where to read the result).
     *
     * @return how many callers were waiting
     */
    int releaseAll() {
        int released = 0;
        starting.clear();
        for (String executionId : java.util.List.copyOf(waiting.keySet())) {
            Waiting caller = waiting.remove(executionId);
            if (caller != null) {
                caller.sink().tryEmitError(new java.util.concurrent.TimeoutException("gateway stopping"));
                released++;
            }
        }
        return released;
    }

    int size() {
        return waiting.size();
    }
}
