package dev.s3c.gateway.functions;

import dev.s3c.contracts.FunctionDefinition;
import dev.s3c.contracts.Topic;
import dev.s3c.gateway.TopicPublisher;
import dev.s3c.gateway.api.ApiException;
import java.time.Duration;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/** Publishes function versions (and tombstones for deletes) to the compacted definitions topic that executors read. */
@Component
class DefinitionPublisher {

    private final TopicPublisher publisher;

    DefinitionPublisher(TopicPublisher publisher) {
        this.publisher = publisher;
    }

    Mono<Void> publish(FunctionDefinition definition) {
        return send(definition.id(), definition);
    }

    Mono<Void> tombstone(String functionId) {
        return send(functionId, null);
    }

    /**
     * Retried briefly; if Kafka stays away the caller gets a 503 saying the change is stored but not yet delivered
     * (the gateway's reconciliation delivers it once Kafka is back).
     */
    private Mono<Void> send(String functionId, FunctionDefinition definition) {
        return publisher.send(Topic.FUNCTION_DEFINITIONS, functionId, definition)
                .retryWhen(Retry.backoff(4, Duration.ofMillis(200)))
                .onErrorMap(e -> new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "function " + functionId
                        + (definition == null ? " is deleted" : " is stored") + " but executors could not be told yet "
                        + "(Kafka unavailable); the gateway tells them as soon as Kafka is back", List.of(),
                        java.util.Map.of("Retry-After", "30")));
    }
}
