package dev.s3c.executor.invoke;

import dev.s3c.contracts.InvocationCompleted;
import dev.s3c.contracts.InvocationRequested;
import dev.s3c.contracts.JsonCodec;
import dev.s3c.contracts.Topic;
import dev.s3c.executor.runtime.FunctionSandbox;
import dev.s3c.executor.runtime.SandboxClosedException;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.BatchAcknowledgingConsumerAwareMessageListener;
import org.springframework.kafka.support.Acknowledgment;

/**
 * The loop body of one executor instance: runs each invocation of a polled batch and publishes its result. Offsets
 * are committed only after every result of the committed part is acknowledged by the broker, so a crash anywhere
 * means the invocation runs again, never that it is lost.
 */
final class InvocationBatchListener implements BatchAcknowledgingConsumerAwareMessageListener<String, byte[]> {

    static final String REPLY_TO_HEADER = "s3c-reply-to";
    private static final Logger log = LoggerFactory.getLogger(InvocationBatchListener.class);

    private final String instanceId;
    private final FunctionSandbox sandbox;
    private final InvocationProcessor processor;
    private final KafkaTemplate<String, Object> results;
    private final Duration batchBudget;
    private final InvocationMetrics metrics;

    InvocationBatchListener(String instanceId, FunctionSandbox sandbox, InvocationProcessor processor,
            KafkaTemplate<String, Object> results, Duration batchBudget, MeterRegistry meters) {
        this.instanceId = instanceId;
        this.sandbox = sandbox;
        this.processor = processor;
        this.results = results;
        this.batchBudget = batchBudget;
        this.metrics = new InvocationMetrics(meters);
    }

    @Override
    public void onMessage(List<ConsumerRecord<String, byte[]>> records, Acknowledgment ack, Consumer<?, ?> consumer) {
        long start = System.nanoTime();
        List<CompletableFuture<?>> sends = new ArrayList<>(records.size());
        for (int i = 0; i < records.size(); i++) {
            if (i > 0 && System.nanoTime() - start > batchBudget.toNanos()) {
                // slow functions: commit what is done, let the rest come back on the next poll
                awaitAll(sends);
                commitAndRewind(records, i, ack, consumer);
                return;
            }
            InvocationProcessor.Step step = process(records.get(i));
            if (step == null) {
                continue;
            }
            if (step.retry() != null) {
                metrics.retried(step.result());
                sends.add(scheduleRetry(step.retry()));
            } else {
                metrics.completed(step.result());
                sends.add(publish(step.result()));
            }
            if (step.deadLetter() != null) {
                metrics.deadLettered(step.deadLetter().functionId());
                sends.add(results.send(Topic.DEAD_LETTERS.topicName(), step.deadLetter().executionId(),
                        step.deadLetter()));
            }
        }
        awaitAll(sends);
        ack.acknowledge();
    }

    /**
     * Acknowledges the records before {@code next} and moves each partition back to its first record not run, so
     * the next poll (where a pending rebalance also takes its step) brings them again. The container commits the
     * acknowledged part; a commit refused during a rebalance is retried after it, except for partitions the
     * rebalance moved, whose new owner runs those records again (at-least-once; results are idempotent). The
     * container's nack would instead pause the consumer for a whole poll timeout.
     */
    private static void commitAndRewind(List<ConsumerRecord<String, byte[]>> records, int next, Acknowledgment ack,
            Consumer<?, ?> consumer) {
        ack.acknowledge(next - 1);
        Map<TopicPartition, Long> rewind = new HashMap<>();
        for (ConsumerRecord<String, byte[]> record : records.subList(next, records.size())) {
            rewind.putIfAbsent(new TopicPartition(record.topic(), record.partition()), record.offset());
        }
        rewind.forEach(consumer::seek);
    }

    /** The next attempt waits in the tier of its delay; the forwarder hands it back when it is due. */
    private CompletableFuture<?> scheduleRetry(InvocationRequested retry) {
        // rounded up to whole seconds: notBefore - now is a hair short of the intended delay
        long millis = Duration.between(Instant.now(), retry.notBefore()).toMillis();
        Topic tier = Topic.retryTierFor(Duration.ofSeconds((millis + 999) / 1000));
        return results.send(tier.topicName(), retry.executionId(), retry);
    }

    private InvocationProcessor.Step process(ConsumerRecord<String, byte[]> record) {
        InvocationRequested request;
        try {
            request = JsonCodec.fromBytes(record.value(), InvocationRequested.class);
        } catch (RuntimeException e) {
            log.warn("Unreadable invocation {} at {}-{}@{}: {}", record.key(), record.topic(), record.partition(),
                    record.offset(), e.getMessage());
            if (record.key() == null) {
                return null;
            }
            String text = record.value() == null ? "" : new String(record.value(), StandardCharsets.UTF_8);
            InvocationRequested unreadable = new InvocationRequested(record.key(), null, 0, null, Instant.now(), null);
            return InvocationProcessor.Step.done(InvocationProcessor.rejected(unreadable,
                    "unreadable invocation request (" + Math.min(text.length(), 200) + " characters)", instanceId,
                    Instant.now()));
        }
        try {
            return processor.process(request, sandbox, instanceId);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + request.executionId(), e);
        } catch (SandboxClosedException e) {
            // stopping: leave this batch uncommitted so the invocation runs again
            throw e;
        } catch (RuntimeException e) {
            // a platform fault on this one record must not hold up the batch forever: it ends in a result
            log.error("System error running {}", request.executionId(), e);
            return processor.systemFault(request, "system error: " + e.getClass().getSimpleName(), instanceId,
                    Instant.now());
        }
    }

    private CompletableFuture<?> publish(InvocationCompleted result) {
        var record = new ProducerRecord<String, Object>(Topic.INVOCATION_RESULTS.topicName(), result.executionId(), result);
        if (result.replyTo() != null) {
            record.headers().add(REPLY_TO_HEADER, result.replyTo().getBytes(StandardCharsets.UTF_8));
        }
        return results.send(record);
    }

    private static void awaitAll(List<CompletableFuture<?>> sends) {
        try {
            CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing results", e);
        } catch (ExecutionException | TimeoutException e) {
            // the batch is not committed and comes again: results are idempotent by execution id
            throw new IllegalStateException("publishing results failed", e);
        }
    }
}
