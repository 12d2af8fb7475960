package dev.s3c.contracts;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** Kafka serde for one message type, through {@link JsonCodec}. Null stays null (tombstones). */
public final class JsonSerde<T> implements Serde<T> {

    private final Class<T> type;

    public JsonSerde(Class<T> type) {
        this.type = type;
    }

    /** A serializer for any contract record, for producers that write several message types. */
    public static Serializer<Object> anySerializer() {
        return (topic, data) -> data == null ? null : JsonCodec.toBytes(data);
    }

    @Override
    public Serializer<T> serializer() {
        return (topic, data) -> data == null ? null : JsonCodec.toBytes(data);
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, data) -> data == null ? null : JsonCodec.fromBytes(data, type);
    }
}
