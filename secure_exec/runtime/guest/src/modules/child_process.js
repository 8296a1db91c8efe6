// child_process: one host op per process (proc.spawnSync, or proc.spawn.start settled later). The
// child runs to completion on the host with buffered stdio; shells are explicit (/bin/sh -c) so the
// policy sees what really runs.
"use strict";

const { Buffer } = require("buffer");
const EventEmitter = require("events");
const host = require("../internal/host.js");
const loop = require("../internal/loop.js");
const { notSupported, invalidArgType, fromWire } = require("../internal/errors.js");
const { kCustomPromisify } = { kCustomPromisify: Symbol.for("nodejs.util.promisify.custom") };

const DEFAULT_MAX_BUFFER = 1024 * 1024;

function normalize(command, args, options) {
  if (typeof command !== "string" || command.length === 0) throw invalidArgType("file", "of type string", command);
  if (!Array.isArray(args)) { options = args; args = []; }
  const o = Object.assign({}, options || {});
  let cmd = command;
  let argv = args.map(String);
  if (o.shell) {
    const sh = typeof o.shell === "string" ? o.shell : "/bin/sh";
    argv = ["-c", [command, ...argv].join(" ")];
    cmd = sh;
  }
  let env = null;
  if (o.env !== undefined && o.env !== null) {
    env = {};
    for (const k of Object.keys(o.env)) if (o.env[k] !== undefined) env[k] = String(o.env[k]);
  }
  let input_b64 = null;
  if (o.input !== undefined && o.input !== null) {
    const b = typeof o.input === "string" ? Buffer.from(o.input, o.encoding && o.encoding !== "buffer" ? o.encoding : "utf8") : Buffer.from(o.input.buffer, o.input.byteOffset, o.input.byteLength);
    input_b64 = b.toString("base64");
  }
  const cwd = o.cwd === undefined || o.cwd === null ? null : String(o.cwd);
  const timeout = Number(o.timeout) > 0 ? Number(o.timeout) : null;
  const max_buffer = o.maxBuffer === undefined ? DEFAULT_MAX_BUFFER : o.maxBuffer === Infinity ? null : Number(o.maxBuffer);
  return { req: { command: cmd, args: argv, cwd, env, input_b64, timeout, max_buffer, kill_signal: o.killSignal || "SIGTERM" }, o, display: o.shell ? argv[1] : [command, ...args].join(" ") };
}

/** Node names spawn errors "spawnSync <file> <CODE>" with syscall "spawnSync <file>", path <file>. */
function spawnError(err, kind, req) {
  const syscall = `${kind} ${req.command}`;
  err.syscall = syscall;
  err.path = req.command;
  err.spawnargs = req.args;
  if (err.code) err.message = `${syscall} ${err.code}`;
  return err;
}

function decodeOut(b64, encoding) {
  const b = Buffer.from(b64 || "", "base64");
  return encoding && encoding !== "buffer" ? b.toString(encoding) : b;
}

function spawnSync(command, args, options) {
  const { req, o } = normalize(command, args, options);
  const enc = o.encoding;
  let res;
  try {
    res = host.call("proc.spawnSync", req, { syscall: `spawnSync ${req.command}`, path: req.command });
  } catch (e) {
    const error = spawnError(e, "spawnSync", req);
    const empty = decodeOut("", enc);
    return { pid: 0, output: [null, empty, decodeOut("", enc)], stdout: empty, stderr: decodeOut("", enc), status: null, signal: null, error };
  }
  let outB = Buffer.from(res.stdout_b64 || "", "base64");
  let errB = Buffer.from(res.stderr_b64 || "", "base64");
  let overflow = false;
  if (req.max_buffer !== null && (outB.length > req.max_buffer || errB.length > req.max_buffer)) {
    // Node: output cut at maxBuffer and error ENOBUFS (the host should enforce it as well).
    overflow = true;
    outB = outB.subarray(0, req.max_buffer);
    errB = errB.subarray(0, req.max_buffer);
  }
  const stdout = enc && enc !== "buffer" ? outB.toString(enc) : outB;
  const stderr = enc && enc !== "buffer" ? errB.toString(enc) : errB;
  const out = { pid: res.pid || 0, output: [null, stdout, stderr], stdout, stderr, status: res.status === undefined ? null : res.status, signal: res.signal || null };
  if (res.error) out.error = spawnError(fromWire(res.error), "spawnSync", req);
  else if (overflow) out.error = spawnError(Object.assign(new Error("ENOBUFS"), { code: "ENOBUFS", errno: -105 }), "spawnSync", req);
  return out;
}

function checkResult(r, display, o) {
  if (r.error) throw r.error;
  if (r.status !== 0) {
    const err = new Error(`Command failed: ${display}` + (r.stderr && r.stderr.length ? "\n" + r.stderr.toString() : ""));
    err.status = r.status;
    err.signal = r.signal;
    err.output = r.output;
    err.stdout = r.stdout;
    err.stderr = r.stderr;
    err.pid = r.pid;
    throw err;
  }
  return r.stdout;
}

function echoStderr(r, o) {
  if (o.stdio === undefined && r.stderr && r.stderr.length) require("./process.js").writeFd(2, Buffer.isBuffer(r.stderr) ? r.stderr : Buffer.from(r.stderr));
}

function execSync(command, options) {
  const o = Object.assign({}, options || {}, { shell: (options && options.shell) || true });
  const r = spawnSync(command, [], o);
  echoStderr(r, o);
  return checkResult(r, command, o);
}

