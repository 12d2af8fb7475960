package dev.s3c.monitor;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class MonitorApplication {

    /** Each service reads its own config file, so all of them can share one classpath (local-cluster). */
    public static SpringApplicationBuilder builder() {
        return new SpringApplicationBuilder(MonitorApplication.class).properties("spring.config.name=monitor");
    }

    public static void main(String[] args) {
        builder().run(args);
    }
}
