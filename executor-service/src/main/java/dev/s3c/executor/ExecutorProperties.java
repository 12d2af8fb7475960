package dev.s3c.executor;

import dev.s3c.executor.retry.RetryPolicy;
import dev.s3c.executor.runtime.SandboxLimits;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Settings of one executor process.
 *
 * @param instances consumer threads (instances) this process starts with
 * @param instanceIdPrefix how this process names its instances; defaults to host and pid
 * @param definitionWait how long an invocation waits for its function's definition to reach this process
 * @param batchBudget after this long on one poll's batch, commit what is done and poll again: keeps the consumer
 *        in its group when functions are slow, and lets a rebalance move on: a consumer takes each step of a
 *        rebalance only between polls, so this bounds how long a new instance waits for its partitions
 * @param runningNotice an execution still running after this long is announced, so pollers see "running"
 * @param stopTimeout how long stopping an instance waits for its running function; past it the function is
 *        cancelled and its invocation, uncommitted, runs again elsewhere
 * @param scaling how this process follows the scaler
 * @param slowLane where functions that run long go, out of the way of fast ones
 * @param fairShare how tenants without a concurrency limit share the CPU
 * @param shutdownGrace on shutdown (SIGTERM), how long the instances may finish the functions they are running
 *        (each then commits its result and stops); past it the rest are cancelled and, uncommitted, run again
 *        elsewhere. The engine closes after.
 * @param transactionInterval how long after the start of an instance's last transaction the results it runs wait for
 *        its next one, together. Whatever it is, results run while the last transaction still commits (on a thread
 *        of the instance's own) wait for its end and go in the next one (0, the default: nothing else waits). Each
 *        transaction costs the broker a few requests and a marker in every partition it wrote, whatever it carries;
 *        a longer interval makes fewer. A result after a quiet spell, a slow run's, and a sync caller's unless
 *        several callers send faster than the interval's rest, are committed at once
 * @param instanceNice the nice value (0 normal, 19 lowest) the instances' threads run at, and the threads they start
 *        (their Kafka clients'): where the executor shares a machine's cores with services that answer users, as in
 *        the one-process local run, those answer first when the cores are busy. The slow lane runs 10 lower still (at
 *        most 19)
 */
@ConfigurationProperties("s3c.executor")
public record ExecutorProperties(
        @DefaultValue("3") int instances,
        String instanceIdPrefix,
        @DefaultValue("10s") Duration definitionWait,
        @DefaultValue("250ms") Duration batchBudget,
        @DefaultValue("1s") Duration runningNotice,
        @DefaultValue("30s") Duration stopTimeout,
        @DefaultValue Sandbox sandbox,
        @DefaultValue Retry retry,
        @DefaultValue Scaling scaling,
        @DefaultValue("30s") Duration shutdownGrace,
        @DefaultValue SlowLane slowLane,
        @DefaultValue FairShare fairShare,
        @DefaultValue("0ms") Duration transactionInterval,
        @DefaultValue("0") int instanceNice) {

    public ExecutorProperties {
        if (instanceNice < 0 || instanceNice > 19) {
            // lowering a thread's priority needs no privilege, raising it does
            throw new IllegalArgumentException(
                    "s3c.executor.instance-nice must be from 0 (normal) to 19 (lowest), not " + instanceNice);
        }
    }

    /**
     * Tenants without a concurrency limit share the instances: one whose invocations wait longer than
     * {@code waited} while its runs took more than {@code share} of this process's running time lately, with another
     * tenant active, runs from {@code lanes} fair lanes of its own (0: half this machine's cores, at least one) while
     * its invocations keep waiting, and for {@code memory} after.
     */
    public record FairShare(
            @DefaultValue("true") boolean enabled,
            @DefaultValue("0.5") double share,
            @DefaultValue("250ms") Duration waited,
            @DefaultValue("10s") Duration memory,
            @DefaultValue("0") int lanes) {

        public int lanesOrDefault() {
            return lanes > 0 ? lanes : Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
        }
    }

    /**
     * A function whose run used more than {@code threshold} of CPU, timed out or hit a sandbox limit is slow, for
     * {@code memory} after its last such run: this process's instances move its invocations to the slow lane, run by
     * {@code instances} instances of their own (not counted in the pool the scaler sizes).
     */
    public record SlowLane(
            @DefaultValue("1") int instances,
            @DefaultValue("250ms") Duration threshold,
            @DefaultValue("60s") Duration memory) {
    }

    public String instancePrefix() {
        if (instanceIdPrefix != null && !instanceIdPrefix.isBlank()) {
            return instanceIdPrefix;
        }
        // "pid@host"
        String runtime = ManagementFactory.getRuntimeMXBean().getName();
        int at = runtime.indexOf('@');
        return at < 0 ? "executor-" + runtime : runtime.substring(at + 1) + "-" + runtime.substring(0, at);
    }

    /**
     * @param followCommands apply the scaler's commands (off: the pool keeps {@code instances})
     * @param statusInterval how often this process reports its instance count when nothing changes
     */
    public record Scaling(
            @DefaultValue("true") boolean followCommands,
            @DefaultValue("2s") Duration statusInterval) {
    }

    /**
     * Backoff between attempts of a failed invocation.
     *
     * @param base the wait before the first retry
     * @param multiplier growth of the wait from one retry to the next
     * @param cap the longest wait
     */
    public record Retry(
            @DefaultValue("1s") Duration base,
            @DefaultValue("2.0") double multiplier,
            @DefaultValue("256s") Duration cap) {

        public RetryPolicy policy() {
            return new RetryPolicy(base, multiplier, cap);
        }
    }

    /**
     * @param consoleBytes console output kept per invocation
     * @param outputBytes largest JSON result accepted
     * @param contextsPerInstance warm contexts each instance keeps
     * @param stackBytes stack size of instance threads
     * @param statementLimit statements one invocation may execute (0: none; compiled code runs over a billion a
     *        second, so the timeout is the default bound)
     * @param allocationBytes bytes one invocation may allocate (0: no budget)
     * @param heapPressure heap use (fraction of the maximum) from which invocations over their allocation budget
     *        are cancelled (0: always)
     * @param contextRuns runs after which a warm context is replaced by a fresh one (0: never)
     * @param contextAllocationBytes where what a context keeps is not measured (interpreter-only, or
     *        {@code retainedBytes} 0): bytes a warm context may allocate over its runs before it is replaced, which
     *        bounds what a function can keep across runs (0: no bound)
     * @param retainedBytes bytes a warm context may keep on the heap across runs: the run that leaves it holding more
     *        ends {@code limit_exceeded} and the next starts from a fresh context (0: not measured)
     */
    public record Sandbox(
            @DefaultValue("65536") int consoleBytes,
            @DefaultValue("1048576") int outputBytes,
            @DefaultValue("64") int contextsPerInstance,
            @DefaultValue("16777216") long stackBytes,
            @DefaultValue("0") long statementLimit,
            @DefaultValue("268435456") long allocationBytes,
            @DefaultValue("0.8") double heapPressure,
            @DefaultValue("100000") int contextRuns,
            @DefaultValue("134217728") long contextAllocationBytes,
            @DefaultValue("67108864") long retainedBytes) {

        public SandboxLimits limits() {
            return new SandboxLimits(consoleBytes, outputBytes, contextsPerInstance, stackBytes, statementLimit,
                    allocationBytes, contextRuns, contextAllocationBytes, retainedBytes);
        }
    }
}
