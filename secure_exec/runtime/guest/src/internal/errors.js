// Node-shaped errors. The host sends {code, message, errno?, syscall?, path?, dest?}; the guest
// must see exactly what real Node would throw, so the shape is rebuilt here in one place.
"use strict";

const ERRNO = {
  EPERM: -1, ENOENT: -2, EIO: -5, EBADF: -9, EAGAIN: -11, ENOMEM: -12, EACCES: -13, EEXIST: -17,
  EXDEV: -18, ENOTDIR: -20, EISDIR: -21, EINVAL: -22, EMFILE: -24, EFBIG: -27, ENOSPC: -28,
  EROFS: -30, ENAMETOOLONG: -36, ENOSYS: -38, ENOTEMPTY: -39, ELOOP: -40, ETIMEDOUT: -110,
  ECONNREFUSED: -111, ECONNRESET: -104, EHOSTUNREACH: -113, ENOTFOUND: -3008,
};

const DESCRIPTIONS = {
  EPERM: "operation not permitted", ENOENT: "no such file or directory", EIO: "i/o error",
  EBADF: "bad file descriptor", EAGAIN: "resource temporarily unavailable",
  ENOMEM: "not enough memory", EACCES: "permission denied", EEXIST: "file already exists",
  EXDEV: "cross-device link not permitted", ENOTDIR: "not a directory",
  EISDIR: "illegal operation on a directory", EINVAL: "invalid argument",
  EMFILE: "too many open files", EFBIG: "file too large", ENOSPC: "no space left on device",
  EROFS: "read-only file system", ENAMETOOLONG: "name too long",
  ENOSYS: "function not implemented", ENOTEMPTY: "directory not empty",
  ELOOP: "too many symbolic links encountered", ETIMEDOUT: "connection timed out",
  ECONNREFUSED: "connection refused", ECONNRESET: "connection reset by peer",
  EHOSTUNREACH: "host is unreachable", ENOTFOUND: "not found",
};

const NODE_SYSCALL = /^(open|read|write|close|stat|lstat|fstat|scandir|opendir|mkdir|mkdtemp|rmdir|rm|unlink|rename|copyfile|symlink|readlink|link|realpath|chmod|fchmod|chown|lchown|utime|futime|access|truncate|ftruncate|fsync|chdir|uv_cwd|setenv|unsetenv|connect|getaddrinfo|getnameinfo|spawn|spawnSync|spawn .+|spawnSync .+|kill|write|read)$/;

const WIRE_FIELDS = ["errno", "syscall", "path", "dest", "hostname", "address", "port", "info"];

/** Node's message format: `EACCES: permission denied, open '/secret.txt'`. */
function nodeMessage(code, syscall, path, dest, detail) {
  let msg = `${code}: ${detail || DESCRIPTIONS[code] || "unknown error"}`;
  if (syscall) {
    msg += `, ${syscall}`;
    if (path !== undefined && path !== null) {
      msg += ` '${path}'`;
      if (dest !== undefined && dest !== null) msg += ` -> '${dest}'`;
    }
  }
  return msg;
}

/** A Node system error from a code; `defaults` fill syscall/path when the host left them out. */
function systemError(code, syscall, path, dest, detail) {
  const err = new Error(nodeMessage(code, syscall, path, dest, detail));
  err.errno = ERRNO[code];
  err.code = code;
  if (syscall) err.syscall = syscall;
  if (path !== undefined && path !== null) err.path = path;
  if (dest !== undefined && dest !== null) err.dest = dest;
  return err;
}

/**
 * Turn whatever the host threw or sent (an Error from __se_hostcall or a plain wire object from
 * __se_settle) into a fresh guest Error with Node's fields. Defaults fill in what the host omitted.
 */
