package dev.s3c.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.ServerAddress;
import com.mongodb.connection.AsyncTransportSettings;
import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.internal.MongoClientImpl;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.mongodb.autoconfigure.MongoReactiveAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import reactor.core.publisher.Mono;

/** The client Boot builds with this configuration, against a MongoDB-wire server. */
class StoreClientConfigurationTest {

    private MongoServer server;
    private InetSocketAddress address;

    @BeforeEach
    void start() {
        server = new MongoServer(new MemoryBackend());
        address = server.bind();
    }

    @AfterEach
    void stop() {
        server.shutdownNow();
    }

    @Test
    void theClientUsesTheDriversOwnTransportAndStillTheConfiguredUri() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(MongoReactiveAutoConfiguration.class))
                .withUserConfiguration(StoreClientConfiguration.class)
                .withPropertyValues("spring.mongodb.uri=mongodb://127.0.0.1:" + address.getPort() + "/s3c")
                .run(context -> {
                    MongoClient client = context.getBean(MongoClient.class);
                    // the driver keeps the settings it was built with only on its implementation
                    var settings = ((MongoClientImpl) client).getSettings();
                    assertThat(settings.getTransportSettings()).isInstanceOf(AsyncTransportSettings.class);
                    assertThat(settings.getClusterSettings().getHosts())
                            .containsExactly(new ServerAddress("127.0.0.1", address.getPort()));
                    AtomicReference<Thread> answeredOn = new AtomicReference<>();
                    Document pong = Mono.from(client.getDatabase("s3c").runCommand(new Document("ping", 1)))
                            .doOnNext(answer -> answeredOn.set(Thread.currentThread()))
                            .block(Duration.ofSeconds(10));
                    assertThat(pong.get("ok", Number.class).intValue()).isEqualTo(1);
                    // the answer arrives on the configuration's threads, with the application's class loader (the
                    // JDK's default threads have the system's, the same loader as the application's in a test)
                    assertThat(answeredOn.get().getClass().getName()).isNotEqualTo("jdk.internal.misc.InnocuousThread");
                    assertThat(answeredOn.get().getName()).startsWith("s3c-store-client-");
                    assertThat(answeredOn.get().getContextClassLoader())
                            .isSameAs(StoreClientConfiguration.class.getClassLoader());
                });
    }
}
