package dev.s3c.monitor.scaling;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.model.ReplaceOneModel;
import dev.s3c.contracts.ScalingAction;
import dev.s3c.contracts.ScalingEvent;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.bson.BsonDocument;
import org.bson.BsonString;
import org.bson.Document;
import org.junit.jupiter.api.Test;

class ScalingEventRecorderTest {

    @Test
    void aDecisionIsWrittenByItsEventIdAlone() {
        var event = new ScalingEvent("ev-1", "s3c-executor", ScalingAction.SCALE_UP, 3, 9, "lag 90 > 10 x 3",
                Instant.parse("2026-11-27T10:00:00Z"), 90, Map.of("s3c.invocations-0", 90L), 42.5, 3.25,
                Map.of("f-1", 80L), 3, List.of("host-1"));
        var write = (ReplaceOneModel<Document>) ScalingEventRecorder.write(event);
        // exactly {_id}: the embedded store's index; a replayed decision replaces itself
        assertThat(write.getFilter().toBsonDocument()).isEqualTo(new BsonDocument("_id", new BsonString("ev-1")));
        assertThat(write.getReplaceOptions().isUpsert()).isTrue();
        assertThat(write.getReplacement().getList("lagByPartition", Document.class)).singleElement()
                .satisfies(d -> assertThat(d.getString("partition")).isEqualTo("s3c.invocations-0"));
        // the key the history and retention read ranges of
        assertThat(write.getReplacement().getString("order")).isEqualTo(
                Instant.parse("2026-11-27T10:00:00Z").toEpochMilli() + "|ev-1");
    }
}
