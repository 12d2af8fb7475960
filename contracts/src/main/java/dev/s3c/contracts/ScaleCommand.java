package dev.s3c.contracts;

import java.time.Instant;
import java.util.Map;

/**
 * The scaler's word to the executors: the pool of {@code group} should have {@code desiredInstances} consumer
 * threads in total, split among the live executor processes as {@code assignments} says. Keyed by group on a
 * compacted topic, so an executor that starts reads the latest command first.
 *
 * @param assignments instances per executor process id; a process not named keeps its own count
 * @param sequence increases with every command of the group, so a reader can tell newer from older
 */
public record ScaleCommand(
        String group,
        int desiredInstances,
        Map<String, Integer> assignments,
        String reason,
        long sequence,
        Instant issuedAt) {

    public ScaleCommand {
        assignments = assignments == null ? Map.of() : Map.copyOf(assignments);
    }

    /** The instances this process should run, or -1 when the command does not name it. */
    public int instancesFor(String process) {
        Integer n = assignments.get(process);
        return n == null ? -1 : n;
    }
}
