package dev.s3c.gateway.loadtests;

import dev.s3c.contracts.FunctionStatus;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.gateway.GatewayProperties;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.api.FieldError;
import dev.s3c.gateway.functions.FunctionService;
import dev.s3c.gateway.tenants.Caller;
import dev.s3c.gateway.tenants.Quotas;
import dev.s3c.gateway.invoke.Invocations;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The load tests of this gateway: at most one running, the last {@link #KEPT} kept to be read back. Progress of the
 * running one goes out once a second on {@link #progress()}, which the live WebSocket relays.
 */
@Component
public class LoadTests implements DisposableBean {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LoadTests.class);

    static final int KEPT = 20;
    static final Duration PROGRESS_EVERY = Duration.ofSeconds(1);

    private final FunctionService functions;
    private final Invocations invocations;
    private final GatewayProperties.LoadTestLimits limits;
    /** The last {@link #KEPT} in start order: a full Caffeine cache may refuse a new entry instead of the oldest. */
    private final Map<String, LoadTest> tests = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(KEPT + 1, 1f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, LoadTest> eldest) {
                    return size() > KEPT;
                }
            });
    private final AtomicReference<LoadTest> running = new AtomicReference<>();
    private final Sinks.Many<Progress> progress = Sinks.many().multicast().directBestEffort();

    private record Progress(String tenant, String message) {
    }

    private final Quotas quotas;

    LoadTests(FunctionService functions, Invocations invocations, GatewayProperties properties, Quotas quotas) {
        this.quotas = quotas;
        this.functions = functions;
        this.invocations = invocations;
        this.limits = properties.loadTests();
    }

    /** {"type":"loadTest","loadTest":{…}} once a second while a test runs, and once when it ends. */
    public Flux<String> progress(Caller caller) {
        return progress.asFlux().filter(p -> caller.owns(p.tenant())).map(Progress::message);
    }

    Mono<LoadTest> start(LoadTestSpec spec, Caller caller) {
        return functions.lookupOr404ByIdOrName(caller, spec.functionId())
                .map(function -> {
                    if (function.status() != FunctionStatus.ACTIVE) {
                        throw new ApiException(HttpStatus.CONFLICT, "function " + function.name()
                                + " is inactive; activate it before testing it",
                                List.of(new FieldError("functionId", "names an inactive function")));
                    }
                    var test = new LoadTest(UUID.randomUUID().toString(), caller.tenant(), spec.of(function.id()),
                            function.name(),
                            functions, invocations, limits, () -> quotas.admit(caller));
                    if (!running.compareAndSet(null, test)) {
                        LoadTest other = running.get();
                        if (other != null && !caller.owns(other.tenant)) {
                            throw new ApiException(HttpStatus.CONFLICT, "another tenant's load test is running on "
                                    + "this gateway (one runs at a time); try again when it ends", List.of(),
                                    Map.of("Retry-After", "60"));
                        }
                        throw new ApiException(HttpStatus.CONFLICT, "load test " + (other == null ? "" : other.id)
                                + " is still running on this gateway; stop it with DELETE /api/load-tests/"
                                + (other == null ? "{id}" : other.id) + " or wait for it to end", List.of());
                    }
                    tests.put(test.id, test);
                    Flux.interval(PROGRESS_EVERY, PROGRESS_EVERY)
                            .takeWhile(tick -> !test.ended())
                            .subscribe(tick -> publish(test));
                    // a bound on the whole test, so a generator that hangs cannot keep the gateway's one slot
                    test.run().timeout(Duration.ofSeconds(spec.durationSeconds())
                                    .plus(limits.resultWait()).plus(limits.drain()).plus(Duration.ofMinutes(1)))
                            .onErrorResume(e -> {
                                test.stop("the load generator did not end in time");
                                test.end();
                                return Mono.empty();
                            })
                            .doFinally(signal -> {
                                running.compareAndSet(test, null);
                                publish(test);
                            })
                            .subscribe();
                    return test;
                });
    }

    /** The caller's test of that id: another tenant's is not found, like a missing one. */
    Optional<LoadTest> find(String id, Caller caller) {
        return Optional.ofNullable(tests.get(id)).filter(test -> caller.owns(test.tenant));
    }

    /** The caller's, newest first. */
    List<LoadTest> list(Caller caller) {
        List<LoadTest> all;
        synchronized (tests) {
            all = new java.util.ArrayList<>(tests.values());
        }
        return all.reversed().stream().filter(test -> caller.owns(test.tenant)).toList();
    }

    /** Serialized: the ticker and the end of a test may publish at once, and a sink refuses concurrent emits. */
    private synchronized void publish(LoadTest test) {
        Sinks.EmitResult result = progress.tryEmitNext(new Progress(test.tenant, JsonCodec.toJson(Map.of("type",
                "loadTest", "loadTest", test.report()))));
        if (result.isFailure() && result != Sinks.EmitResult.FAIL_ZERO_SUBSCRIBER) {
            log.debug("Progress of load test {} not sent: {}", test.id, result);
        }
    }

    /** A gateway that stops sends no more calls. */
    @Override
    public void destroy() {
        LoadTest test = running.get();
        if (test != null) {
            test.stop("the gateway stopped");
        }
    }
}
