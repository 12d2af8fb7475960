package dev.s3c.gateway.echo;

import dev.s3c.gateway.api.JsonBodies;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * {@code POST /api/echo}: answers with the JSON object it was sent, through the same web stack as execute (body read
 * as text, parsed, answered as JSON) but without the pipeline behind it. A quick check that the gateway answers, and
 * the baseline the bench measures the execute endpoint against in the same run.
 */
@io.swagger.v3.oas.annotations.tags.Tag(name = "Diagnostics")
@RestController
class EchoController {

    @PostMapping(path = "/api/echo", consumes = MediaType.APPLICATION_JSON_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
    Mono<ResponseEntity<JsonNode>> echo(@RequestBody(required = false) String body) {
        return Mono.fromCallable(() -> ResponseEntity.ok(JsonBodies.parseObject(body)));
    }
}
