package dev.s3c.local;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.AbstractUniqueIndex;
import de.bwaldvogel.mongo.backend.ArrayFilters;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.DocumentWithPosition;
import de.bwaldvogel.mongo.backend.EmptyIndex;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.backend.QueryParameters;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.ValueComparator;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.h2.H2Collection;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.IndexBuildFailedException;
import de.bwaldvogel.mongo.exception.MongoServerError;
import de.bwaldvogel.mongo.oplog.Oplog;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.ConcurrentModificationException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.Spliterators;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

/**
 * The local run's on-disk MongoDB-wire store: documents in an H2 MVStore file, keyed by {@code _id}; the other unique
 * indexes in maps of the same file ({@link SortedIndex}).
 *
 * <p>Why not the H2 backend's own indexes: it keeps them as MVStore maps whose keys it compares by Java-serializing
 * both sides, and a page read from disk deserializes every key on it. Past a few hundred thousand executions every
 * upsert spent most of its time there, and storing fell behind the executors. The maps here hold their keys as BSON and
 * compare them as objects ({@link IndexEntryTypes}).
 *
 * <p>The {@code _id} index takes no memory per document where the {@code _id} is a string (every execution, log
 * block and dead letter): the collection's map is keyed by {@code _id}, so a lookup there is the index (see
 * {@link IdIndex}). A hash index for it cost about 180 bytes of heap per stored execution: at 5,000 executions a
 * second the old generation grew by 55 MB a minute until G1 marked without pause and the rate fell (README, Sustained
 * load).
 */
final class OnDiskStore extends H2Backend {

    /**
     * MVStore's page cache: documents recently read or written stay deserialized. Small on purpose: its estimate
     * undercounts the heap the documents take (48 MB held 78,000 of them), and what it holds is young at every young
     * collection: each chunk the store writes puts its pages in, and the cache makes new entries (and segments, as
     * they resize) as pages come and go. At about 4,000 executions a second 8 MB of it was half the objects G1
     * copied at each young pause, and 2 MB took the pauses from 35 to 29 ms (1 MB, 27 ms) with no change in the rate
     * or the reads (README, Sustained load). Pages not yet written are held by their maps whatever the cache. The
     * cost: at that rate it holds about the last second's executions, so the result of a call that ran longer (and
     * any older document) is read from the file a page at a time, and a page over 128 KB (a large output; the cache's
     * size over its 16 segments) is never kept.
     */
    private static final int CACHE_MB = 2;

    /**
     * How much changed data, by MVStore's estimate (KB), makes it write a chunk; H2's default is 19 MB. H2 serializes
     * a chunk into a buffer that grows by half from 1 MB (2, 3, 4.5, 6.75 MB, ...) and reuses it only up to 4 MB, and
     * a buffer of 4 MB or more is a "humongous" object to G1 (8 MB regions), which starts a marking cycle once the old
     * generation is full enough: at 5,000-6,000 executions a second the default needed buffers of up to 16 MB, and
     * G1 ran 51 such cycles in four minutes. MVStore counts a document as four times the average document's size
     * ({@link BsonDocumentType}), so a chunk comes out at about a quarter of this on disk. A trigger, not a cap: a
     * burst of documents larger than the average makes larger chunks until the average catches up (README,
     * Performance, tenth round).
     */
    private static final int UNSAVED_KB = 2048;

    /**
     * How large a page grows (by MVStore's estimate) before it splits; H2's default is 16 KB, up to seven executions
     * (MVStore counts each document as four times the average one, {@link BsonDocumentType}). A page is written again in
     * full whenever one of its documents changes, and executions are written in id order by two of the monitor's
     * threads, their results often in a later batch: a page of executions changed in several commits, and each
     * execution was encoded four times under async load. With 4 KB pages (an execution each) it is two and a half
     * times, the file a quarter smaller and the store's CPU lower (README, Storage).
     */
    private static final int PAGE_SPLIT_BYTES = 4096;

