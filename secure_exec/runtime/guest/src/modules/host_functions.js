// "secure-exec:host": the host functions this plugin was granted, as one frozen object.
//
//   import host from "secure-exec:host";
//   host.functions.lookup("x")        // sync host function -> value; async one -> Promise
//   host.call("lookup", "x")          // the same by name; refused names throw EACCES
//
// Every call is checked and audited by the host; arguments and results are plain JSON values.
"use strict";

const host = require("../internal/host.js");

let table = null;

function info() {
  if (table === null) {
    const res = host.call("hostfn.names", {}) || {};
    table = { names: Array.isArray(res.names) ? res.names : [], async: new Set(Array.isArray(res.async) ? res.async : []) };
  }
  return table;
}

function call(name, ...args) {
  const n = String(name);
  if (info().async.has(n)) return callAsync(n, ...args);
  return host.call("hostfn.call", { name: n, args }, { syscall: "hostcall", path: n }).value;
}

function callAsync(name, ...args) {
  const n = String(name);
  return host.start("hostfn.start", { name: n, args }, { syscall: "hostcall", path: n }).then((r) => r.value);
}

let functions = null;

module.exports = Object.freeze({
  call,
  callAsync,
  get names() { return info().names.slice(); },
  get functions() {
    if (functions === null) {
      const o = Object.create(null);
      for (const n of info().names) o[n] = (...args) => call(n, ...args);
      functions = Object.freeze(o);
    }
    return functions;
  },
});
