package dev.s3c.contracts;

/**
 * Which partition of the concurrency lanes topic an invocation runs from, when its tenant or function has a
 * concurrency limit. Each lane partition is consumed by one executor instance at a time, one record after another,
 * so a scope whose invocations go to n partitions never has more than n running, in any number of executor
 * processes, and the rest wait in line there.
 *
 * <p>A tenant limited to n has n partitions, spread evenly from a place of its own (so partitions that are assigned
 * in ranges still land on different instances); a function limited to m inside it uses m of its tenant's
 * partitions, so the tenant's limit holds over all its functions together. Each invocation takes one of its
 * scope's partitions by its execution id. A limit above the partition count is bounded by the partition count.
 *
 * <p>Shared by the gateway, which places invocations of limited tenants and functions, and the executors, which place
 * a tenant that takes more than its share of the CPU in lanes of its own (its fair share).
 */
public final class ConcurrencyLanes {

    private ConcurrencyLanes() {
    }

    /**
     * @param tenantLimit the tenant's {@code concurrentExecutions}, or null
     * @param functionLimit the function's {@code maxConcurrency}, or null
     * @param partitions the lanes topic's partitions
     * @return the partition, or null when neither has a limit (the invocation runs from where it is read)
     */
    public static Integer lane(String tenant, Integer tenantLimit, String functionId, Integer functionLimit,
            String executionId, int partitions) {
        if (tenantLimit == null && functionLimit == null) {
            return null;
        }
        // the tenant's partitions: all of them (from 0) when only the function is limited
        int tenantSlots = tenantLimit == null ? partitions : Math.min(tenantLimit, partitions);
        int tenantBase = tenantLimit == null ? 0 : Math.floorMod(mix(tenant.hashCode()), partitions);
        int slots = functionLimit == null ? tenantSlots : Math.min(functionLimit, tenantSlots);
        int functionBase = functionLimit == null ? 0 : Math.floorMod(mix(functionId.hashCode()), tenantSlots);
        int slot = Math.floorMod(mix(executionId.hashCode()), slots);
        // the function's slot-th place among the tenant's places, spread evenly, then the tenant's place on the topic
        int tenantPlace = Math.floorMod(functionBase + (int) ((long) slot * tenantSlots / slots), tenantSlots);
        return Math.floorMod(tenantBase + (int) ((long) tenantPlace * partitions / tenantSlots), partitions);
    }

    /** Which limit decides how many run at once: the function's when it is the lower one. */
    public static String bindingLimit(Integer tenantLimit, Integer functionLimit) {
        return functionLimit != null && (tenantLimit == null || functionLimit <= tenantLimit) ? "maxConcurrency"
                : "concurrentExecutions";
    }

    /** Spreads similar ids (executions made one after another) over the slots. */
    private static int mix(int h) {
        h *= 0x9E3779B9;
        return h ^ (h >>> 16);
    }
}
