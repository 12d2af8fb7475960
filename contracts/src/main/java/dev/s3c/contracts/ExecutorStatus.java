package dev.s3c.contracts;

import java.time.Instant;
import java.util.Map;

/**
 * What one executor process runs, published when it changes and as a heartbeat, keyed by process id on a
 * compacted topic. The scaler counts live processes from it; the dashboard shows the instances.
 *
 * @param process the executor process id (host and pid unless configured)
 * @param instances consumer threads running now
 * @param appliedSequence the sequence of the last scale command this process applied (-1: none)
 * @param leaving true in the last status of a process that is shutting down
 * @param runningByTenant how many executions of each tenant this process was running when it reported (tenants
 *        with none are left out; empty from older writers)
 * @param cores the processors this process may use, which its instances share (0: not reported, from older
 *        writers)
 */
public record ExecutorStatus(
        String process,
        int instances,
        long appliedSequence,
        boolean leaving,
        Instant at,
        Map<String, Integer> runningByTenant,
        int cores) {

    public ExecutorStatus {
        runningByTenant = runningByTenant == null ? Map.of() : Map.copyOf(runningByTenant);
    }

    public ExecutorStatus(String process, int instances, long appliedSequence, boolean leaving, Instant at) {
        this(process, instances, appliedSequence, leaving, at, Map.of(), 0);
    }

    public ExecutorStatus(String process, int instances, long appliedSequence, boolean leaving, Instant at,
            Map<String, Integer> runningByTenant) {
        this(process, instances, appliedSequence, leaving, at, runningByTenant, 0);
    }
}
