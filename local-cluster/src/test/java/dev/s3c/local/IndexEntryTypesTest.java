package dev.s3c.local;

import static org.assertj.core.api.Assertions.assertThat;

import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.backend.ValueComparator;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.BasicDataType;
import org.junit.jupiter.api.Test;

/** What the on-disk store writes for a unique index's entries, read back as they were, in MongoDB's order. */
class IndexEntryTypesTest {

    private static <T> T roundTrip(BasicDataType<T> type, T value) {
        WriteBuffer buffer = new WriteBuffer();
        type.write(buffer, value);
        // entries are written one after another on a page: each read stops where its own bytes end
        buffer.put((byte) 42);
        ByteBuffer written = buffer.getBuffer().flip();
        T read = type.read(written);
        assertThat(written.get()).isEqualTo((byte) 42);
        return read;
    }

    @Test
    void keysOfEveryKindComeBackAsTheyWereWritten() {
        ObjectId id = new ObjectId();
        Instant at = Instant.ofEpochMilli(1_796_000_000_123L);
        List<KeyValue> keys = List.of(new KeyValue("fn-1|0001796000000123|01a24211-ce9f"), new KeyValue(4.5),
                new KeyValue(Long.MAX_VALUE), new KeyValue(id), new KeyValue(at), new KeyValue(true),
                new KeyValue(Arrays.asList((Object) null)), new KeyValue("tenant-a", "name-b"),
                new KeyValue(new Document("a", 1.0).append("b", List.of(1.0, "x"))));
        for (KeyValue key : keys) {
            KeyValue read = roundTrip(IndexEntryTypes.KEYS, key);
            assertThat(read).isEqualTo(key);
            assertThat(IndexEntryTypes.KEYS.compare(read, key)).isZero();
        }
        // an instant finer than BSON's milliseconds comes back to the millisecond, as its document does, and is
        // the same key (dates compare to the millisecond, as in MongoDB)
        Instant fine = Instant.ofEpochSecond(1_796_000_000L, 123_456_789);
        KeyValue read = roundTrip(IndexEntryTypes.KEYS, new KeyValue(fine));
        assertThat(read).isEqualTo(new KeyValue(Instant.ofEpochSecond(1_796_000_000L, 123_000_000)));
        assertThat(IndexEntryTypes.KEYS.compare(read, new KeyValue(fine))).isZero();
        assertThat(IndexEntryTypes.KEYS.compare(read, new KeyValue(fine.plusMillis(1)))).isNegative();
        // a value BSON cannot hold is Java-serialized rather than lost
        assertThat(roundTrip(IndexEntryTypes.KEYS, new KeyValue(BigInteger.TEN))).isEqualTo(new KeyValue(BigInteger.TEN));
    }

    @Test
    void positionsComeBackAsTheyWereWritten() {
        ObjectId id = new ObjectId();
        for (Object position : List.of("01a24211-ce9f-7bb1-9f30-10b378763f28", id, 7.0, BigInteger.TWO)) {
            assertThat(roundTrip(IndexEntryTypes.POSITIONS, position)).isEqualTo(position);
        }
        assertThat(roundTrip(IndexEntryTypes.POSITIONS, Missing.getInstance())).isSameAs(Missing.getInstance());
    }

    @Test
    void keysSortAsMongoDbComparesTheirValuesThenTheShorterFirst() {
        List<KeyValue> keys = new ArrayList<>(List.of(new KeyValue("b"), new KeyValue("a|2"), new KeyValue(10.0),
                new KeyValue(9.0), new KeyValue("a|10"), new KeyValue("a", "b"), new KeyValue("a")));
        keys.sort(IndexEntryTypes.KEYS::compare);
        // numbers before strings; strings by their characters ("a|10" before "a|2"); a prefix before the longer key
        assertThat(keys).containsExactly(new KeyValue(9.0), new KeyValue(10.0), new KeyValue("a"),
                new KeyValue("a", "b"), new KeyValue("a|10"), new KeyValue("a|2"), new KeyValue("b"));
        assertThat(IndexEntryTypes.KEYS.compare(new KeyValue(1.0), new KeyValue(2.0)))
                .isEqualTo(Integer.signum(ValueComparator.asc().compare(1.0, 2.0)));
    }
}
