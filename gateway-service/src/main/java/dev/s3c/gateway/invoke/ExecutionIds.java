package dev.s3c.gateway.invoke;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.UUID;

/**
 * Execution ids: UUIDs of version 7 (RFC 9562), whose first 48 bits are the time in milliseconds, so ids made later
 * sort later, as text too. Stored executions are keyed by this id: new ones land beside each other at the end of the
 * store's index instead of on a random page each (on the embedded store a random page is read back from disk, and
 * every page written again in full), and the recent ones that results update stay in its cache.
 */
public final class ExecutionIds {

    private static final SecureRandom RANDOM = new SecureRandom();

    private ExecutionIds() {
    }

    public static String next() {
        // the random bits in one call: SecureRandom's nextLong is two calls of nextBytes, each taking the generator's
        // lock and mixing its own read of /dev/urandom (four per id were 0.5-1.4% of the gateway's event loops'
        // samples under load)
        ByteBuffer random = ByteBuffer.allocate(16);
        RANDOM.nextBytes(random.array());
        return of(System.currentTimeMillis(), random.getLong(), random.getLong()).toString();
    }

    static UUID of(long epochMillis, long randomA, long randomB) {
        long msb = (epochMillis << 16) | 0x7000L | (randomA & 0x0FFFL);
        long lsb = 0x8000_0000_0000_0000L | (randomB & 0x3FFF_FFFF_FFFF_FFFFL);
        return new UUID(msb, lsb);
    }
}
