package dev.s3c.local;

import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.backend.ValueComparator;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.wire.bson.BsonDecoder;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.BasicDataType;
import org.h2.mvstore.type.ObjectDataType;

/**
 * How {@link OnDiskStore} writes the entries of a unique index into its MVStore file: the key's values and the
 * document's position ({@code _id}) as BSON, the form they came in over the wire, compared as MongoDB compares them.
 *
 * <p>Why not MVStore's default type, as the H2 backend's own indexes have: it Java-serializes a {@link KeyValue} and,
 * since that is not {@link Comparable}, compares two keys by serializing both; a page read from disk deserializes
 * every key on it. Here keys are compared as objects ({@link ValueComparator}) and written as a few bytes of BSON. A
 * value BSON cannot hold is Java-serialized, as {@link BsonDocumentType} does for documents.
 */
final class IndexEntryTypes {

    /** The first byte of a BSON entry: above every tag {@link ObjectDataType} writes (0 to 119). */
    private static final byte BSON = 127;
    /** A position that is {@link Missing} (a document without {@code _id}: the wire never brings one). */
    private static final byte MISSING = 126;

    private static final ObjectDataType JAVA_SERIALIZED = new ObjectDataType();
    private static final ThreadLocal<ByteBuf> ENCODED = ThreadLocal.withInitial(() -> Unpooled.buffer(256));

    /**
     * Keys in the order the index serves ranges in: value by value as MongoDB compares them, then the shorter. Dates
     * to the millisecond, as MongoDB keeps them and as a document is written and read back ({@code $currentDate}
     * sets microseconds, which a key read back from the file no longer has).
     */
    static final Comparator<KeyValue> ORDER = (a, b) -> {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            Object x = a.get(i);
            Object y = b.get(i);
            int c = x instanceof Instant p && y instanceof Instant q ? Long.compare(p.toEpochMilli(), q.toEpochMilli())
                    : ValueComparator.asc().compare(x, y);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.size(), b.size());
    };

    static final BasicDataType<KeyValue> KEYS = new BasicDataType<>() {
        @Override
        public int getMemory(KeyValue key) {
            int memory = 48;
            for (Object value : key) {
                memory += memory(value);
            }
            return memory;
        }

        @Override
        public int compare(KeyValue a, KeyValue b) {
            return ORDER.compare(a, b);
        }

        @Override
        public void write(WriteBuffer buffer, KeyValue key) {
            Document values = new Document();
            for (int i = 0; i < key.size(); i++) {
                values.put(Integer.toString(i), key.get(i));
            }
            if (!writeBson(buffer, values)) {
                JAVA_SERIALIZED.write(buffer, key);
            }
        }

        @Override
        public KeyValue read(ByteBuffer buffer) {
            if (buffer.get(buffer.position()) != BSON) {
                return (KeyValue) JAVA_SERIALIZED.read(buffer);
            }
            Document values = readBson(buffer);
            List<Object> key = new ArrayList<>(values.size());
            for (int i = 0; i < values.size(); i++) {
                key.add(values.get(Integer.toString(i)));
            }
            return new KeyValue(key);
        }

        @Override
        public KeyValue[] createStorage(int size) {
            return new KeyValue[size];
        }
    };

    static final BasicDataType<Object> POSITIONS = new BasicDataType<>() {
        @Override
        public int getMemory(Object position) {
            return memory(position);
        }

        @Override
        public void write(WriteBuffer buffer, Object position) {
            if (position instanceof Missing) {
                buffer.put(MISSING);
            } else if (!writeBson(buffer, new Document("v", position))) {
                JAVA_SERIALIZED.write(buffer, position);
            }
        }

        @Override
        public Object read(ByteBuffer buffer) {
            byte first = buffer.get(buffer.position());
            if (first == MISSING) {
                buffer.get();
                return Missing.getInstance();
            }
            return first == BSON ? readBson(buffer).get("v") : JAVA_SERIALIZED.read(buffer);
        }

        @Override
        public Object[] createStorage(int size) {
            return new Object[size];
        }
    };

    private IndexEntryTypes() {
    }

    private static int memory(Object value) {
        return value instanceof String s ? 40 + 2 * s.length() : 32;
    }

    /** Whether the values could be written as BSON; nothing is written when not. */
    private static boolean writeBson(WriteBuffer buffer, Document values) {
        ByteBuf bson = ENCODED.get().clear();
        try {
            BsonEncoder.encodeDocument(values, bson);
        } catch (RuntimeException notBson) {
            return false;
        }
        buffer.put(BSON).put(bson.array(), bson.arrayOffset() + bson.readerIndex(), bson.readableBytes());
        if (bson.capacity() > 64 * 1024) {
            ENCODED.remove();
        }
        return true;
    }

    private static Document readBson(ByteBuffer buffer) {
        int start = buffer.position();
        int length = Integer.reverseBytes(buffer.getInt(start + 1));
        Document values = BsonDecoder.decodeBson(Unpooled.wrappedBuffer(buffer.slice(start + 1, length)));
        buffer.position(start + 1 + length);
        return values;
    }
}
