package dev.s3c.local;

import java.time.Duration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.ReactorResourceFactory;

/**
 * Each service in this one JVM gets event loops of its own. Spring Boot's default shares Reactor Netty's global
 * loops and disposes them when a context stops, so stopping one service (a monitor restarted, one gateway of two
 * drained) stopped the web servers of all the others.
 */
@Configuration(proxyBeanMethods = false)
class OwnNettyResources {

    @Bean
    ReactorResourceFactory reactorResourceFactory() {
        ReactorResourceFactory resources = new ReactorResourceFactory();
        resources.setUseGlobalResources(false);
        // requests in flight are drained by the web server's graceful shutdown before the loops stop
        resources.setShutdownQuietPeriod(Duration.ZERO);
        return resources;
    }
}
