package dev.s3c.executor;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class ExecutorApplication {

    /** Each service reads its own config file, so all of them can share one classpath (local-cluster). */
    public static SpringApplicationBuilder builder() {
        return new SpringApplicationBuilder(ExecutorApplication.class).properties("spring.config.name=executor");
    }

    public static void main(String[] args) {
        builder().run(args);
    }
}
