package dev.s3c.gateway.metrics;

import dev.s3c.contracts.JsonCodec;
import dev.s3c.gateway.functions.FunctionService;
import dev.s3c.gateway.tenants.Caller;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What of the monitor's live metrics a caller sees: the platform's totals (throughput, queue depth, instances and
 * scaling are of the shared pool), and of the per-function figures and events only those of its own functions.
 * Whose a function is comes from the gateway's function lookups, which are remembered for a second.
 */
@Component
class LiveScope {

    private static final String FUNCTIONS = "functions";
    private static final String BACKLOG = "backlogByFunction";

    private final FunctionService functions;

    LiveScope(FunctionService functions) {
        this.functions = functions;
    }

    /** {@code GET /api/metrics}: the snapshot itself. */
    Mono<String> snapshot(String snapshot, Caller caller) {
        JsonNode node = JsonCodec.readTree(snapshot);
        return node instanceof ObjectNode object ? keepOwned(object, FUNCTIONS, caller).map(JsonCodec::toJson)
                : Mono.just(snapshot);
    }

    /**
     * A message of the live stream, {@code {"type":…, "snapshot"|"event": …}}: snapshots list the caller's functions
     * only, execution events of other tenants' functions are dropped, scaling events list the caller's backlog only.
     */
    Mono<String> message(String message, Caller caller) {
        JsonNode node = JsonCodec.readTree(message);
        String type = node.path("type").asString("");
        return switch (type) {
            case "snapshot" -> node.get("snapshot") instanceof ObjectNode snapshot
                    ? keepOwned(snapshot, FUNCTIONS, caller).map(done -> JsonCodec.toJson(node)) : Mono.just(message);
            case "execution" -> owned(node.path("event").path("functionId").asString(""), caller)
                    .flatMap(mine -> mine ? Mono.just(message) : Mono.empty());
            case "scaling" -> node.get("event") instanceof ObjectNode event
                    ? keepOwned(event, BACKLOG, caller).map(done -> JsonCodec.toJson(node)) : Mono.just(message);
            default -> Mono.just(message);
        };
    }

    /** Removes the entries of the object field {@code field} whose key is not one of the caller's functions. */
    private Mono<ObjectNode> keepOwned(ObjectNode parent, String field, Caller caller) {
        if (!(parent.get(field) instanceof ObjectNode entries)) {
            return Mono.just(parent);
        }
        List<String> ids = new ArrayList<>(entries.propertyNames());
        return Flux.fromIterable(ids).filterWhen(id -> owned(id, caller).map(mine -> !mine)).collectList()
                .map(foreign -> {
                    foreign.forEach(entries::remove);
                    return parent;
                });
    }

    private Mono<Boolean> owned(String functionId, Caller caller) {
        return functionId.isEmpty() ? Mono.just(false) : functions.lookup(caller, functionId).hasElement();
    }
}
