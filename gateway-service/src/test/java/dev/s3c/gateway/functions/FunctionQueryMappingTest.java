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
import org.springframework.data.mongodb.core.query.Query;

/** The function listing's order, as Spring Data sends it to the store. */
class FunctionListOrderTest {

    @Test
    void theListingIsOrderedByTheDocumentsOwnPropertiesOldestFirst() {
        // a key that is not a property (_id) is mapped too, but through an exception built and caught per listing
        FunctionService.LIST_ORDER.forEach(order -> assertThatCode(
                () -> PropertyPath.from(order.getProperty(), FunctionDocument.class)).doesNotThrowAnyException());

        MongoMappingContext context = new MongoMappingContext();
        // the store's simple types (Instant, ...), as Boot's configuration gives them
        context.setSimpleTypeHolder(new MongoCustomConversions(List.of()).getSimpleTypeHolder());
        QueryMapper mapper = new QueryMapper(new MappingMongoConverter(NoOpDbRefResolver.INSTANCE, context));
        Document sort = mapper.getMappedSort(new Query().with(FunctionService.LIST_ORDER).getSortObject(),
                context.getPersistentEntity(FunctionDocument.class));
        // Document.equals ignores the keys' order, which is the point here
        assertThat(sort.toJson()).isEqualTo("{\"createdAt\": 1, \"_id\": 1}");
    }
}
