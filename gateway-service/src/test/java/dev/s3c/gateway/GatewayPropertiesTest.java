package dev.s3c.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** The gateway's settings as Boot binds them from the configuration. */
class GatewayPropertiesTest {

    private static GatewayProperties bind(Map<String, String> settings) {
        return new Binder(new MapConfigurationPropertySource(settings)).bindOrCreate("s3c.gateway",
                GatewayProperties.class);
    }

    @Test
    void fiftyVersionsOfEachFunctionAreKeptUnlessSetFromOneToAThousand() {
        assertThat(bind(Map.of()).functionVersions()).isEqualTo(50);
        assertThat(bind(Map.of("s3c.gateway.function-versions", "1")).functionVersions()).isEqualTo(1);
        assertThat(bind(Map.of("s3c.gateway.function-versions", "1000")).functionVersions()).isEqualTo(1000);
        for (String bad : new String[] {"0", "1001", "-5"}) {
            assertThatThrownBy(() -> bind(Map.of("s3c.gateway.function-versions", bad)))
                    .isInstanceOf(BindException.class)
                    .rootCause().hasMessageContaining("S3C_FUNCTION_VERSIONS").hasMessageContaining("was " + bad);
        }
    }
}
