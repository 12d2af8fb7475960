package dev.s3c.gateway.functions;

import dev.s3c.contracts.FunctionDefinition;
import dev.s3c.contracts.Topic;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/** Publishes function versions (and tombstones for deletes) to the compacted definitions topic that executors read. */
@Component
class DefinitionPublisher {

    private final KafkaTemplate<String, Object> kafka;

    DefinitionPublisher(KafkaTemplate<String, Object> kafka) {
        this.kafka = kafka;
    }

    Mono<Void> publish(FunctionDefinition definition) {
        return Mono.fromFuture(() -> kafka.send(Topic.FUNCTION_DEFINITIONS.topicName(), definition.id(), definition))
                .then();
    }

    Mono<Void> tombstone(String functionId) {
        return Mono.fromFuture(() -> kafka.send(Topic.FUNCTION_DEFINITIONS.topicName(), functionId, null)).then();
    }
}
