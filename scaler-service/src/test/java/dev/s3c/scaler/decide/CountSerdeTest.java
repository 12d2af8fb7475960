package dev.s3c.scaler.decide;

import static org.assertj.core.api.Assertions.assertThat;

import dev.s3c.contracts.JsonCodec;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

class CountSerdeTest {

    private final Serde<TrafficCounts.Count> serde = CountSerde.serde();

    @Test
    void aCountIsSixteenBytesAndReadsBackTheSame() {
        TrafficCounts.Count count = new TrafficCounts.Count(123_456_789_012L, 7);

        byte[] bytes = serde.serializer().serialize("t", count);

        assertThat(bytes).hasSize(16);
        assertThat(serde.deserializer().deserialize("t", bytes)).isEqualTo(count);
        assertThat(serde.deserializer().deserialize("t", serde.serializer().serialize("t",
                new TrafficCounts.Count(0, 0)))).isEqualTo(new TrafficCounts.Count(0, 0));
    }

    @Test
    void aCountTheChangelogKeptAsJsonIsStillRead() {
        byte[] before = JsonCodec.toBytes(new TrafficCounts.Count(3, 2));

        assertThat(serde.deserializer().deserialize("t", before)).isEqualTo(new TrafficCounts.Count(3, 2));
    }

    @Test
    void aTombstoneStaysNull() {
        assertThat(serde.serializer().serialize("t", null)).isNull();
        assertThat(serde.deserializer().deserialize("t", null)).isNull();
    }
}