function fromWire(wire, defaults) {
  const d = defaults || {};
  if (wire === null || typeof wire !== "object") {
    return new Error(String(wire));
  }
  const code = typeof wire.code === "string" ? wire.code : undefined;
  // Two-path calls (rename, link, copyfile, symlink) pass force: Node always reports
  // path = first argument, dest = second, whichever side the host refused.
  // forceSyscall: calls that are one system call in Node (access, chmod, unlink...) always report
  // it, whatever the host did internally to resolve the path (e.g. a stat).
  // A host-internal step name ("resolve") is not a Node syscall: the API's own default wins.
  const hostSyscall = typeof wire.syscall === "string" && NODE_SYSCALL.test(wire.syscall) ? wire.syscall : undefined;
  const syscall = hostSyscall !== undefined && !d.force && !d.forceSyscall ? hostSyscall : d.syscall;
  const path = wire.path !== undefined && !d.force ? wire.path : d.path;
  const dest = wire.dest !== undefined && !d.force ? wire.dest : d.dest;
  let message = typeof wire.message === "string" && wire.message !== code ? wire.message : "";
  const rewrite = d.force || (d.forceSyscall && wire.syscall !== d.syscall) || (wire.syscall !== undefined && hostSyscall === undefined);
  if (rewrite && code && ERRNO[code] !== undefined && message.startsWith(code + ":")) {
    const m = /^[A-Z]+: [^,]*, \S+ '[^']*'(?: -> '[^']*')?(?:: (.*))?$/s.exec(message);
    message = m && m[1] ? m[1] : "";
  }
  if (code && ERRNO[code] !== undefined && !message.startsWith(code + ":")) {
    // The host gave a bare reason ("policy"); Node puts it after the standard text.
    const base = nodeMessage(code, syscall, path, dest);
    message = message ? `${base}: ${message}` : base;
  }
  const Ctor = wire.name === "TypeError" ? TypeError : wire.name === "RangeError" ? RangeError : Error;
  const err = new Ctor(message || code || "host call failed");
  if (code) err.code = code;
  const errno = wire.errno !== undefined ? wire.errno : code ? ERRNO[code] : undefined;
  if (errno !== undefined) err.errno = errno;
  if (syscall !== undefined && syscall !== null) err.syscall = syscall;
  if (path !== undefined && path !== null) err.path = path;
  if (dest !== undefined && dest !== null) err.dest = dest;
  for (const k of WIRE_FIELDS.slice(4)) if (wire[k] !== undefined) err[k] = wire[k];
  if (wire.name && !["Error", "TypeError", "RangeError"].includes(wire.name)) {
    Object.defineProperty(err, "name", { value: wire.name, configurable: true, writable: true });
  }
  return err;
}

/** "<what> is not supported in sandbox", code ERR_NOT_SUPPORTED (same text as secure-exec). */
function notSupported(what) {
  const err = new Error(`${what} is not supported in sandbox`);
  err.code = "ERR_NOT_SUPPORTED";
  return err;
}

/** util.inspect of a primitive, as Node's error messages quote it ('str', 1n, Symbol(x), -0). */
function inspectPrimitive(v) {
  if (typeof v === "string") {
    const q = !v.includes("'") ? "'" : !v.includes('"') ? '"' : !v.includes("`") ? "`" : "'";
    const body = v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\t/g, "\\t").replace(/\r/g, "\\r")
      .replace(/[\x00-\x1f]/g, (c) => "\\x" + c.charCodeAt(0).toString(16).padStart(2, "0"));
    return q + (q === "'" ? body.replace(/'/g, "\\'") : body) + q;
  }
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "number" && Object.is(v, -0)) return "-0";
  return String(v);
}

/** The "Received ..." tail of Node's ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE messages. */
function describeReceived(v) {
  if (v === null || v === undefined) return ` Received ${v}`;
  if (typeof v === "function") return v.name ? ` Received function ${v.name}` : " Received type function ([Function (anonymous)])";
  if (typeof v === "object") {
    if (v.constructor && v.constructor.name) return ` Received an instance of ${v.constructor.name}`;
    let shown;
    try { shown = require("../modules/util.js").inspect(v, { depth: -1 }); } catch { shown = "[Object: null prototype]"; }
    if (Reflect.ownKeys(v).length === 0 && !shown.endsWith("}")) shown += " {}";
    return ` Received ${shown}`;
  }
  let inspected = inspectPrimitive(v);
  if (inspected.length > 28) inspected = `${inspected.slice(0, 25)}...`;
  return ` Received type ${typeof v} (${inspected})`;
}

// Argument-validation errors are thrown synchronously even by callback APIs (as in Node); the
// callback wrappers recognise them by this mark.
const kValidation = Symbol("secure_exec.validation");

function invalidArgType(name, expected, actual) {
  const what = name.includes(".") ? `"${name}" property` : `"${name}" argument`;
  const err = new TypeError(`The ${what} must be ${expected}.${describeReceived(actual)}`);
  err.code = "ERR_INVALID_ARG_TYPE";
  Object.defineProperty(err, kValidation, { value: true });
  return err;
}

function codedError(Ctor, code, message) {
  const err = new Ctor(message);
  err.code = code;
  if (Ctor === TypeError || Ctor === RangeError) Object.defineProperty(err, kValidation, { value: true });
  return err;
}

function isValidationError(err) { return err !== null && typeof err === "object" && err[kValidation] === true; }

module.exports = { ERRNO, DESCRIPTIONS, nodeMessage, systemError, fromWire, notSupported, invalidArgType, codedError, describeReceived, inspectPrimitive, isValidationError };
