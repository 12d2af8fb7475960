package dev.s3c.contracts;

import java.time.Instant;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.cfg.DateTimeFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.module.SimpleModule;

/**
 * The one JSON mapping of the platform's messages: ISO-8601 instants; unknown fields ignored and missing ones
 * defaulted, so writers and readers of different versions understand each other.
 */
public final class JsonCodec {

    private static final JsonMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            // fields added later are absent in older messages: numbers then read as 0
            .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DateTimeFeature.WRITE_DATES_AS_TIMESTAMPS)
            .addModule(new SimpleModule("s3c-instants").addDeserializer(Instant.class, new IsoInstantDeserializer()))
            .addModule(new ConstructorHandles())
            .build();

    private JsonCodec() {
    }

    public static JsonMapper mapper() {
        return MAPPER;
    }

    public static byte[] toBytes(Object value) {
        return MAPPER.writeValueAsBytes(value);
    }

    public static String toJson(Object value) {
        return MAPPER.writeValueAsString(value);
    }

    public static <T> T fromBytes(byte[] bytes, Class<T> type) {
        return MAPPER.readValue(bytes, type);
    }

    public static <T> T fromJson(String json, Class<T> type) {
        return MAPPER.readValue(json, type);
    }

    /** Parses JSON text into a tree; throws {@link JacksonException} with a location when it is malformed. */
    public static JsonNode readTree(String json) {
        return MAPPER.readTree(json);
    }
}
