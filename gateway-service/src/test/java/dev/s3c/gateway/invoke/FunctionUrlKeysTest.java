package dev.s3c.gateway.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import dev.s3c.gateway.keys.ApiKeys;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What in {@code Authorization} is kept from a function: anything that may be a key of the platform. */
class FunctionUrlKeysTest {

    private static final String CONFIGURED = "a-configured-key-of-any-shape";

    /** As ApiKeys.mayBeKey decides it (ApiKeysTest): a configured key or a stored one's shape. */
    private static boolean holdsKey(List<String> authorization) {
        return FunctionUrlController.holdsKey(authorization, token -> token.equals(CONFIGURED)
                || token.startsWith("s3c_") || token.startsWith("s3cs_"));
    }

    @Test
    void aKeyIsFoundWhereverItIsInTheHeader() {
        String stored = ApiKeys.newKey();
        assertThat(holdsKey(List.of("Bearer " + stored))).isTrue();
        assertThat(holdsKey(List.of("Token " + CONFIGURED))).isTrue();
        assertThat(holdsKey(List.of("Bearer\t" + stored))).isTrue();
        assertThat(holdsKey(List.of("Bearer x, Basic " + stored))).isTrue();
        assertThat(holdsKey(List.of("Bearer theirs", "Bearer " + stored))).isTrue();
        assertThat(holdsKey(List.of("Basic " + Base64.getEncoder().encodeToString((stored + ":")
                .getBytes(StandardCharsets.UTF_8))))).as("curl -u \"$KEY:\"").isTrue();
        assertThat(holdsKey(List.of("Bearer " + ApiKeys.sessionToken(CONFIGURED)))).isTrue();
    }

    @Test
    void aCallersOwnCredentialsPassOn() {
        assertThat(holdsKey(null)).isFalse();
        assertThat(holdsKey(List.of("Bearer eyJhbGciOiJIUzI1NiJ9.theirs"))).isFalse();
        assertThat(holdsKey(List.of("Basic " + Base64.getEncoder().encodeToString("ada:secret"
                .getBytes(StandardCharsets.UTF_8))))).isFalse();
    }
}
