package dev.s3c.executor.runtime;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Captures a context's console output up to a byte limit; what goes past it is counted, not kept. */
final class BoundedOutput extends OutputStream {

    private final int limit;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(256);
    private long dropped;

    BoundedOutput(int limit) {
        this.limit = limit;
    }

    @Override
    public void write(int b) {
        if (buffer.size() < limit) {
            buffer.write(b);
        } else {
            dropped++;
        }
    }

    @Override
    public void write(byte[] b, int off, int len) {
        int room = Math.max(0, limit - buffer.size());
        int kept = Math.min(room, len);
        buffer.write(b, off, kept);
        dropped += len - kept;
    }

    /** The output captured since the last call, with a note when some was dropped; resets the capture. */
    String drain() {
        String text = buffer.toString(StandardCharsets.UTF_8);
        if (dropped > 0) {
            text = text + "\n[console output truncated: " + dropped + " more bytes]";
        }
        buffer.reset();
        dropped = 0;
        return text;
    }
}
