package dev.s3c.executor.invoke;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import dev.s3c.contracts.InvocationCompleted;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.contracts.Topic;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.core.KafkaOperations;
import org.springframework.kafka.core.KafkaTemplate;

/**
 * The listener between its ends: which records a transaction commits, where the consumer goes back to after a
 * partial batch or a failed transaction, and when it waits before running them again. Unreadable records with a key
 * end in a rejected result without the sandbox, so these tests need neither an engine nor a broker.
 */
class InvocationBatchListenerTest {

    private static final TopicPartition P0 = new TopicPartition(Topic.INVOCATIONS.topicName(), 0);

    /** The consumer group's generation as the consumer knows it: a rebalance moves it on. */
    private final java.util.concurrent.atomic.AtomicInteger generation = new java.util.concurrent.atomic.AtomicInteger(1);
    private final MockConsumer<String, byte[]> consumer = new MockConsumer<>("earliest") {
        @Override
        public synchronized org.apache.kafka.clients.consumer.ConsumerGroupMetadata groupMetadata() {
            return new org.apache.kafka.clients.consumer.ConsumerGroupMetadata("s3c-executor", generation.get(),
                    "member-1", java.util.Optional.empty());
        }
    };
    @SuppressWarnings("unchecked")
    private final KafkaTemplate<String, Object> template = mock(KafkaTemplate.class);
    private final List<Map<TopicPartition, OffsetAndMetadata>> committedOffsets = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<String> sentKeys = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<Object> sentValues = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<Duration> pauses = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** A transaction as the template runs it: its sends and offsets recorded, or none of them when it fails. */
    private org.mockito.stubbing.Answer<Object> transaction;
    /** What the next transactions do: null commits, an exception fails that one. */
    private final List<RuntimeException> outcomes = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeEach
    @SuppressWarnings("unchecked")
    void setUp() {
        consumer.assign(List.of(P0));
        consumer.updateBeginningOffsets(Map.of(P0, 0L));
        consumer.commitSync(Map.of(P0, new OffsetAndMetadata(10)));
        KafkaOperations<String, Object> operations = mock(KafkaOperations.class);
        when(operations.send(any(ProducerRecord.class))).thenAnswer(call -> {
            sentKeys.add(((ProducerRecord<String, Object>) call.getArgument(0)).key());
            sentValues.add(((ProducerRecord<String, Object>) call.getArgument(0)).value());
            return null;
        });
        transaction = call -> {
            KafkaOperations.OperationsCallback<String, Object, Object> callback = call.getArgument(0);
            int sentBefore = sentKeys.size();
            int offsetsBefore = committedOffsets.size();
            callback.doInOperations(operations);
            RuntimeException outcome = outcomes.isEmpty() ? null : outcomes.removeFirst();
            if (outcome != null) {
                // aborted: nothing of it was published, its offsets not committed
                sentKeys.subList(sentBefore, sentKeys.size()).clear();
                committedOffsets.subList(offsetsBefore, committedOffsets.size()).clear();
                throw outcome;
            }
            return null;
        };
        when(template.executeInTransaction(any())).thenAnswer(transaction);
        // the lanes' topic as the registry declares it
        when(operations.partitionsFor(any())).thenReturn(java.util.stream.IntStream
                .range(0, Topic.INVOCATION_LANES.partitions())
                .mapToObj(p -> new org.apache.kafka.common.PartitionInfo(Topic.INVOCATION_LANES.topicName(), p, null,
                        null, null))
                .toList());
        org.mockito.Mockito.doAnswer(call -> {
            committedOffsets.add(Map.copyOf(call.getArgument(0)));
            return null;
        }).when(operations).sendOffsetsToTransaction(any(), any());
    }

    private InvocationBatchListener listener(Duration batchBudget) {
        return new InvocationBatchListener("test/0", null, null, template, batchBudget, new SimpleMeterRegistry(),
                pauses::add);
    }

