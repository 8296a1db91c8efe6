// The guest half of the event loop. QuickJS has no timers, so the queue lives here and the host
// drives it: __se_tick(now) runs what is due, __se_pending() says whether the run may end.
"use strict";


let now = 0; // host loop time (ms) as of the last tick, like libuv's cached uv_now
let clockKnown = false;
let nextTimerId = 1;
const timers = new Map(); // id -> Timeout
const immediates = [];
const ops = new Map(); // outstanding async host op id -> {ref}
const tickQueue = [];
let tickScheduled = false;
let exited = false;
let uncaughtHandler = null; // set by process: (err) => boolean handled

class Timeout {
  constructor(fn, delay, args, repeat) {
    this._id = nextTimerId++;
    this._fn = fn;
    this._args = args;
    this._delay = delay;
    this._repeat = repeat;
    this._due = now + delay;
    this._ref = true;
    this._seq = this._id;
  }
  ref() { this._ref = true; return this; }
  unref() { this._ref = false; return this; }
  hasRef() { return this._ref; }
  refresh() { this._due = now + this._delay; return this; }
  close() { timers.delete(this._id); return this; }
  [Symbol.toPrimitive]() { return this._id; }
}

class Immediate {
  constructor(fn, args) { this._fn = fn; this._args = args; this._ref = true; this._cleared = false; }
  ref() { this._ref = true; return this; }
  unref() { this._ref = false; return this; }
  hasRef() { return this._ref; }
}

function delayOf(ms) {
  const n = Number(ms);
  return Number.isFinite(n) && n >= 1 ? Math.min(Math.floor(n), 2147483647) : 1;
}

function checkFn(fn) {
  if (typeof fn !== "function") {
    const err = new TypeError(`The "callback" argument must be of type function. Received ${fn === null ? "null" : typeof fn}`);
    err.code = "ERR_INVALID_ARG_TYPE";
    throw err;
  }
}

let timerLimit; // undefined until first use: config().max_timers (absent = no guest-side cap)

function checkTimerBudget() {
  if (timerLimit === undefined) {
    const limit = require("./config.js").config().max_timers;
    timerLimit = Number.isInteger(limit) && limit >= 0 ? limit : null;
  }
  if (timerLimit !== null && timers.size >= timerLimit) {
    const err = new Error(`ERR_RESOURCE_BUDGET_EXCEEDED: maximum number of timers (${timerLimit}) exceeded`);
    err.code = "ERR_RESOURCE_BUDGET_EXCEEDED";
    throw err;
  }
}

function addTimer(fn, ms, args, repeat) {
  checkFn(fn);
  checkTimerBudget();
  const t = new Timeout(fn, delayOf(ms), args, repeat);
  if (!exited) timers.set(t._id, t);
  return t;
}

let running = null; // the one-shot Timeout whose callback is running (still active for Node until it returns)

function clearTimer(t) {
  if (t === null || t === undefined) return;
  if (t instanceof Immediate) { t._cleared = true; return; }
  const id = typeof t === "object" ? t._id : Number(t);
  if (running !== null && running._id === id) running._clearedWhileRunning = true;
  timers.delete(id);
}

/** process.getActiveResourcesInfo(): one "Timeout" per referenced active timer, one "Immediate" per
 * referenced immediate not yet run (Node lists libuv requests and handles first; the guest has none). */
function activeResources() {
  let timeouts = 0;
  for (const tm of timers.values()) if (tm._ref) timeouts++;
  if (running !== null && running._ref && !running._clearedWhileRunning && !timers.has(running._id)) timeouts++;
  let imms = 0;
  for (const im of immediates) if (im._ref && !im._cleared) imms++;
  for (const item of batch) if (item.immediate && item.immediate._ref && !item.immediate._cleared) imms++;
  return [...Array(timeouts).fill("Timeout"), ...Array(imms).fill("Immediate")];
}

function addImmediate(fn, args) {
  checkFn(fn);
  const im = new Immediate(fn, args);
  if (!exited) immediates.push(im);
  return im;
}

function invoke(fn, self, args) {
  try {
    fn.apply(self, args);
  } catch (err) {
    if (isExit(err) || !(uncaughtHandler && uncaughtHandler(err))) throw err;
  }
}

function runCallback(fn, self, args) {
  invoke(fn, self, args);
  // Node drains process.nextTick right after every macrotask, before promise jobs run.
  flushTicks();
}

function isExit(err) {
  return err !== null && typeof err === "object" && err.code === "ERR_PROCESS_EXIT" && err.name === "ProcessExit";
}

let flushing = false;

function flushTicks() {
  tickScheduled = false;
  if (flushing) return; // the outer loop picks up ticks queued by a tick
  flushing = true;
  try {
    while (tickQueue.length > 0 && !exited) {
      const [fn, args] = tickQueue.shift();
      invoke(fn, undefined, args);
    }
  } finally {
    flushing = false;
  }
}

