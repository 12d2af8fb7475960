package dev.s3c.gateway.tenants;

import dev.s3c.contracts.ExecutorStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/**
 * How many of each tenant's executions the executors run now, from the status each executor process reports every
 * couple of seconds ({@link ExecutorStatusReader} brings them): the concurrency usage {@code GET /api/tenants/me}
 * shows.
 */
@Component
class RunningExecutions {

    /** A process that has not reported for this long is gone or cut off (it reports every 2 s by default). */
    static final Duration STALE = Duration.ofSeconds(10);

    private final Map<String, ExecutorStatus> latest = new ConcurrentHashMap<>();

    /** The newest status of {@code process} (null: it is gone). */
    void apply(String process, ExecutorStatus status) {
        if (process == null) {
            return;
        }
        if (status == null || status.leaving()) {
            latest.remove(process);
        } else {
            latest.merge(process, status, (old, neu) -> neu.at().isBefore(old.at()) ? old : neu);
        }
    }

    /** How many of {@code tenant}'s executions the processes that reported lately were running. */
    long running(String tenant, Instant now) {
        Instant since = now.minus(STALE);
        long sum = 0;
        for (ExecutorStatus status : latest.values()) {
            if (status.at() != null && status.at().isAfter(since)) {
                sum += status.runningByTenant().getOrDefault(tenant, 0);
            }
        }
        return sum;
    }
}
