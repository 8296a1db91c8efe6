// structuredClone: QuickJS has none. The HTML structured-clone algorithm for the value types plugins
// actually pass around; functions, symbols and host objects throw DataCloneError.
"use strict";

function dataCloneError(what) {
  const err = new Error(`${what} could not be cloned.`);
  err.name = "DataCloneError";
  err.code = 25;
  return err;
}

const ERRORS = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };

function structuredClone(value, options) {
  void options; // transfer lists are accepted and ignored: there is only one realm
  const memo = new Map();
  const clone = (v) => {
    if (typeof v === "function") throw dataCloneError(Function.prototype.toString.call(v).slice(0, 40));
    if (typeof v === "symbol") throw dataCloneError(v.toString());
    if (v === null || typeof v !== "object") return v;
    if (memo.has(v)) return memo.get(v);
    let out;
    const tag = Object.prototype.toString.call(v);
    if (tag === "[object Date]") out = new Date(v.getTime());
    else if (tag === "[object RegExp]") out = new RegExp(v.source, v.flags);
    else if (tag === "[object Boolean]") out = Object(Boolean.prototype.valueOf.call(v));
    else if (tag === "[object Number]") out = Object(Number.prototype.valueOf.call(v));
    else if (tag === "[object String]") out = Object(String.prototype.valueOf.call(v));
    else if (tag === "[object BigInt]") out = Object(BigInt.prototype.valueOf.call(v));
    else if (v instanceof ArrayBuffer) out = v.slice(0);
    else if (ArrayBuffer.isView(v)) {
      const buf = clone(v.buffer);
      const Ctor = v instanceof DataView ? DataView : Object.getPrototypeOf(Uint8Array.prototype).constructor && globalThis[Object.prototype.toString.call(v).slice(8, -1)];
      if (typeof Ctor !== "function") throw dataCloneError(tag);
      out = v instanceof DataView ? new DataView(buf, v.byteOffset, v.byteLength) : new Ctor(buf, v.byteOffset, v.length);
    } else if (v instanceof Map) {
      out = new Map();
      memo.set(v, out);
      for (const [k, x] of v) out.set(clone(k), clone(x));
      return out;
    } else if (v instanceof Set) {
      out = new Set();
      memo.set(v, out);
      for (const x of v) out.add(clone(x));
      return out;
    } else if (v instanceof Error) {
      const Ctor = ERRORS[v.name] || Error;
      out = new Ctor(v.message);
      memo.set(v, out);
      if (v.stack !== undefined) out.stack = String(v.stack);
      if ("cause" in v) out.cause = clone(v.cause);
      return out;
    } else if (Array.isArray(v)) {
      out = new Array(v.length);
      memo.set(v, out);
      for (const k of Object.keys(v)) out[k] = clone(v[k]);
      return out;
    } else if (tag === "[object Object]" || tag === "[object Arguments]") {
      out = {};
      memo.set(v, out);
      for (const k of Object.keys(v)) out[k] = clone(v[k]);
      return out;
    } else {
      throw dataCloneError(tag);
    }
    memo.set(v, out);
    return out;
  };
  return clone(value);
}

module.exports = { structuredClone };
