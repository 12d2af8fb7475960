package dev.s3c.monitor.executions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.s3c.contracts.InvocationRequested;
import dev.s3c.contracts.JsonCodec;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What a batch holds and releases, and where each partition may be committed. */
class HeldRequestsTest {

    private static final long SECOND = 1_000_000_000L;

    private final HeldRequests held = new HeldRequests(SECOND, SECOND, 2, 1_000);

    private static HeldRequests.Read read(String id, int partition, long offset) {
        return new HeldRequests.Read(new InvocationRequested(id, "f-1", 1, JsonCodec.readTree("{}"),
                Instant.parse("2026-12-05T10:00:00Z"), null), partition, offset, 100);
    }

    private static List<String> ids(HeldRequests.Decision d) {
        return d.write().stream().map(InvocationRequested::executionId).toList();
    }

    @Test
    void aDecisionChangesNothingUntilItIsAppliedSoAFailedBatchDecidesTheSameAgain() {
        held.apply(held.decide(List.of(read("a", 0, 0), read("b", 0, 1)), Set.of(), Set.of(0), 0), Map.of(0, 2L), 0);
        HeldRequests.Decision first = held.decide(List.of(), Set.of("a"), Set.of(0), SECOND / 2);
        HeldRequests.Decision again = held.decide(List.of(), Set.of("a"), Set.of(0), SECOND / 2);
        assertThat(ids(first)).containsExactly("a");
        assertThat(again).isEqualTo(first);
        assertThat(held.size()).isEqualTo(2);
        assertThat(held.commitsDue(Set.of(0))).containsEntry(0, 0L);

        held.apply(first, Map.of(), SECOND / 2);
        assertThat(held.size()).isEqualTo(1);
        assertThat(held.commitsDue(Set.of(0))).containsEntry(0, 1L);
        // handed out once: a commit that did not move is not made again
        assertThat(held.commitsDue(Set.of(0))).isEmpty();
    }

    @Test
    void aRequestReadAgainWhileHeldIsNeitherHeldTwiceNorWritten() {
        held.apply(held.decide(List.of(read("a", 0, 0)), Set.of(), Set.of(0), 0), Map.of(0, 1L), 0);
        HeldRequests.Decision d = held.decide(List.of(read("a", 0, 0)), Set.of(), Set.of(0), 1);
        assertThat(d.write()).isEmpty();
        assertThat(d.hold()).isEmpty();
    }

    @Test
    void aFullHoldWritesTheRestAsTheyComeAndARedriveIsNeverHeld() {
        InvocationRequested redrive = read("r", 0, 3).request().redrive(JsonCodec.readTree("{}"), Instant.now());
        HeldRequests.Decision d = held.decide(List.of(read("a", 0, 0), read("b", 0, 1), read("c", 0, 2),
                new HeldRequests.Read(redrive, 0, 3, 100)), Set.of(), Set.of(0), 0);
        assertThat(d.hold()).extracting(r -> r.request().executionId()).containsExactly("a", "b");
        assertThat(ids(d)).containsExactlyInAnyOrder("c", "r");
    }

    @Test
    void aPartitionHandedToAnotherReaderIsForgottenWithItsHeldRequests() {
        held.apply(held.decide(List.of(read("a", 0, 5), read("b", 1, 7)), Set.of(), Set.of(0, 1), 0),
                Map.of(0, 6L, 1, 8L), 0);
        held.forget(List.of(0));
        // its next reader starts at the committed offset, below "a", and reads it again; this one never writes it
        HeldRequests.Decision d = held.decide(List.of(), Set.of(), Set.of(1), 2 * SECOND);
        assertThat(ids(d)).containsExactly("b");
        assertThat(held.commitsDue(Set.of(0, 1))).containsOnlyKeys(1).containsEntry(1, 7L);
    }

    @Test
    void aPartitionReadAgainFromAnOlderOffsetIsCommittedBelowItsOldestHeldRequest() {
        // handed back after a batch that is then delivered again: the older requests are read after the newer
        held.apply(held.decide(List.of(read("b", 0, 15)), Set.of(), Set.of(0), 0), Map.of(0, 16L), 0);
        assertThat(held.commitsDue(Set.of(0))).containsEntry(0, 15L);
        held.apply(held.decide(List.of(read("a", 0, 10)), Set.of(), Set.of(0), 1), Map.of(0, 11L), 1);
        // the commit moves back down
        assertThat(held.commitsDue(Set.of(0))).containsEntry(0, 10L);
    }

