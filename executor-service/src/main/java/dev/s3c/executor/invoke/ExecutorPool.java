package dev.s3c.executor.invoke;

import dev.s3c.contracts.Topic;
import dev.s3c.executor.ExecutorProperties;
import dev.s3c.executor.catalog.FunctionCatalog;
import dev.s3c.executor.runtime.FunctionSandbox;
import dev.s3c.executor.runtime.JsEngine;
import dev.s3c.executor.runtime.SandboxLimits;
import dev.s3c.executor.runtime.Watchdog;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.MicrometerConsumerListener;
import org.springframework.kafka.event.ConsumerStoppingEvent;
import org.springframework.kafka.event.ListenerContainerIdleEvent;
import org.springframework.kafka.listener.ConsumerAwareRebalanceListener;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.listener.KafkaMessageListenerContainer;
import org.springframework.kafka.listener.RetryListener;
import org.springframework.stereotype.Component;
import org.springframework.util.backoff.FixedBackOff;

/**
 * The executor instances of this process: one Kafka consumer thread each, in the executor consumer group on the
 * invocations topic, each with its own sandbox. Instances can be added and removed one at a time.
 */
@Component
public class ExecutorPool implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ExecutorPool.class);

    private final ExecutorProperties properties;
    private final JsEngine engine;
    private final Watchdog watchdog;
    private final InvocationProcessor processor;
    private final KafkaTemplate<String, Object> results;
    private final MeterRegistry meters;
    private final DefaultKafkaConsumerFactory<String, byte[]> consumers;
    private final ExecutorService notices;
    /** Wakes instances whose held results are due (see the transaction interval). */
    private final ScheduledExecutorService commitTimer;
    /** An instance idle this long commits its position past transaction markers. */
    private static final long IDLE_BEFORE_MARKERS_MS = 1000;
    private final List<Instance> instances = new ArrayList<>();
    /**
     * How far below the fast instances' nice value the slow lane's threads run: about a tenth of their CPU weight when
     * both want the CPU.
     */
    static final int SLOW_LANE_NICE = 10;
    /** The slow lane's instances: beside the pool, which the scaler sizes. */
    private final List<Instance> slowLane = new ArrayList<>();
    private final SlowFunctions slow;
    /** How tenants without a concurrency limit share this process's CPU, for all its instances. */
    private final FairShare fairShare;
    /**
     * The slow lane's producers, apart: a producer the slow lane's committer makes has a network thread of its low
     * priority, which must not carry the fast instances' transactions.
     */
    private final KafkaTemplate<String, Object> slowLaneResults;
    /**
     * The slow lane's own consumer group: a rebalance of the pool (each scaling step) then never waits for a slow run
     * to end, as the members of one group each wait for the others to poll again.
     */
    private final String slowLaneGroup;
    private int nextIndex;
    /** Contexts the instances stopped so far replaced in their life. */
    private long recycledByStopped;
    private volatile boolean running;

    /**
     * @param noticeTemplate a plain template for running notices, sent off the instances' threads
     * @param batches a transactional template: each batch's results and offsets in one transaction
     */
    public ExecutorPool(ExecutorProperties properties, KafkaProperties kafka, JsEngine engine, Watchdog watchdog,
            FunctionCatalog catalog, KafkaTemplate<String, Object> noticeTemplate,
            @Qualifier("batchTemplate") KafkaTemplate<String, Object> batches, MeterRegistry meters) {
        this.properties = properties;
        this.engine = engine;
        this.watchdog = watchdog;
        // notices are sent off the watchdog thread, which must never wait on Kafka
        this.notices = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "s3c-running-notices");
            t.setDaemon(true);
            return t;
        });
        this.commitTimer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "s3c-commit-timer");
            t.setDaemon(true);
            return t;
        });
        this.processor = new InvocationProcessor(catalog, properties.definitionWait(), watchdog,
                properties.runningNotice(), started -> this.notices.execute(() ->
                        noticeTemplate.send(startNotice(started))),
                properties.retry().policy());
        this.results = batches;
        this.slowLaneResults = ownProducers(batches);
        this.slowLaneGroup = kafka.getConsumer().getGroupId() + "-slow";
        // started now: a thread an instance starts inherits its lower priority
        this.notices.execute(() -> { });
        this.commitTimer.execute(() -> { });
        this.meters = meters;
        this.slow = properties.slowLane().instances() > 0
                ? new SlowFunctions(properties.slowLane().threshold(), properties.slowLane().memory())
                : SlowFunctions.none();
        var fair = properties.fairShare();
        // tenants are known (and their runs counted) with fair share off too
        this.fairShare = new FairShare(fair.enabled(), fair.share(), fair.waited(), fair.memory(),
                fair.lanesOrDefault(), functionId -> {
                    var definition = catalog.current(functionId);
                    return definition == null ? null : definition.owner();
                }, com.github.benmanes.caffeine.cache.Ticker.systemTicker());
        Map<String, Object> config = new HashMap<>(kafka.buildConsumerProperties());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // retries due come from the forwarder's transactions: never run one it aborted
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // cooperative rebalancing: adding or removing an instance moves only the partitions that change hands,
        // while the other instances keep working. (The broker-driven protocol of KIP-848 does the same, but its
        // consumer added seconds of latency to retries and sync calls here, measured with the pipeline tests.)
        config.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                org.apache.kafka.clients.consumer.CooperativeStickyAssignor.class.getName());
        // a busy instance learns of a rebalance from its heartbeat: every 3 s by default, which was most of the
        // time a new instance waited for its first partition
        config.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 500);
        this.consumers = new DefaultKafkaConsumerFactory<>(config, new StringDeserializer(), new ByteArrayDeserializer());
        // Kafka client metrics (fetch rates, lag, rebalances) per instance, beside the domain metrics
        this.consumers.addListener(new MicrometerConsumerListener<>(meters));
        Gauge.builder("s3c.executor.instances", this, ExecutorPool::size).register(meters);
        Gauge.builder("s3c.executor.results.held", this, ExecutorPool::heldResults)
                .description("invocations run and waiting for their instance's next transaction (while the last "
                        + "one commits, or the transaction interval)")
                .register(meters);
        io.micrometer.core.instrument.FunctionCounter.builder("s3c.executor.contexts.recycled", this,
                        ExecutorPool::recycledContexts)
                .description("warm contexts replaced after their runs or their allocation (see the sandbox limits)")
                .register(meters);
        Gauge.builder("s3c.executor.graaljs.optimizing", engine, e -> e.optimizing() ? 1 : 0)
                .description("1 when GraalJS runs with the optimizing compiler, 0 in interpreter-only fallback")
                .register(meters);
    }

    /** A template like {@code batches} over producers of its own (transactional ids apart). */
    static KafkaTemplate<String, Object> ownProducers(KafkaTemplate<String, Object> batches) {
        if (!(batches.getProducerFactory() instanceof DefaultKafkaProducerFactory<String, Object> shared)) {
            return batches;
        }
        var own = (DefaultKafkaProducerFactory<String, Object>) shared.copyWithConfigurationOverride(Map.of());
        own.setTransactionIdPrefix(shared.getTransactionIdPrefix() + "slow-");
        var template = new KafkaTemplate<>(own);
        // an aborted batch is logged once by its listener
        template.setProducerListener(new org.springframework.kafka.support.ProducerListener<>() {
        });
        return template;
    }

    /** A running notice; one a gateway waits for names it in the header its result router reads. */
    static org.apache.kafka.clients.producer.ProducerRecord<String, Object> startNotice(
            dev.s3c.contracts.InvocationStarted started) {
        var record = new org.apache.kafka.clients.producer.ProducerRecord<String, Object>(
                Topic.INVOCATION_STARTS.topicName(), started.executionId(), started);
        if (started.replyTo() != null) {
            record.headers().add(InvocationBatchListener.REPLY_TO_HEADER,
                    started.replyTo().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return record;
    }

    /**
     * Sets the number of instances of this process, starting or stopping consumer threads one at a time. Does
     * nothing once the pool has stopped, so a late scale command cannot start consumers in a stopping process.
     */
    public synchronized void resize(int target) {
        if (!running) {
            return;
        }
        resizeTo(target);
    }

    private synchronized void resizeTo(int target) {
        int wanted = Math.max(0, target);
        while (instances.size() < wanted) {
            Instance instance = newInstance(false);
            instances.add(instance);
            instance.container.start();
            log.info("Started executor instance {} ({} running)", instance.id, instances.size());
        }
        while (instances.size() > wanted) {
            Instance instance = instances.removeLast();
            recycledByStopped += instance.sandbox.recycled();
            // the function in hand finishes and commits first; the sandbox closes only once its thread has left
            instance.listener.drain();
            instance.container.stop(instance::close);
            log.info("Stopped executor instance {} ({} running)", instance.id, instances.size());
        }
    }

    public synchronized int size() {
        return instances.size();
    }

    /** How many executions of each tenant this process's instances run now (tenants with none left out). */
    public Map<String, Integer> runningByTenant() {
        return fairShare.running();
    }

    /** Contexts replaced after their life, by every instance this process ran. */
    private synchronized double recycledContexts() {
        return recycledByStopped + sumOverInstances(instance -> instance.sandbox.recycled());
    }

    /** Invocations run and waiting for their instance's next transaction. */
    private double heldResults() {
        return sumOverInstances(instance -> instance.listener.heldCount());
    }

    /** A figure summed over the running instances, the slow lane's included. */
    private synchronized long sumOverInstances(java.util.function.ToLongFunction<Instance> figure) {
        long sum = 0;
        for (Instance instance : instances) {
            sum += figure.applyAsLong(instance);
        }
        for (Instance instance : slowLane) {
            sum += figure.applyAsLong(instance);
        }
        return sum;
    }


    private Instance newInstance(boolean slowLaneInstance) {
        String id = properties.instancePrefix() + (slowLaneInstance ? "/slow-" : "/") + nextIndex++;
        SandboxLimits limits = properties.sandbox().limits();
        FunctionSandbox sandbox = new FunctionSandbox(engine, watchdog, limits);
        // the slow lane gets the CPU the fast instances leave free
        int nice = slowLaneInstance ? slowLaneNice(properties.instanceNice()) : properties.instanceNice();
        // the instance's transactions, while its consumer's thread polls and runs the next records: at the
        // instance's priority, as when they ran on its thread (the producers' network threads the committer starts
        // inherit it), so the results' serialization and sending do not take the cores from the gateway first
        ExecutorService committer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(atNice(nice, r), "s3c-commit-" + id);
            t.setDaemon(true);
            return t;
        });
        committer.execute(() -> { });

        // fresh invocations, retries that are due, the concurrency lanes and the fair lanes, side by side; or the slow
        // lane alone
        ContainerProperties container = slowLaneInstance ? new ContainerProperties(Topic.SLOW_LANE.topicName())
                : new ContainerProperties(Topic.INVOCATIONS.topicName(), Topic.RETRIES_DUE.topicName(),
                        Topic.INVOCATION_LANES.topicName(), Topic.FAIR_LANES.topicName());
        // manual, and never acknowledged: each batch's offsets are committed by the transaction with its results
        container.setAckMode(ContainerProperties.AckMode.MANUAL_IMMEDIATE);
        // an idle event after every empty poll (a wake-up makes one): held results are committed there when due, and
        // after a second of idleness the position past transaction markers (below)
        container.setIdleEventInterval(InvocationBatchListener.IDLE_EVENT_MILLIS);
        InvocationBatchListener listener = new InvocationBatchListener(id, sandbox, processor,
                slowLaneInstance ? slowLaneResults : results, properties.batchBudget(), meters, slow, slowLaneInstance,
                fairShare, properties.transactionInterval(),
                (delay, task) -> {
                    try {
                        commitTimer.schedule(task, delay, TimeUnit.NANOSECONDS);
                    } catch (java.util.concurrent.RejectedExecutionException e) {
                        // the pool stopped: its instances commit what they hold as they leave their group
                    }
                }, committer);
        container.setConsumerRebalanceListener(new ConsumerAwareRebalanceListener() {
            @Override
            public void onPartitionsRevokedBeforeCommit(Consumer<?, ?> consumer,
                    Collection<TopicPartition> partitions) {
                // a transaction may commit offsets only of partitions this member still owns: what it holds goes
                // before they leave (also when the instance stops and leaves the group)
                if (!partitions.isEmpty()) {
                    listener.commitHeld(consumer);
                }
            }

            @Override
            public void onPartitionsLost(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
                listener.dropHeld(consumer, partitions);
            }
        });
        if (slowLaneInstance) {
            container.setGroupId(slowLaneGroup);
        }
        container.setMessageListener(listener);
        SimpleAsyncTaskExecutor threads = new SimpleAsyncTaskExecutor();
        // deep enough stacks for ordinary JS recursion
        threads.setThreadFactory(r -> new Thread(null, atNice(nice, r), "s3c-instance-" + id, limits.stackBytes()));
        container.setListenerTaskExecutor(threads);
        container.setClientId("s3c-executor-" + id.replace('/', '-'));
        // wait for a running function to finish before giving up on an orderly stop
        container.setShutdownTimeout(properties.stopTimeout().toMillis());

        var listenerContainer = new KafkaMessageListenerContainer<>(consumers, container);
        // a failed transaction leaves the batch uncommitted; it runs again, never skipped
        DefaultErrorHandler retries = new DefaultErrorHandler(new FixedBackOff(1000L, FixedBackOff.UNLIMITED_ATTEMPTS));
        // retried without end, so say why, or a stuck batch is silent
        retries.setRetryListeners(new RetryListener() {
            @Override
            public void failedDelivery(ConsumerRecord<?, ?> record, Exception ex, int attempt) {
                logFailure(attempt, ex);
            }

            @Override
            public void failedDelivery(ConsumerRecords<?, ?> records, Exception ex, int attempt) {
                logFailure(attempt, ex);
            }

            private void logFailure(int attempt, Exception ex) {
                if (attempt == 1 || attempt % 30 == 0) {
                    log.warn("Instance {}: a batch failed (attempt {}), trying again: {}", id, attempt,
                            ex.getCause() == null ? ex.toString() : ex.getCause().toString());
                }
            }
        });
        listenerContainer.setCommonErrorHandler(retries);
        // published on the consumer's own thread, between polls
        listenerContainer.setApplicationEventPublisher(event -> {
            if (event instanceof ConsumerStoppingEvent stopping) {
                // before the consumer leaves its group: a member leaving in the middle of a rebalance is told its
                // partitions are lost, not revoked, and could no longer commit what it holds
                listener.commitHeld(stopping.getConsumer());
            }
            if (event instanceof ListenerContainerIdleEvent idle && listener.commitDue(idle.getConsumer())
                    && idle.getIdleTime() >= IDLE_BEFORE_MARKERS_MS) {
                commitPastMarkers(idle.getConsumer());
            }
        });
        listenerContainer.setBeanName("s3c-instance-" + id);
        return new Instance(id, listenerContainer, sandbox, listener, committer);
    }

    /** A thread's body that first lowers its priority to {@code nice} (0: as it is). */
    private static Runnable atNice(int nice, Runnable body) {
        return nice <= 0 ? body : () -> {
            try {
                dev.s3c.executor.runtime.ThreadNiceness.lowerCurrentThread(nice);
            } finally {
                body.run();
            }
        };
    }

        static int slowLaneNice(int instanceNice) {
        return Math.min(19, instanceNice + SLOW_LANE_NICE);
    }

    /**
     * Retries due come from transactions, so their partitions end in commit markers: the consumer reads past them,
     * but the offset a transaction commits is the last record's plus one, a marker short of the end. An idle instance
     * (nothing in hand, everything it ran committed) commits its position, so the group's lag, which the scaler
     * measures, is zero when there is nothing to do.
     */
    static void commitPastMarkers(Consumer<?, ?> consumer) {
        try {
            Set<TopicPartition> assigned = consumer.assignment();
            if (assigned.isEmpty()) {
                return;
            }
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(assigned, Duration.ofSeconds(5));
            Map<TopicPartition, OffsetAndMetadata> past = new HashMap<>();
            for (TopicPartition tp : assigned) {
                OffsetAndMetadata offset = committed.get(tp);
                long position = consumer.position(tp, Duration.ofSeconds(5));
                // a partition never committed on (a lane nobody used yet) too: else the client logs its lookup of
                // the missing offset every idle second
                if (offset == null || position > offset.offset()) {
                    past.put(tp, new OffsetAndMetadata(position));
                }
            }
            if (!past.isEmpty()) {
                consumer.commitSync(past, Duration.ofSeconds(5));
            }
        } catch (RuntimeException e) {
            // a rebalance or an unreachable broker: the next idle second tries again
            log.debug("Committing past transaction markers failed: {}", e.toString());
        }
    }

    @Override
    public synchronized void start() {
        running = true;
        log.info("Executor pool starting {} instances and {} in the slow lane; GraalJS mode: {}",
                properties.instances(), properties.slowLane().instances(), engine.mode());
        resizeTo(properties.instances());
        for (int i = 0; i < properties.slowLane().instances(); i++) {
            Instance instance = newInstance(true);
            slowLane.add(instance);
            instance.container.start();
        }
    }

    /**
     * Graceful drain: every instance finishes the function it is running (up to the shutdown grace), commits its
     * result and stops taking records; the records it had not started go back uncommitted, to another instance or
     * to this process after a restart. Functions still running after the grace are cancelled (their invocations,
     * uncommitted, run again elsewhere). Returns once all instances stopped, so the engine closes only after.
     */
    @Override
    public void stop() {
        List<Instance> stopping;
        synchronized (this) {
            running = false;
            stopping = new ArrayList<>(instances);
            stopping.addAll(slowLane);
            instances.clear();
            slowLane.clear();
        }
        CountDownLatch stopped = new CountDownLatch(stopping.size());
        for (Instance instance : stopping) {
            instance.listener.drain();
            instance.container.stop(stopped::countDown);
        }
        try {
            if (!stopped.await(properties.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("Functions still running after the shutdown grace of {}: cancelling them; their invocations "
                        + "run again elsewhere", properties.shutdownGrace());
                // cancels what still runs; its instance then leaves without committing it
                stopping.forEach(instance -> instance.sandbox.cancelRunning());
                if (!stopped.await(5, TimeUnit.SECONDS)) {
                    log.warn("Executor instances still not stopped 5 s after cancelling their functions");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stopping.forEach(Instance::close);
        notices.shutdown();
        commitTimer.shutdown();
        if (slowLaneResults != results
                && slowLaneResults.getProducerFactory() instanceof DefaultKafkaProducerFactory<String, Object> own) {
            own.destroy();
        }
        log.info("Executor pool stopped ({} instances drained)", stopping.size());
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return FunctionCatalog.PHASE + 10;
    }

    private record Instance(String id, KafkaMessageListenerContainer<String, byte[]> container, FunctionSandbox sandbox,
            InvocationBatchListener listener, ExecutorService committer) {

        /** Once its consumer has left: it waited for its last transaction then. */
        void close() {
            try {
                sandbox.close();
            } finally {
                committer.shutdown();
            }
        }
    }
}
