package dev.s3c.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.MongoWriteException;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import com.mongodb.reactivestreams.client.MongoCollection;
import de.bwaldvogel.mongo.MongoServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The local run's on-disk store: documents survive a restart, and its in-memory indexes are rebuilt from them. */
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

    private static Document first(MongoCollection<Document> collection, org.bson.conversions.Bson filter) {
        return Mono.from(collection.find(filter).first()).block();
    }
}
