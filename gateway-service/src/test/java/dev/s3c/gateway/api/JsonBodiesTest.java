package dev.s3c.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.s3c.contracts.JsonCodec;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;

class JsonBodiesTest {

    @Test
    void anInvocationsBodyHoldsItsInputAndNothingElse() {
        assertThat(JsonBodies.input(JsonCodec.readTree("{\"input\":{\"n\":1}}")).get("n").asInt()).isEqualTo(1);
        assertThat(JsonBodies.input(JsonCodec.readTree("{}"))).isNull();
        assertThat(JsonBodies.input(JsonCodec.readTree("{\"input\":null}")).isNull()).isTrue();

        // the input sent as the body itself, and a field beside the input: each named
        ApiException bare = catchThrowableOfType(ApiException.class,
                () -> JsonBodies.input(JsonCodec.readTree("{\"name\":\"ada\"}")));
        assertThat(bare.status()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(bare.errors()).extracting(FieldError::field).containsExactly("name");
        assertThat(bare.getMessage()).contains("{\"input\": ...}");
        assertThat(catchThrowableOfType(ApiException.class,
                () -> JsonBodies.input(JsonCodec.readTree("{\"input\":1,\"retries\":2}"))).errors())
                .extracting(FieldError::field).containsExactly("retries");
    }
}
