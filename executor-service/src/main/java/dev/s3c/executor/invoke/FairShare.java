package dev.s3c.executor.invoke;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.s3c.contracts.ConcurrencyLanes;
import dev.s3c.contracts.InvocationRequested;
import dev.s3c.contracts.Topic;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The share of this process's instances between tenants without a concurrency limit, and how many runs of each
 * tenant its instances are in now. Invocations run in the order they arrive, so a tenant that sends more work than the
 * CPUs can do builds a backlog that every other tenant's calls wait behind. A tenant whose invocations wait while its
 * runs took more than {@code share} of the time this process spent running lately (warm runs outside the lanes of
 * limits: a cold start is no flood), with another tenant read here lately, is <em>placed</em>: as its invocations are
 * read they are moved, unchanged and without running, to {@code lanes} partitions of the fair lanes (where a tenant
 * limited to that many runs at once would have its lanes), so the backlog in front of the others melts and it runs
 * {@code lanes} at a time while it floods. It stays placed while its invocations keep waiting, and for {@code memory}
 * after. A tenant that is the only one read here is never placed: all the instances are its share.
 */
final class FairShare {

    private static final Logger log = LoggerFactory.getLogger(FairShare.class);

    /** How fast what a tenant used fades: about the last few seconds count. */
    private static final long DECAY_NANOS = Duration.ofSeconds(2).toNanos();
    /** A tenant is placed only once its runs took this long lately: a slow call or two is no flood. */
    private static final double FLOOD_NANOS = Duration.ofMillis(500).toNanos();
    /** A tenant that had an invocation read here this recently is active: it may be waiting behind a flood. */
    private static final Duration ACTIVE = Duration.ofSeconds(10);

    private final boolean enabled;
    private final double share;
    private final long waitNanos;
    private final int lanes;
    private final Function<String, String> tenantOfFunction;
    private final Ticker ticker;
    private final Cache<String, Boolean> active;
    private final Cache<String, Boolean> placed;
    /** How long each tenant's warm runs took, fading; guarded by this. */
    private final Map<String, Used> used = new HashMap<>();
    private final Used total = new Used();
    /** Runs in progress per tenant, on all the process's instances. */
    private final Map<String, Integer> running = new ConcurrentHashMap<>();

    /**
     * @param share the part of the instances' time past which a tenant whose invocations wait is placed
     * @param wait how long an invocation waited (from when it was due) for it to count as waiting
     * @param memory how long a tenant stays placed after it last was found over its share
     * @param lanes how many of a placed tenant's invocations run at once
     * @param tenantOfFunction the tenant owning a function, or null when not known here
     */
    FairShare(double share, Duration wait, Duration memory, int lanes, Function<String, String> tenantOfFunction,
            Ticker ticker) {
        this(true, share, wait, memory, lanes, tenantOfFunction, ticker);
    }

    /** @param enabled false: no tenant is ever placed (runs are still counted per tenant) */
    FairShare(boolean enabled, double share, Duration wait, Duration memory, int lanes,
            Function<String, String> tenantOfFunction, Ticker ticker) {
        this.enabled = enabled;
        this.share = share;
        this.waitNanos = wait.toNanos();
        this.lanes = Math.max(1, lanes);
        this.tenantOfFunction = tenantOfFunction;
        this.ticker = ticker;
        // upkeep on the caller's thread: the common pool's workers, made by whoever submits first, would inherit an
        // instance's lower priority for the whole JVM
        this.active = Caffeine.newBuilder().expireAfterWrite(ACTIVE).maximumSize(10_000).ticker(ticker)
                .executor(Runnable::run).build();
        this.placed = Caffeine.newBuilder().expireAfterWrite(memory).maximumSize(10_000).ticker(ticker)
                .executor(Runnable::run).build();
    }

    /** Every tenant runs from where its invocations are read; no tenant is known. */
    static FairShare none() {
        return new FairShare(false, 1, Duration.ZERO, Duration.ofSeconds(1), 1, id -> null, Ticker.systemTicker());
    }

