package dev.s3c.scaler;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.scheduling.annotation.EnableScheduling;

@SpringBootApplication
@EnableScheduling
public class ScalerApplication {

    /** Each service reads its own config file, so all of them can share one classpath (local-cluster). */
    public static SpringApplicationBuilder builder() {
        return new SpringApplicationBuilder(ScalerApplication.class).properties("spring.config.name=scaler");
    }

    public static void main(String[] args) {
        builder().run(args);
    }
}
