// process: identity comes from host config, env is a live Proxy over host ops (a denied key is just
// absent), and exit() both tells the host and unwinds with a marker the host recognises.
"use strict";

const EventEmitter = require("events");
const host = require("../internal/host.js");
const loop = require("../internal/loop.js");
const { config } = require("../internal/config.js");
const { notSupported, codedError, invalidArgType } = require("../internal/errors.js");

const process = new EventEmitter();
let cwdCache = null;
let exiting = false;

function envProxy() {
  const target = Object.create(null);
  return new Proxy(target, {
    get(_t, key) {
      if (typeof key !== "string") return undefined;
      const res = host.call("env.get", { key });
      return res && typeof res.value === "string" ? res.value : undefined;
    },
    has(_t, key) {
      if (typeof key !== "string") return false;
      const res = host.call("env.get", { key });
      return !!res && typeof res.value === "string";
    },
    set(_t, key, value) {
      if (typeof key !== "string") return false;
      host.call("env.set", { key, value: String(value) }, { syscall: "setenv", path: key });
      return true;
    },
    deleteProperty(_t, key) {
      if (typeof key !== "string") return true;
      host.call("env.delete", { key }, { syscall: "unsetenv", path: key });
      return true;
    },
    ownKeys() {
      const res = host.call("env.keys", {});
      return res && Array.isArray(res.keys) ? res.keys.filter((k) => typeof k === "string") : [];
    },
    getOwnPropertyDescriptor(_t, key) {
      if (typeof key !== "string") return undefined;
      const res = host.call("env.get", { key });
      if (!res || typeof res.value !== "string") return undefined;
      return { value: res.value, writable: true, enumerable: true, configurable: true };
    },
    defineProperty(_t, key, desc) {
      if (typeof key !== "string" || !("value" in desc)) return false;
      host.call("env.set", { key, value: String(desc.value) }, { syscall: "setenv", path: key });
      return true;
    },
  });
}

const lazy = (name, fn) => {
  let v;
  let done = false;
  Object.defineProperty(process, name, {
    get() { if (!done) { v = fn(); done = true; } return v; },
    set(x) { v = x; done = true; },
    enumerable: true, configurable: true,
  });
};

lazy("argv", () => (Array.isArray(config().argv) ? config().argv.slice() : ["/usr/bin/node", "/entry.js"]));
lazy("execArgv", () => []);
lazy("argv0", () => "node");
lazy("execPath", () => config().execPath || "/usr/bin/node");
lazy("platform", () => config().platform || "linux");
lazy("arch", () => config().arch || "x64");
lazy("version", () => config().version || "v20.0.0");
lazy("versions", () => Object.assign({ node: String(config().version || "v20.0.0").replace(/^v/, "") }, config().versions || {}));
lazy("pid", () => config().pid || 1);
lazy("ppid", () => config().ppid || 0);
lazy("title", () => "node");
lazy("release", () => ({ name: "node" }));
lazy("features", () => ({}));
lazy("config", () => ({ variables: {} }));
process.env = envProxy();
process.exitCode = undefined;
process.allowedNodeEnvironmentFlags = new Set();

process.cwd = function cwd() {
  if (cwdCache === null) cwdCache = config().cwd || "/";
  return cwdCache;
};

process.chdir = function chdir(dir) {
  if (typeof dir !== "string") throw invalidArgType("directory", "of type string", dir);
  const res = host.call("process.chdir", { path: dir }, { syscall: "chdir", path: dir });
  cwdCache = res && typeof res.cwd === "string" ? res.cwd : dir;
};

