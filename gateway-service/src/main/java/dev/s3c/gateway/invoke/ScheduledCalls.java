package dev.s3c.gateway.invoke;

import dev.s3c.contracts.FunctionStatus;
import dev.s3c.gateway.GatewayProperties;
import dev.s3c.gateway.api.ApiException;
import dev.s3c.gateway.functions.FunctionDocument;
import dev.s3c.gateway.functions.FunctionService;
import dev.s3c.gateway.functions.Schedule;
import dev.s3c.gateway.tenants.Caller;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpStatus;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Runs functions on their {@code config.schedule}. Every gateway fires every tick, each as an async invocation with
 * an idempotency key of the tick ({@value #KEY_PREFIX} and its instant): the first gateway to claim the key queues
 * it, the others are answered with that execution. So each tick runs once however many gateways there are, and
 * while one is up; one that could not be queued (the broker away, the queue full, the tenant over its rate) is
 * tried again each round for {@code catchUp}, then counted as missed. Ticks before its schedule was set (its last
 * update when this gateway first sees it), and while it is inactive or unscheduled, never run.
 */
@Component
class ScheduledCalls {

    /** A space: no {@code Idempotency-Key} a caller sends has one, so no caller can take a tick's key. */
    static final String KEY_PREFIX = "schedule ";
    /** Ticks fired per function in one round: bounds a round after a long pause (the catch-up bounds it anyway). */
    static final int MAX_TICKS_PER_ROUND = 120;
    private static final Duration ROUND_LIMIT = Duration.ofSeconds(30);
    private static final Logger log = LoggerFactory.getLogger(ScheduledCalls.class);

    private final FunctionService functions;
    private final InvocationController invoker;
    private final GatewayProperties.Schedules settings;
    private final MeterRegistry meters;
    private final Clock clock;

    // touched by one round at a time (a fixed delay between rounds), from whichever thread its reads complete on
    private volatile List<FunctionDocument> known = List.of();
    private volatile Instant knownAt = Instant.EPOCH;
    private volatile long writesSeen = -1;
    /** Per function: the ticks up to this instant are queued (here or by another gateway) or were skipped. */
    private final Map<String, Instant> doneUpTo = new ConcurrentHashMap<>();
    private final Map<String, Schedule> parsed = new ConcurrentHashMap<>();

    @Autowired
    ScheduledCalls(FunctionService functions, InvocationController invoker, GatewayProperties properties,
            MeterRegistry meters) {
        this(functions, invoker, properties.schedules(), meters, Clock.systemUTC());
    }

    ScheduledCalls(FunctionService functions, InvocationController invoker, GatewayProperties.Schedules settings,
            MeterRegistry meters, Clock clock) {
        this.functions = functions;
        this.invoker = invoker;
        this.settings = settings;
        this.meters = meters;
        this.clock = clock;
    }

    @Scheduled(fixedDelayString = "${s3c.gateway.schedules.tick:1s}", initialDelayString = "${s3c.gateway.schedules.tick:1s}")
    void fireDue() {
        try {
            round(clock.instant()).block(ROUND_LIMIT);
        } catch (RuntimeException e) {
            log.debug("A round of schedules did not finish; the next one tries again: {}", e.toString());
        }
    }

    /** Fires what is due at {@code now}, function after function, tick after tick. */
    Mono<Void> round(Instant now) {
        return known(now).flatMapMany(Flux::fromIterable)
                .concatMap(function -> fire(function, now))
                .then();
    }

    /** The functions with a schedule: read again every {@code refresh}, and after a change made here. */
    private Mono<List<FunctionDocument>> known(Instant now) {
        long writes = functions.writesHere();
        if (writes == writesSeen && now.isBefore(knownAt.plus(settings.refresh()))) {
            return Mono.just(known);
        }
        return functions.scheduled().collectList().doOnNext(read -> {
            known = read;
            knownAt = now;
            writesSeen = writes;
            Set<String> ids = read.stream().map(FunctionDocument::id).collect(Collectors.toSet());
            doneUpTo.keySet().retainAll(ids);
            Set<String> expressions = read.stream().map(f -> f.config().schedule()).collect(Collectors.toSet());
            parsed.keySet().retainAll(expressions);
        });
    }

    private Mono<Void> fire(FunctionDocument listed, Instant now) {
        Schedule schedule = schedule(listed);
        if (schedule == null) {
            return Mono.empty();
        }
        String id = listed.id();
        Instant floor = now.minus(settings.catchUp());
        Instant since = doneUpTo.get(id);
        if (since == null) {
            // first seen here: from when its schedule was set (its last update), or as far back as the catch-up.
            // Later updates do not move it: a tick due just before a change of the code still runs
            since = listed.updatedAt() != null && listed.updatedAt().isAfter(floor) ? listed.updatedAt() : floor;
        }
        if (since.isBefore(floor)) {
            int missed = schedule.between(since, floor, MAX_TICKS_PER_ROUND).size();
            if (missed > 0) {
                count("missed", missed);
                log.warn("Function {}: {} tick(s) of its schedule '{}' after {} could not be queued within {} and "
                        + "were skipped", id, missed, schedule.expression(), since, settings.catchUp());
            }
            since = floor;
            doneUpTo.put(id, floor);
        }
        List<Instant> due = schedule.between(since, now, MAX_TICKS_PER_ROUND);
        if (due.isEmpty()) {
            return Mono.empty();
        }
        // read again before firing: a schedule taken away, or a function deactivated or deleted, on another gateway
        // within the last second stops here too
        return functions.lookupFresh(id)
                .filter(current -> current.status() == FunctionStatus.ACTIVE
                        && schedule.expression().equals(current.config().schedule()))
                .flatMapMany(current -> Flux.fromIterable(due).concatMap(tick -> tick(current, schedule, tick)))
                .doOnNext(tick -> doneUpTo.put(id, tick))
                .then(Mono.fromRunnable(() -> {
                    if (!due.getLast().equals(doneUpTo.get(id))) {
                        // nothing to fire now (or its schedule changed: read again next round)
                        doneUpTo.put(id, now);
                        knownAt = Instant.EPOCH;
                    }
                }))
                .onErrorResume(e -> {
                    // the ticks from the one that failed on are tried again next round
                    log.debug("Function {}: a tick of its schedule was not queued; trying again: {}", id,
                            e.toString());
                    return Mono.empty();
                })
                .then();
    }

    /** Queues one tick, or finds it queued by another gateway. */
    private Mono<Instant> tick(FunctionDocument function, Schedule schedule, Instant tick) {
        ObjectNode input = JsonNodeFactory.instance.objectNode()
                .put("source", "schedule")
                .put("schedule", schedule.expression())
                .put("time", tick.toString());
        Caller owner = new Caller(function.tenant() == null ? Caller.DEFAULT_TENANT : function.tenant(), null);
        return invoker.callOnSchedule(owner, function, input, KEY_PREFIX + tick)
                .doOnNext(answer -> count(answer.getHeaders().containsHeader("Idempotent-Replayed") ? "taken"
                        : "queued", 1))
                // the same tick under another schedule (changed in between), fired by another gateway
                .onErrorResume(ApiException.class, e -> e.status() == HttpStatus.UNPROCESSABLE_CONTENT
                        ? Mono.fromRunnable(() -> count("taken", 1)) : Mono.error(e))
                .thenReturn(tick);
    }

    private Schedule schedule(FunctionDocument function) {
        String expression = function.config().schedule();
        if (expression == null) {
            return null;
        }
        try {
            return parsed.computeIfAbsent(expression, Schedule::parse);
        } catch (IllegalArgumentException e) {
            // stored by a version that read schedules otherwise: not fired rather than fired wrongly
            log.warn("Function {}: its schedule '{}' is not one this version reads ({}); not fired", function.id(),
                    expression, e.getMessage());
            return null;
        }
    }

    private void count(String outcome, int n) {
        Counter.builder("s3c.gateway.schedule.ticks")
                .description("ticks of functions' schedules: queued here, taken (queued by another gateway or an "
                        + "earlier round), missed (not queued within the catch-up)")
                .tag("outcome", outcome).register(meters).increment(n);
    }
}
