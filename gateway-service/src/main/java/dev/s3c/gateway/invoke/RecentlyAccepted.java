package dev.s3c.gateway.invoke;

import dev.s3c.contracts.InvocationRequested;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * Invocations this instance accepted in the last minutes, so that polling right after a 202 answers "queued" even
 * before the monitor has stored the execution.
 */
@Component
public class RecentlyAccepted {

    private static final int MAX = 100_000;
    private static final Duration KEEP = Duration.ofMinutes(2);

    private final Map<String, InvocationRequested> recent = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, InvocationRequested> eldest) {
            return size() > MAX || eldest.getValue().requestedAt().isBefore(Instant.now().minus(KEEP));
        }
    };

    synchronized void add(InvocationRequested request) {
        recent.put(request.executionId(), request);
    }

    public synchronized Optional<InvocationRequested> find(String executionId) {
        InvocationRequested request = recent.get(executionId);
        if (request == null || request.requestedAt().isBefore(Instant.now().minus(KEEP))) {
            return Optional.empty();
        }
        return Optional.of(request);
    }
}