process.umask = function umask() { return 0o022; };
process.getuid = () => config().uid || 0;
process.geteuid = () => config().uid || 0;
process.getgid = () => config().gid || 0;
process.getegid = () => config().gid || 0;
process.getgroups = () => [];
process.uptime = () => (typeof performance !== "undefined" ? performance.now() / 1000 : 0);
process.memoryUsage = Object.assign(() => ({ rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }), { rss: () => 0 });
process.cpuUsage = () => ({ user: 0, system: 0 });
process.resourceUsage = () => ({});
process.emitWarning = function emitWarning(warning, type, code) {
  const w = typeof warning === "string" ? new Error(warning) : warning;
  if (typeof warning === "string") w.name = typeof type === "string" ? type : (type && type.type) || "Warning";
  if (code) w.code = code;
  loop.nextTick(() => {
    if (process.listenerCount("warning") > 0) process.emit("warning", w);
    else require("./console.js").console.error(`(node:${process.pid}) ${w.code ? `[${w.code}] ` : ""}${w.name}: ${w.message}`);
  }, []);
};

function hrtime(prev) {
  const ns = BigInt(Math.round(performance.now() * 1e6));
  const s = Number(ns / 1000000000n);
  const n = Number(ns % 1000000000n);
  if (Array.isArray(prev)) {
    let ds = s - prev[0];
    let dn = n - prev[1];
    if (dn < 0) { ds -= 1; dn += 1e9; }
    return [ds, dn];
  }
  return [s, n];
}
hrtime.bigint = () => BigInt(Math.round(performance.now() * 1e6));
process.hrtime = hrtime;
process.getActiveResourcesInfo = function getActiveResourcesInfo() { return loop.activeResources(); };

process.nextTick = function nextTick(fn, ...args) { loop.nextTick(fn, args); };

/** The value process.exit() throws. The host recognises name "ProcessExit" + code ERR_PROCESS_EXIT. */
class ProcessExit extends Error {
  constructor(code) {
    super(`process.exit(${code})`);
    this.name = "ProcessExit";
    this.code = "ERR_PROCESS_EXIT";
    this.exitCode = code;
  }
}

function exitCodeOf(code) {
  if (code === undefined || code === null) return process.exitCode === undefined ? 0 : Number(process.exitCode) | 0;
  const n = Number(code);
  if (!Number.isInteger(n)) throw codedError(TypeError, "ERR_INVALID_ARG_TYPE", `The "code" argument must be of type number. Received ${typeof code}`);
  return n;
}

process.exit = function exit(code) {
  const n = exitCodeOf(code);
  // As in Node, an explicit code always wins, even from an 'exit' listener of a finishing run
  // (process.on('exit', () => process.exit(1)) exits 1: test/common's mustCall check relies on it).
  if (code !== undefined && code !== null) process.exitCode = n;
  if (!exiting) {
    exiting = true;
    process.exitCode = n;
    try { process.emit("exit", n); } catch (err) { if (loop.isExit(err)) throw err; /* other throws cannot cancel the exit */ }
  }
  const final = exitCodeOf(process.exitCode) & 0xff; // what the OS would report: 259 -> 3, -1 -> 255
  loop.markExited();
  host.call("process.exit", { code: final });
  throw new ProcessExit(final);
};

process.reallyExit = process.exit;
process.abort = function abort() { process.exit(134); };
process.kill = function kill(pid, signal) {
  if (pid !== process.pid) throw notSupported("process.kill of another process");
  const sig = signal === undefined ? "SIGTERM" : signal;
  const num = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGUSR1: 10, SIGUSR2: 12, SIGWINCH: 28 }[sig] || (typeof sig === "number" ? sig : 15);
  if (sig === "SIGWINCH" || num === 28) return true;
  if (typeof sig === "string" && process.listenerCount(sig) > 0 && num !== 9) { process.emit(sig, sig); return true; }
  process.exit(128 + num);
  return true;
};

/** Host entry (__se_finish): the loop is empty; emit beforeExit/exit and return the exit code. */
function finish() {
  if (!exiting && !loop.isExited()) {
    process.emit("beforeExit", exitCodeOf(process.exitCode));
    if (loop.pending()) return null; // beforeExit scheduled more work: keep running
    exiting = true;
    const code = exitCodeOf(process.exitCode);
    process.emit("exit", code);
    loop.markExited();
  }
  return exitCodeOf(process.exitCode) & 0xff;
}

