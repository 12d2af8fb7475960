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
     * (start-up republishing delivers it later).
     */
    private Mono<Void> send(String functionId, FunctionDefinition definition) {
        return publisher.send(Topic.FUNCTION_DEFINITIONS, functionId, definition)
                .retryWhen(Retry.backoff(4, Duration.ofMillis(200)))
                .onErrorMap(e -> new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "function " + functionId
                        + " is stored but could not be delivered to executors yet (Kafka unavailable); "
                        + "it is delivered when the gateway restarts", List.of()));
    }
}
