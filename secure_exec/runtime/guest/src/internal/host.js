// The one door to the host. The raw primitive is captured here once; the bundle then deletes the
// globals so user code can never call it directly. Every module goes through call()/start().
//
// Two engine contracts are accepted (see docs/bridge-ops.md):
//   A. globalThis.__se_hostcall(op, args) -> value (throws the host's error); the shim owns
//      __se_settle and allocates async ids itself;
//   B. globalThis.__secure_exec_bridge {call(op, args), defer() -> {id, promise}} from 00-core.js,
//      which owns __se_settle; async ids come from defer().
// Either way every async start op carries the guest-chosen `id` in its args, and the host settles it.
"use strict";

const { fromWire } = require("./errors.js");
const loop = require("./loop.js");

let raw = null;
let defer = null;
let engine = {}; // compileScript / loadModuleSync from 00-core.js, when the engine provides them

function install(g) {
  const bridge = g.__secure_exec_bridge;
  if (typeof g.__se_hostcall === "function") {
    raw = g.__se_hostcall;
  } else if (bridge && typeof bridge.call === "function") {
    raw = bridge.call;
    if (typeof bridge.defer === "function") defer = bridge.defer;
    engine = { compileScript: bridge.compileScript, loadModuleSync: bridge.loadModuleSync };
  } else {
    throw new Error("secure_exec guest: no host bridge (__se_hostcall or __secure_exec_bridge) found");
  }
}

/** The engine's CommonJS-loader primitives (undefined under a JS-only test host). */
function enginePrimitive(name) { return typeof engine[name] === "function" ? engine[name] : undefined; }

/** True when the engine (00-core.js) owns __se_settle; then the shim must not define it. */
function engineOwnsSettle() { return defer !== null; }

/** Synchronous host call. Host errors become Node-shaped Errors (defaults fill syscall/path). */
function call(op, args, defaults) {
  if (raw === null) throw new Error("secure_exec guest: host bridge not installed");
  try {
    return raw(op, args || {});
  } catch (e) {
    throw fromWire(e, defaults);
  }
}

/**
 * Asynchronous host operation (op name ends in ".start"): the guest picks the id, passes it as
 * args.id, the host answers {id} at once and later calls __se_settle(id, ok, value).
 * The returned promise keeps the run alive (__se_pending) until it settles.
 */
function start(op, args, defaults) {
  let id;
  let promise;
  if (defer !== null) {
    const d = defer();
    id = d.id;
    promise = d.promise;
  } else {
    id = loop.newOpId();
    promise = loop.awaitOp(id);
  }
  loop.trackOp(id, promise);
  try {
    call(op, Object.assign({}, args, { id }), defaults);
  } catch (err) {
    loop.untrackOp(id);
    promise.catch(() => {});
    throw err;
  }
  return promise.then(
    (v) => v,
    (e) => { throw fromWire(e, defaults); },
  );
}

module.exports = { install, call, start, engineOwnsSettle, enginePrimitive };
