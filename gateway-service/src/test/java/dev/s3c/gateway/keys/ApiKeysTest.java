package dev.s3c.gateway.keys;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ApiKeysTest {

    @Test
    void acceptsEveryConfiguredKeyAndNothingElse() {
        String old = ApiKeys.newKey();
        String replacement = ApiKeys.newKey();
        ApiKeys keys = new ApiKeys(List.of(old, replacement));
        assertThat(keys.tenantOf(old)).hasValue(ApiKeys.DEFAULT_TENANT);
        assertThat(keys.tenantOf(replacement)).hasValue(ApiKeys.DEFAULT_TENANT);
        assertThat(keys.tenantOf(old + "x")).isEmpty();
        assertThat(keys.tenantOf("")).isEmpty();
        assertThat(keys.tenantOf(null)).isEmpty();
        assertThat(new ApiKeys(List.of()).tenantOf(old)).isEmpty();
    }

    @Test
    void theConsolesCookieHoldsATokenThatIsNotTheKeyAndNotAKey() {
        String key = ApiKeys.newKey();
        ApiKeys keys = new ApiKeys(List.of(key));
        String token = ApiKeys.sessionToken(key);
        assertThat(token).doesNotContain(key).isNotEqualTo(ApiKeys.sessionToken(ApiKeys.newKey()));
        assertThat(keys.tenantOfSession(token)).hasValue(ApiKeys.DEFAULT_TENANT);
        assertThat(keys.tenantOf(token)).isEmpty();
        assertThat(keys.tenantOfSession(key)).isEmpty();
    }

    @Test
    void newKeysAreLongRandomAndRecognisable() {
        String a = ApiKeys.newKey();
        assertThat(a).startsWith("s3c_").hasSize(4 + 43).matches("s3c_[A-Za-z0-9_-]+");
        assertThat(ApiKeys.newKey()).isNotEqualTo(a);
        assertThat(ApiKeys.hash(a)).hasSize(64).isNotEqualTo(ApiKeys.hash(ApiKeys.newKey()));
    }
}
