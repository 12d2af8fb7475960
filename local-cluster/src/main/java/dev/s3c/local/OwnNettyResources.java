package dev.s3c.local;

import java.time.Duration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.http.client.ReactorResourceFactory;
import reactor.netty.resources.LoopResources;

/**
 * Each service in this one JVM gets event loops of its own, named after it ({@code gateway-http-epoll-1}): the log's
 * {@code %service} and a profile can tell them apart. Spring Boot's default shares Reactor Netty's global loops and
 * disposes them when a context stops, so stopping one service (a monitor restarted, one gateway of two drained)
 * stopped the web servers of all the others.
 */
@Configuration(proxyBeanMethods = false)
class OwnNettyResources {

    @Bean
    ReactorResourceFactory reactorResourceFactory(Environment environment) {
        String prefix = threadPrefix(environment.getProperty("spring.application.name", "web"));
        ReactorResourceFactory resources = new ReactorResourceFactory();
        resources.setUseGlobalResources(false);
        resources.setLoopResourcesSupplier(() -> LoopResources.create(prefix));
        // requests in flight are drained by the web server's graceful shutdown before the loops stop
        resources.setShutdownQuietPeriod(Duration.ZERO);
        return resources;
    }

    /** {@code gateway-service} → {@code gateway-http}: its loops' threads start with this and a dash. */
    static String threadPrefix(String applicationName) {
        return applicationName.replace("-service", "") + "-http";
    }
}
