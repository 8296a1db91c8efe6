// timers: thin public faces over the guest event loop (internal/loop.js).
"use strict";

const loop = require("../internal/loop.js");

const setTimeout = (fn, ms, ...args) => loop.addTimer(fn, ms, args, false);
const setInterval = (fn, ms, ...args) => loop.addTimer(fn, ms, args, true);
const setImmediate = (fn, ...args) => loop.addImmediate(fn, args);
const clearTimeout = (t) => loop.clearTimer(t);
const clearInterval = (t) => loop.clearTimer(t);
const clearImmediate = (t) => loop.clearTimer(t);

const promises = {
  setTimeout: (ms, value) => new Promise((resolve) => loop.addTimer(() => resolve(value), ms, [], false)),
  setImmediate: (value) => new Promise((resolve) => loop.addImmediate(() => resolve(value), [])),
  async *setInterval(ms, value) {
    while (true) yield await new Promise((resolve) => loop.addTimer(() => resolve(value), ms, [], false));
  },
  scheduler: { wait: (ms) => new Promise((resolve) => loop.addTimer(resolve, ms, [], false)), yield: () => new Promise((r) => loop.addImmediate(r, [])) },
};

// util.promisify(setTimeout)(ms, value) resolves with value, as in Node.
Object.defineProperty(setTimeout, Symbol.for("nodejs.util.promisify.custom"), { value: promises.setTimeout });
Object.defineProperty(setImmediate, Symbol.for("nodejs.util.promisify.custom"), { value: promises.setImmediate });

module.exports = { setTimeout, setInterval, setImmediate, clearTimeout, clearInterval, clearImmediate, promises };
