package dev.s3c.gateway.invoke;

import dev.s3c.contracts.InvocationRequested;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Invocations this instance accepted in the last minute, so that polling right after a 202 answers "queued" even
 * before the monitor has stored the execution. Only what that answer needs is kept (not the input, which may be
 * large).
 *
 * <p>Why not a Caffeine cache, as before: every accepted call lived in it for a minute, so under load each entry was
 * young at one collection and copied to the old generation at the next, eight objects each (key, value, their
 * strings, the cache's nodes), and each insert and expiry dirtied a card of the cache's old tables that the next
 * young pause had to scan. At 4,000 calls a second that was a quarter of every young pause (45 against 34 ms with
 * the cache off; README, Sustained load). Here a call is a few slots of arrays of primitives: no object of its own
 * to copy, no reference to scan, only a table's arrays, copied whole while they are young. The calls are kept in
 * generations of {@link #SPAN}, each an open-addressing table that is dropped whole {@link #KEEP} after its span
 * ended, so nothing is ever deleted from a table.
 */
@Component
public class RecentlyAccepted {

    private static final Logger log = LoggerFactory.getLogger(RecentlyAccepted.class);

    /** At least this long after it was added, a call is found; at most {@link #SPAN} longer. */
    static final Duration KEEP = Duration.ofMinutes(1);
    static final Duration SPAN = Duration.ofSeconds(10);
    private static final long SPAN_NANOS = SPAN.toNanos();
    private static final long KEPT_NANOS = KEEP.plus(SPAN).toNanos();
    /**
     * Far above what one gateway accepts in {@link #KEEP}, so that expiry, not size, bounds it. Past it the oldest
     * generations go first, and a call that would pass it with only the current one left is not kept (it reads 404
     * until stored). 40 bytes a slot, tables a quarter to half full: 80-160 bytes a call, up to 160 MB if ever full.
     */
    static final int MAX = 1_000_000;

    /** What a just-accepted execution reads as, until the monitor has stored it. */
    public record Accepted(String executionId, String functionId, long functionVersion, Instant requestedAt) {
    }

    private final LongSupplier nanoTime;
    /** Newest first. */
    private final ArrayDeque<Generation> generations = new ArrayDeque<>();

    @Autowired
    public RecentlyAccepted() {
        this(System::nanoTime);
    }

    RecentlyAccepted(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    /** Frees what the last burst left after a quiet minute, which no call would otherwise. */
    @Scheduled(fixedDelay = 5_000)
    synchronized void expire() {
        dropExpired(nanoTime.getAsLong());
    }

    synchronized void add(InvocationRequested request) {
        String id = request.executionId();
        if (!canonical(id)) {
            // every id the gateway makes is one (ExecutionIds); such a call reads 404 until it is stored
            log.debug("not kept as recently accepted, not a canonical UUID: {}", id);
            return;
        }
        long now = nanoTime.getAsLong();
        dropExpired(now);
        Generation current = generations.peekFirst();
        if (current == null || now - current.startedAt >= SPAN_NANOS) {
            // sized for as many calls as the last span had, so that a steady rate seldom grows a table
            current = new Generation(now, current == null ? 0 : current.count);
            generations.addFirst(current);
        }
        while (size() >= MAX && generations.size() > 1) {
            generations.removeLast();
        }
        if (size() >= MAX) {
            log.debug("not kept as recently accepted, {} calls kept already: {}", MAX, id);
            return;
        }
        current.put(bits(id, 0, 18), bits(id, 19, 36), request);
    }

    public synchronized Optional<Accepted> find(String executionId) {
        if (!canonical(executionId)) {
            return Optional.empty();
        }
        dropExpired(nanoTime.getAsLong());
        long hi = bits(executionId, 0, 18);
        long lo = bits(executionId, 19, 36);
        for (Generation generation : generations) {
            Accepted found = generation.find(executionId, hi, lo);
            if (found != null) {
                return Optional.of(found);
            }
        }
        return Optional.empty();
    }

    /** How many calls are kept. */
    synchronized int size() {
        int size = 0;
        for (Generation generation : generations) {
            size += generation.count;
        }
        return size;
    }

    private void dropExpired(long now) {
        while (!generations.isEmpty() && now - generations.peekLast().startedAt >= KEPT_NANOS) {
            generations.removeLast();
        }
    }

    /** A UUID as the gateway writes it: 36 characters, lowercase hexadecimal digits and four dashes. */
    private static boolean canonical(String id) {
        if (id == null || id.length() != 36) {
            return false;
        }
        for (int i = 0; i < 36; i++) {
            char c = id.charAt(i);
            boolean valid = i == 8 || i == 13 || i == 18 || i == 23 ? c == '-'
                    : c >= '0' && c <= '9' || c >= 'a' && c <= 'f';
            if (!valid) {
                return false;
            }
        }
        return true;
    }

    /** The 64 bits in the hexadecimal digits of {@code id} from {@code from} to {@code to}, dashes skipped. */
    static long bits(String id, int from, int to) {
        long bits = 0;
        for (int i = from; i < to; i++) {
            char c = id.charAt(i);
            if (c != '-') {
                bits = bits << 4 | (c <= '9' ? c - '0' : c - 'a' + 10);
            }
        }
        return bits;
    }

    /**
     * The calls added during one {@link #SPAN}: parallel arrays indexed by slot, linear probing on the id's random
     * bits, at most half full. A function's id is stored once per generation and referred to by number, so that no
     * slot holds a reference.
     */
    private static final class Generation {

        private final long startedAt;
        private final List<String> functions = new ArrayList<>();
        private final Map<String, Integer> functionNumbers = new HashMap<>();
        private int count;
        private long[] high;
        /** 0 in a free slot: the low half of a version 7 UUID has its variant bit set. */
        private long[] low;
        private int[] function;
        private long[] version;
        private long[] requestedSecond;
        private int[] requestedNano;

        Generation(long startedAt, int expected) {
            this.startedAt = startedAt;
            allocate(Math.max(1 << 10, Integer.highestOneBit(Math.min(expected, MAX)) << 2));
        }

        /** Adds the call, or replaces it if it is here already; an id whose low half is 0 cannot be kept. */
        void put(long hi, long lo, InvocationRequested request) {
            if (lo == 0) {
                return;
            }
            if ((count + 1) * 2 > low.length) {
                grow();
            }
            Integer number = functionNumbers.get(request.functionId());
            if (number == null) {
                number = functions.size();
                functions.add(request.functionId());
                functionNumbers.put(request.functionId(), number);
            }
            Instant at = request.requestedAt();
            if (store(hi, lo, number, request.functionVersion(), at.getEpochSecond(), at.getNano())) {
                count++;
            }
        }

        Accepted find(String id, long hi, long lo) {
            for (int slot = slot(lo); low[slot] != 0; slot = slot + 1 & low.length - 1) {
                if (low[slot] == lo && high[slot] == hi) {
                    return new Accepted(id, functions.get(function[slot]), version[slot],
                            Instant.ofEpochSecond(requestedSecond[slot], requestedNano[slot]));
                }
            }
            return null;
        }

        private boolean store(long hi, long lo, int number, long functionVersion, long second, int nano) {
            int slot = slot(lo);
            boolean added = true;
            while (low[slot] != 0) {
                if (low[slot] == lo && high[slot] == hi) {
                    added = false;
                    break;
                }
                slot = slot + 1 & low.length - 1;
            }
            high[slot] = hi;
            low[slot] = lo;
            function[slot] = number;
            version[slot] = functionVersion;
            requestedSecond[slot] = second;
            requestedNano[slot] = nano;
            return added;
        }

        private int slot(long lo) {
            // the low half is random but for its variant bits; mixed all the same (Fibonacci hashing: the product's
            // top bits), so that ids made some other way spread too
            return (int) (lo * 0x9E37_79B9_7F4A_7C15L >>> 64 - Integer.numberOfTrailingZeros(low.length));
        }

        private void grow() {
            long[] oldHigh = high;
            long[] oldLow = low;
            int[] oldFunction = function;
            long[] oldVersion = version;
            long[] oldSecond = requestedSecond;
            int[] oldNano = requestedNano;
            allocate(oldLow.length * 2);
            for (int i = 0; i < oldLow.length; i++) {
                if (oldLow[i] != 0) {
                    store(oldHigh[i], oldLow[i], oldFunction[i], oldVersion[i], oldSecond[i], oldNano[i]);
                }
            }
        }

        private void allocate(int slots) {
            high = new long[slots];
            low = new long[slots];
            function = new int[slots];
            version = new long[slots];
            requestedSecond = new long[slots];
            requestedNano = new int[slots];
        }
    }
}
