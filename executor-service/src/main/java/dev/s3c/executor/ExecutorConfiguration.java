package dev.s3c.executor;

import dev.s3c.contracts.InvocationCompleted;
import dev.s3c.contracts.JsonSerde;
import dev.s3c.contracts.Topic;
import dev.s3c.executor.runtime.JsEngine;
import dev.s3c.executor.runtime.Watchdog;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;

@Configuration(proxyBeanMethods = false)
class ExecutorConfiguration {

    /** The executor writes the results topic, so it declares it. */
    @Bean
    NewTopic invocationResultsTopic() {
        return Topic.INVOCATION_RESULTS.newTopic();
    }

    @Bean(destroyMethod = "close")
    JsEngine jsEngine() {
        return new JsEngine();
    }

    @Bean(destroyMethod = "close")
    Watchdog watchdog() {
        return new Watchdog();
    }

    @Bean
    KafkaTemplate<String, InvocationCompleted> resultsTemplate(KafkaProperties kafka) {
        var factory = new DefaultKafkaProducerFactory<>(kafka.buildProducerProperties(), new StringSerializer(),
                JsonSerde.of(InvocationCompleted.class).serializer());
        return new KafkaTemplate<>(factory);
    }
}