// Unhandled promise rejections, fed by the engine's rejection tracker (__se_rejection) and
// processed after each job-queue drain (__se_rejections), with Node's default mode "throw".
const unhandled = new Map(); // promise -> reason, in rejection order

function trackRejection(promise, reason, handled) {
  if (handled) {
    if (unhandled.has(promise)) unhandled.delete(promise);
    else loop.nextTick(() => process.emit("rejectionHandled", promise), []);
    return;
  }
  unhandled.set(promise, reason);
}

function processRejections() {
  for (const [promise, reason] of [...unhandled]) {
    unhandled.delete(promise);
    if (loop.isExited()) return;
    if (process.listenerCount("unhandledRejection") > 0) {
      process.emit("unhandledRejection", reason, promise);
      continue;
    }
    const err = reason instanceof Error ? reason : new Error(`This error originated either by throwing inside of an async function without a catch block, or by rejecting a promise which was not handled with .catch(). The promise rejected with the reason "${require("./util.js").inspect(reason)}".`);
    if (!(reason instanceof Error)) err.code = "ERR_UNHANDLED_REJECTION";
    if (process.listenerCount("uncaughtException") > 0) process.emit("uncaughtException", err, "unhandledRejection");
    else throw err;
  }
}

process.binding = () => { throw notSupported("process.binding"); };
process._linkedBinding = () => { throw notSupported("process._linkedBinding"); };
process.dlopen = () => { throw notSupported("process.dlopen"); };
process.setUncaughtExceptionCaptureCallback = () => { throw notSupported("process.setUncaughtExceptionCaptureCallback"); };
process.hasUncaughtExceptionCaptureCallback = () => false;

loop.setUncaughtHandler((err) => {
  if (process.listenerCount("uncaughtException") === 0) return false;
  process.emit("uncaughtException", err, "uncaughtException");
  return true;
});

function stdioStream(fd) {
  const { Writable } = require("./stream.js");
  const s = new Writable({
    decodeStrings: false,
    write(chunk, enc, cb) {
      try {
        writeFd(fd, chunk, enc);
        cb();
      } catch (err) { cb(err); }
    },
  });
  // Direct write: output ordering must match console calls, so do not defer through the queue.
  s.write = function (chunk, encoding, cb) {
    if (typeof encoding === "function") { cb = encoding; encoding = undefined; }
    writeFd(fd, chunk, encoding);
    if (cb) loop.nextTick(cb, [null]);
    return true;
  };
  s.end = function (chunk, encoding, cb) { if (chunk !== undefined && chunk !== null && typeof chunk !== "function") s.write(chunk, encoding); if (typeof chunk === "function") chunk(); else if (cb) cb(); return s; };
  s.fd = fd;
  s.isTTY = false;
  s.columns = 80;
  s.rows = 24;
  s.getColorDepth = () => 1;
  s.hasColors = () => false;
  return s;
}

function writeFd(fd, chunk, encoding) {
  const { Buffer } = require("buffer");
  if (typeof chunk === "string") {
    if (encoding && encoding !== "utf8" && encoding !== "utf-8") chunk = Buffer.from(chunk, encoding).toString("utf8");
    host.call("stdio.write", { fd, data: chunk });
  } else if (chunk instanceof Uint8Array) {
    host.call("stdio.write", { fd, data_b64: Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("base64") });
  } else {
    throw invalidArgType("chunk", "of type string or an instance of Buffer or Uint8Array", chunk);
  }
}

lazy("stdout", () => stdioStream(1));
lazy("stderr", () => stdioStream(2));
lazy("stdin", () => {
  const { Readable } = require("./stream.js");
  const r = new Readable({
    read() {
      const res = host.call("stdio.read", { fd: 0, length: 65536 });
      const { Buffer } = require("buffer");
      const b = Buffer.from((res && res.data_b64) || "", "base64");
      this.push(b.length ? b : null);
    },
  });
  r.fd = 0;
  r.isTTY = false;
  r.setRawMode = () => r;
  return r;
});

Object.defineProperty(process, Symbol.toStringTag, { value: "process" });

module.exports = { process, finish, ProcessExit, writeFd, trackRejection, processRejections };
