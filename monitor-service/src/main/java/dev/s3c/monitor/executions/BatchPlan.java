package dev.s3c.monitor.executions;

import dev.s3c.contracts.InvocationCompleted;
import dev.s3c.contracts.InvocationRequested;
import dev.s3c.contracts.InvocationStarted;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one polled batch writes into {@code executions}, decided from its messages and the attempt series already
 * stored (the series registry). A redrive starts series n on the same execution: messages of an older series are
 * dropped; a redrive request whose series already reached the store (its result came first, or the batch is
 * replayed) only brings its input, never resets the outcome. At most one message of each kind is kept per
 * execution, so each execution gets at most one write.
 *
 * @param requests per execution the request to apply: series 0 or a redrive
 * @param seenRedrives executions whose kept request is a redrive already applied
 * @param listed the executions to list in their function's timeline, oldest request first: first requests seen while
 *        no redrive was stored, and redrives of the newest series (listed anew at the time of the redrive, which
 *        leaves their earlier entry unshown, as a replayed batch does; so the redrive is kept for the retention from
 *        then, as real MongoDB's TTL index on the request time keeps it)
 * @param results per execution its newest result
 * @param starts start notices of executions without a result in this batch
 * @param seriesAdvanced executions whose newest series went up in this batch, to the series it reached
 */
record BatchPlan(Map<String, InvocationRequested> requests, Set<String> seenRedrives, List<InvocationRequested> listed,
        Map<String, InvocationCompleted> results, Map<String, InvocationStarted> starts,
        Map<String, Integer> seriesAdvanced) {

    static BatchPlan of(List<InvocationRequested> requests, List<InvocationCompleted> results,
            List<InvocationStarted> starts, Map<String, Integer> storedSeries) {
        Map<String, Integer> series = new HashMap<>(storedSeries);
        Map<String, Integer> advanced = new LinkedHashMap<>();
        Map<String, InvocationRequested> keptRequests = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        Map<String, InvocationRequested> listed = new LinkedHashMap<>();
        // requests before results: a redrive and its result may be in the same batch, the redrive first
        for (InvocationRequested r : requests) {
            int current = series.getOrDefault(r.executionId(), 0);
            if (r.series() == 0) {
                if (current == 0) {
                    listed.putIfAbsent(r.executionId(), r);
                    keptRequests.putIfAbsent(r.executionId(), r);
                }
            } else if (r.series() > current) {
                keptRequests.put(r.executionId(), r);
                listed.put(r.executionId(), r);
                seen.remove(r.executionId());
                series.put(r.executionId(), r.series());
                advanced.put(r.executionId(), r.series());
            } else if (r.series() == current && !keptRequests.containsKey(r.executionId())) {
                // its result came first (or the batch is replayed): listed now, as it may never have been
                keptRequests.put(r.executionId(), r);
                listed.put(r.executionId(), r);
                seen.add(r.executionId());
            }
        }
        Map<String, InvocationCompleted> keptResults = new LinkedHashMap<>();
        for (InvocationCompleted r : results) {
            int current = series.getOrDefault(r.executionId(), 0);
            if (r.series() >= current) {
                keptResults.put(r.executionId(), r);
                if (r.series() > current) {
                    series.put(r.executionId(), r.series());
                    advanced.put(r.executionId(), r.series());
                }
            }
        }
        Map<String, InvocationStarted> keptStarts = new LinkedHashMap<>();
        for (InvocationStarted s : starts) {
            InvocationRequested request = keptRequests.get(s.executionId());
            // a result says all a start notice would; a redrive's reset clears what a notice sets
            if (!keptResults.containsKey(s.executionId()) && (request == null || request.series() == 0)) {
                keptStarts.put(s.executionId(), s);
            }
        }
        // a batch holds several partitions, each in its own order: places follow the request times instead
        List<InvocationRequested> inTimeOrder = new ArrayList<>(listed.values());
        inTimeOrder.sort(Comparator.comparing(InvocationRequested::requestedAt,
                Comparator.nullsFirst(Comparator.naturalOrder())));
        return new BatchPlan(keptRequests, seen, List.copyOf(inTimeOrder), keptResults, keptStarts, advanced);
    }
}
