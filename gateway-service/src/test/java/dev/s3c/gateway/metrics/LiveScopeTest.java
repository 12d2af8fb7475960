package dev.s3c.gateway.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import dev.s3c.contracts.JsonCodec;
import dev.s3c.gateway.functions.FunctionDocument;
import dev.s3c.gateway.functions.FunctionService;
import dev.s3c.gateway.tenants.Caller;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** The monitor's messages as each tenant sees them. */
class LiveScopeTest {

    private static final Caller ACME = new Caller("acme", null);
    private static final String MINE = "6b0940019a5fe676958c8303";
    private static final String THEIRS = "6b0940019a5fe676958c8304";

    private final LiveScope scope;

    LiveScopeTest() {
        FunctionService functions = mock(FunctionService.class);
        when(functions.lookup(any(Caller.class), anyString())).thenAnswer(call -> MINE.equals(call.getArgument(1))
                ? Mono.just(mock(FunctionDocument.class)) : Mono.empty());
        scope = new LiveScope(functions);
    }

    @Test
    void aSnapshotListsTheCallersFunctionsAndThePlatformsTotals() {
        String snapshot = "{\"lastSecond\":{\"completed\":9},\"functions\":{\"" + MINE + "\":{\"completed\":4},\""
                + THEIRS + "\":{\"completed\":5}},\"instances\":3}";
        var seen = JsonCodec.readTree(scope.snapshot(snapshot, ACME).block());
        assertThat(seen.path("functions").propertyNames()).containsExactly(MINE);
        assertThat(seen.path("lastSecond").path("completed").asInt()).isEqualTo(9);
        assertThat(seen.path("instances").asInt()).isEqualTo(3);

        var message = JsonCodec.readTree(scope.message("{\"type\":\"snapshot\",\"snapshot\":" + snapshot + "}", ACME)
                .block());
        assertThat(message.path("snapshot").path("functions").propertyNames()).containsExactly(MINE);
    }

    @Test
    void anotherTenantsExecutionEventsAreDroppedAndScalingShowsTheCallersBacklogOnly() {
        String mine = "{\"type\":\"execution\",\"event\":{\"functionId\":\"" + MINE + "\"}}";
        assertThat(scope.message(mine, ACME).block()).isEqualTo(mine);
        assertThat(scope.message("{\"type\":\"execution\",\"event\":{\"functionId\":\"" + THEIRS + "\"}}", ACME)
                .block()).isNull();
        var scaling = JsonCodec.readTree(scope.message("{\"type\":\"scaling\",\"event\":{\"toInstances\":4,"
                + "\"backlogByFunction\":{\"" + THEIRS + "\":7,\"" + MINE + "\":2}}}", ACME).block());
        assertThat(scaling.path("event").path("backlogByFunction").propertyNames()).containsExactly(MINE);
        assertThat(scaling.path("event").path("toInstances").asInt()).isEqualTo(4);
    }
}
