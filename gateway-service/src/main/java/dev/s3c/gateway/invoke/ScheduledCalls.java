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
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpStatus;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Runs functions on their {@code config.schedule}. Every gateway fires every tick, each as an async invocation with
 * an idempotency key of the tick ({@value #KEY_PREFIX} and its instant): the first gateway to claim the key queues
 * it and then says so on the key; the others find the claim, and wait for that word (the claimer may yet fail and
 * free the key, and then one of them queues it). So each tick runs once however many gateways there are, and while
 * one is up; one that could not be queued (the broker away, the queue full, the tenant over its rate) is tried
 * again each round for {@code catchUp}, then counted as missed. Ticks before its schedule was set (its last update
 * when this gateway first sees that schedule), and while it is inactive or unscheduled, never run.
 *
 * <p>A round is never cut short: a tick cancelled after its key was claimed and before it was queued would leave
 * the key naming an execution that never ran, with no word from its claimer. So rounds run one after the other off
 * the scheduler's threads, and stopping waits for the one under way.
 */
@Component
class ScheduledCalls implements SmartLifecycle {

    /** A space: no {@code Idempotency-Key} a caller sends has one, so no caller can take a tick's key. */
    static final String KEY_PREFIX = "schedule ";
    /** Ticks fired per function in one round: bounds a round after a long pause (the catch-up bounds it anyway). */
    static final int MAX_TICKS_PER_ROUND = 120;
    /**
     * How long after its claim a tick claimed by another gateway may go without word before it is passed over as
     * unconfirmed: longer than a claimer takes to queue it or give up (the producer's {@code max.block.ms} and
     * {@code delivery.timeout.ms}).
     */
    static final Duration CONFIRM_WITHIN = Duration.ofSeconds(15);
    /** Reads that may be cut short (nothing was claimed yet): a store that hangs does not stop the rounds. */
    private static final Duration READ_LIMIT = Duration.ofSeconds(10);
    /** Functions whose ticks are fired at once: a slow one does not hold up the others. */
    private static final int FUNCTIONS_AT_ONCE = 16;
    /** How long after the second (the tick) a round starts: the clock's tick may come a little early. */
    private static final Duration ROUND_OFFSET = Duration.ofMillis(20);
    private static final Logger log = LoggerFactory.getLogger(ScheduledCalls.class);

    private final FunctionService functions;
    private final InvocationController invoker;
    private final GatewayProperties.Schedules settings;
    private final MeterRegistry meters;
    private final Clock clock;

    private volatile List<FunctionDocument> known = List.of();
    private volatile Instant knownAt = Instant.EPOCH;
    private volatile long writesSeen = -1;
    /** Per function: what this gateway has done with the schedule it last saw. */
    private final Map<String, Seen> seen = new ConcurrentHashMap<>();
    private final Map<String, Optional<Schedule>> parsed = new ConcurrentHashMap<>();
    private volatile Loop loop;
    private volatile Instant lastWarned = Instant.EPOCH;

    /** One run of rounds, from a start to its stop. */
    private static final class Loop {
        volatile boolean running = true;
        final java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
    }

    /**
     * @param doneUpTo the ticks up to this instant are queued (here or by another gateway) or were passed over
     * @param expression the schedule they were of; null once it was seen inactive or without it, so that the ticks
     *        of a schedule set again count from then
     */
    private record Seen(Instant doneUpTo, String expression) {
    }

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

    @Override
    public void start() {
        Loop started = new Loop();
        loop = started;
        // a round just after each second begins (when ticks are due), timed from the clock each time, the next one
        // only once the last is over
        Mono.defer(() -> Mono.delay(untilNextRound(), Schedulers.parallel()))
                .then(Mono.defer(() -> started.running ? round(clock.instant()) : Mono.empty()))
                .onErrorResume(e -> {
                    warn("A round of schedules failed; the next one tries again: {}", e);
                    return Mono.empty();
                })
                .repeat(() -> started.running)
                .doFinally(signal -> started.done.complete(null))
                .subscribe();
    }

    private Duration untilNextRound() {
        long period = settings.tick().toMillis();
        return Duration.ofMillis(period - Math.floorMod(clock.millis(), period) + ROUND_OFFSET.toMillis());
    }

    @Override
    public void stop(Runnable callback) {
        // the round under way finishes (within the shutdown phase's timeout): one cut short could leave a tick's
        // key claimed with nothing queued; none starts after it
        Loop stopping = loop;
        if (stopping == null) {
            callback.run();
            return;
        }
        stopping.running = false;
        stopping.done.whenComplete((v, e) -> callback.run());
    }

    @Override
    public void stop() {
        Loop stopping = loop;
        if (stopping != null) {
            stopping.running = false;
        }
    }

    @Override
    public boolean isRunning() {
        Loop current = loop;
        return current != null && current.running && !current.done.isDone();
    }

    /** A failure that recurs every round is worth a warning, once a minute; the rest go to DEBUG. */
    private void warn(String message, Throwable e) {
        Instant now = clock.instant();
        if (now.isAfter(lastWarned.plus(Duration.ofMinutes(1)))) {
            lastWarned = now;
            log.warn(message, e.toString());
        } else {
            log.debug(message, e.toString());
        }
    }

    /** Fires what is due at {@code now}: functions side by side, each one's ticks in order. */
    Mono<Void> round(Instant now) {
        return known(now).flatMapMany(Flux::fromIterable)
                .flatMap(function -> Mono.defer(() -> fire(function, now))
                        .onErrorResume(e -> {
                            if (e instanceof Unconfirmed) {
                                log.debug("Function {}: {}", function.id(), e.getMessage());
                            } else {
                                warn("A function's schedule was not served this round; trying again: {}", e);
                            }
                            return Mono.empty();
                        }), FUNCTIONS_AT_ONCE)
                .then();
    }

    /** The active functions with a schedule: read again every {@code refresh}, and after a change made here. */
    private Mono<List<FunctionDocument>> known(Instant now) {
        long writes = functions.writesHere();
        if (writes == writesSeen && now.isBefore(knownAt.plus(settings.refresh()))) {
            return Mono.just(known);
        }
        return functions.scheduled().collectList().timeout(READ_LIMIT).doOnNext(read -> {
            known = read;
            knownAt = now;
            writesSeen = writes;
            Set<String> ids = read.stream().map(FunctionDocument::id).collect(Collectors.toSet());
            seen.keySet().retainAll(ids);
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
        String expression = schedule.expression();
        Instant floor = now.minus(settings.catchUp());
        Seen before = seen.get(id);
        Instant setAt = listed.updatedAt() == null ? floor : listed.updatedAt();
        boolean same = before != null && expression.equals(before.expression());
        // the same schedule as before: on from the last tick done (a later update, of its code say, does not move
        // it: a tick due just before one still runs). Else it was set, changed or made active again since this
        // gateway last saw it (or it never saw it): from that update on, at most the catch-up back
        Instant since = same ? before.doneUpTo() : later(later(setAt, floor),
                before == null ? floor : before.doneUpTo());
        if (since.isBefore(floor)) {
            int missed = schedule.between(since, floor, MAX_TICKS_PER_ROUND).size();
            if (missed > 0) {
                count("missed", missed);
                log.warn("Function {}: {} tick(s) of its schedule '{}' after {} were not queued by this gateway "
                        + "within {} and are passed over", id, missed, expression, since, settings.catchUp());
            }
            since = floor;
        }
        seen.put(id, new Seen(since, expression));
        Instant from = since;
        List<Instant> due = schedule.between(since, now, MAX_TICKS_PER_ROUND);
        if (due.isEmpty()) {
            return Mono.empty();
        }
        // read again before firing: a schedule taken away, or a function deactivated or deleted, on another gateway
        // within the last second stops here too
        return functions.lookupFresh(id).timeout(READ_LIMIT).map(Optional::of).defaultIfEmpty(Optional.empty())
                .flatMap(current -> {
                    boolean active = current.isPresent() && current.get().status() == FunctionStatus.ACTIVE;
                    String scheduledNow = current.map(f -> f.config().schedule()).orElse(null);
                    if (!active || !expression.equals(scheduledNow)) {
                        if (active && scheduledNow != null) {
                            // rescheduled on another gateway: the new schedule's ticks count from that change, and
                            // the list is read again at once
                            Instant changedAt = current.get().updatedAt() == null ? now : current.get().updatedAt();
                            seen.put(id, new Seen(later(changedAt, from), null));
                            knownAt = Instant.EPOCH;
                        } else {
                            // inactive, unscheduled or deleted now: the ticks until now never run
                            seen.put(id, new Seen(now, null));
                        }
                        return Mono.empty();
                    }
                    return Flux.fromIterable(due)
                            .concatMap(tick -> tick(current.get(), schedule, tick, now))
                            .doOnNext(tick -> seen.put(id, new Seen(tick, expression)))
                            .then();
                });
    }

    private static Instant later(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    /**
     * Queues one tick, or finds it queued by another gateway: then done. Found claimed but not yet confirmed queued
     * (its claimer may still fail, and free the key), it is tried again next round, with the ticks after it, for
     * {@link #CONFIRM_WITHIN}; past that it is passed over as unconfirmed. An error leaves it to be tried again next
     * round.
     */
    private Mono<Instant> tick(FunctionDocument function, Schedule schedule, Instant tick, Instant now) {
        ObjectNode input = JsonNodeFactory.instance.objectNode()
                .put("source", "schedule")
                .put("schedule", schedule.expression())
                .put("time", tick.toString());
        Caller owner = new Caller(function.tenant() == null ? Caller.DEFAULT_TENANT : function.tenant(), null);
        return invoker.callOnSchedule(owner, function, input, KEY_PREFIX + tick)
                // the same tick under another schedule (changed in between), claimed by another gateway
                .onErrorResume(ApiException.class, e -> e.status() == HttpStatus.UNPROCESSABLE_CONTENT
                        ? Mono.just(new Fired(Outcome.TAKEN, null)) : Mono.error(e))
                .flatMap(fired -> switch (fired.outcome()) {
                    case QUEUED -> counted("queued", tick);
                    case TAKEN -> counted("taken", tick);
                    case UNCONFIRMED -> {
                        log.warn("Function {}: the tick {} of its schedule was sent, but the broker did not confirm "
                                + "it in time: it may or may not run", function.id(), tick);
                        yield counted("unconfirmed", tick);
                    }
                    case CLAIMED -> {
                        // (counted from the claim: a claimer that freed the key and claims it again has its time)
                        Instant claimedAt = fired.claimedAt() == null ? tick : fired.claimedAt();
                        if (!claimedAt.isBefore(now.minus(CONFIRM_WITHIN))) {
                            yield Mono.error(new Unconfirmed(tick));
                        }
                        // its claimer stopped between its claim and its word, or could not write it
                        warn("A tick of a schedule was claimed by a gateway that did not say it queued it within "
                                + "15 s; it may or may not have run: {}", new Unconfirmed(tick));
                        yield counted("unconfirmed", tick);
                    }
                });
    }

    private Mono<Instant> counted(String outcome, Instant tick) {
        count(outcome, 1);
        return Mono.just(tick);
    }

    /** What became of a tick fired here; when it was claimed, if by another gateway. */
    record Fired(Outcome outcome, Instant claimedAt) {
    }

    /** What became of a tick fired here. */
    enum Outcome {
        /** Queued by this gateway. */
        QUEUED,
        /** Queued by another gateway (or by an earlier round here), which said so. */
        TAKEN,
        /** Claimed by another gateway that has not (yet) said it queued it: it may still fail and free the key. */
        CLAIMED,
        /** Sent by this gateway, not confirmed by the broker in time: it may or may not run. */
        UNCONFIRMED
    }

    /** A tick claimed elsewhere and not yet confirmed: this function's round ends here, and is tried again. */
    private static final class Unconfirmed extends RuntimeException {
        Unconfirmed(Instant tick) {
            super("the tick " + tick + " is claimed by another gateway that has not said it is queued yet", null,
                    false, false);
        }
    }

    private Schedule schedule(FunctionDocument function) {
        String expression = function.config().schedule();
        if (expression == null) {
            return null;
        }
        return parsed.computeIfAbsent(expression, text -> {
            try {
                return Optional.of(Schedule.parse(text));
            } catch (IllegalArgumentException e) {
                // stored by a version that read schedules otherwise: not fired rather than fired wrongly
                log.warn("Function {}: its schedule '{}' is not one this version reads ({}); not fired",
                        function.id(), text, e.getMessage());
                return Optional.empty();
            }
        }).orElse(null);
    }

    private void count(String outcome, int n) {
        Counter.builder("s3c.gateway.schedule.ticks")
                .description("ticks of functions' schedules: queued here, taken (queued by another gateway or an "
                        + "earlier round), unconfirmed (sent but not confirmed; or claimed elsewhere and never "
                        + "confirmed), missed (neither queued nor found queued by this gateway within the catch-up)")
                .tag("outcome", outcome).register(meters).increment(n);
    }
}
