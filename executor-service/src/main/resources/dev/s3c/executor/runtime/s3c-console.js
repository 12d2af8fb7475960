// The console as Node's formats what it is given (GraalJS's own prints an object as [object Object]):
// printf-style %s %d %i %f %j %o %O %c %% in a first string (%o as %O), other values inspected on one line
// ({ a: 1, b: [ 'x' ] }, Map(1) { 'k' => 1 }, [Function: f], an error's stack), nested two levels deep, arrays, maps
// and sets 100 items wide, strings cut at 10,000 characters, as Node's defaults are, without calling getters. The
// work per call is bounded: what it builds is cut at MAX_FORMATTED characters, and the rest is not looked at.
// Evaluated in each context before user code (FunctionSandbox). The formatter is made at the first call that needs
// it (setting up the intrinsics it uses is slow in a new context while the JVM is cold), so a function that patches
// the intrinsics before it logs breaks only its own console.
(function () {
  'use strict';
  const c = globalThis.console;
  if (!c) return;
  // the formatter is made at the first call: a context whose function never logs pays nothing for it
  let format = null;
  const MAX_FORMATTED = 100000;
  const applyOnce = Reflect.apply;
  const originals = { log: c.log, info: c.info, debug: c.debug, warn: c.warn, error: c.error };
  for (const method in originals) {
    const original = originals[method];
    if (typeof original === 'function') {
      c[method] = function (...args) {
        // a line of text as it is: most logging, and no formatter made for it
        applyOnce(original, c, [args.length === 1 && typeof args[0] === 'string' && args[0].length <= MAX_FORMATTED
            ? args[0] : (format || (format = formatter()))(args)]);
      };
    }
  }
  const log = c.log;
  c.dir = function (v) { log('%O', v); };
  // as Node's: the first argument made text, the rest formatted with it, as a warning
  c.assert = function (condition, ...args) {
    if (!condition) {
      args[0] = 'Assertion failed' + (args.length === 0 ? '' : ': ' + String(args[0]));
      c.warn(...args);
    }
  };
  function formatter() {
    const apply = Reflect.apply, ownKeys = Reflect.ownKeys, describe = Object.getOwnPropertyDescriptor;
    const protoOf = Object.getPrototypeOf, isArray = Array.isArray, isView = ArrayBuffer.isView;
    const stringify = JSON.stringify, toStr = String, toNumber = Number, is = Object.is;
    const fnSource = Function.prototype.toString, isNaNValue = Number.isNaN;
    const dateTime = Date.prototype.getTime, dateIso = Date.prototype.toISOString;
    const mapEntries = Map.prototype.entries, setValues = Set.prototype.values;
    const mapSize = describe(Map.prototype, 'size').get, setSize = describe(Set.prototype, 'size').get;
    const MAX_ITEMS = 100, MAX_DEPTH = 2, MAX_STRING = 10000;
    const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/, INDEX = /^(0|[1-9][0-9]*)$/;
    const OURS = /^\s*at .*s3c-[a-z]+\.js/;
    const ESCAPES = { '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r' };
    // what this call may still build; saved and restored around a call made while formatting
    let left = 0;
    function more(count, what) {
      return '... ' + count + ' more ' + what + (count > 1 ? 's' : '');
    }
    function cut(text) {
      return text.length > MAX_STRING ? text.slice(0, MAX_STRING) + more(text.length - MAX_STRING, 'character') : text;
    }
    function quote(text) {
      const over = text.length - MAX_STRING;
      if (over > 0) text = text.slice(0, MAX_STRING);
      // as Node picks: single quotes, else double, else backticks, else single with escapes
      const q = !text.includes("'") ? "'" : !text.includes('"') ? '"'
          : !text.includes('`') && !text.includes('${') ? '`' : "'";
      text = text.replace(/\\/g, '\\\\').replace(/[\x00-\x1f\x7f]/g, ch => ESCAPES[ch]
          || '\\x' + ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
      return q + (q === "'" ? text.replace(/'/g, "\\'") : text) + q + (over > 0 ? more(over, 'character') : '');
    }
    function key(k) {
      return typeof k === 'symbol' ? '[' + cut(toStr(k)) + ']' : IDENTIFIER.test(k) ? cut(k) : quote(k);
    }
    function constructorName(v) {
      const proto = protoOf(v);
      if (proto === null) return null;
      const d = describe(proto, 'constructor');
      return d && typeof d.value === 'function' && typeof d.value.name === 'string' && cut(d.value.name) || 'Object';
    }
    function stackOf(e) {
      const stack = typeof e.stack === 'string' && e.stack ? e.stack : toStr(e.name) + ': ' + toStr(e.message);
      return cut(stack.split('\n').filter(line => !OURS.test(line)).join('\n'));
    }
    function braces(prefix, open, parts, close) {
      return parts.length ? prefix + open + ' ' + parts.join(', ') + ' ' + close : prefix + open + close;
    }
    /** A value's text costs its length once: what its parts cost while it was built is replaced by that. */
    function inspect(v, depth, seen) {
      if (left <= 0) return '...';
      const before = left;
      const shown = describeValue(v, depth, seen);
      left = before - shown.length;
      return shown;
    }
    /** The next index at or after i that the array holds, else n: without walking a long run of holes. */
    function present(v, i, n, sparse) {
      for (const end = Math.min(n, i + 1000); i < end; i++) {
        if (i in v) return i;
      }
      if (i >= n) return n;
      if (sparse.indices === null) {
        // own keys list an array's indices first, in ascending order
        sparse.indices = [];
        const keys = ownKeys(v);
        // walking them costs too, however little of it is shown
        left -= keys.length;
        for (const k of keys) {
          if (typeof k !== 'string' || !INDEX.test(k)) break;
          sparse.indices.push(toNumber(k));
        }
      }
      const indices = sparse.indices;
      let low = 0, high = indices.length;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if (indices[mid] < i) low = mid + 1; else high = mid;
      }
      return low < indices.length && indices[low] < n ? indices[low] : n;
    }
    function shownValue(d, depth, seen) {
      return 'value' in d ? inspect(d.value, depth + 1, seen)
          : d.get && d.set ? '[Getter/Setter]' : d.get ? '[Getter]' : '[Setter]';
    }
    function property(v, i, depth, seen) {
      const d = describe(v, i);
      return d ? shownValue(d, depth, seen) : inspect(undefined, depth + 1, seen);
    }
    function describeValue(v, depth, seen) {
      switch (typeof v) {
        case 'string': return quote(v);
        case 'number': return is(v, -0) ? '-0' : toStr(v);
        case 'bigint': return toStr(v) + 'n';
        case 'boolean': case 'undefined': return toStr(v);
        case 'symbol': return cut(toStr(v));
        case 'function': {
          const name = typeof v.name === 'string' && v.name ? cut(v.name) : '';
          if (apply(fnSource, v, []).startsWith('class')) return '[class ' + (name || '(anonymous)') + ']';
          const kind = constructorName(v);
          return '[' + (kind === 'AsyncFunction' || kind === 'GeneratorFunction' || kind === 'AsyncGeneratorFunction'
              ? kind : 'Function') + (name ? ': ' + name : ' (anonymous)') + ']';
        }
      }
      if (v === null) return 'null';
      if (seen.includes(v)) return '[Circular]';
      if (v instanceof Error) return depth === 0 ? stackOf(v) : '[' + cut(toStr(v.name) + ': ' + toStr(v.message)) + ']';
      if (v instanceof Date) {
        // an object that only inherits from Date is shown as an object
        try {
          const time = apply(dateTime, v, []);
          return isNaNValue(time) ? 'Invalid Date' : apply(dateIso, v, []);
        } catch (notADate) {
          // shown as an object below
        }
      }
      if (v instanceof RegExp) return cut(toStr(v));
      const name = constructorName(v);
      if (depth > MAX_DEPTH) return '[' + (isArray(v) ? 'Array' : name || 'Object') + ']';
      seen.push(v);
      try {
        const parts = [];
        if (isArray(v) || (isView(v) && !(v instanceof DataView))) {
          const n = v.length, sparse = { indices: null };
          let i = 0;
          while (i < n && parts.length < MAX_ITEMS && left > 0) {
            const next = isArray(v) ? present(v, i, n, sparse) : i;
            if (next > i) {
              parts.push('<' + (next - i) + ' empty item' + (next - i > 1 ? 's>' : '>'));
              i = next;
            } else {
              parts.push(isArray(v) ? property(v, i, depth, seen) : inspect(v[i], depth + 1, seen));
              left -= 2;
              i++;
            }
          }
          if (i < n) parts.push(more(n - i, 'item'));
          return braces(isArray(v) && name === 'Array' ? '' : name + '(' + n + ') ', '[', parts, ']');
        }
        let size = -1;
        const map = v instanceof Map;
        if (map || v instanceof Set) {
          try {
            size = apply(map ? mapSize : setSize, v, []);
          } catch (notAMapOrSet) {
            // one that only inherits from Map or Set (a proxy of one) is shown as an object below
          }
        }
        if (size >= 0) {
          for (const entry of apply(map ? mapEntries : setValues, v, [])) {
            if (parts.length === MAX_ITEMS || left <= 0) break;
            parts.push(map ? inspect(entry[0], depth + 1, seen) + ' => ' + inspect(entry[1], depth + 1, seen)
                : inspect(entry, depth + 1, seen));
          }
          if (parts.length < size) parts.push(more(size - parts.length, 'item'));
          return braces(name + '(' + size + ') ', '{', parts, '}');
        }
        for (const k of ownKeys(v)) {
          if (left <= 0) {
            parts.push('...');
            break;
          }
          // a key not shown costs its walk
          left--;
          const d = describe(v, k);
          if (!d || !d.enumerable) continue;
          const shown = key(k) + ': ';
          left -= shown.length + 2;
          parts.push(shown + shownValue(d, depth, seen));
        }
        const prefix = name === 'Object' ? '' : name === null ? '[Object: null prototype] ' : name + ' ';
        return braces(prefix, '{', parts, '}');
      } finally {
        seen.pop();
      }
    }
    function json(v) {
      try {
        return toStr(stringify(v));
      } catch (e) {
        if (e instanceof TypeError && /circular/i.test(e.message)) return '[Circular]';
        throw e;
      }
    }
    /** As Node's %s: an object with a toString of its own as that gives it, an error as its stack. */
    function asString(a) {
      if (typeof a === 'bigint') return toStr(a) + 'n';
      if (typeof a === 'number') return is(a, -0) ? '-0' : toStr(a);
      if (typeof a !== 'object' || a === null) return toStr(a);
      if (a instanceof Error) return stackOf(a);
      const own = a.toString;
      if (typeof own === 'function' && !apply(fnSource, own, []).includes('[native code]')) return toStr(a);
      return inspect(a, MAX_DEPTH, []);
    }
    function asNumber(a, parse) {
      if (typeof a === 'bigint' && parse !== parseFloat) return toStr(a) + 'n';
      if (typeof a === 'symbol') return 'NaN';
      const n = parse(a);
      return is(n, -0) ? '-0' : toStr(n);
    }
    /** The line, and whether it was cut: each piece is fitted in, and none is made once it is full. */
    function formatted(args) {
      let out = '', i = 0, produced = 0, wasCut = false;
      const fit = make => {
        if (produced >= MAX_FORMATTED) {
          wasCut = true;
          return '';
        }
        let text = make();
        if (text.length > MAX_FORMATTED - produced) {
          text = text.slice(0, MAX_FORMATTED - produced);
          wasCut = true;
        }
        produced += text.length;
        return text;
      };
      if (typeof args[0] === 'string') {
        i = 1;
        out = args.length === 1 ? fit(() => args[0]) : args[0].replace(/%([sdifjoOc%])/g, (spec, type) => {
          if (type === '%') return '%';
          if (i >= args.length) return spec;
          const a = args[i++];
          switch (type) {
            case 's': return fit(() => asString(a));
            case 'd': return fit(() => asNumber(a, toNumber));
            case 'i': return fit(() => asNumber(a, parseInt));
            case 'f': return fit(() => asNumber(a, parseFloat));
            case 'j': return fit(() => json(a));
            case 'c': return '';
            default: return fit(() => inspect(a, 0, []));
          }
        });
      }
      for (; i < args.length && !wasCut; i++) {
        const a = args[i];
        out += (i === 0 ? '' : ' ') + fit(() => typeof a === 'string' ? a : inspect(a, 0, []));
      }
      if (out.length > MAX_FORMATTED) {
        out = out.slice(0, MAX_FORMATTED);
        wasCut = true;
      }
      return wasCut ? out + ' ... [cut at ' + MAX_FORMATTED + ' characters]' : out;
    }
    return function format(args) {
      const outer = left;
      left = MAX_FORMATTED;
      try {
        return formatted(args);
      } finally {
        left = outer;
      }
    };
  }
})()
