package dev.s3c.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import de.bwaldvogel.mongo.bson.BinData;
import de.bwaldvogel.mongo.bson.BsonTimestamp;
import de.bwaldvogel.mongo.bson.Decimal128;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.LegacyUUID;
import de.bwaldvogel.mongo.bson.MaxKey;
import de.bwaldvogel.mongo.bson.MinKey;
import de.bwaldvogel.mongo.bson.ObjectId;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.ObjectDataType;
import org.junit.jupiter.api.Test;

/** What the on-disk store writes for a document, and that it still reads what it wrote before (Java-serialized). */
class BsonDocumentTypeTest {

    private static Document execution() {
        return new Document("_id", "01a24211-ce9f-7bb1-9f30-10b378763f28").append("input", "{\"i\":4}")
                .append("requestedAt", Instant.ofEpochMilli(1_796_000_000_123L)).append("status", "succeeded")
                .append("functionId", new ObjectId()).append("functionVersion", 1).append("seq", 14L)
                .append("error", null).append("durationMs", 4.5).append("coldStart", false)
                .append("history", List.of(new Document("attempt", 1).append("status", "failed"),
                        new Document("attempt", 2).append("status", "succeeded")))
                .append("key", UUID.randomUUID()).append("blob", new BinData(new byte[] {1, 2, 3}));
    }

    /** An execution and whatever else BSON holds, each kind as it came. */
    private static Document everyKindOfValue() {
        return execution()
                .append("legacy", new LegacyUUID(UUID.randomUUID())).append("decimal", Decimal128.TWO)
                .append("ts", new BsonTimestamp(77L)).append("max", MaxKey.getInstance())
                .append("min", MinKey.getInstance()).append("nan", Double.NaN).append("int", 7).append("long", 7L)
                .append("nested", new Document("list", List.of(List.of(1, "a"), new Document("x", null))));
    }

    private static ByteBuffer written(WriteBuffer buffer) {
        ByteBuffer bytes = buffer.getBuffer();
        bytes.flip();
        return bytes;
    }

    @Test
    void aDocumentIsWrittenAsBsonAndReadBackEqual() {
        Document document = everyKindOfValue();
        WriteBuffer bson = new WriteBuffer();
        BsonDocumentType.INSTANCE.write(bson, document);
        WriteBuffer serialized = new WriteBuffer();
        new ObjectDataType().write(serialized, document);

        ByteBuffer bytes = written(bson);
        assertThat(bytes.get(0)).isEqualTo(BsonDocumentType.BSON);
        assertThat(bytes.remaining()).isLessThan(written(serialized).remaining());
        assertThat(BsonDocumentType.INSTANCE.read(bytes)).isEqualTo(document);
        assertThat(bytes.remaining()).isZero();
    }

    @Test
    void valuesWrittenJavaSerializedBeforeAreStillRead() {
        Document before = execution();
        Document after = new Document("_id", "b").append("n", 2);
        WriteBuffer buffer = new WriteBuffer();
        // a page rewritten while old values are read: one of each, one after the other
        new ObjectDataType().write(buffer, before);
        BsonDocumentType.INSTANCE.write(buffer, after);

        ByteBuffer bytes = written(buffer);
        assertThat(BsonDocumentType.INSTANCE.read(bytes)).isEqualTo(before);
        assertThat(BsonDocumentType.INSTANCE.read(bytes)).isEqualTo(after);
        assertThat(bytes.remaining()).isZero();
    }

    @Test
    void aDocumentBsonCannotHoldIsJavaSerializedAndReadBack() {
        // values the encoder does not know
        for (Document document : List.of(new Document("_id", "c").append("when", new Date(5)),
                new Document("_id", "d").append("inner", new Document("f", 1.5f)))) {
            WriteBuffer buffer = new WriteBuffer();
            BsonDocumentType.INSTANCE.write(buffer, document);

            ByteBuffer bytes = written(buffer);
            assertThat(bytes.get(0)).isNotEqualTo(BsonDocumentType.BSON);
            assertThat(BsonDocumentType.INSTANCE.read(bytes)).isEqualTo(document);
            assertThat(bytes.remaining()).isZero();
        }
    }

    @Test
    void aStoredDocumentThatEndsBeforeItsLengthIsAnErrorNotAShiftOfTheValuesAfterIt() {
        WriteBuffer buffer = new WriteBuffer();
        BsonDocumentType.INSTANCE.write(buffer, new Document("_id", "e"));
        ByteBuffer bytes = written(buffer);
        // the same document, declared a byte longer than it is
        ByteBuffer longer = ByteBuffer.allocate(bytes.remaining() + 1);
        longer.put(bytes).put((byte) 0).flip();
        longer.putInt(1, Integer.reverseBytes(Integer.reverseBytes(longer.getInt(1)) + 1));

        assertThatThrownBy(() -> BsonDocumentType.INSTANCE.read(longer)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("ended after");
    }
}
