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

function addTimer(fn, ms, args, repeat) {
  checkFn(fn);
  const t = new Timeout(fn, delayOf(ms), args, repeat);
  if (!exited) timers.set(t._id, t);
  return t;
}

function clearTimer(t) {
  if (t === null || t === undefined) return;
  if (t instanceof Immediate) { t._cleared = true; return; }
  const id = typeof t === "object" ? t._id : Number(t);
  timers.delete(id);
}

function addImmediate(fn, args) {
  checkFn(fn);
  const im = new Immediate(fn, args);
  if (!exited) immediates.push(im);
  return im;
}

function runCallback(fn, self, args) {
  try {
    fn.apply(self, args);
  } catch (err) {
    if (isExit(err) || !(uncaughtHandler && uncaughtHandler(err))) throw err;
  }
}

function isExit(err) {
  return err !== null && typeof err === "object" && err.code === "ERR_PROCESS_EXIT" && err.name === "ProcessExit";
}

function flushTicks() {
  tickScheduled = false;
  while (tickQueue.length > 0 && !exited) {
    const [fn, args] = tickQueue.shift();
    runCallback(fn, undefined, args);
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

/** Host entry: run due immediates and timers at loop time `nowMs`; ms to the next timer or -1. */
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
  // Timers phase: everything due now, in due order (ties in creation order), like libuv.
  const due = [...timers.values()].filter((tm) => tm._due <= now).sort((a, b) => a._due - b._due || a._seq - b._seq);
  for (const tm of due) {
    if (exited) break;
    if (!timers.has(tm._id)) continue; // cleared by an earlier callback
    if (tm._repeat) {
      tm._due = now + tm._delay;
      tm._seq = nextTimerId++;
    } else {
      timers.delete(tm._id);
    }
    runCallback(tm._fn, tm, tm._args);
  }
  // Check phase: immediates queued before this phase began.
  const batch = immediates.splice(0, immediates.length);
  for (const im of batch) {
    if (exited) break;
    if (!im._cleared) runCallback(im._fn, im, im._args);
  }
  return nextDelay();
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
  tickQueue.length = 0;
  ops.clear();
  waiters.clear();
}

function setUncaughtHandler(fn) { uncaughtHandler = fn; }
function loopNow() { return now; }
function isExited() { return exited; }

module.exports = {
  Timeout, Immediate, addTimer, clearTimer, addImmediate, nextTick, tick, pending, newOpId, awaitOp, trackOp, untrackOp, settle,
  markExited, setUncaughtHandler, loopNow, isExited, isExit,
};
