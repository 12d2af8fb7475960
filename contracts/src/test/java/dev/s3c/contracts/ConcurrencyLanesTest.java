package dev.s3c.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class ConcurrencyLanesTest {

    private static final int PARTITIONS = 48;

    @Test
    void withoutLimitsAnInvocationHasNoLane() {
        assertThat(ConcurrencyLanes.lane("acme", null, "f1", null, "e1", PARTITIONS)).isNull();
    }

    @Test
    void aFunctionLimitedToNRunsFromExactlyNPartitions() {
        for (int limit : new int[] {1, 2, 3, 7, 48, 100}) {
            assertThat(lanes("acme", null, "fn-" + limit, limit)).as("limit %d", limit)
                    .hasSize(Math.min(limit, PARTITIONS));
        }
    }

    @Test
    void aTenantsFunctionsTogetherStayInsideItsPartitions() {
        for (int tenantLimit : new int[] {1, 2, 5, 10, 60}) {
            String tenant = "tenant-" + tenantLimit;
            Set<Integer> tenantLanes = lanes(tenant, tenantLimit, "any", null);
            assertThat(tenantLanes).hasSize(Math.min(tenantLimit, PARTITIONS));
            Set<Integer> union = new HashSet<>();
            for (int f = 0; f < 20; f++) {
                Integer functionLimit = f % 3 == 0 ? null : f % 4 + 1;
                Set<Integer> own = lanes(tenant, tenantLimit, "function-" + f, functionLimit);
                assertThat(own).as("function %d of %s", f, tenant).isSubsetOf(tenantLanes)
                        .hasSize(Math.min(functionLimit == null ? tenantLimit : functionLimit,
                                Math.min(tenantLimit, PARTITIONS)));
                union.addAll(own);
            }
            assertThat(union).isSubsetOf(tenantLanes);
        }
    }

    @Test
    void aScopesPartitionsAreSpreadNotNeighbours() {
        // partitions handed out in ranges (a range per instance) still put a limit of 2 on two instances
        TreeSet<Integer> two = new TreeSet<>(lanes("globex", 2, "f", null));
        assertThat(two.last() - two.first()).isEqualTo(PARTITIONS / 2);
        TreeSet<Integer> three = new TreeSet<>(lanes("globex", null, "f", 3));
        int first = three.first();
        assertThat(three).containsExactly(first, first + PARTITIONS / 3, first + 2 * PARTITIONS / 3);
    }

    @Test
    void theBindingLimitIsTheLowerOne() {
        assertThat(ConcurrencyLanes.bindingLimit(5, 2)).isEqualTo("maxConcurrency");
        assertThat(ConcurrencyLanes.bindingLimit(2, 5)).isEqualTo("concurrentExecutions");
        assertThat(ConcurrencyLanes.bindingLimit(null, 5)).isEqualTo("maxConcurrency");
        assertThat(ConcurrencyLanes.bindingLimit(3, null)).isEqualTo("concurrentExecutions");
    }

    private static Set<Integer> lanes(String tenant, Integer tenantLimit, String function, Integer functionLimit) {
        Set<Integer> lanes = new HashSet<>();
        for (int e = 0; e < 5_000; e++) {
            Integer lane = ConcurrencyLanes.lane(tenant, tenantLimit, function, functionLimit,
                    "0198c0de-" + e, PARTITIONS);
            assertThat(lane).isBetween(0, PARTITIONS - 1);
            lanes.add(lane);
        }
        return lanes;
    }
}