    /** The tenant of a request read here (marked active), or null when its function is not known here. */
    String read(InvocationRequested request) {
        if (request == null) {
            return null;
        }
        String tenant = tenantOfFunction.apply(request.functionId());
        if (tenant != null && enabled) {
            active.put(tenant, Boolean.TRUE);
        }
        return tenant;
    }

    /** A run of {@code tenant}'s begins (null: a tenant not known, not counted). */
    void begin(String tenant) {
        if (tenant != null) {
            running.merge(tenant, 1, Integer::sum);
        }
    }

    /** The run {@link #begin} counted is over. */
    void end(String tenant) {
        if (tenant != null) {
            running.computeIfPresent(tenant, (t, count) -> count <= 1 ? null : count - 1);
        }
    }

    /** How many runs of each tenant this process's instances are in now (tenants with none left out). */
    Map<String, Integer> running() {
        return Map.copyOf(running);
    }

    /**
     * The partition of the fair lanes a request of {@code tenant} read outside the lanes moves to, while the tenant
     * is placed; null: it runs here. A tenant's fair lanes are where {@link ConcurrencyLanes} puts a tenant limited
     * to {@code lanes}, on a topic of their own: a flood moved there never waits in front of a limit's line.
     */
    Integer lane(String tenant, InvocationRequested request) {
        if (!enabled || tenant == null || request.executionId() == null || placed.getIfPresent(tenant) == null) {
            return null;
        }
        return ConcurrencyLanes.lane(tenant, lanes, request.functionId(), null, request.executionId(),
                Topic.FAIR_LANES.partitions());
    }

    /**
     * A warm run of {@code tenant}'s {@code request} took {@code runNanos}; it had waited until {@code started}. A
     * cold start is not counted: the context it makes serves the runs after it.
     */
    void ran(String tenant, InvocationRequested request, long runNanos, boolean coldStart, Instant started) {
        if (!enabled || tenant == null || coldStart) {
            return;
        }
        long now = ticker.read();
        double fraction;
        synchronized (this) {
            double mine = used.computeIfAbsent(tenant, t -> new Used()).add(runNanos, now);
            double all = total.add(runNanos, now);
            fraction = mine < FLOOD_NANOS ? 0 : mine / all;
            if (used.size() > 1_000) {
                used.values().removeIf(u -> u.value(now) < 1);
            }
        }
        if (fraction > share && waited(request, started) >= waitNanos && othersActive(tenant)) {
            if (placed.asMap().put(tenant, Boolean.TRUE) == null) {
                log.info("Tenant {} took {}% of the instances' time while its invocations waited: they wait in {} "
                        + "lane(s) of its own now, not in front of other tenants'", tenant, Math.round(fraction * 100),
                        lanes);
            }
        }
    }

    boolean placed(String tenant) {
        return tenant != null && placed.getIfPresent(tenant) != null;
    }

    private boolean othersActive(String tenant) {
        for (String other : active.asMap().keySet()) {
            if (!other.equals(tenant)) {
                return true;
            }
        }
        return false;
    }

    /** How long the request waited from when it was due (its retry's time, or when it was accepted). */
    private static long waited(InvocationRequested request, Instant started) {
        Instant due = request.notBefore() != null
                && (request.requestedAt() == null || request.notBefore().isAfter(request.requestedAt()))
                ? request.notBefore() : request.requestedAt();
        return due == null || started == null ? 0 : Duration.between(due, started).toNanos();
    }

    /** A sum whose parts fade, by a factor e every {@link #DECAY_NANOS}: what was used lately counts most. */
    private static final class Used {
        private double value;
        private long at;

        double add(long amount, long now) {
            value = value(now) + amount;
            at = now;
            return value;
        }

        double value(long now) {
            return value == 0 ? 0 : value * Math.exp(-(double) Math.max(0, now - at) / DECAY_NANOS);
        }
    }
}
