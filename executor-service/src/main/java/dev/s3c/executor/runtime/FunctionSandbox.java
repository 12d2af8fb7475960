package dev.s3c.executor.runtime;

import dev.s3c.contracts.CodeStyle;
import dev.s3c.contracts.ErrorType;
import dev.s3c.contracts.ExecutionError;
import dev.s3c.contracts.FunctionDefinition;
import dev.s3c.contracts.JsonCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.ResourceLimits;
import org.graalvm.polyglot.SandboxPolicy;
import org.graalvm.polyglot.Source;
import org.graalvm.polyglot.SourceSection;
import org.graalvm.polyglot.Value;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.ClassPathResource;

/**
 * The sandbox of one executor instance: warm GraalJS contexts per function version, used by one thread at a
 * time. A context is thrown away after a cancellation or a failed initialisation, so no run sees a broken one.
 */
public final class FunctionSandbox implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FunctionSandbox.class);

    private static final String BODY_HEADER = CodeStyle.BODY_HEADER;

    private static final int RUNNING = 0;
    private static final int DONE = 1;
    private static final int CANCELLED = 2;
    private static final int OVER_BUDGET = 3;
    private static final int HANDED_OFF = 4;
    /** Loading a function may use this many times a run's CPU budget. */
    static final int LOAD_BUDGETS = 4;
    /** Error messages and stacks are cut to these lengths: a result must stay far below Kafka's message limit. */
    static final int MAX_MESSAGE = 8 * 1024;
    static final int MAX_STACK = 16 * 1024;

    private static final String PRELUDE = "var module = { exports: {} }; var exports = module.exports;";

    /** The console as Node's formats values: see the script's own comment. */
    private static final String CONSOLE = script("s3c-console.js");

    // Evaluated before user code, so it holds the intrinsics as they were before the function could patch them.
    private static final String INVOKER = """
            (function () {
              'use strict';
              const stringify = JSON.stringify, parse = JSON.parse, create = Object.create;
              const resolve = Promise.resolve.bind(Promise), now = Date.now, toStr = String;
              const isError = (e) => e instanceof Error;
              const MAX_MESSAGE = %d, MAX_STACK = %d;
              const cut = (text, max) => text.length > max ? text.slice(0, max) + '... [truncated]' : text;
              // the box the host reads has no prototype and only string members: a function that plants getters
              // or setters on Object.prototype cannot run code while the host reads it
              function fail(box, e) {
                let name = 'Error', message = '', stack = '';
                try {
                  if (isError(e)) {
                    name = toStr(e.name); message = toStr(e.message); stack = toStr(e.stack || '');
                  } else {
                    message = toStr(e);
                  }
                } catch (x) {
                  message = 'the thrown value could not be described';
                }
                box.state = 'rejected';
                box.name = cut(name, 200);
                box.message = cut(message, MAX_MESSAGE);
                box.stack = cut(stack, MAX_STACK);
              }
              // 'invalid': the function returned, but nothing the platform can carry (the same run would again)
              function succeed(box, v) {
                let s;
                try {
                  s = stringify(v === undefined ? null : v);
                } catch (e) {
                  fail(box, e);
                  box.state = 'invalid';
                  box.message = 'result is not JSON-serialisable: ' + box.message;
                  return;
                }
                if (s === undefined) {
                  box.state = 'invalid'; box.name = 'TypeError'; box.stack = '';
                  box.message = 'result is not JSON-serialisable (a ' + typeof v + ')';
                  return;
                }
                box.state = 'fulfilled';
                box.output = s;
              }
              return function (fn, inputJson, contextJson) {
                const box = create(null);
                box.state = 'pending';
                let r;
                try {
                  const ctx = parse(contextJson);
                  const deadline = now() + ctx.timeoutMs;
                  ctx.getRemainingTimeInMillis = () => Math.max(0, deadline - now());
                  r = fn(parse(inputJson), ctx);
                } catch (e) {
                  fail(box, e);
                  return box;
                }
                if (r !== null && (typeof r === 'object' || typeof r === 'function') && typeof r.then === 'function') {
                  resolve(r).then(v => succeed(box, v), e => fail(box, e));
                } else {
                  succeed(box, r);
                }
                return box;
              };
            })()
            """.formatted(MAX_MESSAGE, MAX_STACK);

    /**
     * The function's environment variables as {@code process.env}, as Node, Lambda and OpenFaaS give them: a plain
     * object (what a run writes there stays for the warm context's next runs, as in Node). Always there, maybe empty,
     * so {@code process.env.X || 'default'} works without any set.
     */
    private static final String ENVIRONMENT = """
            (function (json) {
              'use strict';
              globalThis.process = { env: JSON.parse(json) };
            })
            """;

    private static final String RESOLVE_HANDLER = """
            (function () {
              if (module && typeof module.exports === 'function') return module.exports;
              if (module && module.exports && typeof module.exports.handler === 'function') return module.exports.handler;
              if (typeof handler === 'function') return handler;
              return undefined;
            })()
            """;

    private final JsEngine engine;
    private final Watchdog watchdog;
    private final SandboxLimits limits;
    private final Map<String, Loaded> warm;
    /** The context running now, warm or cold: what {@link #cancelRunning} cancels from another thread. */
    private volatile Loaded current;
    /** Written by the instance's thread only; read by metrics. */
    private volatile long recycled;
    private volatile long retainedCuts;
    private volatile long measured;
    /** Set when a measure failed: the allocation bound applies from then on. */
    private boolean measureFailed;
    /** What measuring cost the last run, on its thread. */
    private long measureCpuNanos;
    private long measureWallNanos;

    public FunctionSandbox(JsEngine engine, Watchdog watchdog, SandboxLimits limits) {
        this.engine = engine;
        this.watchdog = watchdog;
        this.limits = limits;
        this.warm = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Loaded> eldest) {
                if (size() > limits.contextsPerInstance()) {
                    eldest.getValue().close();
                    return true;
                }
                return false;
            }
        };
    }

    /**
     * Runs one invocation of {@code function}; never throws for anything the function does.
     *
     * @param inputJson the input as JSON text
     * @param contextJson the invocation context as a JSON object with at least {@code timeoutMs}
     */
    public RunOutcome run(FunctionDefinition function, String inputJson, String contextJson) {
        return run(function, inputJson, contextJson, 0);
    }

    /**
     * Runs one invocation of {@code function}, stopping it with {@link HandedOff} (no result) once it used
     * {@code cpuBudgetNanos} of CPU (0: no budget, the function's timeout alone bounds it).
     *
     * @throws HandedOff when the run used its CPU budget
     */
    public RunOutcome run(FunctionDefinition function, String inputJson, String contextJson, long cpuBudgetNanos) {
        measureCpuNanos = 0;
        measureWallNanos = 0;
        String key = function.id() + ":" + function.version();
        Loaded loaded = warm.get(key);
        boolean cold = loaded == null;
        long start = System.nanoTime();
        if (cold) {
            loaded = newLoaded();
        }
        // the run and the watchdog race for this; whoever moves it off RUNNING decides the context's fate
        AtomicInteger state = new AtomicInteger(RUNNING);
        Loaded target = loaded;
        current = loaded;
        ScheduledFuture<?> deadline = watchdog.schedule(() -> {
            if (state.compareAndSet(RUNNING, CANCELLED)) {
                target.context.close(true);
            }
        }, function.timeoutMs());
        long allocatedBefore = allocatedBytes();
        Watchdog.Watch allocation = watchdog.watchAllocation(Thread.currentThread(), limits.allocationBytes(), () -> {
            if (state.compareAndSet(RUNNING, OVER_BUDGET)) {
                target.context.close(true);
            }
        });
        Runnable handOff = () -> {
            if (state.compareAndSet(RUNNING, HANDED_OFF)) {
                target.context.close(true);
            }
        };
        // loading (compiling, running the top level) gets a budget of its own: code that builds tables once and
        // answers fast must be loaded, and then kept warm, where it is read; a top-level loop is still stopped
        Watchdog.Watch cpu = watchdog.watchCpu(Thread.currentThread(), cold ? cpuBudgetNanos * LOAD_BUDGETS
                : cpuBudgetNanos, handOff);
        try {
            if (cold) {
                load(loaded, function);
                cpu.close();
                cpu = watchdog.watchCpu(Thread.currentThread(), cpuBudgetNanos, handOff);
            } else {
                // the statement limit counts per invocation
                loaded.context.resetLimits();
            }
            Value box = loaded.invoker.execute(loaded.function, inputJson, contextJson);
            // still under the deadline: reading the result must not escape it
            RunOutcome outcome = settle(function, loaded, box, elapsedMs(start), cold);
            if (!state.compareAndSet(RUNNING, DONE)) {
                deadline.cancel(false);
                discard(key, loaded);
                return stopped(state.get(), function, loaded, elapsedMs(start), cold);
            }
            deadline.cancel(false);
            long allocated = allocatedBytes() - allocatedBefore;
            loaded.runs++;
            loaded.allocated += allocated;
            loaded.allocatedSinceMeasured += allocated;
            long kept = retainedPastBound(loaded);
            if (kept >= 0) {
                // Lambda's answer to a function past its memory: this run fails, the next starts afresh
                log.debug("Cutting function {} v{}: its context keeps {} bytes across runs", function.id(),
                        function.version(), kept);
                discard(key, loaded);
                recycled++;
                retainedCuts++;
                return RunOutcome.failed(new ExecutionError(ErrorType.LIMIT_EXCEEDED, "LimitExceeded",
                        "the function keeps more than " + limits.retainedBytes() + " bytes in memory across runs (its "
                        + "context held " + kept + " after this run): the run is cut and the next one starts from a "
                        + "fresh context", null, null, null), outcome.logs(), outcome.durationMs(), cold);
            }
            if (spent(loaded)) {
                // what it kept across runs goes with it: the next run starts from a fresh context (a cold start)
                log.debug("Replacing the context of function {} v{} after {} runs that allocated {} bytes",
                        function.id(), function.version(), loaded.runs, loaded.allocated);
                discard(key, loaded);
                recycled++;
            } else if (cold) {
                warm.put(key, loaded);
            }
            return outcome;
        } catch (HandedOff e) {
            throw e;
        } catch (RuntimeException e) {
            // the run is over either way: its deadline must not outlive it and its context is not reused
            boolean stoppedByWatchdog = !state.compareAndSet(RUNNING, DONE);
            deadline.cancel(false);
            discard(key, loaded);
            long durationMs = elapsedMs(start);
            if (stoppedByWatchdog) {
                return stopped(state.get(), function, loaded, durationMs, cold);
            }
            return failure(function, loaded, e, durationMs, cold);
        } finally {
            current = null;
            allocation.close();
            cpu.close();
        }
    }

    /**
     * Cancels the run in progress, if any (from another thread: a stopping instance whose grace ran out). The run
     * ends with {@link SandboxClosedException}: no result, its invocation runs again elsewhere.
     */
    public void cancelRunning() {
        Loaded running = current;
        if (running != null) {
            running.close();
        }
    }

    /** What a run that threw (and was not stopped by the watchdog) comes to. */
    private RunOutcome failure(FunctionDefinition function, Loaded loaded, RuntimeException e, long durationMs,
            boolean cold) {
        if (e instanceof HandlerMissing) {
            return RunOutcome.failed(ExecutionError.of(ErrorType.DEVELOPER_ERROR, e.getMessage()),
                    loaded.console.drain(), durationMs, cold);
        }
        if (e instanceof IllegalStateException) {
            // the context was closed under us from outside
            throw new SandboxClosedException(e);
        }
        if (!(e instanceof PolyglotException p)) {
            throw e;
        }
        if (p.isResourceExhausted()) {
            String what = String.valueOf(p.getMessage()).contains("Statement")
                    ? "the function executed more than " + limits.statementLimit() + " statements"
                    : "the function exhausted a resource: " + truncate(p.getMessage(), MAX_MESSAGE);
            return RunOutcome.failed(new ExecutionError(ErrorType.LIMIT_EXCEEDED, "LimitExceeded", what, null, null,
                    null), loaded.console.drain(), durationMs, cold);
        }
        if (p.isCancelled()) {
            // closed from outside (the instance or the engine is shutting down): no result, run it again later
            throw new SandboxClosedException(p);
        }
        if (p.isHostException() || p.isInternalError()) {
            log.error("Sandbox fault running function {} v{}", function.id(), function.version(), p);
            return RunOutcome.failed(ExecutionError.of(ErrorType.SYSTEM_ERROR, "sandbox fault: "
                    + truncate(p.getMessage(), MAX_MESSAGE)), loaded.console.drain(), durationMs, cold);
        }
        return RunOutcome.failed(fromPolyglot(function, p), loaded.console.drain(), durationMs, cold);
    }

    /**
     * The result of a run the watchdog stopped: past its deadline, or over its allocation budget; none for a run
     * past its CPU budget.
     */
    private RunOutcome stopped(int why, FunctionDefinition function, Loaded loaded, long durationMs, boolean cold) {
        if (why == HANDED_OFF) {
            throw new HandedOff(function.id());
        }
        if (why == OVER_BUDGET) {
            return RunOutcome.failed(new ExecutionError(ErrorType.LIMIT_EXCEEDED, "LimitExceeded",
                    "the function allocated more than " + limits.allocationBytes() + " bytes in one invocation", null,
                    null, null), loaded.console.drain(), durationMs, cold);
        }
        return timedOut(function, loaded, durationMs, cold);
    }

    private RunOutcome settle(FunctionDefinition function, Loaded loaded, Value box, long durationMs, boolean cold) {
        // the box has no prototype and holds only strings (see INVOKER): nothing here runs guest code
        String state = box.getMember("state").asString();
        String logs = loaded.console.drain();
        return switch (state) {
            case "fulfilled" -> {
                String output = box.getMember("output").asString();
                long bytes = output.length() * 3L <= limits.outputBytes() ? output.length()
                        : output.getBytes(StandardCharsets.UTF_8).length;
                if (bytes > limits.outputBytes()) {
                    yield RunOutcome.failed(ExecutionError.of(ErrorType.DEVELOPER_ERROR,
                            "result is " + bytes + " bytes of JSON; the limit is " + limits.outputBytes()),
                            logs, durationMs, cold);
                }
                yield RunOutcome.succeeded(output, logs, durationMs, cold);
            }
            case "rejected", "invalid" -> {
                String stack = userFrames(box.getMember("stack").asString());
                int[] position = position(function, stack);
                // a result JSON cannot hold is the code's doing; the function's own toJSON or getter throwing while
                // it is serialised (the error has a frame in its code) is a failure like any throw
                boolean invalid = state.equals("invalid") && position == null;
                yield RunOutcome.failed(new ExecutionError(invalid ? ErrorType.DEVELOPER_ERROR : ErrorType.USER_ERROR,
                        box.getMember("name").asString(),
                        box.getMember("message").asString(), position == null ? null : position[0],
                        position == null ? null : position[1], stack.isEmpty() ? null : stack), logs, durationMs, cold);
            }
            // nothing can settle it later: the sandbox has no timers or I/O, and the job queue is drained
            default -> RunOutcome.failed(new ExecutionError(ErrorType.TIMEOUT, "TimeoutError",
                    "the function returned a promise that never settles", null, null, null), logs, durationMs, cold);
        };
    }

    private RunOutcome timedOut(FunctionDefinition function, Loaded loaded, long durationMs, boolean cold) {
        return RunOutcome.failed(new ExecutionError(ErrorType.TIMEOUT, "TimeoutError",
                "the function ran past its timeout of " + function.timeoutMs() + " ms", null, null, null),
                loaded.console.drain(), durationMs, cold);
    }

    private Loaded newLoaded() {
        BoundedOutput console = new BoundedOutput(limits.consoleBytes());
        Context context = Context.newBuilder("js")
                .engine(engine.engine())
                .sandbox(SandboxPolicy.CONSTRAINED)
                .out(console)
                .err(console)
                // no file loading, no print to the JVM's stdout, no Graal-specific globals
                .option("js.load", "false")
                .option("js.print", "false")
                .option("js.graal-builtin", "false")
                .resourceLimits(limits.statementLimit() > 0
                        ? ResourceLimits.newBuilder().statementLimit(limits.statementLimit(), null).build()
                        : ResourceLimits.newBuilder().build())
                .build();
        return new Loaded(context, console);
    }

    private void load(Loaded loaded, FunctionDefinition function) {
        Context context = loaded.context;
        context.eval(engine.source("console", "s3c-console.js", CONSOLE));
        loaded.invoker = context.eval(engine.source("invoker", "s3c-invoker.js", INVOKER));
        context.eval(engine.source("environment", "s3c-environment.js", ENVIRONMENT))
                .executeVoid(JsonCodec.toJson(function.env()));
        String name = sourceName(function);
        if (function.style() == CodeStyle.BODY) {
            loaded.function = context.eval(engine.source(key(function), name, BODY_HEADER + function.code() + CodeStyle.BODY_FOOTER));
        } else {
            context.eval(engine.source("prelude", "s3c-prelude.js", PRELUDE));
            context.eval(engine.source(key(function), name, function.code()));
            loaded.function = context.eval(engine.source("resolve", "s3c-resolve.js", RESOLVE_HANDLER));
            if (loaded.function.isNull()) {
                throw new HandlerMissing();
            }
        }
    }

    /**
     * What the context keeps on the heap when that is past {@link SandboxLimits#retainedBytes()}, else -1. It is
     * measured only when it could have grown past the bound since it was last measured (what a context keeps grows by
     * at most what it allocates): a function that keeps little is measured once per the bound's worth of allocation.
     */
    private long retainedPastBound(Loaded loaded) {
        long bound = limits.retainedBytes();
        // at least an eighth of the bound between walks: a context that keeps nearly the bound is not walked after
        // every run, at the price of passing it by up to that much before it is cut
        long step = Math.max(bound - loaded.retained, bound / 8);
        if (!measuring() || loaded.allocatedSinceMeasured < step) {
            return -1;
        }
        long retained;
        long cpuBefore = THREADS.getCurrentThreadCpuTime();
        long wallBefore = System.nanoTime();
        try {
            retained = engine.retainedBytes(loaded.context, bound + 1);
        } catch (RuntimeException | AssertionError e) {
            if (loaded.closed) {
                // closed under us (the instance stopped past its grace): the run itself is done, its result stands
                return -1;
            }
            // not what Truffle promises: bound what a context keeps by its allocation instead, from now on
            log.warn("Measuring what a context keeps failed; bounding it by its allocation instead", e);
            measureFailed = true;
            return -1;
        } finally {
            measureCpuNanos = THREADS.getCurrentThreadCpuTime() - cpuBefore;
            measureWallNanos = System.nanoTime() - wallBefore;
        }
        if (retained < 0) {
            measureFailed = true;
            return -1;
        }
        measured++;
        loaded.retained = retained;
        loaded.allocatedSinceMeasured = 0;
        return retained > bound ? retained : -1;
    }

    /** Whether what contexts keep is measured (else their allocation bounds it). */
    private boolean measuring() {
        return limits.retainedBytes() > 0 && engine.measuresRetained() && !measureFailed;
    }

    /**
     * Whether a context has run its runs, or, where what it keeps is not measured, allocated its bytes: see
     * {@link SandboxLimits#contextRuns()}.
     */
    private boolean spent(Loaded loaded) {
        boolean byAllocation = !measuring();
        return (limits.contextRuns() > 0 && loaded.runs >= limits.contextRuns())
                || (byAllocation && limits.contextAllocationBytes() > 0
                        && loaded.allocated >= limits.contextAllocationBytes());
    }

    /** Contexts replaced, because they were spent or kept too much, since this sandbox started. */
    public long recycled() {
        return recycled;
    }

    /** Runs cut because their context kept more than {@link SandboxLimits#retainedBytes()}, since this started. */
    long retainedCuts() {
        return retainedCuts;
    }

    /**
     * CPU time the last run's thread spent measuring what its context keeps (0: not measured): the platform's work,
     * not the function's, so it is not counted as the run's.
     */
    public long lastMeasureCpuNanos() {
        return measureCpuNanos;
    }

    /** Wall time the last run spent measuring what its context keeps (0: not measured). */
    public long lastMeasureWallNanos() {
        return measureWallNanos;
    }

    /** Times what a context keeps was measured, since this sandbox started. */
    long retainedMeasures() {
        return measured;
    }

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();

    private static long allocatedBytes() {
        return THREADS.getCurrentThreadAllocatedBytes();
    }

    private void discard(String key, Loaded loaded) {
        warm.remove(key);
        loaded.close();
    }

    private static ExecutionError fromPolyglot(FunctionDefinition function, PolyglotException e) {
        SourceSection at = e.getSourceLocation();
        Integer line = null;
        Integer column = null;
        if (at != null && at.getSource().getName().equals(sourceName(function))) {
            line = at.getStartLine();
            column = at.getStartColumn();
            if (function.style() == CodeStyle.BODY && line == 1) {
                column = Math.max(1, column - BODY_HEADER.length());
            }
        }
        String name = e.isSyntaxError() ? "SyntaxError" : e.isResourceExhausted() ? "RangeError" : "Error";
        return new ExecutionError(ErrorType.USER_ERROR, name, truncate(e.getMessage(), MAX_MESSAGE), line, column, null);
    }

    /** Line and column of the first stack frame in the function's own code. */
    private static int[] position(FunctionDefinition function, String stack) {
        Matcher m = Pattern.compile(Pattern.quote(sourceName(function)) + ":(\\d+):(\\d+)").matcher(stack);
        if (!m.find()) {
            return null;
        }
        // the stack is the guest's to forge: numbers that do not fit are no position
        if (m.group(1).length() > 9 || m.group(2).length() > 9) {
            return null;
        }
        int line = Integer.parseInt(m.group(1));
        int column = Integer.parseInt(m.group(2));
        if (function.style() == CodeStyle.BODY && line == 1) {
            column = Math.max(1, column - BODY_HEADER.length());
        }
        return new int[] {line, column};
    }

    private static String truncate(String text, int max) {
        if (text == null || text.length() <= max) {
            return text;
        }
        return text.substring(0, max) + "... [truncated]";
    }

    private static String script(String name) {
        try {
            return new ClassPathResource(name, FunctionSandbox.class).getContentAsString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("the executor's " + name + " is missing from its jar", e);
        }
    }

    /** The stack without the platform's own wrapper frames. */
    private static String userFrames(String stack) {
        return stack.lines().filter(line -> !line.contains("s3c-invoker.js") && !line.contains("s3c-resolve.js")
                        && !line.contains("s3c-console.js"))
                .collect(java.util.stream.Collectors.joining("\n"));
    }

    static String sourceName(FunctionDefinition function) {
        return "fn-" + function.id() + "-v" + function.version() + ".js";
    }

    private static String key(FunctionDefinition function) {
        return "fn:" + function.id() + ":" + function.version() + ":" + function.style();
    }

    private static long elapsedMs(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }


    @Override
    public void close() {
        warm.values().forEach(Loaded::close);
        warm.clear();
    }

    private static final class Loaded {
        final Context context;
        final BoundedOutput console;
        Value invoker;
        Value function;
        int runs;
        long allocated;
        /** What the context kept when last measured, and what it allocated since. */
        long retained;
        long allocatedSinceMeasured;
        /** Set once closed (a stop past its grace closes it from another thread). */
        volatile boolean closed;

        Loaded(Context context, BoundedOutput console) {
            this.context = context;
            this.console = console;
        }

        void close() {
            closed = true;
            try {
                context.close(true);
            } catch (RuntimeException e) {
                log.debug("Closing a context failed", e);
            }
        }
    }

    private static final class HandlerMissing extends RuntimeException {
        HandlerMissing() {
            super("the code defines no function named handler (nor module.exports.handler)");
        }
    }
}
