package dev.s3c.gateway.functions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.util.List;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.springframework.data.core.PropertyPath;
import org.springframework.data.mongodb.core.convert.MappingMongoConverter;
import org.springframework.data.mongodb.core.convert.MongoCustomConversions;
import org.springframework.data.mongodb.core.convert.NoOpDbRefResolver;
import org.springframework.data.mongodb.core.convert.QueryMapper;
import org.springframework.data.mongodb.core.mapping.MongoMappingContext;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;

/**
 * The functions' queries and order as Spring Data sends them to the store, named by {@link FunctionDocument}'s own
 * properties: a name that is none ({@code _id}) is mapped too, but through an exception built and caught each time.
 */
class FunctionQueryMappingTest {

    private final MongoMappingContext context = new MongoMappingContext();
    private final QueryMapper mapper;

    FunctionQueryMappingTest() {
        // the store's simple types (Instant, ...), as Boot's configuration gives them
        context.setSimpleTypeHolder(new MongoCustomConversions(List.of()).getSimpleTypeHolder());
        mapper = new QueryMapper(new MappingMongoConverter(NoOpDbRefResolver.INSTANCE, context));
    }

    @Test
    void theListingIsOrderedByTheDocumentsOwnPropertiesOldestFirst() {
        FunctionService.LIST_ORDER.forEach(order -> assertThatCode(
                () -> PropertyPath.from(order.getProperty(), FunctionDocument.class)).doesNotThrowAnyException());
        Document sort = mapper.getMappedSort(new Query().with(FunctionService.LIST_ORDER).getSortObject(),
                context.getPersistentEntity(FunctionDocument.class));
        // Document.equals ignores the keys' order, which is the point here
        assertThat(sort.toJson()).isEqualTo("{\"createdAt\": 1, \"_id\": 1}");
    }

    @Test
    void aFunctionIsFoundByItsIdAsStoredAndItsVersion() {
        String id = "0123456789abcdef01234567";
        for (Query query : List.of(FunctionService.byId(id), FunctionService.sameVersion(id, 3))) {
            query.getQueryObject().keySet().forEach(property -> assertThatCode(
                    () -> PropertyPath.from(property, FunctionDocument.class)).doesNotThrowAnyException());
        }
        // the id as the functions' ids are stored: an ObjectId where the text reads as one, as with _id
        assertThat(mapped(FunctionService.byId(id))).isEqualTo("{\"_id\": {\"$oid\": \"" + id + "\"}}")
                .isEqualTo(mapped(Query.query(Criteria.where("_id").is(id))));
        assertThat(mapped(FunctionService.sameVersion(id, 3)))
                .isEqualTo("{\"_id\": {\"$oid\": \"" + id + "\"}, \"version\": 3}");
        assertThat(mapped(FunctionService.byId("fn-1"))).isEqualTo("{\"_id\": \"fn-1\"}");
    }

    @Test
    void versionsAreReadAndRemovedByTheirIdsAloneAsStored() {
        // the embedded store serves a query from its _id index only when _id is its top-level key; the ids are
        // text, never taken for ObjectIds
        Query query = FunctionVersions.byIds(List.of(FunctionVersions.key("0123456789abcdef01234567", 3), "f:1"));
        query.getQueryObject().keySet().forEach(property -> assertThatCode(
                () -> PropertyPath.from(property, FunctionVersions.Stored.class)).doesNotThrowAnyException());
        assertThat(mapper.getMappedObject(query.getQueryObject(),
                context.getPersistentEntity(FunctionVersions.Stored.class)).toJson())
                .isEqualTo("{\"_id\": {\"$in\": [\"0123456789abcdef01234567:3\", \"f:1\"]}}");
        assertThat(context.getPersistentEntity(FunctionVersions.Stored.class).getCollection())
                .isEqualTo(FunctionVersions.COLLECTION);
    }

    private String mapped(Query query) {
        return mapper.getMappedObject(query.getQueryObject(), context.getPersistentEntity(FunctionDocument.class))
                .toJson();
    }
}