    /**
     * Set while this thread updates documents: the base class changes in place the document it read, so a write reads
     * copies and stores them, and the stored document a lock-free reader may hold never changes.
     */
    private static final ThreadLocal<Boolean> WRITING = ThreadLocal.withInitial(() -> Boolean.FALSE);

    private static <T> T writing(Supplier<T> write) {
        Boolean before = WRITING.get();
        WRITING.set(Boolean.TRUE);
        try {
            return write.get();
        } finally {
            WRITING.set(before);
        }
    }

    private OnDiskStore(MVStore store) {
        super(store);
    }

    /** Where {@link #close()} notes the version it closed the file at. */
    static final String STATE_MAP = "OnDiskStore.state";
    static final String CLOSED_AT = "closedAtVersion";

    static OnDiskStore open(Path file) {
        MVStore store = new MVStore.Builder().fileName(file.toString()).cacheSize(CACHE_MB)
                .autoCommitBufferSize(UNSAVED_KB).pageSplitSize(PAGE_SPLIT_BYTES).open();
        try {
            trustIndexesOnlyAfterACleanClose(store);
            return new OnDiskStore(store);
        } catch (RuntimeException | Error e) {
            // let go of the file's lock: nothing was changed that a commit should keep
            store.closeImmediately();
            throw e;
        }
    }

    /**
     * A document and its entries in the sorted indexes are written one map at a time, and MVStore commits whenever its
     * buffer fills: a process killed under load can leave the file with an index entry whose document is not there,
     * or the other way round. So the indexes are trusted only where this store closed the file itself and nothing
     * wrote to it since (an earlier version of this store, which kept the indexes in memory, would not keep them up
     * to date): otherwise every one is filled again from its documents as the store opens, as they were before they
     * were kept in the file. A reopening adds no version of its own, so the version closed at is the one before.
     */
    static void trustIndexesOnlyAfterACleanClose(MVStore store) {
        Object closedAt = store.hasMap(STATE_MAP) ? store.openMap(STATE_MAP).get(CLOSED_AT) : null;
        if (closedAt instanceof Long version && version == store.getCurrentVersion() - 1) {
            return;
        }
        for (String name : store.getMapNames()) {
            if (name.startsWith("meta.")) {
                MVMap<String, Object> meta = store.openMap(name);
                // (an MVMap's key set cannot remove while it iterates)
                List.copyOf(meta.keySet()).stream().filter(key -> key.startsWith(SortedIndex.BUILT))
                        .forEach(meta::remove);
            }
        }
    }

    /** Called once the server's workers have stopped: nothing writes after this. */
    @Override
    public void close() {
        MVStore store = getMvStore();
        if (!store.isClosed()) {
            // the version the closing commit stores (H2Backend closes without compacting, which would store more
            // versions after it: every start would then fill the indexes again)
            store.openMap(STATE_MAP).put(CLOSED_AT, store.getCurrentVersion());
        }
        super.close();
    }

