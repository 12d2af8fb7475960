package dev.s3c.scaler.decide;

import static org.assertj.core.api.Assertions.assertThat;

import dev.s3c.contracts.ExecutionStatus;
import dev.s3c.contracts.InvocationCompleted;
import dev.s3c.contracts.InvocationRequested;
import dev.s3c.contracts.JsonCodec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class FunctionIdReaderTest {

    private final FunctionIdReader reader = new FunctionIdReader();

    private String read(String json) {
        return reader.deserialize("t", json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsTheFunctionOfRequestsAndResultsAsTheirWritersSerializeThem() {
        Instant t = Instant.parse("2026-11-27T10:00:00Z");
        var request = new InvocationRequested("e-1", "f-42", 3, JsonCodec.readTree("{\"functionId\":\"not-this\"}"), t, null);
        assertThat(reader.deserialize("t", JsonCodec.toBytes(request))).isEqualTo("f-42");
        var result = new InvocationCompleted("e-1", "f-43", 3, ExecutionStatus.SUCCEEDED, JsonCodec.readTree("[1,2]"),
                null, "", 1, 1, "i", false, t, t, t, null);
        assertThat(reader.deserialize("t", JsonCodec.toBytes(result))).isEqualTo("f-43");
    }

    @Test
    void skipsNestedValuesBeforeTheField() {
        assertThat(read("{\"input\":{\"functionId\":\"nested\",\"a\":[{\"b\":1}]},\"functionId\":\"top\"}"))
                .isEqualTo("top");
    }

    @Test
    void anythingElseCountsAsUnknownAndTombstonesStayNull() {
        assertThat(read("{\"executionId\":\"e\",\"functionId\":null}")).isEqualTo(FunctionIdReader.UNKNOWN);
        assertThat(read("{\"executionId\":\"e\"}")).isEqualTo(FunctionIdReader.UNKNOWN);
        assertThat(read("not json")).isEqualTo(FunctionIdReader.UNKNOWN);
        assertThat(read("[1]")).isEqualTo(FunctionIdReader.UNKNOWN);
        assertThat(reader.deserialize("t", null)).isNull();
    }
}
