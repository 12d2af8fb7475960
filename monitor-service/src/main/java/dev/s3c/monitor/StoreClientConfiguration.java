package dev.s3c.monitor;

import com.mongodb.MongoClientSettings;
import com.mongodb.connection.TransportSettings;
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
 * The gateway declares the same.
 */
@Configuration(proxyBeanMethods = false)
class StoreClientConfiguration {

    @Bean
    MongoClientSettings mongoClientSettings() {
        return MongoClientSettings.builder().transportSettings(TransportSettings.asyncBuilder().build()).build();
    }

    @Bean
    StandardMongoClientSettingsBuilderCustomizer standardMongoSettingsCustomizer(MongoProperties properties,
            MongoConnectionDetails connectionDetails) {
        return new StandardMongoClientSettingsBuilderCustomizer(connectionDetails,
                properties.getRepresentation().getUuid());
    }
}