function execFileSync(file, args, options) {
  if (!Array.isArray(args)) { options = args; args = []; }
  const o = options || {};
  const r = spawnSync(file, args, o);
  echoStderr(r, o);
  return checkResult(r, [file, ...args].join(" "), o);
}

class ChildProcess extends EventEmitter {
  constructor() {
    super();
    this.pid = undefined;
    this.exitCode = null;
    this.signalCode = null;
    this.killed = false;
    this.connected = false;
    this.spawnfile = undefined;
    this.spawnargs = [];
  }
  kill() { this.killed = true; return false; }
  ref() {}
  unref() {}
  disconnect() {}
}

function spawn(command, args, options) {
  const { req, o } = normalize(command, args, options);
  const { Readable, Writable } = require("./stream.js");
  const child = new ChildProcess();
  child.spawnfile = req.command;
  child.spawnargs = [req.command, ...req.args];
  const stdinChunks = [];
  let started = false;
  child.stdin = new Writable({ write(chunk, enc, cb) { if (!started) stdinChunks.push(chunk); cb(); } });
  child.stdout = new Readable({ encoding: undefined });
  child.stderr = new Readable({ encoding: undefined });
  child.stdio = [child.stdin, child.stdout, child.stderr];
  // Start after the current synchronous code so stdin written right after spawn() is included.
  loop.nextTick(() => {
    started = true;
    if (stdinChunks.length) req.input_b64 = Buffer.concat(stdinChunks).toString("base64");
    let p;
    try {
      p = host.start("proc.spawn.start", req, { syscall: `spawn ${req.command}`, path: req.command });
    } catch (err) {
      child.emit("error", spawnError(err, "spawn", req));
      child.stdout.push(null);
      child.stderr.push(null);
      return;
    }
    p.then((res) => {
      child.pid = res.pid;
      const out = Buffer.from(res.stdout_b64 || "", "base64");
      const errb = Buffer.from(res.stderr_b64 || "", "base64");
      if (out.length) child.stdout.push(out);
      if (errb.length) child.stderr.push(errb);
      child.stdout.push(null);
      child.stderr.push(null);
      child.exitCode = res.status === undefined ? null : res.status;
      child.signalCode = res.signal || null;
      child.emit("spawn");
      if (res.error) child.emit("error", spawnError(fromWire(res.error), "spawn", req));
      child.emit("exit", child.exitCode, child.signalCode);
      let closed = 0;
      const maybeClose = () => { if (++closed === 2) child.emit("close", child.exitCode, child.signalCode); };
      child.stdout.once("end", maybeClose);
      child.stderr.once("end", maybeClose);
      child.stdout.resume && child.stdout.listenerCount("data") === 0 && child.stdout.resume();
      child.stderr.resume && child.stderr.listenerCount("data") === 0 && child.stderr.resume();
    }, (err) => {
      child.emit("error", spawnError(err, "spawn", req));
      child.stdout.push(null);
      child.stderr.push(null);
    });
  }, []);
  return child;
}

function execFile(file, args, options, cb) {
  if (typeof args === "function") { cb = args; args = []; options = {}; }
  else if (!Array.isArray(args)) { cb = options; options = args; args = []; }
  if (typeof options === "function") { cb = options; options = {}; }
  const o = options || {};
  const child = spawn(file, args, o);
  const out = [];
  const err = [];
  child.stdout.on("data", (c) => out.push(c));
  child.stderr.on("data", (c) => err.push(c));
  let done = false;
  const finish = (error) => {
    if (done) return;
    done = true;
    const enc = o.encoding === undefined ? "utf8" : o.encoding;
    const so = enc === "buffer" ? Buffer.concat(out) : Buffer.concat(out).toString(enc);
    const se = enc === "buffer" ? Buffer.concat(err) : Buffer.concat(err).toString(enc);
    if (!error && child.exitCode !== 0) {
      error = new Error(`Command failed: ${[file, ...args].join(" ")}\n${se}`);
      error.code = child.exitCode;
      error.killed = false;
      error.signal = child.signalCode;
      error.cmd = [file, ...args].join(" ");
    }
    if (error) { error.stdout = so; error.stderr = se; }
    if (cb) cb(error || null, so, se);
  };
  child.on("error", finish);
  child.on("close", () => finish(null));
  return child;
}

function exec(command, options, cb) {
  if (typeof options === "function") { cb = options; options = {}; }
  const o = Object.assign({}, options || {});
  const sh = typeof o.shell === "string" ? o.shell : "/bin/sh";
  delete o.shell;
  return execFile(sh, ["-c", command], o, cb && ((err, so, se) => { if (err && err.cmd) err.cmd = command; cb(err, so, se); }));
}

const promisified = (fn) => (...args) => new Promise((resolve, reject) => {
  fn(...args, (err, stdout, stderr) => (err ? reject(err) : resolve({ stdout, stderr })));
});
Object.defineProperty(exec, kCustomPromisify, { value: promisified(exec) });
Object.defineProperty(execFile, kCustomPromisify, { value: promisified(execFile) });

module.exports = {
  spawnSync, execSync, execFileSync, spawn, exec, execFile, ChildProcess,
  fork: () => { throw notSupported("child_process.fork"); },
  _forkChild: () => { throw notSupported("child_process._forkChild"); },
};
