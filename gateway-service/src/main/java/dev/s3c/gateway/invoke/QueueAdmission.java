package dev.s3c.gateway.invoke;

import dev.s3c.contracts.LagSample;
import dev.s3c.contracts.Topic;
import dev.s3c.gateway.CallerLoop;
import dev.s3c.gateway.GatewayProperties;
import dev.s3c.gateway.GatewayProperties.QueueLimits;
import dev.s3c.gateway.api.ApiException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.http.HttpStatus;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.Disposable;
import reactor.core.scheduler.Schedulers;

/**
 * Keeps the executors' queue short ({@link QueueLimits}). The scaler measures the executor group's offsets once a
 * second ({@link LagSample}); from each sample until the next, this gateway lets through as many new invocations as
 * fit under the bound with the queue the sample found. The bound is what the executors consumed a second (over the
 * last second or the last five, whichever is more) times {@code max-wait}, and at least {@code min-queued}; when
 * callers took all the room and the executors drained most of it, the bound doubles, since what they finished then
 * says what they were given, not what they can do. Calls that find no room wait in line, in the order they came, and
 * go on as room comes with the next samples; one still waiting after its hold is refused with 503 (at once when its
 * hold is zero and it cannot go on at once, or when the line is already as long as both the bound and what the
 * executors finish in the hold). Without a recent sample (no scaler running, or none yet) nothing is bounded: the
 * queue is never closed for want of a measurement.
 *
 * <p>Why a bound: on a machine the executors share with the gateway, a gateway that accepts faster than they finish
 * takes the cores they would finish with, and the queue grows as long as the load lasts; a call then waits there
 * longer and longer. Waiting at the gateway instead, the caller's next call comes later (a closed-loop client slows
 * to what the executors finish), and what is queued runs within seconds.
 *
 * <p>Each gateway lets the room through on its own, so with several the queue may pass the bound by up to a
 * sample's room per further gateway.
 */
@Component
public class QueueAdmission implements SmartLifecycle {

    /** The topics the executors take new work from, as the scaler samples them (not the concurrency lanes). */
    static final Set<String> QUEUE_TOPICS = Set.of(Topic.INVOCATIONS.topicName(), Topic.RETRIES_DUE.topicName());
    /** A sample older than this (by this gateway's clock, since it arrived) no longer bounds anything. */
    static final Duration STALE = Duration.ofSeconds(5);
    /** The executors' rate is taken over the samples of this long (and over the last interval alone). */
    static final Duration RATE_OVER = Duration.ofSeconds(5);
    /**
     * Samples arriving closer together than this came in one poll (a consumer that was held up catches up): the
     * newest does not bring new room on top of what its predecessor left.
     */
    static final Duration CATCH_UP = Duration.ofMillis(500);
    /** How often the line is looked at for holds that ran out and samples gone stale. */
    static final Duration TICK = Duration.ofMillis(250);
    /** Doubling never takes the bound past this. */
    static final long MAX_BOUND = 10_000_000;

    private final QueueLimits limits;
    private final CallerLoop loops;
    private final LongSupplier nanos;
    private final Counter held;
    private final Counter refused;
    /** The executors' committed offsets summed, by the sample's time; guarded by this. */
    private final Deque<Consumed> consumed = new ArrayDeque<>();
    /** Calls waiting for room, the longest waiting first; guarded by this. */
    private final Deque<Waiter> line = new ArrayDeque<>();
    /** How many wait in {@link #line}: a call that finds nobody waiting need not take the lock. */
    private volatile int waiting;
    /** The latest sample's room; null until the first. */
    private volatile Window window;
    /** Once the gateway stops, nothing waits: a stopping gateway finishes the calls it has. */
    private volatile boolean stopped;
    private Disposable ticks;

    @Autowired
    QueueAdmission(GatewayProperties properties, CallerLoop loops, MeterRegistry meters) {
        this(properties.queue(), loops, meters, System::nanoTime);
    }

    QueueAdmission(QueueLimits limits, CallerLoop loops, MeterRegistry meters, LongSupplier nanos) {
        this.limits = limits;
        this.loops = loops;
        this.nanos = nanos;
        this.held = Counter.builder("s3c.gateway.queue.held")
                .description("invocations that waited at the gateway for room in the executors' queue")
                .register(meters);
        this.refused = Counter.builder("s3c.gateway.queue.refused")
                .description("invocations refused (503) because the executors' queue had no room within the hold")
                .register(meters);
        Gauge.builder("s3c.gateway.queue.backlog", this, a -> a.window == null ? -1 : a.window.backlog)
                .description("invocations queued for the executors at the latest sample (-1: none yet)")
                .strongReference(true).register(meters);
        Gauge.builder("s3c.gateway.queue.bound", this, a -> a.window == null ? -1 : a.window.bound)
                .description("the most invocations the gateway lets queue for the executors now (-1: no sample yet)")
                .strongReference(true).register(meters);
    }

