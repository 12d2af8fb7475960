package dev.s3c.local;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ServiceConverterTest {

    @ParameterizedTest
    @CsvSource({
            "dev.s3c.gateway.loadtests.LoadTest,             parallel-2,                                         gateway",
            "dev.s3c.executor.invoke.InvocationProcessor,    main,                                               executor",
            "dev.s3c.local.LocalCluster,                     main,                                               local",
            "org.apache.kafka.clients.NetworkClient,         kafka-producer-network-thread | s3c-monitor-1,      monitor",
            "org.apache.kafka.streams.KafkaStreams,          s3c-scaler-0c1d-StreamThread-1,                     scaler",
            "org.springframework.web.HttpLogging,            gateway-http-epoll-3,                               gateway",
            "org.springframework.web.HttpLogging,            monitor-http-epoll-1,                               monitor",
            "kafka.server.BrokerServer,                      kafka-cluster-test-kit-4,                           kafka",
            "org.apache.kafka.controller.QuorumController,   quorum-controller-0-event-handler,                  kafka",
            "de.bwaldvogel.mongo.backend.AbstractMongoDatabase, mongo-server-worker2,                            store",
            "org.springframework.boot.SpringApplication,     main,                                               -",
    })
    void tagsEachLineWithThePartOfTheJvmItCameFrom(String logger, String thread, String service) {
        ServiceConverter.register(OwnNettyResources.threadPrefix("gateway-service") + "-", "gateway");
        ServiceConverter.register(OwnNettyResources.threadPrefix("monitor-service") + "-", "monitor");
        assertThat(ServiceConverter.serviceOf(logger, thread)).isEqualTo(service);
    }
}
