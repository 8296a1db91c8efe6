// timers: thin public faces over the guest event loop (internal/loop.js).
"use strict";

const loop = require("../internal/loop.js");

const setTimeout = (fn, ms, ...args) => loop.addTimer(fn, ms, args, false);
const setInterval = (fn, ms, ...args) => loop.addTimer(fn, ms, args, true);
const setImmediate = (fn, ...args) => loop.addImmediate(fn, args);
const clearTimeout = (t) => loop.clearTimer(t);
const clearInterval = (t) => loop.clearTimer(t);
const clearImmediate = (t) => loop.clearTimer(t);

function abortError(signal) {
  const err = new Error("The operation was aborted");
  err.name = "AbortError";
  err.code = "ABORT_ERR";
  if (signal && signal.reason !== undefined) err.cause = signal.reason;
  return err;
}

/** A promise settled by a timer, rejected with AbortError when options.signal aborts; ref honoured. */
function abortable(options, start) {
  const o = options || {};
  const signal = o.signal;
  if (signal && signal.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const handle = start(resolve);
    if (o.ref === false && handle.unref) handle.unref();
    if (signal) {
      signal.addEventListener("abort", () => {
        loop.clearTimer(handle);
        reject(abortError(signal));
      }, { once: true });
    }
  });
}

const promises = {
  setTimeout: (ms, value, options) => abortable(options, (resolve) => loop.addTimer(() => resolve(value), ms, [], false)),
  setImmediate: (value, options) => abortable(options, (resolve) => loop.addImmediate(() => resolve(value), [])),
  async *setInterval(ms, value) {
    while (true) yield await new Promise((resolve) => loop.addTimer(() => resolve(value), ms, [], false));
  },
  scheduler: { wait: (ms) => new Promise((resolve) => loop.addTimer(resolve, ms, [], false)), yield: () => new Promise((r) => loop.addImmediate(r, [])) },
};

// util.promisify(setTimeout)(ms, value) resolves with value, as in Node.
Object.defineProperty(setTimeout, Symbol.for("nodejs.util.promisify.custom"), { value: promises.setTimeout });
Object.defineProperty(setImmediate, Symbol.for("nodejs.util.promisify.custom"), { value: promises.setImmediate });

module.exports = { setTimeout, setInterval, setImmediate, clearTimeout, clearInterval, clearImmediate, promises };