function nextTick(fn, args) {
  checkFn(fn);
  if (exited) return;
  tickQueue.push([fn, args]);
  if (!tickScheduled) {
    tickScheduled = true;
    queueMicrotask(flushTicks);
  }
}

// One loop iteration's callbacks, snapshotted when it starts (like libuv: timers that become due
// and immediates queued while it runs wait for the next iteration).
let batch = [];

function buildBatch() {
  const due = [...timers.values()].filter((tm) => tm._due <= now).sort((a, b) => a._due - b._due || a._seq - b._seq);
  batch = due.map((tm) => ({ timer: tm, seq: tm._seq }));
  for (const im of immediates.splice(0, immediates.length)) batch.push({ immediate: im });
}

function stillValid(item) {
  if (item.timer) return timers.has(item.timer._id) && item.timer._seq === item.seq && item.timer._due <= now;
  return !item.immediate._cleared;
}

/**
 * Host entry: run the NEXT due callback at loop time `nowMs` (one per call, so the host drains
 * promise jobs between callbacks as Node does). Returns 0 when more callbacks are due now, else
 * the ms until the next timer, or -1 when no timer or immediate is left.
 */
function tick(nowMs) {
  const t = Number(nowMs);
  if (!Number.isFinite(t)) throw new TypeError("__se_tick(now_ms) needs a finite number");
  if (!clockKnown) {
    // Timers made before the first tick were relative to 0: rebase them on the host clock.
    clockKnown = true;
    for (const tm of timers.values()) tm._due += t;
  }
  if (t > now) now = t;
  if (exited) return -1;
  flushTicks();
  batch = batch.filter(stillValid);
  if (batch.length === 0) {
    buildBatch();
    batch = batch.filter(stillValid);
  }
  const item = batch.shift();
  if (item !== undefined) {
    if (item.timer) {
      const tm = item.timer;
      if (tm._repeat) {
        tm._due = now + tm._delay;
        tm._seq = nextTimerId++;
        runCallback(tm._fn, tm, tm._args);
      } else {
        timers.delete(tm._id);
        running = tm;
        try { runCallback(tm._fn, tm, tm._args); } finally { running = null; }
      }
    } else {
      runCallback(item.immediate._fn, item.immediate, item.immediate._args);
    }
  }
  batch = batch.filter(stillValid);
  if (batch.length > 0) return 0;
  // Only unref()'d timers left (or nothing): the loop may end now, as in Node.
  return pending() ? nextDelay() : -1;
}

function nextDelay() {
  if (exited) return -1;
  if (immediates.some((im) => !im._cleared)) return 0;
  let min = Infinity;
  for (const tm of timers.values()) if (tm._due < min) min = tm._due;
  return min === Infinity ? -1 : Math.max(0, min - now);
}

/** Host entry: is there referenced work left (timers, immediates, async host ops)? */
function pending() {
  if (exited) return false;
  for (const tm of timers.values()) if (tm._ref) return true;
  if (batch.some((item) => stillValid(item) && (item.timer ? item.timer._ref : item.immediate._ref))) return true;
  if (immediates.some((im) => im._ref && !im._cleared)) return true;
  for (const op of ops.values()) if (op.ref) return true;
  return tickQueue.length > 0;
}

let nextOpId = 1;
const waiters = new Map(); // id -> {resolve, reject}: only when the shim owns __se_settle

function newOpId() { return nextOpId++; }

function awaitOp(id) {
  return new Promise((resolve, reject) => { waiters.set(String(id), { resolve, reject }); });
}

/** Count an async op as outstanding work until its promise settles. */
function trackOp(id, promise) {
  const key = String(id);
  ops.set(key, { ref: true });
  promise.then(() => ops.delete(key), () => ops.delete(key));
}

function untrackOp(id) { ops.delete(String(id)); waiters.delete(String(id)); }

/** Host entry when the shim owns __se_settle. False for an unknown id (already settled or forged). */
function settle(id, ok, value) {
  const key = String(id);
  const w = waiters.get(key);
  if (!w) return false;
  waiters.delete(key);
  if (exited) return true;
  if (ok) w.resolve(value);
  else w.reject(value);
  return true;
}

/** process.exit: stop all work so nothing runs after the exit marker unwinds. */
function markExited() {
  exited = true;
  timers.clear();
  immediates.length = 0;
  batch = [];
  tickQueue.length = 0;
  ops.clear();
  waiters.clear();
}

function setUncaughtHandler(fn) { uncaughtHandler = fn; }
function loopNow() { return now; }
function isExited() { return exited; }

module.exports = {
  Timeout, Immediate, addTimer, clearTimer, addImmediate, nextTick, tick, pending, newOpId, awaitOp, trackOp, untrackOp, settle,
  markExited, setUncaughtHandler, loopNow, isExited, isExit, flushTicks, activeResources,
};
