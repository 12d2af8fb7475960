package dev.s3c.gateway.invoke;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.s3c.contracts.InvocationRequested;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Invocations this instance accepted in the last minutes, so that polling right after a 202 answers "queued" even
 * before the monitor has stored the execution. Only what that answer needs is kept (not the input, which may be
 * large): at a thousand calls a second the whole requests, kept for minutes, were most of what the garbage collector
 * had to copy on every young collection.
 */
@Component
public class RecentlyAccepted {

    static final Duration KEEP = Duration.ofMinutes(1);
    /**
     * Far above what one gateway accepts in {@link #KEEP}, so that expiry, not size, bounds it: a full Caffeine cache
     * keeps the newest entries (about 1% of its size) and otherwise admits a new one only if it was read more often
     * than the one it would evict. With 250,000, at the 5,300 calls a second of a 12-minute soak, calls fell out about
     * half a second after their 202, and a poll then read 404 until the monitor stored them (481 reads in that run).
     * About 250 bytes each: 80 MB at that rate, 250 MB if ever full.
     */
    static final int MAX = 1_000_000;

    /** What a just-accepted execution reads as, until the monitor has stored it. */
    public record Accepted(String executionId, String functionId, long functionVersion, Instant requestedAt) {
    }

    private final Cache<String, Accepted> recent;

    @Autowired
    public RecentlyAccepted() {
        this(Ticker.systemTicker());
    }

    RecentlyAccepted(Ticker ticker) {
        this.recent = Caffeine.newBuilder().maximumSize(MAX).expireAfterWrite(KEEP).ticker(ticker)
                // its upkeep on the caller's thread (an event loop): with a write per accepted call, handing it to
                // the common pool woke a worker thread so often that the pool's workers took 2% of the platform's
                // CPU under async load
                .executor(Runnable::run).build();
    }

    /**
     * Expires entries off the event loops too: otherwise the first call after a quiet minute would expire, on its
     * loop, everything the last burst left (up to {@link #MAX} entries).
     */
    @Scheduled(fixedDelay = 5_000)
    void expire() {
        recent.cleanUp();
    }

    void add(InvocationRequested request) {
        recent.put(request.executionId(), new Accepted(request.executionId(), request.functionId(),
                request.functionVersion(), request.requestedAt()));
    }

    public Optional<Accepted> find(String executionId) {
        return Optional.ofNullable(recent.getIfPresent(executionId));
    }
}
