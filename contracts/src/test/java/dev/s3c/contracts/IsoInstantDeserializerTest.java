package dev.s3c.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.cfg.DateTimeFeature;
import tools.jackson.databind.json.JsonMapper;

class IsoInstantDeserializerTest {

    /** The codec as it was, with Jackson's own reading of instants. */
    private static final JsonMapper JACKSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DateTimeFeature.WRITE_DATES_AS_TIMESTAMPS)
            .build();

    record Stamped(Instant at) {
    }

    @Test
    void everyInstantAsThePlatformWritesItIsReadByHandToTheSameInstant() {
        SplittableRandom random = new SplittableRandom(42);
        long min = Instant.parse("0000-01-01T00:00:00Z").getEpochSecond();
        long max = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();
        for (int i = 0; i < 200_000; i++) {
            int nanos = switch (i % 4) {
                case 0 -> 0;
                case 1 -> random.nextInt(1_000) * 1_000_000;
                case 2 -> random.nextInt(1_000_000) * 1_000;
                default -> random.nextInt(1_000_000_000);
            };
            Instant instant = Instant.ofEpochSecond(random.nextLong(min, max + 1), nanos);
            String text = instant.toString();
            assertThat(IsoInstantDeserializer.parse(text)).as(text).isEqualTo(instant);
            assertThat(JsonCodec.fromJson(JsonCodec.toJson(new Stamped(instant)), Stamped.class).at()).isEqualTo(instant);
        }
        for (String fraction : List.of("1", "12", "123", "1234", "12345", "123456", "1234567", "12345678", "123456789")) {
            String text = "2024-02-29T23:59:59." + fraction + "Z";
            assertThat(IsoInstantDeserializer.parse(text)).as(text).isEqualTo(Instant.parse(text));
        }
    }

    /** Registered as the codec registers it, the hand parser is what reads a record's instants. */
    @Test
    void theCodecsMapperReadsInstantsWithTheHandParser() {
        java.util.concurrent.atomic.AtomicInteger read = new java.util.concurrent.atomic.AtomicInteger();
        JsonMapper counting = JsonMapper.builder()
                .addModule(new tools.jackson.databind.module.SimpleModule().addDeserializer(Instant.class,
                        new IsoInstantDeserializer() {
                            @Override
                            public Instant deserialize(tools.jackson.core.JsonParser parser,
                                    tools.jackson.databind.DeserializationContext context) {
                                read.incrementAndGet();
                                return super.deserialize(parser, context);
                            }
                        }))
                .build();
        Instant at = Instant.parse("2026-12-04T20:26:11.123456Z");
        assertThat(counting.readValue("{\"at\":\"" + at + "\"}", Stamped.class).at()).isEqualTo(at);
        assertThat(read).hasValue(1);
        assertThat(JsonCodec.mapper().registeredModules()).anySatisfy(module ->
                assertThat(module.getRegistrationId()).isEqualTo("s3c-instants"));
    }

    /** What the hand parser does not take is Jackson's: read as before, refused with the same error as before. */
    @Test
    void everythingElseIsReadOrRefusedExactlyAsJacksonDid() {
        List<String> values = List.of("\"+10000-01-01T00:00:00Z\"", "\"2026-12-04t20:26:11z\"",
                "\"2026-12-04T23:59:60Z\"", "\"2026-12-04T20:26:11+01:00\"", "\"2026-12-04T20:26:11.1234567890Z\"",
                "\"2026-12-04T20:26:11.Z\"", "\"2026-02-30T00:00:00Z\"", "\"2026-12-04T24:00:00Z\"",
                "\"2026-1a-04T20:26:11Z\"", "\"\"", "\" 2026-12-04T20:26:11Z\"", "\"1733333333\"", "1733333333",
                "1733333333.5", "null", "\"yesterday\"", "\"-0001-01-01T00:00:00Z\"");
        for (String value : values) {
            String json = "{\"at\":" + value + "}";
            assertThat(outcome(() -> JsonCodec.fromJson(json, Stamped.class).at())).as(json)
                    .isEqualTo(outcome(() -> JACKSON.readValue(json, Stamped.class).at()));
            if (value.startsWith("\"")) {
                assertThat(IsoInstantDeserializer.parse(value.substring(1, value.length() - 1))).as(value).isNull();
            }
        }
    }

    private static String outcome(java.util.concurrent.Callable<Instant> read) {
        try {
            return "read " + Objects.toString(read.call());
        } catch (Exception e) {
            return "refused " + e.getClass().getName();
        }
    }
}
