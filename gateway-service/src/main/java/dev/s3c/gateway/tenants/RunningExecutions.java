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

    /** A process not heard from for this long is gone or cut off (it reports every 2 s by default). */
    static final Duration STALE = Duration.ofSeconds(10);

    /** Each process's newest report, with when this gateway read it. */
    private final Map<String, Report> latest = new ConcurrentHashMap<>();

    private record Report(ExecutorStatus status, Instant receivedAt) {
    }

    /**
     * The newest status of {@code process} (null: it is gone), read at {@code receivedAt}. A process's reports are
     * ordered by its own clock; whether it is still alive goes by this gateway's, so clocks that differ do not matter.
     */
    void apply(String process, ExecutorStatus status, Instant receivedAt) {
        if (process == null) {
            return;
        }
        if (status == null || status.leaving()) {
            latest.remove(process);
        } else {
            latest.merge(process, new Report(status, receivedAt),
                    (old, neu) -> neu.status().at().isBefore(old.status().at()) ? old : neu);
        }
    }

    /** How many of {@code tenant}'s executions the processes heard from lately were running. */
    long running(String tenant, Instant now) {
        Instant since = now.minus(STALE);
        // a process that went away without a word (killed) is dropped once silent
        latest.values().removeIf(report -> report.receivedAt().isBefore(since.minus(STALE)));
        long sum = 0;
        for (Report report : latest.values()) {
            if (report.receivedAt().isAfter(since)) {
                sum += report.status().runningByTenant().getOrDefault(tenant, 0);
            }
        }
        return sum;
    }
}
