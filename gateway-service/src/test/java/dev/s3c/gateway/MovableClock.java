package dev.s3c.gateway;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/** A clock a test moves by hand; {@link #offset} gives another clock that reads this one moved. */
public final class MovableClock extends Clock {

    private final AtomicReference<Instant> now;
    private final Duration offset;

    public MovableClock(Instant start) {
        this(new AtomicReference<>(start), Duration.ZERO);
    }

    private MovableClock(AtomicReference<Instant> now, Duration offset) {
        this.now = now;
        this.offset = offset;
    }

    public void set(Instant instant) {
        now.set(instant);
    }

    public void advance(Duration by) {
        now.updateAndGet(t -> t.plus(by));
    }

    /** A clock that follows this one, {@code by} ahead (negative: behind). */
    public MovableClock offset(Duration by) {
        return new MovableClock(now, offset.plus(by));
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        return now.get().plus(offset);
    }
}