    @Override
    protected MongoDatabase openOrCreateDatabase(String databaseName) {
        return new H2Database(databaseName, getMvStore(), getCursorRegistry()) {
            @Override
            protected Index<Object> openOrCreateUniqueIndex(String collectionName, String indexName, List<IndexKey> keys,
                    boolean sparse) {
                boolean byId = keys.size() == 1 && keys.getFirst().getKey().equals("_id");
                if (byId) {
                    return new IdIndex(indexName, keys, sparse, documents(collectionName));
                }
                MVMap<KeyValue, Object> entries = getMvStore().openMap(sortedIndexMapName(collectionName, indexName),
                        new MVMap.Builder<KeyValue, Object>().keyType(IndexEntryTypes.KEYS)
                                .valueType(IndexEntryTypes.POSITIONS));
                return new SortedIndex(indexName, keys, sparse, entries, meta(collectionName));
            }

            /**
             * Another name than the H2 backend's own index maps ({@code ._index_}), which Java-serialized their keys:
             * a store written before may still hold one.
             */
            private String sortedIndexMapName(String collectionName, String indexName) {
                return getFullCollectionNamespace(collectionName) + "._s3c_index_" + indexName;
            }

            /** The collection's meta map (H2Collection's); it goes when the collection is dropped. */
            private MVMap<String, Object> meta(String collectionName) {
                return getMvStore().openMap("meta." + getFullCollectionNamespace(collectionName));
            }

            @Override
            protected void dropIndex(MongoCollection<Object> collection, String indexName) {
                // the mark first: a file that has it has the index's entries
                meta(collection.getCollectionName()).remove(SortedIndex.builtKey(indexName));
                super.dropIndex(collection, indexName);
                String name = sortedIndexMapName(collection.getCollectionName(), indexName);
                if (getMvStore().hasMap(name)) {
                    getMvStore().removeMap(name);
                }
            }

            /**
             * What the store makes of an index that is not unique (the retention's TTL index on executions): nothing, as
             * before, but an index that says it is built. The base class reads every document of the collection twice
             * to fill an empty index, which does nothing with them: a restart on 3.4 million executions took minutes
             * in it, and then failed on a chunk H2 had compacted away while the read was still going.
             */
            @Override
            protected Index<Object> openOrCreateSecondaryIndex(String collectionName, String indexName,
                    List<IndexKey> keys, boolean sparse) {
                return new EmptyIndex<>(indexName, keys) {
                    @Override
                    public boolean isEmpty() {
                        return false;
                    }
                };
            }

            /** The collection's documents by {@code _id}: the map H2Database opens for it, under the same name. */
            private MVMap<Object, Document> documents(String collectionName) {
                // OnDiskStoreTest reopens a store: another name would show it empty; dropping a collection opens its
                // map again by name and gets this one; MVStore hands out one map per name
                return getMvStore().openMap("databases." + getFullCollectionNamespace(collectionName),
                        new MVMap.Builder<Object, Document>().valueType(BsonDocumentType.INSTANCE));
            }

            @Override
            protected MongoCollection<Object> openOrCreateCollection(String collectionName, CollectionOptions options) {
                MVMap<Object, Document> data = documents(collectionName);
                MVMap<String, Object> meta = meta(collectionName);
                return new H2Collection(this, collectionName, options, data, meta, cursorRegistry) {

                    /**
                     * Reads without the collection's lock. Writes hold it a statement at a time, but a bulk write's
                     * thread takes it again before a waiting reader wakes, so under load a read of one execution
                     * waited for the monitor's whole bulk of up to 1,000 upserts (up to 225 ms). What makes this safe:
                     * the documents and the {@code _id} index are in concurrent maps, other indexes lock themselves,
                     * and a write changes a copy of each document it updates (see {@link #getDocument}), so a reader
                     * sees a document before or after a write, never half of one. Not safe with positional
                     * {@code $} updates, which nothing here makes: the collection's one query matcher remembers the
                     * matched array position, and a concurrent read would overwrite it.
                     */
                    @Override
                    public QueryResult handleQuery(QueryParameters parameters) {
                        // as the base class reads the query and its order
                        Document selector = parameters.getQuerySelector();
                        String wrapped = selector.containsKey("query") ? "query"
                                : selector.containsKey("$query") ? "$query" : null;
                        Document query = wrapped == null ? selector : (Document) selector.get(wrapped);
                        Document orderBy = wrapped == null ? null
                                : (Document) selector.get(wrapped.equals("query") ? "orderby" : "$orderby");
                        try {
                            return queryDocuments(query, orderBy, parameters.getNumberToSkip(),
                                    parameters.getLimit(), parameters.getBatchSize(), parameters.getProjection());
                        } catch (ConcurrentModificationException indexAddedMeanwhile) {
                            return super.handleQuery(parameters);
                        }
                    }

                    /**
                     * The base class keeps a collection's byte size for {@code collStats} by encoding every document
                     * it stores, and the one it replaces, to BSON and writing the sum to the collection's meta map:
                     * a tenth of the store's write work for a figure nothing here reads ({@code collStats} then
                     * reports the size it had before).
                     */
                    @Override
                    protected boolean tracksDataSize() {
                        return false;
                    }

                    @Override
                    protected Document getDocument(Object position) {
                        Document stored = super.getDocument(position);
                        return stored != null && WRITING.get() ? stored.cloneDeeply() : stored;
                    }

                    @Override
                    protected QueryResult matchDocuments(Document query, Iterable<Object> positions, Document orderBy,
                            int numberToSkip, int limit, int batchSize, Document fieldSelector) {
                        // a document deleted while a read without the lock ran (its index entries go first): gone
                        Stream<Document> documents = StreamSupport.stream(positions.spliterator(), false)
                                .map(this::getDocument).filter(Objects::nonNull);
                        return matchDocumentsFromStream(documents, query, orderBy, numberToSkip, limit, batchSize,
                                fieldSelector);
                    }

                    @Override
                    protected QueryResult matchDocuments(Document query, Document orderBy, int numberToSkip, int limit,
                            int batchSize, Document fieldSelector) {
                        if (!WRITING.get()) {
                            return super.matchDocuments(query, orderBy, numberToSkip, limit, batchSize, fieldSelector);
                        }
                        // a write without an index (none on the hot paths): copies of what it matches, in the order
                        // the base class reads them
                        Stream<Document> all = isNaturalDescending(orderBy)
                                ? streamAllDocumentsWithPosition()
                                        .sorted((a, b) -> ValueComparator.desc().compare(a.getPosition(),
                                                b.getPosition()))
                                        .map(DocumentWithPosition::getDocument)
                                : data.values().stream();
                        return matchDocumentsFromStream(all.filter(d -> documentMatchesQuery(d, query))
                                .map(Document::cloneDeeply), query, orderBy, numberToSkip, limit, batchSize,
                                fieldSelector);
                    }

                    @Override
                    public synchronized Document updateDocuments(Document selector, Document update,
                            ArrayFilters arrayFilters, boolean isMulti, boolean isUpsert, Oplog oplog) {
                        return writing(() -> super.updateDocuments(selector, update, arrayFilters, isMulti, isUpsert,
                                oplog));
                    }

                    @Override
                    public synchronized Document findAndModify(Document command) {
                        return writing(() -> super.findAndModify(command));
                    }

                    @Override
                    protected QueryResult queryDocuments(Document query, Document orderBy, int numberToSkip, int limit,
                            int batchSize, Document fieldSelector) {
                        // a range on a sorted index, in its order: documents are read only up to the limit
                        for (Index<Object> index : getIndexes()) {
                            if (index instanceof SortedIndex sorted) {
                                Iterable<Map.Entry<KeyValue, Object>> entries = sorted.range(query, orderBy);
                                if (entries != null) {
                                    // a document only where its stored key is: a read without the lock may meet
                                    // a replaced document's new key before the document itself changed, and a
                                    // page that ended on it would continue from the wrong place
                                    Stream<Document> documents = StreamSupport.stream(entries.spliterator(), false)
                                            .map(entry -> {
                                                Document document = getDocument(entry.getValue());
                                                return document != null && sorted.getKeyValues(document).stream()
                                                        .anyMatch(key -> IndexEntryTypes.ORDER.compare(key,
                                                                entry.getKey()) == 0) ? document : null;
                                            })
                                            .filter(Objects::nonNull);
                                    return matchDocumentsFromStream(documents, query, null, numberToSkip, limit,
                                            batchSize, fieldSelector);
                                }
                            }
                        }
                        return super.queryDocuments(query, orderBy, numberToSkip, limit, batchSize, fieldSelector);
                    }

                    @Override
                    public void addIndex(Index<Object> index) {
                        boolean known = getIndexes().stream().anyMatch(i -> i.getName().equals(index.getName()));
                        if (!known && index instanceof IdIndex byId) {
                            byId.loadKeysThatAreNotStrings(getMvStore());
                        } else if (!known && index instanceof SortedIndex sorted && !sorted.isBuilt()) {
                            // under the collection's lock, which writes take, until the index is in the collection's
                            // list: no write between the pass and the list is missed
                            synchronized (this) {
                                fill(sorted);
                                super.addIndex(index);
                            }
                            return;
                        }
                        super.addIndex(index);
                    }

                    /**
                     * An index new to the file (just created, kept in memory by an earlier version of this store, or
                     * not trusted after an unclean stop): filled in one pass over the documents, after anything in its
                     * map is cleared. The base class reads them all twice (a check, then the adds; add checks too):
                     * 20 s of a 144 s start with a million executions. The pass reads one version of the map:
                     * registered, so that H2 keeps the chunks it is on however long it takes (once a compaction moved
                     * a chunk's pages, H2 frees the chunk when it is 45 s old).
                     */
                    private void fill(SortedIndex sorted) {
                        MVStore.TxCounter reading = getMvStore().registerVersionUsage();
                        try {
                            sorted.clear();
                            streamAllDocumentsWithPosition().forEach(d -> sorted.add(d.getDocument(), d.getPosition(),
                                    this));
                        } catch (MongoServerError e) {
                            // a duplicate: the index is not made, and leaves no entries in the file
                            sorted.clear();
                            throw new IndexBuildFailedException(e, this);
                        } finally {
                            getMvStore().deregisterVersionUsage(reading);
                        }
                        sorted.markBuilt();
                    }
                };
            }
        };
    }

