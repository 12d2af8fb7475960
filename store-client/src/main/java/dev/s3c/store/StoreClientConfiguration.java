package dev.s3c.store;

import com.mongodb.MongoClientSettings;
import com.mongodb.connection.TransportSettings;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.mongodb.autoconfigure.MongoConnectionDetails;
import org.springframework.boot.mongodb.autoconfigure.MongoProperties;
import org.springframework.boot.mongodb.autoconfigure.StandardMongoClientSettingsBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The store client on the MongoDB driver's own asynchronous transport rather than the Netty one Boot picks whenever
 * Netty is on the classpath: the driver's Netty transport encodes commands byte by byte into reference-counted buffers,
 * and the whole platform spent about 4% more CPU per invocation with it (README, tenth round). A settings bean that
 * names a transport is what makes Boot's Netty customizer back off; it also replaces Boot's settings bean, and with it
 * Boot's customizer that applies {@code spring.mongodb.*}, which is therefore declared here as Boot declares it.
 * The gateway and the monitor import it.
 *
 * <p>The transport runs the driver's callbacks, and with them whatever the reactive chains do next, on threads of
 * its own: the JDK's default ones are {@code InnocuousThread}s whose context class loader is the system's, which in
 * the local run's jar cannot see the application's classes. A Kafka producer first made there (the gateway
 * republishing stored functions at a restart, through a Reactor worker started from such a thread) failed to load its
 * configured classes, and the restart with it.
 */
@Configuration(proxyBeanMethods = false)
public class StoreClientConfiguration {

    @Bean
    MongoClientSettings mongoClientSettings() {
        return MongoClientSettings.builder()
                .transportSettings(TransportSettings.asyncBuilder().executorService(callbackThreads()).build())
                .build();
    }

    /**
     * Daemon threads with this application's class loader; the client shuts them down when it closes (one client per
     * service: a second client from these settings would share them). Each completion is handed to one of them by the
     * channel group's polling thread, where the JDK's default group ran it on the polling thread: a hand-off per store
     * command, which the services make a few of a second under load (the monitor writes in bulk).
     */
    static ExecutorService callbackThreads() {
        ClassLoader application = StoreClientConfiguration.class.getClassLoader();
        AtomicInteger count = new AtomicInteger();
        return Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "s3c-store-client-" + count.incrementAndGet());
            thread.setDaemon(true);
            thread.setContextClassLoader(application);
            return thread;
        });
    }

    @Bean
    StandardMongoClientSettingsBuilderCustomizer standardMongoSettingsCustomizer(MongoProperties properties,
            MongoConnectionDetails connectionDetails) {
        return new StandardMongoClientSettingsBuilderCustomizer(connectionDetails,
                properties.getRepresentation().getUuid());
    }
}
