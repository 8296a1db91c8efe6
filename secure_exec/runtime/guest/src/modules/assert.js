// assert: a small own implementation (the npm `assert` package drags in a util polyfill and
// Node-internal shims); covers the API plugins use, with Node's AssertionError shape.
"use strict";

const { inspect } = require("./util.js");

class AssertionError extends Error {
  constructor(options) {
    const o = options || {};
    super(o.message !== undefined ? String(o.message) : `${inspect(o.actual)} ${o.operator} ${inspect(o.expected)}`);
    this.name = "AssertionError";
    this.code = "ERR_ASSERTION";
    this.actual = o.actual;
    this.expected = o.expected;
    this.operator = o.operator;
    this.generatedMessage = o.message === undefined;
  }
}

function fail(actual, expected, message, operator) {
  if (message instanceof Error) throw message;
  throw new AssertionError({ actual, expected, message, operator });
}

function deepEqualImpl(a, b, strict, memo) {
  if (strict ? Object.is(a, b) : a == b || (a !== a && b !== b)) return true; // eslint-disable-line eqeqeq
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
    return false;
  }
  if (strict && Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const tag = Object.prototype.toString.call(a);
  if (tag !== Object.prototype.toString.call(b)) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (a instanceof Date) return a.getTime() === b.getTime();
  if (a instanceof RegExp) return String(a) === String(b) && a.lastIndex === b.lastIndex;
  if (a instanceof Error && (a.message !== b.message || a.name !== b.name)) return false;
  if (ArrayBuffer.isView(a)) {
    if (a.byteLength !== b.byteLength) return false;
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  }
  if ((a instanceof Number || a instanceof String || a instanceof Boolean) && !Object.is(a.valueOf(), b.valueOf())) return false;
  memo = memo || { a: [], b: [] };
  const i = memo.a.indexOf(a);
  if (i !== -1 && memo.b[i] === b) return true;
  memo.a.push(a);
  memo.b.push(b);
  try {
    if (a instanceof Map) {
      if (a.size !== b.size) return false;
      for (const [k, v] of a) if (!b.has(k) || !deepEqualImpl(v, b.get(k), strict, memo)) return false;
    } else if (a instanceof Set) {
      if (a.size !== b.size) return false;
      outer: for (const v of a) {
        if (b.has(v)) continue;
        if (typeof v === "object" && v !== null) {
          for (const w of b) if (deepEqualImpl(v, w, strict, memo)) continue outer;
        }
        return false;
      }
    }
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    for (const k of ka) {
      if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
      if (!deepEqualImpl(a[k], b[k], strict, memo)) return false;
    }
    if (strict) {
      const sa = Object.getOwnPropertySymbols(a).filter((s) => Object.prototype.propertyIsEnumerable.call(a, s));
      const sb = Object.getOwnPropertySymbols(b).filter((s) => Object.prototype.propertyIsEnumerable.call(b, s));
      if (sa.length !== sb.length) return false;
      for (const s of sa) if (!deepEqualImpl(a[s], b[s], strict, memo)) return false;
    }
    return true;
  } finally {
    memo.a.pop();
    memo.b.pop();
  }
}

function matchesExpected(err, expected, message) {
  if (expected === undefined) return;
  if (typeof expected === "function") {
    if (expected.prototype !== undefined && err instanceof expected) return;
    if (Error.isPrototypeOf(expected) || expected === Error) throw err;
    if (expected.call({}, err) === true) return;
    fail(err, expected, message || "The validation function is expected to return \"true\". Received false", "throws");
  }
  if (expected instanceof RegExp) {
    if (expected.test(String(err))) return;
    fail(err, expected, message || `The input did not match the regular expression ${expected}. Input:\n\n${inspect(String(err))}\n`, "throws");
  }
  if (typeof expected === "object" && expected !== null) {
    for (const k of Object.keys(expected)) {
      const want = expected[k];
      const got = err == null ? undefined : err[k];
      const ok = want instanceof RegExp && typeof got === "string" ? want.test(got) : deepEqualImpl(got, want, true);
      if (!ok) fail(err, expected, message || `Expected values to be strictly deep-equal: property '${k}' is ${inspect(got)}, expected ${inspect(want)}`, "throws");
    }
  }
}

