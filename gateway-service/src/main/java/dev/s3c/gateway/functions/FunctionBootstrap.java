package dev.s3c.gateway.functions;

import dev.s3c.gateway.GatewayProperties;
import dev.s3c.gateway.idempotency.IdempotencyKeys;
import dev.s3c.gateway.tenants.Caller;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * At start-up: declare the indexes, create the sample functions on first start, and publish every stored function
 * again so the definitions topic (and every executor's view) agrees with the database, even on a fresh broker.
 */
@Component
class FunctionBootstrap implements ApplicationRunner {

    private static final Logger log = LoggerFactory.getLogger(FunctionBootstrap.class);

    private final FunctionService functions;
    private final GatewayProperties properties;
    private final IdempotencyKeys keys;

    FunctionBootstrap(FunctionService functions, GatewayProperties properties, IdempotencyKeys keys) {
        this.functions = functions;
        this.properties = properties;
        this.keys = keys;
    }

    @Override
    public void run(ApplicationArguments args) {
        functions.ensureIndexes()
                .then(keys.ensureIndexes())
                .then(properties.seedSamples() ? seedIfEmpty() : Mono.empty())
                .then(functions.republishAll())
                .doOnNext(n -> log.info("Published {} function definitions", n))
                .block(Duration.ofMinutes(2));
    }

    private Mono<Void> seedIfEmpty() {
        return functions.count(Caller.DEFAULT_TENANT, null, null).flatMap(count -> count > 0 ? Mono.empty()
                : Flux.fromIterable(SampleFunctions.ALL)
                        .concatMap(s -> functions.create(Caller.DEFAULT_TENANT, new FunctionSpec(s.name(), s.description(), s.code(), null, null,
                                null))
                                // another gateway seeded it first
                                .onErrorResume(e -> e instanceof DuplicateKeyException
                                        || e.getMessage() != null && e.getMessage().contains("already exists"),
                                        e -> Mono.empty()))
                        .doOnNext(f -> log.info("Created sample function {} ({})", f.name(), f.id()))
                        .then());
    }
}