    private record Consumed(long atMillis, long offsets) {
    }

    /**
     * The room from one sample until the next.
     *
     * @param perSecond what the executors consumed a second, as the bound took it
     * @param given the room the sample gave
     */
    private record Window(long receivedNanos, long backlog, long bound, double perSecond, long given,
            AtomicLong room) {
    }

    /** A call waiting for room: until when, and how it goes on, on the thread it came from. */
    private static final class Waiter {
        final MonoSink<Void> sink;
        final long deadline;
        final Duration hold;
        final Executor back;
        volatile boolean gone;

        Waiter(MonoSink<Void> sink, long deadline, Duration hold, Executor back) {
            this.sink = sink;
            this.deadline = deadline;
            this.hold = hold;
            this.back = back;
        }
    }

    /** A new sample from the scaler's lag probe: the room until the next, given first to those waiting. */
    void onSample(LagSample sample) {
        synchronized (this) {
            long backlog = 0;
            long offsets = 0;
            for (LagSample.PartitionLag p : sample.partitions()) {
                if (QUEUE_TOPICS.contains(p.topic())) {
                    backlog += p.lag();
                    offsets += p.committedOffset();
                }
            }
            long at = sample.at().toEpochMilli();
            // a sample not after the last (the scaler's clock set back, or another scaler) starts the rate over
            if (!consumed.isEmpty() && at <= consumed.peekLast().atMillis()) {
                consumed.clear();
            }
            Consumed last = consumed.peekLast();
            consumed.addLast(new Consumed(at, offsets));
            while (at - consumed.peekFirst().atMillis() > RATE_OVER.toMillis()) {
                consumed.removeFirst();
            }
            double perSecond = Math.max(rate(consumed.peekFirst(), at, offsets), rate(last, at, offsets));
            long bound = Math.max(limits.minQueued(), (long) (perSecond * limits.maxWait().toNanos() / 1e9));
            Window previous = window;
            long now = nanos.getAsLong();
            if (previous != null && previous.given() > 0 && previous.room().get() <= 0
                    && backlog <= previous.bound() / 2) {
                // callers took all the room and the executors drained most of it: they can do more than they did
                bound = Math.max(bound, Math.min(MAX_BOUND, previous.bound() * 2));
            }
            long room = Math.max(0, bound - backlog);
            if (previous != null && now - previous.receivedNanos() < CATCH_UP.toNanos()) {
                room = Math.min(room, Math.max(0, previous.room().get()));
            }
            window = new Window(now, backlog, bound, perSecond, room, new AtomicLong(room));
        }
        serveLine(false);
    }

    private static double rate(Consumed from, long at, long offsets) {
        return from == null || at <= from.atMillis() ? 0
                : Math.max(0, offsets - from.offsets()) * 1000.0 / (at - from.atMillis());
    }

    /** {@link #admit(Duration)} with the configured hold. */
    public Mono<Void> admit() {
        return admit(null);
    }

    /**
     * Completes when one more invocation may be queued: at once while there is room (or no bound), else when room
     * comes, back on the caller's event loop; a 503 when none came within the hold.
     *
     * @param atMost a shorter hold for this call (a sync caller's wait), or null
     */
    public Mono<Void> admit(Duration atMost) {
        if (!limits.bounded() || stopped || waiting == 0 && admitted()) {
            return Mono.empty();
        }
        Duration hold = atMost == null || atMost.compareTo(limits.hold()) > 0 ? limits.hold() : atMost;
        Executor back = loops.current(task -> Schedulers.parallel().schedule(task));
        return Mono.create(sink -> {
            held.increment();
            Waiter waiter = new Waiter(sink, nanos.getAsLong() + hold.toNanos(), hold, back);
            sink.onCancel(() -> waiter.gone = true);
            boolean refuseNow;
            synchronized (this) {
                Window w = window;
                refuseNow = bounding(w) && line.size() >= longestLine(w, hold);
                if (!refuseNow) {
                    line.addLast(waiter);
                    waiting = line.size();
                }
            }
            if (refuseNow) {
                refuse(waiter);
                return;
            }
            serveLine(false);
            if (hold.isZero()) {
                // a call that may not wait (a sync caller's wait=0) and was not let through now is refused now, not
                // at the next tick behind those waiting
                boolean stillWaiting;
                synchronized (this) {
                    stillWaiting = line.remove(waiter);
                    waiting = line.size();
                }
                if (stillWaiting) {
                    refuse(waiter);
                }
            }
        });
    }

