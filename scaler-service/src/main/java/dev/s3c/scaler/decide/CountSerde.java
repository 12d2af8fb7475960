package dev.s3c.scaler.decide;

import dev.s3c.contracts.JsonCodec;
import java.nio.ByteBuffer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The counter's pending counts in its store: two longs. The caching store keeps values as bytes, so every request and
 * result the scaler counts is one read and one write of a count; as JSON that was a third of the scaler's CPU.
 * Counts a changelog still holds as JSON (written before) are read as such.
 */
final class CountSerde {

    private static final int SIZE = 2 * Long.BYTES;

    private CountSerde() {
    }

    static Serde<TrafficCounts.Count> serde() {
        Serializer<TrafficCounts.Count> serializer = (topic, count) -> count == null ? null
                : ByteBuffer.allocate(SIZE).putLong(count.requested()).putLong(count.finished()).array();
        Deserializer<TrafficCounts.Count> deserializer = (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            if (bytes.length > 0 && bytes[0] == '{') {
                // a count's first byte is its high byte: never '{' for a count below 2^62
                return JsonCodec.fromBytes(bytes, TrafficCounts.Count.class);
            }
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            return new TrafficCounts.Count(buffer.getLong(), buffer.getLong());
        };
        return Serdes.serdeFrom(serializer, deserializer);
    }
}
