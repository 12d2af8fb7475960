package dev.s3c.local;

import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.wire.BsonConstants;
import de.bwaldvogel.mongo.wire.bson.BsonDecoder;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.BasicDataType;
import org.h2.mvstore.type.ObjectDataType;

/**
 * How {@link OnDiskStore} writes a document into its MVStore file: as BSON, the form it arrived in over the wire.
 *
 * <p>MVStore's default type Java-serializes every value: an execution took 1,083 bytes that way against 509 as BSON,
 * and a write and read back took 34 µs against 3. MVStore rewrites a whole page at each commit, so every document on a
 * page that changed is written again, and a restart reads every document once to rebuild the indexes. Values written
 * before (Java-serialized, with {@link ObjectDataType}'s tags, all below {@link #BSON}) are still read, and are
 * written as BSON when their page is next rewritten. A document BSON cannot hold (nothing stores one today) is still
 * Java-serialized. Not checked, because it costs as much as the encoding: a field name with a NUL in it, which would
 * end early in BSON. MongoDB refuses such names, the wire cannot carry them and the platform renames no fields.
 */
final class BsonDocumentType extends BasicDataType<Document> {

    static final BsonDocumentType INSTANCE = new BsonDocumentType();

    /** The first byte of a BSON value: above every tag {@link ObjectDataType} writes (0 to 119). */
    static final byte BSON = 127;

    private static final ObjectDataType JAVA_SERIALIZED = new ObjectDataType();

    /** Where a document is encoded before it is copied into the page: one per writing thread, reused. */
    private static final ThreadLocal<ByteBuf> ENCODED = ThreadLocal.withInitial(() -> Unpooled.buffer(4096));

    /** A thread's buffer that grew past this for a large document is let go rather than kept. */
    private static final int KEPT_CAPACITY = 1 << 20;

    /**
     * A running average of the documents' BSON size. MVStore's default type estimated a document's memory as a running
     * average of twice its serialized size; four times its BSON size is about that (an execution: 2,036 against 2,166
     * bytes), so the page cache holds as many documents as before (see {@link OnDiskStore}'s cache size) and a page
     * splits where it did.
     */
    private volatile int averageSize = 512;

    private BsonDocumentType() {
    }

    @Override
    public int getMemory(Document document) {
        return 4 * averageSize;
    }

    @Override
    public void write(WriteBuffer buffer, Document document) {
        ByteBuf bson = ENCODED.get().clear();
        try {
            BsonEncoder.encodeDocument(document, bson);
        } catch (RuntimeException notBson) {
            // a value the encoder does not know: throwing here would fail the store's commit for good
            JAVA_SERIALIZED.write(buffer, document);
            return;
        } finally {
            if (bson.capacity() > KEPT_CAPACITY) {
                ENCODED.remove();
            }
        }
        int size = bson.readableBytes();
        if (size > BsonConstants.MAX_BSON_OBJECT_SIZE) {
            // the decoder refuses it: a document the wire could not have brought
            JAVA_SERIALIZED.write(buffer, document);
            return;
        }
        averageSize = (size + 15 * averageSize) / 16;
        buffer.put(BSON).put(bson.array(), bson.arrayOffset() + bson.readerIndex(), size);
    }

    @Override
    public Document read(ByteBuffer buffer) {
        int start = buffer.position();
        if (buffer.get(start) != BSON) {
            return (Document) JAVA_SERIALIZED.read(buffer);
        }
        // the document's own length moves the position, so one that read short cannot shift the values after it
        int length = Integer.reverseBytes(buffer.getInt(start + 1));
        ByteBuf bson = Unpooled.wrappedBuffer(buffer.slice(start + 1, length));
        Document document = BsonDecoder.decodeBson(bson);
        if (bson.isReadable()) {
            throw new IllegalStateException("a stored document of " + length + " bytes ended after "
                    + bson.readerIndex());
        }
        buffer.position(start + 1 + length);
        return document;
    }

    @Override
    public Document[] createStorage(int size) {
        return new Document[size];
    }
}