    /**
     * A unique index in a map: key to the document's position (its key in the collection's MVStore map). The map is a
     * hash map in the heap ({@link HeapUniqueIndex}) or a map of the store's file ({@link SortedIndex}).
     */
    abstract static class MapUniqueIndex extends AbstractUniqueIndex<Object> {

        final Map<KeyValue, Object> positions;

        MapUniqueIndex(String name, List<IndexKey> keys, boolean sparse, Map<KeyValue, Object> positions) {
            super(name, keys, sparse);
            this.positions = positions;
        }

        /** Whether every document of the collection is in it, so that the base class need not read them in. */
        abstract boolean isBuilt();

        @Override
        protected Object removeDocument(KeyValue keyValue) {
            return positions.remove(keyValue);
        }

        @Override
        protected boolean putKeyPosition(KeyValue keyValue, Object position) {
            // as the H2 index stores it: a missing _id is a position too
            return positions.putIfAbsent(keyValue, Missing.ofNullable(position)) == null;
        }

        @Override
        protected Iterable<Map.Entry<KeyValue, Object>> getIterable() {
            return positions.entrySet();
        }

        @Override
        protected Object getPosition(KeyValue keyValue) {
            return positions.get(keyValue);
        }

        @Override
        public long getCount() {
            return positions.size();
        }