    @Test
    void whatAFailedCommitHandedOutIsDueAgain() {
        held.apply(held.decide(List.of(read("a", 0, 4)), Set.of(), Set.of(0), 0), Map.of(0, 5L), 0);
        assertThat(held.commitsDue(Set.of(0))).containsEntry(0, 4L);
        held.commitFailed();
        assertThat(held.commitsDue(Set.of(0))).containsEntry(0, 4L);
    }

    @Test
    void aRequestOfAPartitionNotNamedAsOwnedIsStillHeldNotDropped() {
        HeldRequests.Decision d = held.decide(List.of(read("a", 5, 0)), Set.of(), Set.of(), 0);
        assertThat(d.hold()).extracting(r -> r.request().executionId()).containsExactly("a");
    }

    @Test
    void whileTheExecutorsLagTheHoldStretchesByTheirQueueWaitUpToItsMaximumThenShrinksBack() {
        HeldRequests stretching = new HeldRequests(SECOND, 5 * SECOND, 100, 100_000);
        assertThat(stretching.holdNanos(0)).isEqualTo(SECOND);
        stretching.observeQueueWait(3 * SECOND, 10);
        assertThat(stretching.holdNanos(20)).isEqualTo(4 * SECOND);
        stretching.observeQueueWait(9 * SECOND, 30);
        assertThat(stretching.holdNanos(40)).isEqualTo(5 * SECOND);
        // remembered through the next second, forgotten after it
        assertThat(stretching.holdNanos(SECOND + 50)).isEqualTo(5 * SECOND);
        assertThat(stretching.holdNanos(2 * SECOND + 50)).isEqualTo(SECOND);
    }

    @Test
    void aFewLongWaitsAmongShortOnesDoNotStretchTheHold() {
        HeldRequests stretching = new HeldRequests(SECOND, 5 * SECOND, 100, 100_000);
        for (int i = 0; i < 18; i++) {
            stretching.observeQueueWait(10_000_000L, i);
        }
        // one in ten: a concurrency lane's wait, a run delivered again after a fault (with the longest, or with
        // nine in ten rounded up one place too far, the hold would be 5 s)
        stretching.observeQueueWait(4 * SECOND, 20);
        stretching.observeQueueWait(30 * SECOND, 30);
        assertThat(stretching.holdNanos(40)).isEqualTo(SECOND + 10_000_000L);
    }

    @Test
    void aRequestKeepsTheHoldItWasGivenWhenTheLagPasses() {
        HeldRequests stretching = new HeldRequests(SECOND, 5 * SECOND, 100, 100_000);
        stretching.observeQueueWait(2 * SECOND, 0);
        stretching.apply(stretching.decide(List.of(read("a", 0, 0)), Set.of(), Set.of(0), 10), Map.of(0, 1L), 10);
        // two seconds on, the executors keep up again: a request read now is held for a second
        stretching.observeQueueWait(1_000_000L, 2 * SECOND + 10);
        HeldRequests.Decision stillHeld = stretching.decide(List.of(), Set.of(), Set.of(0), 2 * SECOND + 500_000_000L);
        assertThat(stillHeld.holdNanos()).isEqualTo(SECOND + 1_000_000L);
        assertThat(stillHeld.write()).isEmpty();
        stretching.apply(stillHeld, Map.of(), 2 * SECOND + 500_000_000L);
        HeldRequests.Decision due = stretching.decide(List.of(), Set.of(), Set.of(0), 3 * SECOND + 10);
        assertThat(ids(due)).containsExactly("a");
    }

    @Test
    void withNoHoldNothingIsHeldWhateverTheLag() {
        HeldRequests none = new HeldRequests(0, 5 * SECOND, 100, 100_000);
        none.observeQueueWait(3 * SECOND, 0);
        assertThat(none.decide(List.of(read("a", 0, 0)), Set.of(), Set.of(0), 1).hold()).isEmpty();
    }
}
