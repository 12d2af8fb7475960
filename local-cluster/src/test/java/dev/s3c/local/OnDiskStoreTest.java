package dev.s3c.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.mongodb.MongoWriteException;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import com.mongodb.reactivestreams.client.MongoCollection;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.QueryParameters;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.Page;
import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.BasicDataType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The local run's on-disk store: documents and indexes survive a restart; ids that are not strings are indexed in memory. */
class OnDiskStoreTest {

    @TempDir
    Path dir;

    private void withStore(Consumer<MongoCollection<Document>> use) {
        MongoServer server = new MongoServer(OnDiskStore.open(dir.resolve("mongo.mv")));
        try (MongoClient client = MongoClients.create(server.bindAndGetConnectionString())) {
            use.accept(client.getDatabase("s3c").getCollection("functions"));
        } finally {
            server.shutdownNow();
        }
    }

    @Test
    @Timeout(60) // a stop that waited for the connected client to leave would hang here rather than fail
    void theLocalRunStopsTheStoreQuietlyWithAClientStillConnectedAndClosesItsFile() {
        MongoServer server = new MongoServer(OnDiskStore.open(dir.resolve("mongo.mv")));
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        // the client stays open through the stop, as one whose close the store has not yet seen
        MongoClient client = MongoClients.create(server.bindAndGetConnectionString());
        try {
            Mono.from(client.getDatabase("s3c").getCollection("functions")
                    .insertOne(new Document("_id", "kept").append("name", "kept"))).block();
            lines.start();
            root.addAppender(lines);
            try {
                LocalCluster.stopStore(server);
            } finally {
                root.detachAppender(lines);
            }
        } finally {
            client.close();
        }

        assertThat(lines.list.stream()
                .filter(line -> line.getLevel().isGreaterOrEqual(Level.WARN))
                .filter(line -> !line.getLoggerName().startsWith("org.mongodb.driver"))
                .map(ILoggingEvent::getFormattedMessage))
                .as("warnings the console would show while the store stops").isEmpty();
        // its file was closed: opened again (a lock still held would refuse it), the write is there
        withStore(functions -> assertThat(first(functions, Filters.eq("_id", "kept"))).isNotNull());
    }