function ok(value, message) {
  if (!value) fail(value, true, message === undefined && arguments.length === 0 ? "No value argument passed to `assert.ok()`" : message === undefined ? "The expression evaluated to a falsy value:\n\n  assert(" + inspect(value) + ")\n" : message, "==");
}

function assert(value, message) { ok.apply(null, arguments); }

Object.assign(assert, {
  ok,
  AssertionError,
  fail: (message) => fail(undefined, undefined, message === undefined ? "Failed" : message, "fail"),
  equal: (a, b, m) => { if (!(a == b || (a !== a && b !== b))) fail(a, b, m, "=="); }, // eslint-disable-line eqeqeq
  notEqual: (a, b, m) => { if (a == b || (a !== a && b !== b)) fail(a, b, m, "!="); }, // eslint-disable-line eqeqeq
  strictEqual: (a, b, m) => { if (!Object.is(a, b)) fail(a, b, m === undefined ? `Expected values to be strictly equal:\n\n${inspect(a)} !== ${inspect(b)}\n` : m, "strictEqual"); },
  notStrictEqual: (a, b, m) => { if (Object.is(a, b)) fail(a, b, m === undefined ? `Expected "actual" to be strictly unequal to: ${inspect(b)}` : m, "notStrictEqual"); },
  deepEqual: (a, b, m) => { if (!deepEqualImpl(a, b, false)) fail(a, b, m === undefined ? `Expected values to be loosely deep-equal:\n\n${inspect(a)}\n\nshould loosely deep-equal\n\n${inspect(b)}` : m, "deepEqual"); },
  notDeepEqual: (a, b, m) => { if (deepEqualImpl(a, b, false)) fail(a, b, m, "notDeepEqual"); },
  deepStrictEqual: (a, b, m) => { if (!deepEqualImpl(a, b, true)) fail(a, b, m === undefined ? `Expected values to be strictly deep-equal:\n${inspect(a)}\n\nshould equal\n\n${inspect(b)}` : m, "deepStrictEqual"); },
  notDeepStrictEqual: (a, b, m) => { if (deepEqualImpl(a, b, true)) fail(a, b, m, "notDeepStrictEqual"); },
  throws(fn, expected, message) {
    if (typeof expected === "string") { message = expected; expected = undefined; }
    try { fn(); } catch (err) { matchesExpected(err, expected, message); return; }
    fail(undefined, expected, message === undefined ? "Missing expected exception." : message, "throws");
  },
  doesNotThrow(fn, expected, message) {
    try { fn(); } catch (err) { fail(err, expected, typeof expected === "string" ? expected : message === undefined ? `Got unwanted exception.\nActual message: "${err && err.message}"` : message, "doesNotThrow"); }
  },
  async rejects(p, expected, message) {
    if (typeof expected === "string") { message = expected; expected = undefined; }
    try { await (typeof p === "function" ? p() : p); } catch (err) { matchesExpected(err, expected, message); return; }
    fail(undefined, expected, message === undefined ? "Missing expected rejection." : message, "rejects");
  },
  async doesNotReject(p, message) {
    try { await (typeof p === "function" ? p() : p); } catch (err) { fail(err, undefined, message === undefined ? `Got unwanted rejection.\nActual message: "${err && err.message}"` : message, "doesNotReject"); }
  },
  match: (s, re, m) => { if (!re.test(s)) fail(s, re, m === undefined ? `The input did not match the regular expression ${re}. Input:\n\n${inspect(s)}\n` : m, "match"); },
  doesNotMatch: (s, re, m) => { if (re.test(s)) fail(s, re, m === undefined ? `The input was expected to not match the regular expression ${re}. Input:\n\n${inspect(s)}\n` : m, "doesNotMatch"); },
  ifError: (v) => { if (v !== null && v !== undefined) throw v instanceof Error ? v : new AssertionError({ message: `ifError got unwanted exception: ${inspect(v)}`, actual: v, operator: "ifError" }); },
});
/** assert/strict: the same API where the loose comparisons are the strict ones. */
function strict(value, message) { ok.apply(null, arguments); }
Object.assign(strict, assert, {
  equal: assert.strictEqual, notEqual: assert.notStrictEqual,
  deepEqual: assert.deepStrictEqual, notDeepEqual: assert.notDeepStrictEqual,
});
strict.strict = strict;
assert.strict = strict;
Object.defineProperty(assert, "deepEqualImpl", { value: deepEqualImpl, enumerable: false });

module.exports = assert;
