package dev.s3c.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.deser.ValueInstantiator;
import tools.jackson.databind.deser.bean.BeanDeserializerBase;
import tools.jackson.databind.exc.ValueInstantiationException;

class ConstructorHandlesTest {

    record Mixed(String name, int count, long total, boolean flag, double ratio, Instant at, List<String> tags) {
    }

    record Checked(String name) {
        Checked {
            if (name.isBlank()) {
                throw new IllegalArgumentException("name is blank");
            }
        }
    }

    private record Hidden(String a, int b) {
    }

    record Names(String first, String... rest) {
    }

    record Made(String name, int size) {
        @JsonCreator
        static Made of(@JsonProperty("name") String name, @JsonProperty("size") int size) {
            return new Made(name.toUpperCase(Locale.ROOT), size);
        }
    }

    @Test
    void aRecordIsBuiltThroughTheHandleWithEveryKindOfComponent() {
        Mixed read = JsonCodec.fromJson("""
                {"name":"n","count":3,"total":9000000000,"flag":true,"ratio":0.5,"at":"2026-12-05T18:00:00Z",
                 "tags":["x","y"]}""", Mixed.class);

        assertThat(read).isEqualTo(new Mixed("n", 3, 9_000_000_000L, true, 0.5,
                Instant.parse("2026-12-05T18:00:00Z"), List.of("x", "y")));
        assertThat(instantiatorOf(Mixed.class)).isInstanceOf(ConstructorHandles.Handled.class);
    }

    @Test
    void missingComponentsAreDefaultedAsBefore() {
        // fields added later are absent in older messages: primitives read as zero, references as null
        assertThat(JsonCodec.fromJson("{\"name\":\"n\"}", Mixed.class))
                .isEqualTo(new Mixed("n", 0, 0, false, 0, null, null));
    }

    @Test
    void anExplicitNullForAPrimitiveReadsAsZero() {
        assertThat(JsonCodec.fromJson("{\"name\":\"n\",\"count\":null,\"flag\":null}", Mixed.class))
                .isEqualTo(new Mixed("n", 0, 0, false, 0, null, null));
    }

    @Test
    void aVarargsConstructorGetsItsArrayAsOneArgument() {
        Names read = JsonCodec.fromJson("{\"first\":\"a\",\"rest\":[\"b\",\"c\"]}", Names.class);

        assertThat(read.first()).isEqualTo("a");
        assertThat(read.rest()).containsExactly("b", "c");
        assertThat(instantiatorOf(Names.class)).isInstanceOf(ConstructorHandles.Handled.class);
    }

    @Test
    void aFactoryMethodStaysWithJackson() {
        assertThat(JsonCodec.fromJson("{\"name\":\"x\",\"size\":2}", Made.class)).isEqualTo(new Made("X", 2));
        assertThat(instantiatorOf(Made.class)).isNotInstanceOf(ConstructorHandles.Handled.class);
    }

    @Test
    void aPrivateRecordOfAnotherScopeIsStillBuilt() {
        assertThat(JsonCodec.fromJson("{\"a\":\"x\",\"b\":2}", Hidden.class)).isEqualTo(new Hidden("x", 2));
    }

    @Test
    void aConstructorThatRefusesItsFieldsIsReportedAsJacksonReportsIt() {
        assertThatThrownBy(() -> JsonCodec.fromJson("{\"name\":\" \"}", Checked.class))
                .isInstanceOf(ValueInstantiationException.class)
                .hasMessageContaining("Checked")
                .hasMessageContaining("name is blank")
                .hasRootCauseInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void everyMessageOfThePlatformIsBuiltThroughTheHandle() {
        for (Class<?> message : List.of(InvocationRequested.class, InvocationCompleted.class, InvocationStarted.class,
                DeadLettered.class, ScalingEvent.class, ExecutorStatus.class, LagSample.class, ScaleCommand.class)) {
            assertThat(instantiatorOf(message)).as(message.getSimpleName())
                    .isInstanceOf(ConstructorHandles.Handled.class);
        }
    }

    private static ValueInstantiator instantiatorOf(Class<?> type) {
        var deserializer = JsonCodec.mapper()._deserializationContext()
                .findRootValueDeserializer(JsonCodec.mapper().constructType(type));
        return ((BeanDeserializerBase) deserializer).getValueInstantiator();
    }
}