    @Test
    void documentsAndUniqueIndexesSurviveARestart() {
        withStore(functions -> {
            Mono.from(functions.createIndex(Indexes.ascending("name"), new IndexOptions().unique(true))).block();
            List<Document> docs = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                docs.add(new Document("_id", "f-" + i).append("name", "fn-" + i).append("version", 1));
            }
            Mono.from(functions.insertMany(docs)).block();
            Mono.from(functions.updateOne(Filters.eq("_id", "f-7"), new Document("$set", new Document("version", 2))))
                    .block();
            Mono.from(functions.deleteOne(Filters.eq("_id", "f-8"))).block();
        });
        withStore(functions -> {
            assertThat(Mono.from(functions.countDocuments()).block()).isEqualTo(999);
            assertThat(first(functions, Filters.eq("_id", "f-7")).getInteger("version")).isEqualTo(2);
            assertThat(Mono.from(functions.find(Filters.eq("_id", "f-8")).first()).block()).isNull();
            assertThat(Flux.from(functions.find(Filters.in("_id", List.of("f-1", "f-999", "nope")))).collectList()
                    .block()).extracting(d -> d.getString("_id")).containsExactlyInAnyOrder("f-1", "f-999");
            assertThat(first(functions, Filters.eq("name", "fn-500")).getString("_id")).isEqualTo("f-500");
            // both unique indexes were rebuilt: duplicates are refused as before the restart
            assertThatThrownBy(() -> Mono.from(functions.insertOne(new Document("_id", "f-1"))).block())
                    .isInstanceOf(MongoWriteException.class).hasMessageContaining("E11000");
            assertThatThrownBy(() -> Mono.from(functions.insertOne(new Document("_id", "f-new").append("name", "fn-3")))
                    .block()).isInstanceOf(MongoWriteException.class).hasMessageContaining("E11000");
            // the place a deleted document left is free again
            Mono.from(functions.insertOne(new Document("_id", "f-8").append("name", "fn-8"))).block();
            assertThat(Mono.from(functions.countDocuments()).block()).isEqualTo(1000);
        });
    }

    @Test
    void stringIdsAreIndexedByTheDocumentsMapAndOtherIdsInMemoryAcrossARestart() {
        ObjectId objectId = new ObjectId();
        withStore(things -> {
            List<Document> docs = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                docs.add(new Document("_id", "s-" + i).append("n", i));
            }
            // ids of other types sort before the strings (numbers, booleans) and after them (ObjectId, documents)
            docs.addAll(List.of(new Document("_id", 7).append("n", "int"), new Document("_id", 2.5).append("n", "double"),
                    new Document("_id", true).append("n", "boolean"), new Document("_id", objectId).append("n", "oid"),
                    new Document("_id", new Document("a", 1)).append("n", "document")));
            Mono.from(things.insertMany(docs)).block();
        });
        OnDiskStore store = OnDiskStore.open(dir.resolve("mongo.mv"));
        MongoServer server = new MongoServer(store);
        try (MongoClient client = MongoClients.create(server.bindAndGetConnectionString())) {
            MongoCollection<Document> things = client.getDatabase("s3c").getCollection("functions");
            assertThat(first(things, Filters.eq("_id", "s-42")).getInteger("n")).isEqualTo(42);
            assertThat(first(things, Filters.eq("_id", 7)).getString("n")).isEqualTo("int");
            // as MongoDB compares numbers: 7.0 is the id 7
            assertThat(first(things, Filters.eq("_id", 7.0)).getString("n")).isEqualTo("int");
            assertThat(first(things, Filters.eq("_id", 2.5)).getString("n")).isEqualTo("double");
            assertThat(first(things, Filters.eq("_id", true)).getString("n")).isEqualTo("boolean");
            assertThat(first(things, Filters.eq("_id", objectId)).getString("n")).isEqualTo("oid");
            assertThat(first(things, Filters.eq("_id", new Document("a", 1))).getString("n")).isEqualTo("document");
            assertThat(Mono.from(things.find(Filters.eq("_id", "7")).first()).block()).isNull();
            assertThat(Flux.from(things.find(Filters.in("_id", List.of("s-1", 7L, "nope", "s-99")))).collectList()
                    .block()).extracting(d -> d.get("n")).containsExactlyInAnyOrder(1, "int", 99);
            assertThat(Flux.from(things.find(Filters.regex("_id", "^s-9"))).collectList().block()).hasSize(11);
            // duplicates refused, strings and others alike
            for (Object id : List.of("s-5", 7.0, objectId)) {
                assertThatThrownBy(() -> Mono.from(things.insertOne(new Document("_id", id))).block())
                        .isInstanceOf(MongoWriteException.class).hasMessageContaining("E11000");
            }
            Mono.from(things.deleteOne(Filters.eq("_id", "s-5"))).block();
            Mono.from(things.deleteOne(Filters.eq("_id", 7))).block();
            Mono.from(things.updateOne(Filters.eq("_id", "s-6"), new Document("$set", new Document("n", -6)),
                    new com.mongodb.client.model.UpdateOptions().upsert(true))).block();
            Mono.from(things.updateOne(Filters.eq("_id", "s-new"), new Document("$set", new Document("n", 1000)),
                    new com.mongodb.client.model.UpdateOptions().upsert(true))).block();
            assertThat(first(things, Filters.eq("_id", "s-6")).getInteger("n")).isEqualTo(-6);
            assertThat(Mono.from(things.find(Filters.eq("_id", "s-5")).first()).block()).isNull();
            assertThat(Mono.from(things.find(Filters.eq("_id", 7)).first()).block()).isNull();
            Mono.from(things.insertOne(new Document("_id", "s-5").append("n", 5))).block();
            assertThat(Mono.from(things.countDocuments()).block()).isEqualTo(105);
            // what the index keeps in memory: the ids that are not strings, nothing for the 101 strings
            var idIndex = (OnDiskStore.IdIndex) store.resolveDatabase("s3c").resolveCollection("functions", true)
                    .getIndexes().getFirst();
            assertThat(idIndex.positions.keySet()).extracting(key -> key.get(0)).containsExactlyInAnyOrder(2.5, true,
                    objectId(objectId), new de.bwaldvogel.mongo.bson.Document("a", 1.0));
            assertThat(idIndex.getCount()).isEqualTo(105);
        } finally {
            server.shutdownNow();
        }
    }

    @Test
    void aStoreOpensWithoutReadingTheDocumentsOfACollectionThatHasOnlyStringIdsAndIndexesItDoesNotKeep() {
        // the executions: string ids and the retention's TTL index, which the store does not keep; the base class
        // read every document at open for it, twice (a restart on 3.4 million executions took minutes in it and then
        // failed on a chunk H2 had compacted away meanwhile)
        int n = 20_000;
        MongoServer server = new MongoServer(OnDiskStore.open(dir.resolve("mongo.mv")));
        try (MongoClient client = MongoClients.create(server.bindAndGetConnectionString())) {
            MongoCollection<Document> executions = client.getDatabase("s3c").getCollection("executions");
            Mono.from(executions.createIndex(Indexes.ascending("requestedAt"),
                    new IndexOptions().expireAfter(7L, TimeUnit.DAYS))).block();
            List<Document> docs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                docs.add(new Document("_id", "e-%05d".formatted(i)).append("requestedAt", new java.util.Date())
                        .append("output", "x".repeat(50)));
            }
            Mono.from(executions.insertMany(docs)).block();
        } finally {
            server.shutdownNow();
        }
        // a document in the middle that cannot be read: a read of every document fails on it
        MVStore file = new MVStore.Builder().fileName(dir.resolve("mongo.mv").toString()).open();
        file.openMap("databases.s3c.executions", new MVMap.Builder<Object, Object>().valueType(new Unreadable()))
                .put("e-10000x", Unreadable.MARK);
        file.close();

        server = new MongoServer(OnDiskStore.open(dir.resolve("mongo.mv")));
        try (MongoClient client = MongoClients.create(server.bindAndGetConnectionString())) {
            MongoCollection<Document> executions = client.getDatabase("s3c").getCollection("executions");
            assertThat(first(executions, Filters.eq("_id", "e-00007")).getString("output")).hasSize(50);
            assertThat(first(executions, Filters.eq("_id", "e-19999"))).isNotNull();
            assertThat(Mono.from(executions.estimatedDocumentCount()).block()).isEqualTo(n + 1);
            Mono.from(executions.insertOne(new Document("_id", "e-new"))).block();
            assertThat(first(executions, Filters.eq("_id", "e-new"))).isNotNull();
            // the document is really unreadable: reading it fails
            assertThatThrownBy(() -> first(executions, Filters.eq("_id", "e-10000x")))
                    .isInstanceOf(com.mongodb.MongoException.class);
        } finally {
            server.shutdownNow();
        }
    }

    /** Documents as the store writes them, and a mark written as a BSON value whose length runs past its page. */
    private static final class Unreadable extends BasicDataType<Object> {

        static final Object MARK = new Object();

        @Override
        public int getMemory(Object value) {
            return 100;
        }

        @Override
        public void write(WriteBuffer buffer, Object value) {
            if (value == MARK) {
                buffer.put(BsonDocumentType.BSON).putInt(Integer.reverseBytes(Integer.MAX_VALUE));
            } else {
                BsonDocumentType.INSTANCE.write(buffer, (de.bwaldvogel.mongo.bson.Document) value);
            }
        }

        @Override
        public Object read(ByteBuffer buffer) {
            return BsonDocumentType.INSTANCE.read(buffer);
        }

        @Override
        public Object[] createStorage(int size) {
            return new Object[size];
        }
    }

    private static de.bwaldvogel.mongo.bson.ObjectId objectId(ObjectId id) {
        return new de.bwaldvogel.mongo.bson.ObjectId(id.toByteArray());
    }

    @Test
    void aStoreWhoseDocumentsWereJavaSerializedOpensAndKeepsThemAsTheyAreRewritten() {
        // as every store was written before documents went to disk as BSON: MVStore's default type, by the
        // H2 backend OnDiskStore extends
        MongoServer before = new MongoServer(new H2Backend(dir.resolve("mongo.mv").toString()));
        try (MongoClient client = MongoClients.create(before.bindAndGetConnectionString())) {
            MongoCollection<Document> functions = client.getDatabase("s3c").getCollection("functions");
            List<Document> docs = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                docs.add(new Document("_id", "f-" + i).append("name", "fn-" + i).append("version", 1)
                        .append("at", java.util.Date.from(java.time.Instant.ofEpochMilli(1000L * i))));
            }
            Mono.from(functions.insertMany(docs)).block();
        } finally {
            before.shutdownNow();
        }
        withStore(functions -> {
            assertThat(Mono.from(functions.countDocuments()).block()).isEqualTo(300);
            assertThat(first(functions, Filters.eq("_id", "f-42")).getDate("at").getTime()).isEqualTo(42_000L);
            Mono.from(functions.updateOne(Filters.eq("_id", "f-7"), new Document("$set", new Document("version", 2))))
                    .block();
            Mono.from(functions.insertOne(new Document("_id", "f-new").append("name", "fn-new"))).block();
        });
        withStore(functions -> {
            // old, rewritten and new documents side by side after another restart
            assertThat(Mono.from(functions.countDocuments()).block()).isEqualTo(301);
            assertThat(first(functions, Filters.eq("_id", "f-7")).getInteger("version")).isEqualTo(2);
            assertThat(first(functions, Filters.eq("_id", "f-299")).getString("name")).isEqualTo("fn-299");
            assertThat(first(functions, Filters.eq("_id", "f-new")).getString("name")).isEqualTo("fn-new");
        });
        // what is in the file: the documents written since, as BSON
        MVStore file = new MVStore.Builder().fileName(dir.resolve("mongo.mv").toString()).readOnly().open();
        try {
            MVMap<Object, Byte> firstBytes = file.openMap("databases.s3c.functions",
                    new MVMap.Builder<Object, Byte>().valueType(new FirstByte()));
            assertThat(firstBytes.get("f-7")).isEqualTo(BsonDocumentType.BSON);
            assertThat(firstBytes.get("f-new")).isEqualTo(BsonDocumentType.BSON);
        } finally {
            file.close();
        }
    }

    /** Reads a stored document as its first byte only. */
    private static final class FirstByte extends BasicDataType<Byte> {
        @Override
        public int getMemory(Byte value) {
            return 1;
        }

        @Override
        public void write(WriteBuffer buffer, Byte value) {
            throw new UnsupportedOperationException("read only");
        }

        @Override
        public Byte read(ByteBuffer buffer) {
            byte first = buffer.get(buffer.position());
            BsonDocumentType.INSTANCE.read(buffer);
            return first;
        }

        @Override
        public Byte[] createStorage(int size) {
            return new Byte[size];
        }
    }

    @Test
    void aSortedIndexServesRangesInEitherOrderAndSurvivesARestart() {
        withStore(letters -> {
            createOrderIndex(letters);
            List<Document> docs = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                String function = i % 2 == 0 ? "a" : "b";
                docs.add(new Document("_id", "e-" + i).append("order", function + "|" + "%05d".formatted(i)));
            }
            docs.add(new Document("_id", "old")); // from before the key: not in the sparse index
            Mono.from(letters.insertMany(docs)).block();
        });
        withStore(letters -> {
            // ranges as one document on the field (Filters.and would render $and, which no index serves)
            // newest first, a page of 3 below a cursor, one function's keys only
            assertThat(ids(letters.find(range("$gt", "a|", "$lt", "a|00100"))
                    .sort(Indexes.descending("order")).limit(3))).containsExactly("e-98", "e-96", "e-94");
            assertThat(ids(letters.find(Filters.gte("order", "b|00495")).sort(Indexes.ascending("order"))))
                    .containsExactly("e-495", "e-497", "e-499");
            assertThat(ids(letters.find(Filters.lte("order", "a|00004")))).containsExactly("e-0", "e-2", "e-4");
            // bounds that cross: nothing, not an error
            assertThat(ids(letters.find(range("$gt", "b|", "$lt", "a|")))).isEmpty();
            // two bounds on one side: the tighter one counts
            assertThat(ids(letters.find(range("$gt", "b|00490", "$gte", "b|00496")))).containsExactly("e-497",
                    "e-499");
            assertThat(ids(letters.find(range("$gte", "a|00000", "$lte", "a|00000")))).containsExactly("e-0");
            // a range sorted by another field is still answered, by a scan
            assertThat(ids(letters.find(Filters.lt("order", "a|00003")).sort(Indexes.descending("_id"))))
                    .containsExactly("e-2", "e-0");
            // removals and replacements move the index
            Mono.from(letters.deleteOne(Filters.eq("_id", "e-98"))).block();
            Mono.from(letters.replaceOne(Filters.eq("_id", "e-96"), new Document("order", "z|1"))).block();
            assertThat(ids(letters.find(Filters.lt("order", "a|00100")).sort(Indexes.descending("order")).limit(2)))
                    .containsExactly("e-94", "e-92");
            assertThat(ids(letters.find(Filters.gt("order", "y")))).containsExactly("e-96");
            assertThat(Mono.from(letters.countDocuments()).block()).isEqualTo(500);
        });
    }

    @Test
    void aReadIsAnsweredWhileAWriteHoldsTheCollectionAndNeverSeesHalfAnUpdate() throws Exception {
        OnDiskStore store = OnDiskStore.open(dir.resolve("mongo.mv"));
        MongoServer server = new MongoServer(store);
        try (MongoClient client = MongoClients.create(server.bindAndGetConnectionString())) {
            MongoCollection<Document> executions = client.getDatabase("s3c").getCollection("executions");
            Mono.from(executions.insertMany(List.of(new Document("_id", "e-1").append("status", "queued"),
                    new Document("_id", "e-2").append("attempts", 1)))).block();
            var backendCollection = store.resolveDatabase("s3c").resolveCollection("executions", true);
            // the documents as a reader holds them (the store's own instances)
            var stored = backendCollection.handleQuery(new QueryParameters(
                    new de.bwaldvogel.mongo.bson.Document("_id", "e-1"), 0, 0)).collectDocuments().getFirst();
            var other = backendCollection.handleQuery(new QueryParameters(
                    new de.bwaldvogel.mongo.bson.Document("_id", "e-2"), 0, 0)).collectDocuments().getFirst();

            // a write in progress holds the collection (as the monitor's bulk writes do, statement after statement)
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Thread writer = Thread.ofPlatform().start(() -> {
                synchronized (backendCollection) {
                    held.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
            assertThat(held.await(10, TimeUnit.SECONDS)).isTrue();
            try {
                // (before, a read waited for the collection too: this timed out)
                assertThat(Mono.from(executions.find(Filters.eq("_id", "e-1")).first()).block(Duration.ofSeconds(10))
                        .getString("status")).isEqualTo("queued");
                // by a field without an index: the write scans
                var update = Mono.from(executions.updateOne(Filters.eq("status", "queued"),
                        new Document("$set", new Document("status", "succeeded")))).toFuture();
                release.countDown();
                assertThat(update.get(10, TimeUnit.SECONDS).getModifiedCount()).isEqualTo(1);
            } finally {
                release.countDown();
                writer.join();
            }
            assertThat(Mono.from(executions.findOneAndUpdate(Filters.eq("_id", "e-2"),
                    new Document("$inc", new Document("attempts", 1)))).block().getInteger("attempts")).isEqualTo(1);
            // both writes stored changed copies: the documents a reader held are as they were read
            assertThat(stored.get("status")).isEqualTo("queued");
            assertThat(other.get("attempts")).isEqualTo(1);
            assertThat(first(executions, Filters.eq("_id", "e-1")).getString("status")).isEqualTo("succeeded");
            assertThat(first(executions, Filters.eq("_id", "e-2")).getInteger("attempts")).isEqualTo(2);
        } finally {
            server.shutdownNow();
        }
    }

    @Test
    void theSortedIndexAnswersOnlyARangeOnItsOwnFieldInItsOwnOrder() {
        MVStore memory = MVStore.open(null);
        var index = new OnDiskStore.SortedIndex("order_1", List.of(new IndexKey("order", true)), true,
                memory.openMap("index", new MVMap.Builder<KeyValue, Object>().keyType(IndexEntryTypes.KEYS)
                        .valueType(IndexEntryTypes.POSITIONS)), new HashMap<>());
        assertThat(index.range(doc("order", doc("$gt", "a")), null)).isNotNull();
        assertThat(index.range(doc("order", doc("$gt", "a").append("$lte", "b")), doc("order", -1))).isNotNull();
        assertThat(index.range(doc("order", "a"), null)).isNull();
        assertThat(index.range(doc("order", doc("$in", List.of("a"))), null)).isNull();
        assertThat(index.range(doc("order", doc("$gt", "a")).append("other", 1), null)).isNull();
        assertThat(index.range(doc("order", doc("$gt", "a")), doc("other", 1))).isNull();
    }

    /**
     * A unique index other than {@code _id} is a map in the file, not rebuilt in memory at each open: dead letters and
     * idempotency keys grow with the traffic, and in the heap each key took about 250 bytes.
     */
    @Test
    void aSortedIndexIsKeptInTheFileAndAStoreOpensWithoutReadingTheDocumentsAgain() {
        withStore(letters -> {
            createOrderIndex(letters);
            insertOrdered(letters, 2000);
        });
        // the store noted that it closed the file, at the version it closed it at
        MVStore closed = new MVStore.Builder().fileName(dir.resolve("mongo.mv").toString()).readOnly().open();
        try {
            assertThat(closed.openMap(OnDiskStore.STATE_MAP).get(OnDiskStore.CLOSED_AT))
                    .isEqualTo(closed.getCurrentVersion() - 1);
        } finally {
            closed.close();
        }
        // a document in the middle that cannot be read: a store that reads every document at open fails on it
        MVStore file = new MVStore.Builder().fileName(dir.resolve("mongo.mv").toString()).open();
        file.openMap("databases.s3c.functions", new MVMap.Builder<Object, Object>().valueType(new Unreadable()))
                .put("e-15x", Unreadable.MARK);
        assertThat(indexEntries(file).sizeAsLong()).isEqualTo(2000);
        assertThat(indexEntries(file).get(new KeyValue("a|00042"))).isEqualTo("e-42");
        // closed as the store closes it: anything else written to the file makes it fill its indexes again
        file.openMap(OnDiskStore.STATE_MAP).put(OnDiskStore.CLOSED_AT, file.getCurrentVersion());
        file.close();

        withStore(letters -> {
            assertThat(ids(letters.find(Filters.lt("order", "a|00006")).sort(Indexes.descending("order"))))
                    .containsExactly("e-4", "e-2", "e-0");
            assertThat(ids(letters.find(range("$gt", "b|01994", "$lte", "b|01999")))).containsExactly("e-1995",
                    "e-1997", "e-1999");
            assertThat(first(letters, Filters.eq("order", "b|01001")).getString("_id")).isEqualTo("e-1001");
            assertThatThrownBy(() -> Mono.from(letters.insertOne(new Document("_id", "e-new").append("order",
                    "a|00042"))).block()).isInstanceOf(MongoWriteException.class).hasMessageContaining("E11000");
            Mono.from(letters.deleteOne(Filters.eq("_id", "e-42"))).block();
            Mono.from(letters.insertOne(new Document("_id", "e-new").append("order", "a|00042"))).block();
            assertThat(first(letters, Filters.eq("order", "a|00042")).getString("_id")).isEqualTo("e-new");
        });
    }

    /**
     * A store whose index an earlier version kept in memory (no map in the file, or one a start cut short): the index
     * is written to the file from the documents at open, once, and what was in its map before is not kept.
     */
    @Test
    void aSortedIndexNewToTheFileIsFilledFromTheDocumentsOnce() {
        withStore(letters -> {
            createOrderIndex(letters);
            insertOrdered(letters, 300);
        });
        MVStore file = new MVStore.Builder().fileName(dir.resolve("mongo.mv").toString()).open();
        file.<String, Object>openMap("meta.s3c.functions").remove("s3c.indexBuilt.order_1");
        MVMap<KeyValue, Object> entries = indexEntries(file);
        entries.clear();
        // left by a fill that did not finish: a key no document has
        entries.put(new KeyValue("z|ghost"), "ghost");
        file.close();

        withStore(letters -> {
            assertThat(ids(letters.find(Filters.gte("order", "b|00295")))).containsExactly("e-295", "e-297", "e-299");
            assertThatThrownBy(() -> Mono.from(letters.insertOne(new Document("_id", "e-new").append("order",
                    "b|00001"))).block()).isInstanceOf(MongoWriteException.class).hasMessageContaining("E11000");
            Mono.from(letters.insertOne(new Document("_id", "e-z").append("order", "z|ghost"))).block();
        });
        file = new MVStore.Builder().fileName(dir.resolve("mongo.mv").toString()).open();
        try {
            assertThat(indexEntries(file).sizeAsLong()).isEqualTo(301);
            assertThat(indexEntries(file).get(new KeyValue("z|ghost"))).isEqualTo("e-z");
            assertThat(file.<String, Object>openMap("meta.s3c.functions").get("s3c.indexBuilt.order_1"))
                    .isEqualTo(Boolean.TRUE);
        } finally {
            file.close();
        }
    }

    /** A process killed under load can leave an index entry whose document was never written, or the reverse. */
    @Test
    void aStoreNotClosedCleanlyFillsItsSortedIndexesAgain() {
        OnDiskStore store = OnDiskStore.open(dir.resolve("mongo.mv"));
        MongoServer server = new MongoServer(store);
        try (MongoClient client = MongoClients.create(server.bindAndGetConnectionString())) {
            MongoCollection<Document> letters = client.getDatabase("s3c").getCollection("functions");
            createOrderIndex(letters);
            insertOrdered(letters, 100);
            indexEntries(store.getMvStore()).put(new KeyValue("z|ghost"), "ghost");
            store.getMvStore().commit();
            // killed: nothing more is written
            store.getMvStore().closeImmediately();
        } finally {
            server.shutdownNow();
        }
        withStore(letters -> {
            Mono.from(letters.insertOne(new Document("_id", "e-z").append("order", "z|ghost"))).block();
            assertThat(ids(letters.find(Filters.gte("order", "b|00097")))).containsExactly("e-97", "e-99", "e-z");
        });
    }

    /** An earlier version of this store kept its sorted indexes in memory: what it wrote is not in the file's. */
    @Test
    void aStoreWrittenByAnEarlierVersionSinceItsLastCleanCloseFillsItsSortedIndexesAgain() {
        withStore(letters -> {
            createOrderIndex(letters);
            insertOrdered(letters, 10);
        });
        MVStore file = new MVStore.Builder().fileName(dir.resolve("mongo.mv").toString()).open();
        file.openMap("databases.s3c.functions", new MVMap.Builder<Object, de.bwaldvogel.mongo.bson.Document>()
                .valueType(BsonDocumentType.INSTANCE)).put("e-old", doc("_id", "e-old").append("order", "a|99999"));
        file.close();

        withStore(letters -> {
            assertThat(ids(letters.find(range("$gte", "a|99", "$lt", "b")))).containsExactly("e-old");
            assertThatThrownBy(() -> Mono.from(letters.insertOne(new Document("_id", "twin").append("order",
                    "a|99999"))).block()).isInstanceOf(MongoWriteException.class).hasMessageContaining("E11000");
        });
    }

    @Test
    void droppingACollectionOrAnIndexTakesItsEntriesWithIt() {
        withStore(letters -> {
            createOrderIndex(letters);
            insertOrdered(letters, 10);
            Mono.from(letters.drop()).block();
            createOrderIndex(letters);
            // the old collection's keys are gone with it
            Mono.from(letters.insertOne(new Document("_id", "other").append("order", "a|00002"))).block();
            insertOrdered(letters, 10, 1);
            Mono.from(letters.dropIndex("order_1")).block();
            Mono.from(letters.insertOne(new Document("_id", "twin").append("order", "a|00002"))).block();
            // an index made again on documents that break it is refused, not half built
            assertThatThrownBy(() -> createOrderIndex(letters)).isInstanceOf(com.mongodb.MongoException.class);
            Mono.from(letters.deleteOne(Filters.eq("_id", "twin"))).block();
            createOrderIndex(letters);
        });
        withStore(letters -> {
            assertThat(ids(letters.find(Filters.gte("order", "a|")))).containsExactly("other", "e-10");
            assertThatThrownBy(() -> Mono.from(letters.insertOne(new Document("_id", "twin").append("order",
                    "a|00002"))).block()).isInstanceOf(MongoWriteException.class).hasMessageContaining("E11000");
        });
    }

    /** The listing key's index: unique and sparse, as the dead letters' and scaling decisions' are. */
    private static void createOrderIndex(MongoCollection<Document> collection) {
        Mono.from(collection.createIndex(Indexes.ascending("order"), new IndexOptions().unique(true).sparse(true)))
                .block();
    }

    private static void insertOrdered(MongoCollection<Document> collection, int n) {
        insertOrdered(collection, 0, n);
    }

    /** Documents e-i with the key {@code a|i} (even i) or {@code b|i} (odd), as a listing's key: owner, then order. */
    private static void insertOrdered(MongoCollection<Document> collection, int from, int n) {
        List<Document> docs = new ArrayList<>();
        for (int i = from; i < from + n; i++) {
            docs.add(new Document("_id", "e-" + i).append("order", (i % 2 == 0 ? "a" : "b") + "|%05d".formatted(i)));
        }
        Mono.from(collection.insertMany(docs)).block();
    }

    private static MVMap<KeyValue, Object> indexEntries(MVStore file) {
        return file.openMap("s3c.functions._s3c_index_order_1", new MVMap.Builder<KeyValue, Object>()
                .keyType(IndexEntryTypes.KEYS).valueType(IndexEntryTypes.POSITIONS));
    }

    /**
     * H2 grows a chunk's write buffer by half (1, 2, 3, 4.5 MB) and reuses it only up to 4 MB, and a buffer of 4 MB or
     * more is a "humongous" object to G1 (8 MB regions in the local run): a burst of writes is stored in chunks that
     * fit a 3 MB buffer.
     */
    @Test
    void aBurstOfWritesIsStoredInChunksThatFitA3MbBuffer() {
        withServedStore((store, executions) -> {
            // only commits for the amount written: on a slow machine the one-second commit would split the burst
            store.getMvStore().setAutoCommitDelay(0);
            String output = "x".repeat(4000);
            // a store in use: documents of this size written before (MVStore estimates a page's memory from the
            // average document size seen, which earlier tests in this JVM set with small documents)
            insert(executions, "before", 2, 200, output);
            store.getMvStore().commit();
            Set<String> chunksBefore = chunks(store).keySet();

            // 24 MB
            insert(executions, "burst", 12, 500, output);
            store.getMvStore().commit();

            Map<String, Long> written = new HashMap<>(chunks(store));
            written.keySet().removeAll(chunksBefore);
            assertThat(written).hasSizeGreaterThan(5).allSatisfy((chunk, bytes) ->
                    assertThat(bytes).as(chunk).isLessThanOrEqualTo(3L << 20));
        });
    }

    /**
     * MVStore writes a whole page again when one document on it changes. Executions land in id order, two writers
     * apart and their results later, so a page of executions changed in several commits: with H2's 16 KB pages each
     * execution was encoded four times, with 4 KB pages two and a half (README, Storage).
     */
    @Test
    void aPageHoldsOnlyAFewExecutionsSoAWriteRewritesFewNeighbours() {
        withServedStore((store, executions) -> {
            // about the size of a stored execution, and as many written (a commit encodes them) and deleted first:
            // MVStore estimates a document's memory from the average size encoded, which earlier tests in this JVM set
            String output = "x".repeat(400);
            insert(executions, "before", 1, 100, output);
            store.getMvStore().commit();
            Mono.from(executions.deleteMany(new Document())).block();
            store.getMvStore().commit();
            insert(executions, "e", 4, 100, output);
            store.getMvStore().commit();

            List<Integer> leaves = new ArrayList<>();
            countLeaves(store.getMvStore().openMap("databases.s3c.executions").getRootPage(), leaves);
            assertThat(leaves.stream().mapToInt(Integer::intValue).sum()).isEqualTo(400);
            assertThat(leaves).allSatisfy(keys -> assertThat(keys).isLessThanOrEqualTo(3));
        });
    }

    /** A store on this test's file, served over the wire: its {@code executions} collection, and the store itself. */
    private void withServedStore(BiConsumer<OnDiskStore, MongoCollection<Document>> use) {
        OnDiskStore store = OnDiskStore.open(dir.resolve("mongo.mv"));
        MongoServer server = new MongoServer(store);
        try (MongoClient client = MongoClients.create(server.bindAndGetConnectionString())) {
            use.accept(store, client.getDatabase("s3c").getCollection("executions"));
        } finally {
            server.shutdownNow();
        }
    }

    private static void countLeaves(Page<?, ?> page, List<Integer> keysPerLeaf) {
        if (page.isLeaf()) {
            keysPerLeaf.add(page.getKeyCount());
            return;
        }
        for (int i = 0; i < page.getRawChildPageCount(); i++) {
            countLeaves(page.getChildPage(i), keysPerLeaf);
        }
    }

    private static void insert(MongoCollection<Document> collection, String prefix, int batches, int perBatch,
            String output) {
        for (int batch = 0; batch < batches; batch++) {
            List<Document> docs = new ArrayList<>();
            for (int i = 0; i < perBatch; i++) {
                docs.add(new Document("_id", prefix + "-" + batch + "-" + i).append("output", output));
            }
            Mono.from(collection.insertMany(docs)).block();
        }
    }

    /** The store's chunks but its newest (whose own entry is written with the next one): name to length in bytes. */
    private static Map<String, Long> chunks(OnDiskStore store) {
        Map<String, Long> chunks = new HashMap<>();
        store.getMvStore().getLayoutMap().forEach((key, value) -> {
            if (key.startsWith("chunk.")) {
                chunks.put(key, chunkBlocks(value) * 4096);
            }
        });
        return chunks;
    }

    /** A chunk's length in 4 KB blocks, from its layout entry ({@code chunk:…,block:…,len:…,…}, hexadecimal). */
    private static long chunkBlocks(String layout) {
        for (String attribute : layout.split(",")) {
            if (attribute.startsWith("len:")) {
                return Long.parseLong(attribute.substring(4), 16);
            }
        }
        throw new AssertionError("no len in " + layout);
    }

    private static de.bwaldvogel.mongo.bson.Document doc(String key, Object value) {
        return new de.bwaldvogel.mongo.bson.Document(key, value);
    }

    private static Document range(String op1, String v1, String op2, String v2) {
        return new Document("order", new Document(op1, v1).append(op2, v2));
    }

    private static List<String> ids(com.mongodb.reactivestreams.client.FindPublisher<Document> find) {
        return Flux.from(find).map(d -> d.getString("_id")).collectList().block();
    }

    private static Document first(MongoCollection<Document> collection, org.bson.conversions.Bson filter) {
        return Mono.from(collection.find(filter).first()).block();
    }
}