        /**
         * Only the base class asks, to decide whether to read every document into this index: not once the store has
         * (a sparse index may be built and still have no keys).
         */
        @Override
        public boolean isEmpty() {
            return !isBuilt() && positions.isEmpty();
        }

        @Override
        public long getDataSize() {
            return getCount();
        }
    }

    /** A unique index in a hash map in the heap: what {@link IdIndex} keeps of ids that are not strings. */
    static class HeapUniqueIndex extends MapUniqueIndex {

        /** Filled from its collection's documents by the store, which the base class would otherwise do again. */
        private volatile boolean built;

        HeapUniqueIndex(String name, List<IndexKey> keys, boolean sparse) {
            super(name, keys, sparse, new ConcurrentHashMap<>());
        }

        @Override
        boolean isBuilt() {
            return built;
        }

        void markBuilt() {
            built = true;
        }
    }

    /**
     * The {@code _id} index: a string {@code _id} is looked up in the collection's own map, whose key it is (the
     * H2 backend keys documents by {@code _id}), so such documents take no memory here. Any other {@code _id} (the
     * functions' ObjectIds, a number) is kept in the hash map as before: those the index compares normalized (1 and
     * 1.0 are one key), which the map's own order would not.
     */
    static final class IdIndex extends HeapUniqueIndex {

