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
 * Counts a changelog still holds as JSON (written before) are read as such; a scaler of a version before this one
 * cannot read the new ones (going back needs its application reset, which only loses counts not yet flushed).
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
            if (bytes.length == SIZE) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                return new TrafficCounts.Count(buffer.getLong(), buffer.getLong());
            }
            // as JSON a count is at least 28 bytes
            return JsonCodec.fromBytes(bytes, TrafficCounts.Count.class);
        };
        return Serdes.serdeFrom(serializer, deserializer);
    }
}
