package dev.s3c.executor.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.s3c.contracts.CodeStyle;
import dev.s3c.contracts.ErrorType;
import dev.s3c.contracts.ExecutionStatus;
import dev.s3c.contracts.FunctionDefinition;
import dev.s3c.contracts.FunctionStatus;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FunctionSandboxTest {

    private static final AtomicInteger IDS = new AtomicInteger();
    private static JsEngine engine;
    private static Watchdog watchdog;

    @BeforeAll
    static void start() {
        engine = new JsEngine();
        watchdog = new Watchdog();
    }

    @AfterAll
    static void stop() {
        watchdog.close();
        engine.close();
    }

    private static FunctionDefinition fn(CodeStyle style, String code) {
        return fn(style, code, 2_000);
    }

    private static FunctionDefinition fn(CodeStyle style, String code, int timeoutMs) {
        return new FunctionDefinition("f" + IDS.incrementAndGet(), "test", 1, code, style, timeoutMs, 0,
                FunctionStatus.ACTIVE, Instant.now());
    }

    private static RunOutcome run(FunctionSandbox sandbox, FunctionDefinition f, String input) {
        return sandbox.run(f, input, "{\"timeoutMs\":" + f.timeoutMs() + ",\"executionId\":\"e1\"}");
    }

    private FunctionSandbox sandbox() {
        return new FunctionSandbox(engine, watchdog, SandboxLimits.defaults());
    }

    @Test
    void runsTheOriginalBodyStyle() {
        try (FunctionSandbox sandbox = sandbox()) {
            var f = fn(CodeStyle.BODY, """
                    function fib(n) { return n <= 1 ? n : fib(n - 1) + fib(n - 2); }
                    return fib(input.n);""");
            RunOutcome first = run(sandbox, f, "{\"n\":20}");
            assertThat(first.status()).isEqualTo(ExecutionStatus.SUCCEEDED);
            assertThat(first.outputJson()).isEqualTo("6765");
            assertThat(first.coldStart()).isTrue();
            RunOutcome second = run(sandbox, f, "{\"n\":10}");
            assertThat(second.outputJson()).isEqualTo("55");
            assertThat(second.coldStart()).isFalse();
        }
    }

    @Test
    void runsHandlerStyleSyncAsyncAndModuleExports() {
        try (FunctionSandbox sandbox = sandbox()) {
            var sync = fn(CodeStyle.HANDLER, "function handler(input, context) { return {echo: input, id: context.executionId}; }");
            assertThat(run(sandbox, sync, "[1,2]").outputJson()).isEqualTo("{\"echo\":[1,2],\"id\":\"e1\"}");

            var async = fn(CodeStyle.HANDLER, """
                    const handler = async (input) => {
                      const x = await Promise.resolve(input.a);
                      return x * 2;
                    };""");
            assertThat(run(sandbox, async, "{\"a\":21}").outputJson()).isEqualTo("42");

            var exported = fn(CodeStyle.HANDLER, "module.exports.handler = (input) => input.text.split('').reverse().join('');");
            assertThat(run(sandbox, exported, "{\"text\":\"abc\"}").outputJson()).isEqualTo("\"cba\"");
        }
    }

    @Test
    void capturesConsoleOutputPerInvocation() {
        try (FunctionSandbox sandbox = sandbox()) {
            var f = fn(CodeStyle.BODY, "console.log('hello', input); console.error('oops'); return null;");
            RunOutcome out = run(sandbox, f, "7");
            assertThat(out.logs()).isEqualTo("hello 7\noops\n");
            assertThat(out.outputJson()).isEqualTo("null");
            assertThat(run(sandbox, f, "8").logs()).isEqualTo("hello 8\noops\n");
        }
    }

    /** What Node 20 prints for the same calls (its one-line forms), but for a circular reference's marker. */
    @Test
    void theConsoleFormatsValuesAsNodeDoes() {
        try (FunctionSandbox sandbox = sandbox()) {
            var f = fn(CodeStyle.HANDLER, """
                    class P { constructor() { this.x = 1; } }
                    function handler(input) {
                      console.log('hello', input);
                      console.log({a: {b: {c: {d: 1}}}});
                      console.log([1, 'two', [3, [4, [5]]]]);
                      console.log('%s is %d years and %i, %f, %j, %O %%', 'Ada', 36.5, 42.9, '1.5', {x: 1}, [1]);
                      console.log(new Map([['k', 1]]), new Set([1, 2]));
                      console.log(function f() {}, () => 1, class A {});
                      console.log(null, undefined, true, 10n, -0, NaN, Symbol('s'));
                      console.log({'a-b': 1, [Symbol('k')]: 2, get g() { return 1; }});
                      console.log(new Date(0));
                      console.log([1, , , 4]);
                      console.log(new P());
                      const n = Object.create(null); n.a = 1; console.log(n);
                      console.log('%c styled', 'color: red');
                      console.log('a%', 1);
                      console.log('%s', 'only', 'extra');
                      console.log('100%s');
                      console.log({s: "it's", t: 'say "hi"', u: 'both \\' and "', nl: 'a\\nb'});
                      console.log(new Uint8Array([1, 2]));
                      console.dir({a: 1});
                      console.assert(false, 'x %d', 1);
                      console.log('%s', {a: {b: 1}}, '%s');
                      console.log({f: [1, 2, 3], g: {}, h: []});
                      console.log('', 1);
                      console.log();
                      console.log('%d %i %f', '42', '7.9x', 'x');
                      const o = {name: 'o'}; o.self = o; console.warn(o);
                      console.error(Array.from({length: 102}, (_, i) => i % 2).join('').length, [...Array(102).keys()].slice(99));
                      return null;
                    }""");
            RunOutcome out = run(sandbox, f, "{\"a\":1,\"b\":\"x\"}");
            assertThat(out.status()).isEqualTo(ExecutionStatus.SUCCEEDED);
            assertThat(out.logs()).isEqualTo("""
                    hello { a: 1, b: 'x' }
                    { a: { b: { c: [Object] } } }
                    [ 1, 'two', [ 3, [ 4, [Array] ] ] ]
                    Ada is 36.5 years and 42, 1.5, {"x":1}, [ 1 ] %
                    Map(1) { 'k' => 1 } Set(2) { 1, 2 }
                    [Function: f] [Function (anonymous)] [class A]
                    null undefined true 10n -0 NaN Symbol(s)
                    { 'a-b': 1, g: [Getter], [Symbol(k)]: 2 }
                    1970-01-01T00:00:00.000Z
                    [ 1, <2 empty items>, 4 ]
                    P { x: 1 }
                    [Object: null prototype] { a: 1 }
                     styled
                    a% 1
                    only extra
                    100%s
                    { s: "it's", t: 'say "hi"', u: `both ' and "`, nl: 'a\\nb' }
                    Uint8Array(2) [ 1, 2 ]
                    { a: 1 }
                    Assertion failed: x 1
                    { a: [Object] } %s
                    { f: [ 1, 2, 3 ], g: {}, h: [] }
                     1

                    42 7 NaN
                    { name: 'o', self: [Circular] }
                    102 [ 99, 100, 101 ]
                    """);
        }
    }

    @Test
    void theConsoleBoundsWhatItFormatsAndShowsErrorsWithTheirStack() {
        try (FunctionSandbox sandbox = sandbox()) {
            var f = fn(CodeStyle.HANDLER, """
                    function handler(input) {
                      console.log([...Array(250).keys()]);
                      console.log({e: new TypeError('bad'), big: 'x'.repeat(20000)});
                      console.log(new Error('boom'));
                      return null;
                    }""");
            String[] lines = run(sandbox, f, "null").logs().split("\n");
            assertThat(lines[0]).startsWith("[ 0, 1, 2,").endsWith(", 98, 99, ... 150 more items ]");
            assertThat(lines[1]).startsWith("{ e: [TypeError: bad], big: 'xxx").endsWith("x'... 10000 more characters }")
                    .hasSize("{ e: [TypeError: bad], big: '".length() + 10_000 + "'... 10000 more characters }".length());
            assertThat(lines[2]).isEqualTo("Error: boom");
            assertThat(lines[3]).startsWith("    at handler (").contains(".js:4:");
            assertThat(String.join("\n", lines)).doesNotContain("s3c-");
        }
    }

    /** More of Node's forms; and a call's work stays bounded whatever it is given. */
    @Test
    void theConsoleFormatsHolesEscapesAndOwnStringsAndBoundsItsWork() {
        try (FunctionSandbox sandbox = new FunctionSandbox(engine, watchdog,
                new SandboxLimits(1024 * 1024, 1000, 4, 0, 0, 0))) {
            var f = fn(CodeStyle.HANDLER, """
                    function handler(input) {
                      console.log(new Array(1e9));
                      const a = []; a[5] = 1; a[2**32-2] = 2; console.log(a);
                      console.log(['a\\tb\\x01\\r']);
                      console.log('%s|%s|%d', { toString() { return 'custom'; } }, 'x', -0);
                      console.log(async function af() {}, function* g() {});
                      console.assert(false, {a: 1}, 2);
                      console.log(new Set([...Array(150).keys()]).size, new Map([[1, {a: {b: {c: 1}}}]]));
                      console.log(new Set([...Array(150).keys()]));
                      const s = 'q'.repeat(1000);
                      console.log('%s'.repeat(50000), ...Array(50000).fill(s));
                      const g = [1]; Object.defineProperty(g, 1, { get() { throw new Error('called'); }, enumerable: true });
                      console.log({ $a: 1, _b: 2 }, '%f', 10n, g, Object.create(Map.prototype), Object.create(Date.prototype));
                      const wide = {};
                      for (let i = 0; i < 200000; i++) wide['key' + i] = 'v'.repeat(50);
                      console.log(wide);
                      console.log('z'.repeat(300000));
                      return null;
                    }""", 10_000);
            RunOutcome out = run(sandbox, f, "null");
            assertThat(out.status()).as("%s", out.error()).isEqualTo(ExecutionStatus.SUCCEEDED);
            String[] lines = out.logs().split("\n");
            assertThat(List.of(lines).subList(0, 7)).containsExactly(
                    "[ <1000000000 empty items> ]",
                    "[ <5 empty items>, 1, <4294967288 empty items>, 2 ]",
                    "[ 'a\\tb\\x01\\r' ]",
                    "custom|x|-0",
                    "[AsyncFunction: af] [GeneratorFunction: g]",
                    "Assertion failed: [object Object] 2",
                    "150 Map(1) { 1 => { a: { b: [Object] } } }");
            assertThat(lines[7]).startsWith("Set(150) { 0, 1, 2, ").endsWith(", 98, 99, ... 50 more items }");
            assertThat(lines[8]).isEqualTo("q".repeat(100_000) + " ... [cut at 100000 characters]");
            assertThat(lines[9]).isEqualTo("{ '$a': 1, _b: 2 } %f 10n [ 1, [Getter] ] Map {} Date {}");
            // cut at 100,000 characters, the rest not looked at
            assertThat(lines[10]).startsWith("{ key0: 'vvv")
                    .hasSizeLessThanOrEqualTo(100_000 + " ... [cut at 100000 characters]".length());
            assertThat(lines[11]).isEqualTo("z".repeat(100_000) + " ... [cut at 100000 characters]");
            assertThat(lines).hasSize(12);
        }
    }

    /** An error thrown while formatting (from the function's own code) is the function's, with its frames only. */
    @Test
    void anErrorThrownWhileFormattingIsAUserErrorWithoutTheConsolesFrames() {
        try (FunctionSandbox sandbox = sandbox()) {
            var f = fn(CodeStyle.HANDLER, """
                    function handler(input) {
                      console.log('%d', { valueOf() { throw new Error('no number'); } });
                    }""", 10_000);
            RunOutcome out = run(sandbox, f, "null");
            assertThat(out.status()).isEqualTo(ExecutionStatus.FAILED);
            assertThat(out.error().message()).isEqualTo("no number");
            assertThat(out.error().stack()).contains("valueOf").doesNotContain("s3c-");
        }
    }

    @Test
    void boundsConsoleOutput() {
        try (FunctionSandbox sandbox = new FunctionSandbox(engine, watchdog, new SandboxLimits(100, 1000, 4, 0, 0, 0))) {
            var f = fn(CodeStyle.BODY, "for (let i = 0; i < 100; i++) console.log('line ' + i); return 1;");
            RunOutcome out = run(sandbox, f, "null");
            assertThat(out.logs()).startsWith("line 0\n").contains("[console output truncated:");
            assertThat(out.status()).isEqualTo(ExecutionStatus.SUCCEEDED);
        }
    }

    @Test
    void thrownErrorsAreUserErrorsWithTheirPosition() {
        try (FunctionSandbox sandbox = sandbox()) {
            var f = fn(CodeStyle.BODY, "const x = 1;\nthrow new TypeError('bad thing');");
            RunOutcome out = run(sandbox, f, "null");
            assertThat(out.status()).isEqualTo(ExecutionStatus.FAILED);
            assertThat(out.error().type()).isEqualTo(ErrorType.USER_ERROR);
            assertThat(out.error().name()).isEqualTo("TypeError");
            assertThat(out.error().message()).isEqualTo("bad thing");
            assertThat(out.error().line()).isEqualTo(2);

            var rejecting = fn(CodeStyle.HANDLER, "async function handler() { throw new Error('async boom'); }");
            RunOutcome rejected = run(sandbox, rejecting, "null");
            assertThat(rejected.status()).isEqualTo(ExecutionStatus.FAILED);
            assertThat(rejected.error().message()).isEqualTo("async boom");

            var thrownString = fn(CodeStyle.BODY, "throw 'just a string';");
            assertThat(run(sandbox, thrownString, "null").error().message()).isEqualTo("just a string");
        }
    }

    @Test
    void infiniteLoopTimesOutAndTheInstanceKeepsWorking() {
        try (FunctionSandbox sandbox = sandbox()) {
            var loop = fn(CodeStyle.BODY, "while (true) {}", 200);
            RunOutcome out = run(sandbox, loop, "null");
            assertThat(out.status()).isEqualTo(ExecutionStatus.TIMED_OUT);
            assertThat(out.error().type()).isEqualTo(ErrorType.TIMEOUT);
            assertThat(out.durationMs()).isGreaterThanOrEqualTo(190);

            var ok = fn(CodeStyle.BODY, "return input + 1;");
            assertThat(run(sandbox, ok, "1").outputJson()).isEqualTo("2");
            // the loop's context was thrown away; a new run of it starts cold again
            assertThat(run(sandbox, loop, "null").coldStart()).isTrue();
        }
    }

    @Test
    void neverSettlingPromiseIsATimeout() {
        try (FunctionSandbox sandbox = sandbox()) {
            var f = fn(CodeStyle.HANDLER, "function handler() { return new Promise(() => {}); }");
            RunOutcome out = run(sandbox, f, "null");
            assertThat(out.status()).isEqualTo(ExecutionStatus.TIMED_OUT);
            assertThat(out.error().message()).contains("never settles");
        }
    }

    @Test
    void resultsThatAreNotJsonAreDeveloperErrors() {
        try (FunctionSandbox sandbox = sandbox()) {
            for (String code : List.of("const a = {}; a.self = a; return a;", "return 10n;", "return () => 1;",
                    "return Promise.resolve(Symbol('s'));", "return { nested: [1, { big: 2n }] };")) {
                RunOutcome out = run(sandbox, fn(CodeStyle.BODY, code), "null");
                assertThat(out.status()).as(code).isEqualTo(ExecutionStatus.FAILED);
                assertThat(out.error().type()).as(code).isEqualTo(ErrorType.DEVELOPER_ERROR);
                assertThat(out.error().message()).as(code).startsWith("result is not JSON-serialisable");
            }
            assertThat(run(sandbox, fn(CodeStyle.BODY, "return undefined;"), "null").outputJson()).isEqualTo("null");
            // thrown or rejected, also by its own toJSON while the result is serialised, is the function's failure
            RunOutcome ownToJson = run(sandbox, fn(CodeStyle.BODY,
                    "return {\n  toJSON() { throw new RangeError('no'); }\n};"), "null");
            assertThat(ownToJson.error().type()).isEqualTo(ErrorType.USER_ERROR);
            assertThat(ownToJson.error().message()).isEqualTo("result is not JSON-serialisable: no");
            assertThat(ownToJson.error().line()).isEqualTo(2);
            assertThat(run(sandbox, fn(CodeStyle.BODY, "throw new TypeError('x');"), "null").error().type())
                    .isEqualTo(ErrorType.USER_ERROR);
            assertThat(run(sandbox, fn(CodeStyle.HANDLER, "async function handler() { await 1; throw 'x'; }"), "null")
                    .error().type()).isEqualTo(ErrorType.USER_ERROR);
        }
    }

    @Test
    void theFunctionsEnvironmentIsProcessEnvInBothStylesAndEachVersionHasItsOwn() {
        try (FunctionSandbox sandbox = sandbox()) {
            var env = new LinkedHashMap<String, String>();
            env.put("TABLE", "orders");
            env.put("GREETING", "h\u00e9llo \"world\"\n\u2028");
            var v1 = new FunctionDefinition("f-env", "env", 1,
                    "function handler() { return { keys: Object.keys(process.env), table: process.env.TABLE, "
                            + "greeting: process.env.GREETING, none: process.env.NONE || 'default' }; }",
                    CodeStyle.HANDLER, 2_000, 0, FunctionStatus.ACTIVE, Instant.now(), null, env);
            assertThat(run(sandbox, v1, "null").outputJson()).isEqualTo("{\"keys\":[\"TABLE\",\"GREETING\"],"
                    + "\"table\":\"orders\",\"greeting\":\"h\u00e9llo \\\"world\\\"\\n\u2028\",\"none\":\"default\"}");
            // a new version with other variables gets a context of its own
            var v2 = new FunctionDefinition("f-env", "env", 2, "return process.env;", CodeStyle.BODY, 2_000, 0,
                    FunctionStatus.ACTIVE, Instant.now(), null, Map.of("TABLE", "archive"));
            assertThat(run(sandbox, v2, "null").outputJson()).isEqualTo("{\"TABLE\":\"archive\"}");
            // none set: an empty object, there to read
            assertThat(run(sandbox, fn(CodeStyle.BODY, "return process.env;"), "null").outputJson()).isEqualTo("{}");
        }
    }

    @Test
    void codeThatDefinesNoHandlerIsADeveloperError() {
        try (FunctionSandbox sandbox = sandbox()) {
            RunOutcome out = run(sandbox, fn(CodeStyle.HANDLER, "// a handler, one day\nconst handlr = () => 1;"),
                    "null");
            assertThat(out.status()).isEqualTo(ExecutionStatus.FAILED);
            assertThat(out.error().type()).isEqualTo(ErrorType.DEVELOPER_ERROR);
            assertThat(out.error().message()).contains("no function named handler");
        }
    }

    @Test
    void handlerStyleWithoutHandlerIsAUserError() {
        try (FunctionSandbox sandbox = sandbox()) {
            RunOutcome out = run(sandbox, fn(CodeStyle.HANDLER, "const notIt = 1;"), "null");
            assertThat(out.status()).isEqualTo(ExecutionStatus.FAILED);
            assertThat(out.error().message()).contains("handler");
        }
    }

    @Test
    void hostAccessIsDenied() {
        try (FunctionSandbox sandbox = sandbox()) {
            var f = fn(CodeStyle.BODY, """
                    const seen = [];
                    for (const name of ['Java', 'Packages', 'java', 'Polyglot', 'Graal', 'require', 'load',
                        'print', 'read', 'readbuffer', 'quit', 'exit', 'fetch', 'XMLHttpRequest', 'WebSocket',
                        'setTimeout', 'setInterval', 'Worker', 'importScripts']) {
                      if (typeof globalThis[name] !== 'undefined') seen.push(name);
                    }
                    // process is the platform's plain object with the function's environment, nothing of Node's
                    seen.push(Object.getOwnPropertyNames(process).join(),
                        Object.getPrototypeOf(process) === Object.prototype);
                    return seen;""");
            RunOutcome out = run(sandbox, f, "null");
            assertThat(out.status()).isEqualTo(ExecutionStatus.SUCCEEDED);
            assertThat(out.outputJson()).isEqualTo("[\"env\",true]");
        }
    }

    @Test
    void getterTrapsOnObjectPrototypeCannotHangTheHost() {
        try (FunctionSandbox sandbox = sandbox()) {
            var trap = fn(CodeStyle.HANDLER, """
                    for (const key of ['state', 'output', 'name', 'message', 'stack', 'error']) {
                      Object.defineProperty(Object.prototype, key, { set() {}, get() { for (;;) {} } });
                    }
                    function handler() { return 1; }""", 500);
            RunOutcome out = run(sandbox, trap, "null");
            assertThat(out.status()).isEqualTo(ExecutionStatus.SUCCEEDED);
            assertThat(out.outputJson()).isEqualTo("1");

            var thrower = fn(CodeStyle.BODY, """
                    const e = new Error('x');
                    Object.defineProperty(e, 'message', { get() { for (;;) {} } });
                    throw e;""", 300);
            assertThat(run(sandbox, thrower, "null").status()).isEqualTo(ExecutionStatus.TIMED_OUT);
            // and the instance goes on serving
            assertThat(run(sandbox, fn(CodeStyle.BODY, "return 2;"), "null").outputJson()).isEqualTo("2");
        }
    }

    @Test
    void hugeErrorsAndResultsAreBounded() {
        try (FunctionSandbox sandbox = sandbox()) {
            RunOutcome bigError = run(sandbox, fn(CodeStyle.BODY, "throw new Error('x'.repeat(1000000));"), "null");
            assertThat(bigError.error().message().length()).isLessThan(FunctionSandbox.MAX_MESSAGE + 100);
            // 600,000 characters, 1.2 MB of UTF-8: over the 1 MiB limit in bytes though not in characters
            RunOutcome bigResult = run(sandbox, fn(CodeStyle.BODY, "return '\u00e9'.repeat(600000);"), "null");
            assertThat(bigResult.status()).isEqualTo(ExecutionStatus.FAILED);
            assertThat(bigResult.error().type()).isEqualTo(ErrorType.DEVELOPER_ERROR);
            assertThat(bigResult.error().message()).contains("bytes of JSON");
            assertThat(bigError.error().type()).isEqualTo(ErrorType.USER_ERROR);
        }
    }

    @Test
    void aMemoryBombIsStoppedByTheAllocationBudgetLongBeforeItsTimeout() {
        var limits = new SandboxLimits(64 * 1024, 1024 * 1024, 8, 0, 0, 64L * 1024 * 1024);
        // no heap-pressure gate here: the budget alone decides
        try (Watchdog strict = new Watchdog(0);
                FunctionSandbox sandbox = new FunctionSandbox(engine, strict, limits)) {
            var bomb = fn(CodeStyle.BODY, "const a = []; for (;;) a.push(new Array(100000).fill(1));", 20_000);
            RunOutcome out = run(sandbox, bomb, "null");
            assertThat(out.status()).isEqualTo(ExecutionStatus.FAILED);
            assertThat(out.error().type()).isEqualTo(ErrorType.LIMIT_EXCEEDED);
            assertThat(out.error().message()).contains("allocated more than");
            assertThat(out.durationMs()).isLessThan(10_000);
            // a well-behaved function on the same instance is served as before
            assertThat(run(sandbox, fn(CodeStyle.BODY, "return new Array(1000).fill(1).length;"), "null").outputJson())
                    .isEqualTo("1000");
        }
    }

    @Test
    void aRunPastItsCpuBudgetIsStoppedWithoutAResultLongBeforeItsTimeoutAndTheInstanceServesOn() {
        try (FunctionSandbox sandbox = sandbox()) {
            var loop = fn(CodeStyle.BODY, "let n = 0; while (true) { n++; }", 60_000);
            long began = System.nanoTime();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> sandbox.run(loop, "null",
                    "{\"timeoutMs\":60000}", java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(100)))
                    .isInstanceOf(HandedOff.class).hasMessageContaining(loop.id());
            // stopped by its CPU, not by its timeout (a minute)
            assertThat(java.time.Duration.ofNanos(System.nanoTime() - began)).isLessThan(java.time.Duration.ofSeconds(30));
            // a run within the budget is served as before, by the same sandbox, and so is the stopped function
            var quick = fn(CodeStyle.BODY, "return input.n + 1;");
            RunOutcome served = sandbox.run(quick, "{\"n\":1}", "{\"timeoutMs\":2000}",
                    java.util.concurrent.TimeUnit.SECONDS.toNanos(5));
            assertThat(served.outputJson()).isEqualTo("2");
            var bounded = fn(CodeStyle.BODY, "let n = 0; while (n < input.n) { n++; } return n;", 60_000);
            assertThat(sandbox.run(bounded, "{\"n\":1000}", "{\"timeoutMs\":60000}",
                    java.util.concurrent.TimeUnit.SECONDS.toNanos(5)).outputJson()).isEqualTo("1000");
        }
    }

    @Test
    void loadingGetsABudgetOfItsOwnSoCodeThatBuildsTablesOnceIsKeptWarmWhileATopLevelLoopIsStillStopped() {
        long budget = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(100);
        try (FunctionSandbox sandbox = sandbox()) {
            // its top level spins for 200 ms (at most that much CPU), twice a run's budget, then answers fast
            var tables = fn(CodeStyle.HANDLER, """
                    const end = Date.now() + 200; while (Date.now() < end) {}
                    const squares = [1, 4, 9];
                    function handler(input) { return squares[input.i]; }""", 60_000);
            RunOutcome first = sandbox.run(tables, "{\"i\":1}", "{\"timeoutMs\":60000}", budget);
            assertThat(first.outputJson()).isEqualTo("4");
            assertThat(first.coldStart()).isTrue();
            RunOutcome second = sandbox.run(tables, "{\"i\":2}", "{\"timeoutMs\":60000}", budget);
            assertThat(second.outputJson()).isEqualTo("9");
            assertThat(second.coldStart()).as("kept warm").isFalse();

            var loopAtTop = fn(CodeStyle.HANDLER, "while (true) {} function handler() { return 1; }", 60_000);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> sandbox.run(loopAtTop, "null",
                    "{\"timeoutMs\":60000}", budget)).isInstanceOf(HandedOff.class);
        }
    }

    private static final String HOARDER = """
            const kept = [];
            function handler(input) { kept.push(new Array(500000).fill(1.5)); return kept.length; }""";

    @Test
    void aFunctionThatKeepsMemoryAcrossRunsIsCutWithLimitExceededAndTheNextRunStartsAfresh() {
        assertThat(engine.measuresRetained()).as("the JIT runtime measures what a context keeps").isTrue();
        // each run keeps 3.8 MiB more in a global; the bound is 16 MiB
        var limits = new SandboxLimits(64 * 1024, 1024 * 1024, 8, 0, 0, 0, 0, 0, 16L * 1024 * 1024);
        List<RunOutcome> outcomes = new ArrayList<>();
        try (FunctionSandbox sandbox = new FunctionSandbox(engine, watchdog, limits)) {
            var f = fn(CodeStyle.HANDLER, HOARDER, 10_000);
            for (int i = 0; i < 20; i++) {
                outcomes.add(run(sandbox, f, "null"));
            }
            assertThat(sandbox.retainedCuts()).isGreaterThanOrEqualTo(3);
            // a fresh context is measured once it could hold 16 MiB, and after each run from then on
            assertThat(sandbox.retainedMeasures()).isLessThanOrEqualTo(2L * sandbox.retainedCuts() + 2);
        }
        for (int i = 0; i < outcomes.size(); i++) {
            RunOutcome out = outcomes.get(i);
            if (out.status() == ExecutionStatus.SUCCEEDED) {
                // never more than the bound's worth of runs kept; a run after a cut starts from a fresh context
                int held = Integer.parseInt(out.outputJson());
                assertThat(held).as("run %d", i).isBetween(1, 5);
                assertThat(out.coldStart()).as("run %d", i).isEqualTo(held == 1);
                if (i > 0 && outcomes.get(i - 1).status() != ExecutionStatus.SUCCEEDED) {
                    assertThat(held).as("the run after a cut, %d", i).isEqualTo(1);
                }
            } else {
                assertThat(out.status()).as("run %d", i).isEqualTo(ExecutionStatus.FAILED);
                assertThat(out.error().type()).isEqualTo(ErrorType.LIMIT_EXCEEDED);
                assertThat(out.error().message()).contains("keeps more than 16777216 bytes in memory across runs");
                assertThat(out.outputJson()).isNull();
            }
        }
        assertThat(outcomes).filteredOn(o -> o.status() != ExecutionStatus.SUCCEEDED).hasSizeGreaterThanOrEqualTo(3);
    }

    @Test
    void aFunctionThatOnlyMakesGarbageStaysWarmAndIsMeasuredOncePerTheBoundsWorthOfAllocation() {
        // 3.8 MiB of garbage a run, 150 MiB over the runs: far past the allocation bound, which applies only where
        // what a context keeps is not measured
        var limits = new SandboxLimits(64 * 1024, 1024 * 1024, 8, 0, 0, 0, 0, 32L * 1024 * 1024, 16L * 1024 * 1024);
        try (FunctionSandbox sandbox = new FunctionSandbox(engine, watchdog, limits)) {
            var f = fn(CodeStyle.HANDLER, """
                    function handler(input) { const a = new Array(500000).fill(1.5); return a.length; }""", 10_000);
            int runsThatMeasured = 0;
            for (int i = 0; i < 40; i++) {
                RunOutcome out = run(sandbox, f, "null");
                assertThat(out.status()).as("run %d: %s", i, out.error()).isEqualTo(ExecutionStatus.SUCCEEDED);
                assertThat(out.coldStart()).as("run %d", i).isEqualTo(i == 0);
                // what measuring took is told apart, so it is not counted as the run's
                if (sandbox.lastMeasureWallNanos() > 0) {
                    runsThatMeasured++;
                    assertThat(sandbox.lastMeasureCpuNanos()).isPositive();
                } else {
                    assertThat(sandbox.lastMeasureCpuNanos()).isZero();
                }
            }
            assertThat(sandbox.retainedCuts()).isZero();
            assertThat(sandbox.recycled()).isZero();
            assertThat(sandbox.retainedMeasures()).isBetween(1L, 12L).isEqualTo(runsThatMeasured);
        }
    }

    @Test
    void whatTheEngineSharesWithEveryContextIsNotCountedAsWhatAFunctionKeeps() {
        // what the engine shares between contexts grows with the names all functions ever defined (each context's
        // global object starts from one shared shape tree), and Truffle's walk from any context reaches it: 60
        // functions of 200 declarations of their own are some 15 MiB of it, far more than the bound of 4 MiB here
        var limits = new SandboxLimits(64 * 1024, 1024 * 1024, 8, 0, 0, 0, 0, 0, 4L * 1024 * 1024);
        try (FunctionSandbox sandbox = new FunctionSandbox(engine, watchdog, limits)) {
            for (int k = 0; k < 60; k++) {
                StringBuilder code = new StringBuilder();
                for (int j = 0; j < 200; j++) {
                    code.append("function f").append(k).append('_').append(j).append("(x) { return x * ").append(j)
                            .append("; }\n");
                }
                code.append("function handler(input) { return f").append(k).append("_7(input.n); }");
                assertThat(run(sandbox, fn(CodeStyle.HANDLER, code.toString(), 10_000), "{\"n\":1}").status())
                        .isEqualTo(ExecutionStatus.SUCCEEDED);
            }
            // 4.6 MiB of garbage a run: measured after each, never cut
            var f = fn(CodeStyle.HANDLER, """
                    function handler(input) { const a = new Array(600000).fill(1.5); return a.length; }""", 10_000);
            for (int i = 0; i < 5; i++) {
                RunOutcome out = run(sandbox, f, "null");
                assertThat(out.status()).as("run %d: %s", i, out.error()).isEqualTo(ExecutionStatus.SUCCEEDED);
            }
            assertThat(sandbox.retainedMeasures()).isGreaterThanOrEqualTo(4);
            assertThat(sandbox.retainedCuts()).isZero();
            // while one that keeps what it makes is still cut
            var hoarder = fn(CodeStyle.HANDLER, HOARDER, 10_000);
            List<ExecutionStatus> statuses = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                statuses.add(run(sandbox, hoarder, "null").status());
            }
            assertThat(statuses).contains(ExecutionStatus.FAILED);
            assertThat(sandbox.retainedCuts()).isPositive();
        }
    }

    @Test
    void whereWhatAContextKeepsIsNotMeasuredItIsReplacedOnceItAllocatedItsBound() {
        // retainedBytes 0: the allocation bound is what holds the hoarder
        var bounded = new SandboxLimits(64 * 1024, 1024 * 1024, 8, 0, 0, 0, 0, 32L * 1024 * 1024, 0);
        List<Integer> held = new ArrayList<>();
        List<Boolean> cold = new ArrayList<>();
        try (FunctionSandbox sandbox = new FunctionSandbox(engine, watchdog, bounded)) {
            var f = fn(CodeStyle.HANDLER, HOARDER, 10_000);
            for (int i = 0; i < 30; i++) {
                RunOutcome out = run(sandbox, f, "null");
                assertThat(out.status()).as("%s", out.error()).isEqualTo(ExecutionStatus.SUCCEEDED);
                held.add(Integer.parseInt(out.outputJson()));
                cold.add(out.coldStart());
            }
            assertThat(sandbox.recycled()).isGreaterThanOrEqualTo(3);
            assertThat(sandbox.retainedMeasures()).isZero();
        }
        // never much more than 32 MiB of it (the run that passes it is the context's last: 9 runs of 3.8 MiB); each
        // fresh context starts from one again, with a cold start
        assertThat(held).allSatisfy(n -> assertThat(n).isBetween(1, 9)).contains(1, 9);
        for (int i = 1; i < held.size(); i++) {
            assertThat(cold.get(i)).as("run %d", i).isEqualTo(held.get(i) == 1);
        }

        // without either bound the same function holds all it ever made
        var unbounded = new SandboxLimits(64 * 1024, 1024 * 1024, 8, 0, 0, 0, 0, 0, 0);
        try (FunctionSandbox sandbox = new FunctionSandbox(engine, watchdog, unbounded)) {
            var f = fn(CodeStyle.HANDLER, HOARDER, 10_000);
            String last = null;
            for (int i = 0; i < 12; i++) {
                last = run(sandbox, f, "null").outputJson();
            }
            assertThat(last).isEqualTo("12");
        }
    }

    @Test
    void aContextIsReplacedAfterItsNumberOfRuns() {
        var limits = new SandboxLimits(64 * 1024, 1024 * 1024, 8, 0, 0, 0, 3, 0, 0);
        try (FunctionSandbox sandbox = new FunctionSandbox(engine, watchdog, limits)) {
            var counter = fn(CodeStyle.HANDLER, "let runs = 0; function handler() { return ++runs; }", 5_000);
            List<String> outputs = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                outputs.add(run(sandbox, counter, "null").outputJson());
            }
            assertThat(outputs).containsExactly("1", "2", "3", "1", "2", "3", "1");
        }
    }

    @Test
    void churningShortLivedGarbageIsNotAMemoryBomb() {
        // a busy loop allocates hundreds of MB a second that the GC takes back at once
        var limits = new SandboxLimits(64 * 1024, 1024 * 1024, 8, 0, 0, 16L * 1024 * 1024);
        try (FunctionSandbox sandbox = new FunctionSandbox(engine, watchdog, limits)) {
            var churn = fn(CodeStyle.BODY, """
                    const end = Date.now() + 500; let n = 0;
                    while (Date.now() < end) { n += [n, n + 1].length; }
                    return n > 0;""", 5_000);
            RunOutcome out = run(sandbox, churn, "null");
            assertThat(out.status()).as("%s", out.error()).isEqualTo(ExecutionStatus.SUCCEEDED);
        }
    }

    @Test
    void theStatementLimitCountsPerInvocation() {
        var limits = new SandboxLimits(64 * 1024, 1024 * 1024, 8, 0, 20_000, 0);
        try (FunctionSandbox sandbox = new FunctionSandbox(engine, watchdog, limits)) {
            var spinner = fn(CodeStyle.BODY, "let i = 0; while (true) { i++; }", 10_000);
            RunOutcome out = run(sandbox, spinner, "null");
            assertThat(out.error().type()).isEqualTo(ErrorType.LIMIT_EXCEEDED);
            assertThat(out.error().message()).contains("statements");

            // 5,000 statements a call: five calls are 25,000 in all, but each stays under the limit
            var modest = fn(CodeStyle.BODY, "let n = 0; for (let i = 0; i < 5000; i++) { n += i; } return n;");
            for (int call = 0; call < 5; call++) {
                RunOutcome ok = run(sandbox, modest, "null");
                assertThat(ok.status()).as("call %d: %s", call, ok.error()).isEqualTo(ExecutionStatus.SUCCEEDED);
            }
        }
    }

    @Test
    void evalAndFunctionConstructorsReachNothingOfTheHost() {
        try (FunctionSandbox sandbox = sandbox()) {
            var f = fn(CodeStyle.BODY, """
                    const g1 = Function('return this')();
                    const g2 = (0, eval)('this');
                    return [typeof g1.Java, typeof g2.Polyglot, Object.keys(g1.process).join(), typeof g2.require,
                            (0, eval)('typeof Java'), typeof g1.load];""");
            RunOutcome out = run(sandbox, f, "null");
            assertThat(out.outputJson()).isEqualTo(
                    "[\"undefined\",\"undefined\",\"env\",\"undefined\",\"undefined\",\"undefined\"]");
        }
    }

    @Test
    void stateDoesNotLeakBetweenFunctions() {
        try (FunctionSandbox sandbox = sandbox()) {
            var polluter = fn(CodeStyle.BODY, "Object.prototype.polluted = 'yes'; globalThis.shared = 1; return 1;");
            var victim = fn(CodeStyle.BODY, "return [({}).polluted === undefined, typeof shared];");
            run(sandbox, polluter, "null");
            assertThat(run(sandbox, victim, "null").outputJson()).isEqualTo("[true,\"undefined\"]");
        }
    }

    @Test
    void ordinaryRecursionFitsAndRunawayRecursionIsAnError() throws Exception {
        // executor instances run on threads with a large stack, as here
        var task = new java.util.concurrent.FutureTask<Void>(this::recursion, null);
        Thread thread = new Thread(null, task, "big-stack", SandboxLimits.defaults().stackBytes());
        thread.start();
        task.get();
    }

    private void recursion() {
        try (FunctionSandbox sandbox = sandbox()) {
            var deep = fn(CodeStyle.BODY, "function d(n) { return n === 0 ? 0 : 1 + d(n - 1); } return d(input);");
            RunOutcome ok = run(sandbox, deep, "5000");
            assertThat(ok.outputJson()).as("%s", ok.error()).isEqualTo("5000");
            // filling a 16 MiB stack in the interpreter takes seconds on a busy machine: the bound here is the
            // stack, not the wall clock, so the run gets a timeout it cannot reach
            var runaway = fn(CodeStyle.BODY, "function r() { return r() + 1; } return r();", 60_000);
            RunOutcome out = run(sandbox, runaway, "null");
            assertThat(out.status()).isEqualTo(ExecutionStatus.FAILED);
            assertThat(out.error().name()).isEqualTo("RangeError");
        }
    }
}