    /** Records at offsets 10, 11, … that cannot be read as requests: each ends in a rejected result. */
    private static List<ConsumerRecord<String, byte[]>> unreadable(int count) {
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            records.add(new ConsumerRecord<>(P0.topic(), 0, 10 + i, "e-" + i,
                    "not json".getBytes(StandardCharsets.UTF_8)));
        }
        return records;
    }

    @Test
    void aBatchIsPublishedWithItsOffsetsInOneTransaction() {
        listener(Duration.ofSeconds(5)).onMessage(unreadable(3), null, consumer);

        assertThat(sentKeys).containsExactly("e-0", "e-1", "e-2");
        assertThat(committedOffsets).containsExactly(Map.of(P0, new OffsetAndMetadata(13)));
        assertThat(pauses).isEmpty();
    }

    @Test
    void aPollOfLargeRequestsMovedOnIsCommittedInSeveralTransactionsInsteadOfHeldInMemoryAllAtOnce() {
        // each request a quarter of what a transaction may hold, moved to its concurrency lane (the moved request
        // waits in memory for the transaction): the fourth fills one
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            records.add(laneRecord(10 + i));
        }

        listener(Duration.ofSeconds(5)).onMessage(records, null, consumer);

        assertThat(sentKeys).containsExactly("e-10", "e-11", "e-12", "e-13", "e-14", "e-15");
        assertThat(committedOffsets).containsExactly(Map.of(P0, new OffsetAndMetadata(14)),
                Map.of(P0, new OffsetAndMetadata(16)));
    }

    @Test
    void largeRequestsHeldFromEarlierPollsCountTowardsWhatATransactionMayHold() {
        var listener = holding();
        listener.onMessage(List.of(unreadableAt(P0, 10)), null, consumer);
        // within the interval: held, nothing committed
        advance(1);
        listener.onMessage(List.of(laneRecord(11), laneRecord(12), laneRecord(13)), null, consumer);
        assertThat(committedOffsets).hasSize(1);
        assertThat(listener.heldCount()).isEqualTo(3);

        advance(1);
        listener.onMessage(List.of(laneRecord(14), laneRecord(15)), null, consumer);

        // the fourth large request fills the transaction: the held ones and it commit before the fifth, which is held
        assertThat(committedOffsets).containsExactly(Map.of(P0, new OffsetAndMetadata(11)),
                Map.of(P0, new OffsetAndMetadata(15)));
        assertThat(listener.heldCount()).isEqualTo(1);
    }

    /** A request a quarter of what a transaction may hold, polled from the invocations: moved to its lane. */
    private static ConsumerRecord<String, byte[]> laneRecord(long offset) {
        String large = "x".repeat((int) (InvocationBatchListener.HELD_BYTES_PER_TRANSACTION / 4));
        var request = new dev.s3c.contracts.InvocationRequested("e-" + offset, "f", 1,
                tools.jackson.databind.node.StringNode.valueOf(large), java.time.Instant.now(), null).inLane(3, null);
        return new ConsumerRecord<>(P0.topic(), 0, offset, request.executionId(), JsonCodec.toBytes(request));
    }

    @Test
    void freshRecordsRunBeforeTheLinesOfTheConcurrencyLanesPolledWithThemAndEachPartitionKeepsItsOrder() {
        TopicPartition lane = new TopicPartition(Topic.INVOCATION_LANES.topicName(), 7);
        TopicPartition retries = new TopicPartition(Topic.RETRIES_DUE.topicName(), 2);
        consumer.assign(List.of(P0, lane, retries));
        consumer.updateBeginningOffsets(Map.of(lane, 0L, retries, 0L));
        byte[] junk = "not json".getBytes(StandardCharsets.UTF_8);
        List<ConsumerRecord<String, byte[]>> polled = List.of(
                new ConsumerRecord<>(lane.topic(), 7, 40, "line-0", junk),
                new ConsumerRecord<>(lane.topic(), 7, 41, "line-1", junk),
                new ConsumerRecord<>(P0.topic(), 0, 10, "fresh-0", junk),
                new ConsumerRecord<>(lane.topic(), 7, 42, "line-2", junk),
                new ConsumerRecord<>(retries.topic(), 2, 5, "retry-0", junk),
                new ConsumerRecord<>(P0.topic(), 0, 11, "fresh-1", junk));

        listener(Duration.ofSeconds(5)).onMessage(polled, null, consumer);

        assertThat(sentKeys).containsExactly("fresh-0", "retry-0", "fresh-1", "line-0", "line-1", "line-2");
        assertThat(committedOffsets).containsExactly(Map.of(P0, new OffsetAndMetadata(12), lane,
                new OffsetAndMetadata(43), retries, new OffsetAndMetadata(6)));
        // a batch of one kind is left as it was polled
        List<ConsumerRecord<String, byte[]>> onlyLanes = polled.subList(0, 2);
        assertThat(InvocationBatchListener.freshFirst(onlyLanes)).isSameAs(onlyLanes);
    }

    @Test
    void aBatchCutBeforeAnyLaneRecordRanMakesTheNextRunTheLanesFirstSoFreshWorkCannotHoldThemBackForEver() {
        TopicPartition lane = new TopicPartition(Topic.INVOCATION_LANES.topicName(), 7);
        consumer.assign(List.of(P0, lane));
        consumer.updateBeginningOffsets(Map.of(lane, 0L));
        consumer.commitSync(Map.of(P0, new OffsetAndMetadata(10), lane, new OffsetAndMetadata(40)));
        byte[] junk = "not json".getBytes(StandardCharsets.UTF_8);
        List<ConsumerRecord<String, byte[]>> polled = List.of(
                new ConsumerRecord<>(lane.topic(), 7, 40, "line-0", junk),
                new ConsumerRecord<>(P0.topic(), 0, 10, "fresh-0", junk),
                new ConsumerRecord<>(P0.topic(), 0, 11, "fresh-1", junk));
        // a budget that cuts every batch after its first record
        InvocationBatchListener listener = listener(Duration.ZERO);

        listener.onMessage(polled, null, consumer);
        assertThat(sentKeys).containsExactly("fresh-0");
        // the lane's record was not run nor committed: it comes back with the next poll
        assertThat(committedOffsets).containsExactly(Map.of(P0, new OffsetAndMetadata(11)));
        assertThat(consumer.position(lane)).isEqualTo(40);

        listener.onMessage(List.of(polled.get(0), polled.get(2)), null, consumer);
        assertThat(sentKeys).containsExactly("fresh-0", "line-0");
        assertThat(committedOffsets.getLast()).isEqualTo(Map.of(lane, new OffsetAndMetadata(41)));
        assertThat(consumer.position(P0)).isEqualTo(11);

        // and then fresh records go first again
        listener.onMessage(List.of(new ConsumerRecord<>(lane.topic(), 7, 41, "line-1", junk), polled.get(2)), null,
                consumer);
        assertThat(sentKeys).containsExactly("fresh-0", "line-0", "fresh-1");
    }

    @Test
    void pastItsBudgetABatchCommitsWhatRanAndSendsTheRestBack() {
        consumer.seek(P0, 13);

        listener(Duration.ZERO).onMessage(unreadable(3), null, consumer);

        // the first record ran and was committed with its result; the next poll starts at the second
        assertThat(sentKeys).containsExactly("e-0");
        assertThat(committedOffsets).containsExactly(Map.of(P0, new OffsetAndMetadata(11)));
        assertThat(consumer.position(P0)).isEqualTo(11);
    }

    @Test
    void aBatchOvertakenByARebalanceGoesBackToTheCommittedOffsetWithoutWaiting() {
        consumer.seek(P0, 13);
        outcomes.add(new CommitFailedException("generation moved on"));

        listener(Duration.ofSeconds(5)).onMessage(unreadable(3), null, consumer);

        assertThat(sentKeys).isEmpty();
        assertThat(consumer.position(P0)).isEqualTo(10);
        // the rebalance waits for this consumer's next poll: a pause here would hold up every instance
        assertThat(pauses).isEmpty();
    }

    @Test
    void failedPublishesWaitLongerEachTimeUntilOneCommits() {
        var listener = listener(Duration.ofSeconds(5));
        outcomes.add(new TimeoutException("broker unreachable"));
        outcomes.add(new TimeoutException("broker unreachable"));
        outcomes.add(new CommitFailedException("generation moved on"));

        for (int run = 0; run < 4; run++) {
            consumer.seek(P0, 13);
            listener.onMessage(unreadable(3), null, consumer);
        }
        assertThat(pauses).containsExactly(Duration.ofMillis(100), Duration.ofMillis(200));
        assertThat(sentKeys).containsExactly("e-0", "e-1", "e-2");

        // a commit resets the backoff
        outcomes.add(new TimeoutException("broker unreachable"));
        listener.onMessage(unreadable(3), null, consumer);
        assertThat(pauses).last().isEqualTo(Duration.ofMillis(100));
    }

    @Test
    void whileTheCommittedOffsetsCannotBeReadTheyAreAskedForAgainNotGuessed() {
        var unsettled = new MockConsumer<String, byte[]>("earliest") {
            int failures = 2;

            @Override
            public synchronized Map<TopicPartition, OffsetAndMetadata> committed(java.util.Set<TopicPartition> p,
                    Duration timeout) {
                if (failures-- > 0) {
                    throw new TimeoutException("the transaction has not settled yet");
                }
                return super.committed(p, timeout);
            }
        };
        unsettled.assign(List.of(P0));
        unsettled.updateBeginningOffsets(Map.of(P0, 0L));
        // the transaction that reported a failure did commit the first two records
        unsettled.commitSync(Map.of(P0, new OffsetAndMetadata(12)));
        unsettled.seek(P0, 13);
        outcomes.add(new TimeoutException("commit timed out"));

        listener(Duration.ofSeconds(5)).onMessage(unreadable(3), null, unsettled);

        // asked until it could tell, then went on from what was committed: the two are not run a second time
        assertThat(unsettled.position(P0)).isEqualTo(12);
        assertThat(pauses).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofMillis(100));
    }

    @Test
    void aRedeliveryIsCountedAsOneNotAsARetryOrARun() {
        var meters = new SimpleMeterRegistry();
        try (var watchdog = new dev.s3c.executor.runtime.Watchdog()) {
            // a catalog that has seen nothing: the function's definition has not arrived, a platform fault
            var processor = processor(watchdog);
            var request = new dev.s3c.contracts.InvocationRequested("e-r", "f-new", 1, null, java.time.Instant.now(),
                    null);
            var listener = new InvocationBatchListener("test/0", null, processor, template, Duration.ofSeconds(5),
                    meters, pauses::add);

            listener.onMessage(List.of(new ConsumerRecord<>(P0.topic(), 0, 10, "e-r", JsonCodec.toBytes(request))),
                    null, consumer);
        }

        // handed back through the first retry tier, committed with its offset
        assertThat(sentKeys).containsExactly("e-r");
        assertThat(sentValues).singleElement().isInstanceOfSatisfying(dev.s3c.contracts.InvocationRequested.class,
                again -> assertThat(again.redeliveries()).isEqualTo(1));
        assertThat(meters.get("s3c.executor.redeliveries").counter().count()).isEqualTo(1);
        assertThat(meters.find("s3c.executor.retries").counters()).isEmpty();
        assertThat(meters.find("s3c.executor.invocations").counters()).isEmpty();
        // not a run: no execution time, no queue wait, no warm or cold context
        assertThat(meters.find("s3c.executor.execution.duration").timers()).isEmpty();
        assertThat(meters.find("s3c.executor.queue.wait").timers()).isEmpty();
        assertThat(meters.find("s3c.executor.contexts").counters()).isEmpty();
    }

    @Test
    void theCommittedResultIsARejectionNamingTheUnreadableRecord() {
        listener(Duration.ofSeconds(5)).onMessage(unreadable(1), null, consumer);

        assertThat(sentValues).singleElement().isInstanceOfSatisfying(InvocationCompleted.class, result -> {
            assertThat(result.executionId()).isEqualTo("e-0");
            assertThat(JsonCodec.toJson(result)).contains("rejected", "unreadable invocation request");
        });
    }

    /** A listener with a 10 ms commit interval on a clock moved by hand; its wake-ups are recorded, not run. */
    private final java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong(1_000_000_000L);
    private final List<Long> wakeDelays = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<Runnable> wakeUps = new java.util.concurrent.CopyOnWriteArrayList<>();

    private InvocationBatchListener holding() {
        return new InvocationBatchListener("test/0", null, template, Duration.ofSeconds(5), new SimpleMeterRegistry(),
                pauses::add, Duration.ofMillis(10), (delay, task) -> {
                    wakeDelays.add(delay);
                    wakeUps.add(task);
                }, clock::get);
    }

    private static ConsumerRecord<String, byte[]> unreadableAt(TopicPartition partition, long offset) {
        return new ConsumerRecord<>(partition.topic(), partition.partition(), offset, "e-" + offset,
                "not json".getBytes(StandardCharsets.UTF_8));
    }

    private void advance(long millis) {
        clock.addAndGet(Duration.ofMillis(millis).toNanos());
    }

    @Test
    void resultsRunWithinTheIntervalOfTheLastTransactionWaitForTheNextOneTogether() {
        var listener = holding();

        // after a quiet spell: committed at once
        listener.onMessage(List.of(unreadableAt(P0, 10)), null, consumer);
        assertThat(committedOffsets).containsExactly(Map.of(P0, new OffsetAndMetadata(11)));
        assertThat(wakeUps).isEmpty();

        // 2 ms later: held, and a wake-up asked for when the interval ends
        advance(2);
        listener.onMessage(List.of(unreadableAt(P0, 11)), null, consumer);
        assertThat(sentKeys).containsExactly("e-10");
        assertThat(listener.heldCount()).isEqualTo(1);
        assertThat(wakeDelays).containsExactly(Duration.ofMillis(8).toNanos());

        // the next poll's record joins them
        advance(3);
        listener.onMessage(List.of(unreadableAt(P0, 12)), null, consumer);
        assertThat(listener.heldCount()).isEqualTo(2);
        assertThat(committedOffsets).hasSize(1);

        // an idle event before the interval's end commits nothing
        assertThat(listener.commitDue(consumer)).isFalse();
        assertThat(committedOffsets).hasSize(1);
        assertThat(wakeDelays).last().isEqualTo(Duration.ofMillis(5).toNanos());
        // the wake-up asked for the first holding no longer wakes anyone
        wakeUps.getFirst().run();
        assertThat(consumer.poll(Duration.ZERO).isEmpty()).isTrue();

        // at its end the wake-up makes the consumer's poll return, and asks to wake it again while they are held (the
        // container publishes no idle event for an empty poll within a millisecond of the last records)
        advance(5);
        wakeUps.getLast().run();
        assertThatThrownBy(() -> consumer.poll(Duration.ZERO)).isInstanceOf(WakeupException.class);
        assertThat(wakeDelays).last().isEqualTo(Duration.ofMillis(2).toNanos());
        wakeUps.getLast().run();
        assertThatThrownBy(() -> consumer.poll(Duration.ZERO)).isInstanceOf(WakeupException.class);
        // the idle event that follows commits both
        assertThat(listener.commitDue(consumer)).isTrue();
        assertThat(sentKeys).containsExactly("e-10", "e-11", "e-12");
        assertThat(committedOffsets).containsExactly(Map.of(P0, new OffsetAndMetadata(11)),
                Map.of(P0, new OffsetAndMetadata(13)));
        assertThat(listener.heldCount()).isZero();

        // a wake-up for a holding since committed does nothing, and asks for no other
        int asked = wakeUps.size();
        wakeUps.getLast().run();
        assertThat(consumer.poll(Duration.ZERO).isEmpty()).isTrue();
        assertThat(wakeUps).hasSize(asked);
    }

    /** A sync call whose caller's wait has ended: it ends throttled without the sandbox, answered to gateway g-1. */
    private static ConsumerRecord<String, byte[]> syncAt(long offset) {
        var request = new dev.s3c.contracts.InvocationRequested("e-" + offset, "f-sync", 1, null,
                java.time.Instant.now(), "g-1").inLane(null, java.time.Instant.EPOCH);
        return new ConsumerRecord<>(P0.topic(), 0, offset, request.executionId(), JsonCodec.toBytes(request));
    }

    @Test
    void aCallerThatWaitsForEachAnswerIsNotHeldBackWhereAnAsyncResultAtItsPaceIs() {
        try (var watchdog = new dev.s3c.executor.runtime.Watchdog()) {
            var listener = syncListener(processor(watchdog));
            listener.onMessage(List.of(syncAt(10)), null, consumer);
            // one caller, each call 2 ms after the answer before: nothing else comes while its answer waits
            advance(2);
            listener.onMessage(List.of(syncAt(11)), null, consumer);
            advance(2);
            listener.onMessage(List.of(syncAt(12)), null, consumer);
            assertThat(sentValues).hasSize(3).allSatisfy(v -> assertThat(v).isInstanceOfSatisfying(
                    InvocationCompleted.class, c -> assertThat(c.replyTo()).isEqualTo("g-1")));
            assertThat(committedOffsets).containsExactly(Map.of(P0, new OffsetAndMetadata(11)),
                    Map.of(P0, new OffsetAndMetadata(12)), Map.of(P0, new OffsetAndMetadata(13)));
            assertThat(wakeUps).isEmpty();

            // nobody waits for an async result: within the interval it waits for the next transaction
            advance(2);
            listener.onMessage(List.of(unreadableAt(P0, 13)), null, consumer);
            assertThat(committedOffsets).hasSize(3);
            assertThat(listener.heldCount()).isEqualTo(1);
        }
    }

    private InvocationBatchListener syncListener(InvocationProcessor processor) {
        return new InvocationBatchListener("test/0", processor, template, Duration.ofSeconds(5),
                new SimpleMeterRegistry(), pauses::add, Duration.ofMillis(10), (delay, task) -> wakeUps.add(task),
                clock::get);
    }

    /** A processor whose catalog has seen no function. */
    private static InvocationProcessor processor(dev.s3c.executor.runtime.Watchdog watchdog) {
        return new InvocationProcessor(new dev.s3c.executor.catalog.FunctionCatalog(
                new org.springframework.boot.kafka.autoconfigure.KafkaProperties()), Duration.ZERO, watchdog,
                Duration.ofSeconds(1), started -> { }, new dev.s3c.executor.retry.RetryPolicy(Duration.ofSeconds(1),
                        2, Duration.ofSeconds(8)));
    }

    @Test
    void syncCallersSendingSeveralAtATimeAreHeldLikeAsyncOnes() {
        try (var watchdog = new dev.s3c.executor.runtime.Watchdog()) {
            var listener = syncListener(processor(watchdog));
            listener.onMessage(List.of(syncAt(10)), null, consumer);
            advance(1);
            listener.onMessage(List.of(syncAt(11), syncAt(12)), null, consumer);

            assertThat(committedOffsets).containsExactly(Map.of(P0, new OffsetAndMetadata(11)));
            assertThat(listener.heldCount()).isEqualTo(2);
        }
    }

    @Test
    void aWakeUpComesNoEarlierThanAWokenPollCanMakeAnIdleEvent() {
        var listener = holding();
        listener.onMessage(List.of(unreadableAt(P0, 10)), null, consumer);
        advance(2);
        listener.onMessage(List.of(unreadableAt(P0, 11)), null, consumer);
        assertThat(wakeDelays).containsExactly(Duration.ofMillis(8).toNanos());
        // 9.6 ms after the transaction, 0.4 ms of the interval left: a poll woken then would make no idle event (the
        // last records came less than 1 ms before), and the next wake-up would come 2 ms on
        clock.addAndGet(7_600_000L);
        listener.onMessage(List.of(unreadableAt(P0, 12)), null, consumer);
        assertThat(listener.heldCount()).isEqualTo(2);
        assertThat(wakeDelays).last().isEqualTo(Duration.ofMillis(1).toNanos());
    }

    @Test
    void aStoppingInstanceWhoseLastTransactionFailsSendsWhatItHeldBackToo() {
        var listener = holding();
        listener.onMessage(List.of(unreadableAt(P0, 10)), null, consumer);
        consumer.commitSync(Map.of(P0, new OffsetAndMetadata(11)));
        advance(1);
        listener.onMessage(List.of(unreadableAt(P0, 11)), null, consumer);
        listener.drain();
        consumer.seek(P0, 13);
        outcomes.add(new TimeoutException("broker unreachable"));

        listener.onMessage(List.of(unreadableAt(P0, 12)), null, consumer);

        assertThat(sentKeys).containsExactly("e-10");
        assertThat(consumer.position(P0)).isEqualTo(11);
        assertThat(listener.heldCount()).isZero();
    }

    @Test
    void recordsPolledAfterTheIntervalCommitWithTheHeldOnesAndAFailedTransactionSendsAllOfThemBack() {
        var listener = holding();
        listener.onMessage(List.of(unreadableAt(P0, 10)), null, consumer);
        // what that transaction committed, as the broker would have it
        consumer.commitSync(Map.of(P0, new OffsetAndMetadata(11)));
        advance(1);
        listener.onMessage(List.of(unreadableAt(P0, 11)), null, consumer);
        advance(20);
        consumer.seek(P0, 13);
        outcomes.add(new TimeoutException("broker unreachable"));

        listener.onMessage(List.of(unreadableAt(P0, 12)), null, consumer);

        // one transaction for both, aborted: the held record runs again too, not only the polled one
        assertThat(sentKeys).containsExactly("e-10");
        assertThat(consumer.position(P0)).isEqualTo(11);
        assertThat(pauses).containsExactly(Duration.ofMillis(100));
        assertThat(listener.heldCount()).isZero();
    }

    @Test
    void aStoppingInstanceOrARevocationCommitsWhatIsHeldAtOnce() {
        var listener = holding();
        listener.onMessage(List.of(unreadableAt(P0, 10)), null, consumer);
        advance(1);
        listener.onMessage(List.of(unreadableAt(P0, 11)), null, consumer);

        // partitions being revoked: committed whatever the interval
        listener.commitHeld(consumer);
        assertThat(committedOffsets).last().isEqualTo(Map.of(P0, new OffsetAndMetadata(12)));

        advance(1);
        listener.onMessage(List.of(unreadableAt(P0, 12)), null, consumer);
        assertThat(listener.heldCount()).isEqualTo(1);
        listener.drain();
        // polled while stopping: the held record is committed, the polled one goes back
        consumer.seek(P0, 14);
        listener.onMessage(List.of(unreadableAt(P0, 13)), null, consumer);
        assertThat(committedOffsets).last().isEqualTo(Map.of(P0, new OffsetAndMetadata(13)));
        assertThat(sentKeys).containsExactly("e-10", "e-11", "e-12");
        assertThat(consumer.position(P0)).isEqualTo(13);
    }

    @Test
    void partitionsLostDropWhatIsHeldUnsentAndThoseKeptGoBackToTheirFirstHeldRecord() {
        TopicPartition p1 = new TopicPartition(Topic.INVOCATIONS.topicName(), 1);
        consumer.assign(List.of(P0, p1));
        consumer.updateBeginningOffsets(Map.of(p1, 0L));
        var listener = holding();
        listener.onMessage(List.of(unreadableAt(P0, 10)), null, consumer);
        advance(1);
        listener.onMessage(List.of(unreadableAt(P0, 11), unreadableAt(p1, 30), unreadableAt(p1, 31)), null,
                consumer);
        consumer.seek(p1, 32);

        listener.dropHeld(consumer, List.of(P0));

        assertThat(sentKeys).containsExactly("e-10");
        assertThat(consumer.position(p1)).isEqualTo(30);
        assertThat(listener.commitDue(consumer)).isTrue();
        assertThat(committedOffsets).hasSize(1);
    }

    /**
     * A listener with a committer thread of its own (as an instance has) whose transactions each wait for a pass
     * from the test, on a 10 ms interval that has passed: what the consumer's thread does while one commits.
     */
    private final java.util.concurrent.Semaphore passes = new java.util.concurrent.Semaphore(0);
    private final java.util.concurrent.ExecutorService committer = java.util.concurrent.Executors
            .newSingleThreadExecutor();

    @org.junit.jupiter.api.AfterEach
    void stopCommitter() {
        passes.release(100);
        committer.shutdownNow();
    }

    private InvocationBatchListener committingApart() {
        org.mockito.Mockito.doAnswer(call -> {
            if (!passes.tryAcquire(30, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test gave this transaction no pass");
            }
            return transaction.answer(call);
        }).when(template).executeInTransaction(any());
        return new InvocationBatchListener("test/0", null, template, Duration.ofSeconds(5), new SimpleMeterRegistry(),
                pauses::add, Duration.ofMillis(10), (delay, task) -> {
                    wakeDelays.add(delay);
                    wakeUps.add(task);
                }, clock::get, committer);
    }

    @Test
    void whileATransactionCommitsTheConsumerRunsTheNextRecordsWhichGoOutWithTheNextOneWhenItEnds() throws Exception {
        var listener = committingApart();
        listener.onMessage(List.of(unreadableAt(P0, 10), unreadableAt(P0, 11)), null, consumer);
        // handed to the committer: the consumer's thread is back before it ended
        assertThat(committedOffsets).isEmpty();

        advance(20);
        listener.onMessage(List.of(unreadableAt(P0, 12)), null, consumer);
        // the interval is over, but the last transaction still commits: this one waits for it, held
        assertThat(listener.heldCount()).isEqualTo(1);
        assertThat(listener.commitDue(consumer)).isFalse();
        int asked = wakeUps.size();

        passes.release();
        // its end wakes the consumer's poll, again until the consumer has taken note
        org.awaitility.Awaitility.await().until(() -> wakeUps.size() > asked);
        assertThatThrownBy(() -> consumer.poll(Duration.ZERO)).isInstanceOf(WakeupException.class);
        assertThat(committedOffsets).containsExactly(Map.of(P0, new OffsetAndMetadata(12)));

        // the idle event that follows hands the held result over at once
        assertThat(listener.commitDue(consumer)).isFalse();
        passes.release();
        org.awaitility.Awaitility.await().until(() -> committedOffsets.size() == 2);
        assertThat(committedOffsets).last().isEqualTo(Map.of(P0, new OffsetAndMetadata(13)));
        assertThat(sentKeys).containsExactly("e-10", "e-11", "e-12");
        assertThat(listener.heldCount()).isZero();
        // taken note of at the next idle event: all committed (the position past the markers may follow)
        org.awaitility.Awaitility.await().pollInSameThread().until(() -> listener.commitDue(consumer));
        assertThat(pauses).isEmpty();
    }

    @Test
    void aSecondPollWhileTheSameTransactionCommitsWaitsForItInsteadOfBeingHeldToo() throws Exception {
        var listener = committingApart();
        listener.onMessage(List.of(unreadableAt(P0, 10)), null, consumer);
        advance(20);
        // the first poll while it commits runs and is held
        listener.onMessage(List.of(unreadableAt(P0, 11)), null, consumer);
        assertThat(listener.heldCount()).isEqualTo(1);
        int asked = wakeDelays.size();

        // the second runs too, then waits for the transaction on the consumer's thread rather than polling again
        var waiting = new java.util.concurrent.atomic.AtomicReference<Thread>();
        var second = java.util.concurrent.CompletableFuture.runAsync(() -> {
            waiting.set(Thread.currentThread());
            listener.onMessage(List.of(unreadableAt(P0, 12)), null, consumer);
        });
        org.awaitility.Awaitility.await().until(() -> waiting.get() != null
                && waiting.get().getState() == Thread.State.WAITING);
        assertThat(second).isNotDone();
        assertThat(committedOffsets).isEmpty();
        assertThat(listener.heldCount()).isZero();

        passes.release(2);
        second.get(30, java.util.concurrent.TimeUnit.SECONDS);
        org.awaitility.Awaitility.await().until(() -> committedOffsets.size() == 2);
        // the one in flight, then both later polls' results in the next one: nothing held, no wake-up asked for
        assertThat(committedOffsets).containsExactly(Map.of(P0, new OffsetAndMetadata(11)),
                Map.of(P0, new OffsetAndMetadata(13)));
        assertThat(sentKeys).containsExactly("e-10", "e-11", "e-12");
        assertThat(listener.heldCount()).isZero();
        assertThat(wakeDelays).hasSize(asked);
        assertThat(pauses).isEmpty();
        // and no wake-up left pending to cut the next poll short
        consumer.poll(Duration.ZERO);
    }

    @Test
    void withinTheIntervalASecondPollWhileATransactionCommitsIsHeldAsBefore() {
        var listener = committingApart();
        listener.onMessage(List.of(unreadableAt(P0, 10)), null, consumer);
        advance(2);
        listener.onMessage(List.of(unreadableAt(P0, 11)), null, consumer);
        advance(2);
        // the interval (10 ms) makes transactions rarer: this one is held with the first, not committed at once
        listener.onMessage(List.of(unreadableAt(P0, 12)), null, consumer);
        assertThat(listener.heldCount()).isEqualTo(2);
        assertThat(committedOffsets).isEmpty();
    }

    @Test
    void aTransactionThatFailsWhileTheNextRecordsRunSendsThemBackWithItsOwnAndPublishesNoneOfTheirResults()
            throws Exception {
        var listener = committingApart();
        listener.onMessage(List.of(unreadableAt(P0, 10)), null, consumer);
        advance(20);
        listener.onMessage(List.of(unreadableAt(P0, 11)), null, consumer);
        assertThat(listener.heldCount()).isEqualTo(1);
        int asked = wakeUps.size();

        outcomes.add(new TimeoutException("broker unreachable"));
        passes.release();
        // the failure wakes the consumer's poll; records polled meanwhile go back with the rest
        org.awaitility.Awaitility.await().until(() -> wakeUps.size() > asked);
        assertThatThrownBy(() -> consumer.poll(Duration.ZERO)).isInstanceOf(WakeupException.class);
        consumer.seek(P0, 13);
        listener.onMessage(List.of(unreadableAt(P0, 12)), null, consumer);

        assertThat(sentKeys).isEmpty();
        assertThat(committedOffsets).isEmpty();
        assertThat(consumer.position(P0)).isEqualTo(10);
        assertThat(listener.heldCount()).isZero();
        assertThat(pauses).containsExactly(Duration.ofMillis(100));

        // run again from there, they commit
        passes.release();
        listener.onMessage(List.of(unreadableAt(P0, 10), unreadableAt(P0, 11), unreadableAt(P0, 12)), null,
                consumer);
        listener.commitHeld(consumer);
        assertThat(committedOffsets).containsExactly(Map.of(P0, new OffsetAndMetadata(13)));
        assertThat(sentKeys).containsExactly("e-10", "e-11", "e-12");
    }

    @Test
    void aRevocationWaitsForTheTransactionInFlightThenCommitsWhatIsHeldBeforeThePartitionsGo() throws Exception {
        var listener = committingApart();
        listener.onMessage(List.of(unreadableAt(P0, 10)), null, consumer);
        advance(20);
        listener.onMessage(List.of(unreadableAt(P0, 11)), null, consumer);
        assertThat(listener.heldCount()).isEqualTo(1);

        passes.release(2);
        listener.commitHeld(consumer);

        // both ended, in order, by the time the revocation goes on
        assertThat(committedOffsets).containsExactly(Map.of(P0, new OffsetAndMetadata(11)),
                Map.of(P0, new OffsetAndMetadata(12)));
        assertThat(listener.heldCount()).isZero();
        assertThat(listener.commitDue(consumer)).isTrue();
    }

    @Test
    void partitionsLostWhileATransactionFailsSendTheRecordsOfThoseKeptBackToWhatWasCommitted() throws Exception {
        TopicPartition p1 = new TopicPartition(Topic.INVOCATIONS.topicName(), 1);
        consumer.assign(List.of(P0, p1));
        consumer.updateBeginningOffsets(Map.of(p1, 0L));
        consumer.commitSync(Map.of(p1, new OffsetAndMetadata(30)));
        var listener = committingApart();
        listener.onMessage(List.of(unreadableAt(P0, 10), unreadableAt(p1, 30)), null, consumer);
        advance(20);
        listener.onMessage(List.of(unreadableAt(P0, 11), unreadableAt(p1, 31)), null, consumer);
        consumer.seek(P0, 12);
        consumer.seek(p1, 32);

        outcomes.add(new org.apache.kafka.common.errors.ProducerFencedException("fenced"));
        passes.release();
        listener.dropHeld(consumer, List.of(P0));

        assertThat(sentKeys).isEmpty();
        assertThat(consumer.position(p1)).isEqualTo(30);
        assertThat(consumer.position(P0)).isEqualTo(12);
        assertThat(listener.heldCount()).isZero();
    }

    @Test
    void aTransactionARebalanceOvertookWhileItCommittedGoesAgainWithTheNewGenerationInsteadOfRunningAgain()
            throws Exception {
        var listener = committingApart();
        listener.onMessage(List.of(unreadableAt(P0, 10), unreadableAt(P0, 11)), null, consumer);
        consumer.seek(P0, 12);
        // while it commits, the consumer's poll takes part in a rebalance: P0 stays with this member
        generation.incrementAndGet();
        outcomes.add(new CommitFailedException("the group has rebalanced"));
        passes.release(2);

        listener.commitHeld(consumer);

        assertThat(committedOffsets).containsExactly(Map.of(P0, new OffsetAndMetadata(12)));
        assertThat(sentKeys).containsExactly("e-10", "e-11");
        // not sent back to run again
        assertThat(consumer.position(P0)).isEqualTo(12);
        assertThat(pauses).isEmpty();
    }
}
