package dev.s3c.gateway.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import dev.s3c.gateway.api.JsonBodies;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ExecutionIdsTest {

    @Test
    void idsAreVersion7UuidsThatSortByTimeAsText() {
        UUID id = ExecutionIds.of(0x0190_1234_5678L, -1L, -1L);
        assertThat(id.version()).isEqualTo(7);
        assertThat(id.variant()).isEqualTo(2);
        assertThat(id.toString()).startsWith("01901234-5678-7fff-bfff-");
        // later milliseconds sort later, whatever the random bits
        assertThat(ExecutionIds.of(1001, 0, 0).toString()).isGreaterThan(ExecutionIds.of(1000, -1L, -1L).toString());
    }

    @Test
    void freshIdsAreUniqueAndPassTheApisIdCheck() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            ids.add(ExecutionIds.next());
        }
        assertThat(new HashSet<>(ids)).hasSize(ids.size());
        ids.forEach(JsonBodies::executionId);
        // made over time, in order of their first 48 bits
        String first = ids.getFirst().substring(0, 13);
        String last = ids.getLast().substring(0, 13);
        assertThat(last.compareTo(first)).isGreaterThanOrEqualTo(0);
    }
}