    /**
     * The longest line a call may join: what the executors finish in its hold (beyond it, the call would not get in
     * within it), and never shorter than the bound. The last seconds' rate is a poor guess of the rest of the hold:
     * right after a step in load on an idle pool it is what the pool was given (a handful, or a transaction marker),
     * while it starts, warms up or rebalances it is far below what it soon does, and a stalled pool's is nothing.
     */
    private static double longestLine(Window w, Duration hold) {
        return Math.max(w.bound(), w.perSecond() * hold.toNanos() / 1e9);
    }

    /** Takes one place in the latest sample's room; true also when no recent sample bounds anything. */
    private boolean admitted() {
        Window w = window;
        return !bounding(w) || w.room().getAndDecrement() > 0;
    }

    /** Whether {@code w} bounds anything: a sample that came recently enough. */
    private boolean bounding(Window w) {
        return w != null && nanos.getAsLong() - w.receivedNanos() <= STALE.toNanos();
    }

    /**
     * Lets those waiting go on, the longest waiting first, as far as the room goes, and refuses those whose hold ran
     * out. Runs at each sample, for each call that joins the line, and every {@link #TICK}; only the tick looks
     * behind the first that must wait (for shorter holds that ran out).
     */
    void serveLine(boolean wholeLine) {
        if (waiting == 0) {
            return;
        }
        long now = nanos.getAsLong();
        List<Waiter> go = new ArrayList<>();
        List<Waiter> refuse = new ArrayList<>();
        synchronized (this) {
            Waiter first;
            while ((first = line.peekFirst()) != null) {
                if (first.gone) {
                    line.removeFirst();
                } else if (stopped || admitted()) {
                    go.add(line.removeFirst());
                } else if (now - first.deadline >= 0) {
                    refuse.add(line.removeFirst());
                } else {
                    break;
                }
            }
            if (wholeLine) {
                line.removeIf(w -> {
                    if (!w.gone && now - w.deadline < 0) {
                        return false;
                    }
                    if (!w.gone) {
                        refuse.add(w);
                    }
                    return true;
                });
            }
            waiting = line.size();
        }
        // each goes on on its own event loop, not on this thread (a sample's consumer, a scheduler's thread)
        for (Waiter w : go) {
            hand(w, () -> w.sink.success());
        }
        for (Waiter w : refuse) {
            refuse(w);
        }
    }

    private void refuse(Waiter w) {
        refused.increment();
        ApiException full = full(w.hold);
        hand(w, () -> w.sink.error(full));
    }

    private static void hand(Waiter w, Runnable completion) {
        Runnable unlessGone = () -> {
            if (!w.gone) {
                completion.run();
            }
        };
        try {
            w.back.execute(unlessGone);
        } catch (RuntimeException e) {
            // no thread takes it (shutting down): here, rather than never
            unlessGone.run();
        }
    }

    private ApiException full(Duration hold) {
        Window w = window;
        String queued = w == null ? "" : " (" + w.backlog() + " queued, bound " + w.bound() + ")";
        return new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "the executors are behind: their queue" + queued
                + " has no room for this call within " + DurationStyle.SIMPLE.print(hold, hold.toMillis() % 1000 == 0
                        ? ChronoUnit.SECONDS : ChronoUnit.MILLIS) + "; nothing was queued, retry after "
                + "the Retry-After seconds", List.of(), Map.of("Retry-After", "1"));
    }

    @Override
    public synchronized void start() {
        stopped = false;
        // its own ticks, not Spring's scheduler: that one thread also runs tasks that block for a while, and it
        // stops before the gateway has answered the calls it holds
        ticks = Schedulers.parallel().schedulePeriodically(() -> serveLine(true), TICK.toMillis(), TICK.toMillis(),
                java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** A stopping gateway finishes the calls it has: those waiting go on, and no call waits from now on. */
    @Override
    public void stop() {
        synchronized (this) {
            stopped = true;
            if (ticks != null) {
                ticks.dispose();
                ticks = null;
            }
        }
        serveLine(false);
    }

    @Override
    public synchronized boolean isRunning() {
        return ticks != null;
    }
}