        private final MVMap<Object, Document> documents;

        IdIndex(String name, List<IndexKey> keys, boolean sparse, MVMap<Object, Document> documents) {
            super(name, keys, sparse);
            this.documents = documents;
        }

        private static String stringId(KeyValue key) {
            return key.size() == 1 && key.get(0) instanceof String id ? id : null;
        }

        @Override
        protected Object getPosition(KeyValue key) {
            String id = stringId(key);
            if (id == null) {
                return super.getPosition(key);
            }
            return documents.containsKey(id) ? id : null;
        }

        @Override
        protected Object removeDocument(KeyValue key) {
            // asked before the collection removes the document from its map
            return stringId(key) == null ? super.removeDocument(key) : getPosition(key);
        }

        @Override
        protected boolean putKeyPosition(KeyValue key, Object position) {
            return stringId(key) != null || super.putKeyPosition(key, position);
        }

        @Override
        public synchronized void add(Document document, Object position, MongoCollection<Object> collection) {
            // a document with a string _id is already in the collection's map, which is its entry here: the check
            // the base class repeats would find it (the collection checked before it stored the document)
            if (!(position instanceof String)) {
                super.add(document, position, collection);
            }
        }

        /**
         * Fills the hash map from a store that was opened: MVStore orders keys of different types by type, numbers and
         * booleans before strings, ObjectIds, UUIDs, dates and documents after, so only the two ends of the map are
         * read, up to the first string from each end. One version of the map, registered so that H2 keeps its chunks
         * while it is read (a collection without string ids is read whole).
         */
        void loadKeysThatAreNotStrings(MVStore store) {
            MVStore.TxCounter reading = store.registerVersionUsage();
            try {
                if (loadUpToAString(documents.cursor(null, null, false))) {
                    loadUpToAString(documents.cursor(null, null, true));
                }
            } finally {
                store.deregisterVersionUsage(reading);
                markBuilt();
            }
        }

        /** Whether it stopped at a string id; false when it read to the end. */
        private boolean loadUpToAString(Cursor<Object, Document> ids) {
            while (ids.hasNext()) {
                Object id = ids.next();
                if (id instanceof String) {
                    return true;
                }
                for (KeyValue key : getKeyValues(ids.getValue())) {
                    putKeyPosition(key, id);
                }
            }
            return false;
        }

        /**
         * For a regular expression on {@code _id}, which nothing here queries: it reads every key of the collection
         * (from disk where not cached) while the base class holds this index's lock, which writes to the collection
         * wait for.
         */
        @Override
        protected Iterable<Map.Entry<KeyValue, Object>> getIterable() {
            return () -> Stream.concat(
                    StreamSupport.stream(Spliterators.spliteratorUnknownSize(documents.keyIterator(null), 0), false)
                            .filter(String.class::isInstance)
                            .map(id -> Map.entry(new KeyValue(id), id)),
                    positions.entrySet().stream()).iterator();
        }

        @Override
        public long getCount() {
            return documents.size();
        }
    }

    /**
     * Every unique index other than {@code _id}: its entries in a map of the store's file, sorted as MongoDB compares
     * keys. Besides equality and {@code $in} it serves a range ({@code $gt}, {@code $gte}, {@code $lt}, {@code $lte})
     * on its one field sorted by that field either way, which is how real MongoDB serves a listing that pages by a key.
     *
     * <p>Why in the file: these indexes grow with the traffic (dead letters, two keys each, kept 30 days; idempotency
     * keys, 24 hours), and in the heap each key took about 285 bytes: a function failing 100 times a second for a day
     * held about 5 GB. A collection's index is read from the file like its documents, a page at a time through the
     * store's cache, and after a clean close the store no longer reads every such document when it opens.
     */
    static final class SortedIndex extends MapUniqueIndex {

