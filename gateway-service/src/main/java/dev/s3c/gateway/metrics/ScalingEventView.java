package dev.s3c.gateway.metrics;

import static dev.s3c.contracts.ScalingEventRecord.*;

import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bson.Document;

/** One decision of the scaler as the API shows it. */
public record ScalingEventView(String id, String action, int fromInstances, int toInstances, String reason,
        Instant timestamp, long lag, List<?> lagByPartition, double arrivalRate, double completionRate,
        List<?> backlogByFunction, int reportedInstances, List<?> processes) {

    static ScalingEventView of(Document d) {
        Date at = d.getDate(TIMESTAMP);
        return new ScalingEventView(d.getString(ID), d.getString(ACTION), number(d, FROM_INSTANCES),
                number(d, TO_INSTANCES), d.getString(REASON), at == null ? null : at.toInstant(),
                ((Number) d.getOrDefault(LAG, 0L)).longValue(), pairs(d, LAG_BY_PARTITION),
                ((Number) d.getOrDefault(ARRIVAL_RATE, 0.0)).doubleValue(),
                ((Number) d.getOrDefault(COMPLETION_RATE, 0.0)).doubleValue(), pairs(d, BACKLOG_BY_FUNCTION),
                number(d, REPORTED_INSTANCES), d.getList(PROCESSES, String.class, List.of()));
    }

    public ScalingEventView withBacklogByFunction(List<?> backlog) {
        return new ScalingEventView(id, action, fromInstances, toInstances, reason, timestamp, lag, lagByPartition,
                arrivalRate, completionRate, backlog, reportedInstances, processes);
    }

    private static int number(Document d, String field) {
        return ((Number) d.getOrDefault(field, 0)).intValue();
    }

    private static List<Map<String, Object>> pairs(Document d, String field) {
        return d.getList(field, Document.class, List.of()).stream()
                .map(p -> (Map<String, Object>) new java.util.LinkedHashMap<String, Object>(p)).toList();
    }
}
