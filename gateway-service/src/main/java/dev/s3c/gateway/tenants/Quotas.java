package dev.s3c.gateway.tenants;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.api.FieldError;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bson.Document;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.data.mongodb.core.FindAndModifyOptions;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Each tenant's limits (read from its stored tenant, remembered for {@link #REMEMBERED}) and its invocation rate.
 * The rate is counted in one-second windows shared by every gateway through {@value #RATES}: a gateway takes a
 * share of the window's allowance at a time (a tenth of the limit) with one atomic increment, and admits from that
 * share locally, so the store sees about ten writes a second per busy tenant and the tenant gets no more than its
 * limit per second however many gateways serve it (a share taken and not used is lost when the second ends).
 */
@Component
public class Quotas {

    static final String RATES = "tenant_rates";
    static final Duration REMEMBERED = Duration.ofSeconds(10);

    private final ReactiveMongoTemplate mongo;
    private final TenantStore store;
    private final Clock clock;
    private final MeterRegistry meters;
    private final AsyncCache<String, TenantLimits> limits = Caffeine.newBuilder().expireAfterWrite(REMEMBERED)
            .maximumSize(10_000).buildAsync();
    private final Map<String, Window> windows = new ConcurrentHashMap<>();

    @org.springframework.beans.factory.annotation.Autowired
    public Quotas(ReactiveMongoTemplate mongo, TenantStore store, MeterRegistry meters) {
        this(mongo, store, meters, Clock.systemUTC());
    }

    Quotas(ReactiveMongoTemplate mongo, TenantStore store, MeterRegistry meters, Clock clock) {
        this.mongo = mongo;
        this.store = store;
        this.meters = meters;
        this.clock = clock;
    }

    /** The tenant's limits; none for a tenant not stored (a configured key's tenant before it is). */
    public Mono<TenantLimits> limits(String tenant) {
        // a caller that goes away must not cancel the lookup others wait on too
        return Mono.fromFuture(() -> limits.get(tenant, (t, executor) -> store.tenant(t).map(TenantStore.Tenant::limits)
                .defaultIfEmpty(TenantLimits.NONE).toFuture()), true);
    }

    /** After an admin changed a tenant's limits: this gateway applies them at once. */
    void forget(String tenant) {
        limits.synchronous().invalidate(tenant);
    }

    /**
     * Completes when the caller may make one more invocation now; else a 429 naming {@code invocationsPerSecond},
     * with {@code Retry-After}.
     */
    public Mono<Void> admit(Caller caller) {
        return limits(caller.tenant()).flatMap(l -> l.invocationsPerSecond() == null ? Mono.empty()
                : take(caller.tenant(), l.invocationsPerSecond()).flatMap(admitted -> {
                    if (admitted) {
                        return Mono.<Void>empty();
                    }
                    throttled(caller.tenant(), "invocationsPerSecond").increment();
                    return Mono.error(new ApiException(HttpStatus.TOO_MANY_REQUESTS, "tenant " + caller.tenant()
                            + " is over its limit of " + l.invocationsPerSecond() + " invocations a second; retry "
                            + "after the Retry-After seconds", List.of(new FieldError("invocationsPerSecond", "is "
                            + l.invocationsPerSecond() + " for tenant " + caller.tenant())),
                            Map.of("Retry-After", "1")));
                }));
    }

    /** Counts a call of {@code tenant} refused over {@code limit} elsewhere (a concurrency limit, once the wait was over). */
    public void refused(String tenant, String limit) {
        throttled(tenant, limit).increment();
    }

    private Counter throttled(String tenant, String limit) {
        // tagged by tenant: the actuator has its own port, not the API's, and tenants are as many as an admin makes
        return Counter.builder("s3c.gateway.throttled").description("Calls refused because a tenant's limit was reached")
                .tag("tenant", tenant).tag("limit", limit).register(meters);
    }

    /** One invocation from this second's allowance: from this gateway's share, or a new share from the store. */
    private Mono<Boolean> take(String tenant, int limit) {
        long second = clock.millis() / 1000;
        Window window = windows.compute(tenant, (t, w) -> w == null || w.second != second ? new Window(second) : w);
        Mono<Grant> lease;
        synchronized (window) {
            if (window.left > 0) {
                window.left--;
                return Mono.just(true);
            }
            if (window.exhausted) {
                return Mono.just(false);
            }
            if (window.lease == null) {
                // one share at a time per gateway: those who arrive meanwhile wait for it rather than take more
                window.lease = lease(tenant, second, Math.max(1, limit / 10), limit)
                        .doOnNext(grant -> {
                            synchronized (window) {
                                window.left += grant.granted();
                                window.exhausted = grant.last();
                                window.lease = null;
                            }
                        })
                        .cache();
            }
            lease = window.lease;
        }
        return lease.then(Mono.defer(() -> take(tenant, limit)));
    }

    /** Invocations granted from the shared count; {@code last}: no more this second. */
    record Grant(long granted, boolean last) {
    }

    /** How many of {@code wanted} invocations this second still has for the tenant, taken from the shared count. */
    Mono<Grant> lease(String tenant, long second, int wanted, int limit) {
        Query same = Query.query(Criteria.where("_id").is(tenant).and("second").is(second));
        return mongo.findAndModify(same, new Update().inc("used", wanted),
                        FindAndModifyOptions.options().returnNew(true), Document.class, RATES)
                // the first share of this second: start the count over (another gateway may do so at once). Only
                // an older second is replaced: a gateway whose clock is behind never resets a newer count
                .switchIfEmpty(Mono.defer(() -> mongo.findAndModify(
                                Query.query(Criteria.where("_id").is(tenant).and("second").lt(second)),
                                new Update().set("second", second).set("used", (long) wanted),
                                FindAndModifyOptions.options().returnNew(true).upsert(true), Document.class, RATES)
                        .onErrorResume(DuplicateKeyException.class, e -> mongo.findAndModify(same,
                                new Update().inc("used", wanted), FindAndModifyOptions.options().returnNew(true),
                                Document.class, RATES))))
                .map(d -> {
                    long used = ((Number) d.get("used")).longValue();
                    long granted = Math.max(0, Math.min(wanted, limit - (used - wanted)));
                    return new Grant(granted, granted < wanted);
                })
                // the shared count is ahead of this second (a clock behind the others'): nothing now
                .defaultIfEmpty(new Grant(0, true))
                .timeout(LEASE_TIMEOUT)
                // a store that cannot count does not stop invocations, nor lets them through unbounded: this
                // gateway admits one share this second and then no more
                .onErrorResume(e -> Mono.just(new Grant(wanted, true)));
    }

    static final Duration LEASE_TIMEOUT = Duration.ofSeconds(2);

    /** Invocations the tenant made this second, across gateways (shares taken, so up to a share more). */
    Mono<Long> usedThisSecond(String tenant) {
        long second = clock.millis() / 1000;
        return mongo.findById(tenant, Document.class, RATES)
                .map(d -> ((Number) d.get("second")).longValue() == second ? ((Number) d.get("used")).longValue() : 0L)
                .defaultIfEmpty(0L);
    }

    private static final class Window {
        final long second;
        long left;
        boolean exhausted;
        Mono<Grant> lease;

        Window(long second) {
            this.second = second;
        }
    }
}