        private static final Set<String> RANGE = Set.of("$gt", "$gte", "$lt", "$lte");
        private static final Comparator<KeyValue> ORDER = IndexEntryTypes.ORDER;

        private final MVMap<KeyValue, Object> entries;
        /** Where the index says it is complete: the collection's meta map, so that it goes with the collection. */
        private final Map<String, Object> meta;

        SortedIndex(String name, List<IndexKey> keys, boolean sparse, MVMap<KeyValue, Object> entries,
                Map<String, Object> meta) {
            super(name, keys, sparse, entries);
            this.entries = entries;
            this.meta = meta;
        }

        static final String BUILT = "s3c.indexBuilt.";

        static String builtKey(String indexName) {
            return BUILT + indexName;
        }

        /** False for an index new to the file. */
        @Override
        boolean isBuilt() {
            return meta.containsKey(builtKey(getName()));
        }

        void markBuilt() {
            meta.put(builtKey(getName()), Boolean.TRUE);
        }

        void clear() {
            entries.clear();
        }

        @Override
        public long getCount() {
            return entries.sizeAsLong();
        }

        /**
         * The keys and positions of a range query on this index's one field, in the order asked for (none, or this
         * field either way), read lazily; null when this index cannot serve the query in that order. The store still
         * matches every document it reads against the whole query.
         */
        Iterable<Map.Entry<KeyValue, Object>> range(Document query, Document orderBy) {
            if (keys().size() != 1 || !query.keySet().equals(keySet())
                    || !(query.get(keys().getFirst()) instanceof Document bounds) || bounds.isEmpty()
                    || !RANGE.containsAll(bounds.keySet())) {
                return null;
            }
            boolean descending;
            if (orderBy == null || orderBy.isEmpty()) {
                descending = false;
            } else if (orderBy.size() == 1 && orderBy.get(keys().getFirst()) instanceof Number direction) {
                descending = direction.intValue() < 0;
            } else {
                return null;
            }
            // the tightest bound on each side (two on one side, as {$gt: a, $gte: b}, are allowed)
            KeyValue lower = null;
            KeyValue upper = null;
            boolean lowerInclusive = false;
            boolean upperInclusive = false;
            for (Map.Entry<String, Object> bound : bounds.entrySet()) {
                KeyValue value = new KeyValue(bound.getValue()).normalized();
                boolean inclusive = bound.getKey().endsWith("e");
                if (bound.getKey().startsWith("$g")) {
                    int c = lower == null ? 1 : ORDER.compare(value, lower);
                    if (c > 0 || c == 0 && !inclusive) {
                        lower = value;
                        lowerInclusive = inclusive;
                    }
                } else {
                    int c = upper == null ? -1 : ORDER.compare(value, upper);
                    if (c < 0 || c == 0 && !inclusive) {
                        upper = value;
                        upperInclusive = inclusive;
                    }
                }
            }
            if (lower != null && upper != null) {
                int c = ORDER.compare(lower, upper);
                if (c > 0 || c == 0 && !(lowerInclusive && upperInclusive)) {
                    // bounds that cross: nothing is in between
                    return List.of();
                }
            }
            // the map's cursor includes both ends: an exclusive bound is skipped where the range meets it
            KeyValue from = descending ? upper : lower;
            KeyValue to = descending ? lower : upper;
            boolean fromExcluded = from != null && !(descending ? upperInclusive : lowerInclusive);
            boolean toExcluded = to != null && !(descending ? lowerInclusive : upperInclusive);
            return () -> {
                Cursor<KeyValue, Object> cursor = entries.cursor(from, to, descending);
                return StreamSupport.stream(Spliterators.spliteratorUnknownSize(cursor, 0), false)
                        .map(key -> Map.entry(key, cursor.getValue()))
                        .filter(entry -> !(fromExcluded && ORDER.compare(entry.getKey(), from) == 0
                                || toExcluded && ORDER.compare(entry.getKey(), to) == 0))
                        .iterator();
            };
        }
    }
}
