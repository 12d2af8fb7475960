package dev.s3c.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

class ExecutorPropertiesTest {

    private static ExecutorProperties bind(Map<String, String> settings) {
        return new Binder(new MapConfigurationPropertySource(settings)).bindOrCreate("s3c.executor",
                ExecutorProperties.class);
    }

    @Test
    void instancesRunAtTheNormalPriorityUnlessToldAndOnlyLowerPrioritiesAreAccepted() {
        assertThat(bind(Map.of()).instanceNice()).isZero();
        assertThat(bind(Map.of("s3c.executor.instance-nice", "19")).instanceNice()).isEqualTo(19);
        for (String bad : new String[] {"20", "-1"}) {
            assertThatThrownBy(() -> bind(Map.of("s3c.executor.instance-nice", bad)))
                    .rootCause().hasMessageContaining("s3c.executor.instance-nice").hasMessageContaining(bad);
        }
    }
}
