// fs: every call is exactly one host op on the guest's raw path (the host resolves and checks it);
// callback and promise forms are thin wrappers over the sync form so behaviour cannot diverge.
"use strict";

const { Buffer } = require("buffer");
const host = require("../internal/host.js");
const loop = require("../internal/loop.js");
const { notSupported, invalidArgType, codedError, systemError, isValidationError, inspectPrimitive } = require("../internal/errors.js");

const constants = {
  F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1,
  O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, O_CREAT: 64, O_EXCL: 128, O_TRUNC: 512, O_APPEND: 1024,
  S_IFMT: 0o170000, S_IFREG: 0o100000, S_IFDIR: 0o40000, S_IFLNK: 0o120000, S_IFCHR: 0o20000,
  S_IFBLK: 0o60000, S_IFIFO: 0o10000, S_IFSOCK: 0o140000,
  COPYFILE_EXCL: 1, COPYFILE_FICLONE: 2, COPYFILE_FICLONE_FORCE: 4,
};
const KIND_BITS = { file: constants.S_IFREG, dir: constants.S_IFDIR, symlink: constants.S_IFLNK, char: constants.S_IFCHR, block: constants.S_IFBLK, fifo: constants.S_IFIFO, socket: constants.S_IFSOCK };

/** Accept string | Buffer | file: URL, as Node does; reject NUL bytes before the host sees them. */
function toPath(p, name) {
  name = name || "path";
  if (typeof p === "string") {
    // fallthrough
  } else if (p instanceof Uint8Array) {
    p = Buffer.from(p).toString("utf8");
  } else if (p !== null && typeof p === "object" && typeof p.href === "string" && p.protocol !== undefined) {
    if (p.protocol !== "file:") throw codedError(TypeError, "ERR_INVALID_URL_SCHEME", "The URL must be of scheme file");
    p = decodeURIComponent(p.pathname);
  } else {
    throw invalidArgType(name, "of type string or an instance of Buffer or URL", p);
  }
  if (p.includes("\u0000")) {
    throw codedError(TypeError, "ERR_INVALID_ARG_VALUE", `The argument '${name}' must be a string, Uint8Array, or URL without null bytes. Received ${inspectPrimitive(p)}`);
  }
  return p;
}

function optsOf(options, defaults) {
  if (options === undefined || options === null || typeof options === "function") return Object.assign({}, defaults);
  if (typeof options === "string") return Object.assign({}, defaults, { encoding: options });
  return Object.assign({}, defaults, options);
}

function toBytes(data, encoding) {
  if (typeof data === "string") return Buffer.from(data, encoding || "utf8");
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw invalidArgType("data", "of type string or an instance of Buffer, TypedArray, or DataView", data);
}

function decode(b64, encoding) {
  const buf = Buffer.from(b64 || "", "base64");
  return encoding && encoding !== "buffer" ? buf.toString(encoding) : buf;
}

function flagString(flags, dflt) {
  if (flags === undefined || flags === null) return dflt;
  if (typeof flags === "string") {
    if (!/^(r|rs|sr|r\+|rs\+|sr\+|w|wx|xw|w\+|wx\+|xw\+|a|ax|xa|as|sa|a\+|ax\+|xa\+|as\+|sa\+)$/.test(flags)) {
      throw codedError(TypeError, "ERR_INVALID_ARG_VALUE", `The argument 'flags' is invalid. Received '${flags}'`);
    }
    return flags;
  }
  if (typeof flags === "number") {
    const acc = flags & 3;
    const creat = flags & constants.O_CREAT;
    const excl = flags & constants.O_EXCL ? "x" : "";
    if (flags & constants.O_APPEND) return "a" + excl + (acc === 2 ? "+" : "");
    if (creat || flags & constants.O_TRUNC) return "w" + excl + (acc === 2 ? "+" : "");
    return acc === 2 ? "r+" : acc === 1 ? "r+" : "r";
  }
  throw invalidArgType("flags", "of type string or number", flags);
}

/** Node's parseFileMode: an octal string or a uint32; ERR_INVALID_ARG_VALUE / _TYPE / ERR_OUT_OF_RANGE. */
function modeOf(mode, dflt, name = "mode") {
  if (mode === undefined || mode === null) {
    if (dflt === undefined) throw invalidArgType(name, "of type number", mode);
    return dflt;
  }
  if (typeof mode === "string") {
    if (!/^[0-7]+$/.test(mode)) {
      throw codedError(TypeError, "ERR_INVALID_ARG_VALUE", `The argument '${name}' must be a 32-bit unsigned integer or an octal string. Received ${inspectPrimitive(mode)}`);
    }
    mode = parseInt(mode, 8);
  }
  if (typeof mode !== "number") throw invalidArgType(name, "of type number", mode);
  if (!Number.isInteger(mode)) throw codedError(RangeError, "ERR_OUT_OF_RANGE", `The value of "${name}" is out of range. It must be an integer. Received ${mode}`);
  if (mode < 0 || mode > 4294967295) throw codedError(RangeError, "ERR_OUT_OF_RANGE", `The value of "${name}" is out of range. It must be >= 0 && <= 4294967295. Received ${mode}`);
  return mode;
}

/** Node's validateInteger(len, "len") for truncate/ftruncate (undefined means 0). */
function lenOf(len) {
  if (len === undefined) return 0;
  if (typeof len !== "number") throw invalidArgType("len", "of type number", len);
  if (!Number.isInteger(len)) throw codedError(RangeError, "ERR_OUT_OF_RANGE", `The value of "len" is out of range. It must be an integer. Received ${len}`);
  return Math.max(0, len);
}

function timeMs(t) {
  if (t instanceof Date) return t.getTime();
  if (typeof t === "string") return Number(t) * 1000;
  return Number(t) * 1000; // Node takes seconds for numbers
}

class Stats {
  constructor(s) {
    const bits = KIND_BITS[s.kind] || 0;
    this.dev = s.dev || 0;
    this.mode = (s.mode & constants.S_IFMT) === 0 ? (s.mode || 0) | bits : s.mode;
    this.nlink = s.nlink === undefined ? 1 : s.nlink;
    this.uid = s.uid || 0;
    this.gid = s.gid || 0;
    this.rdev = 0;
    this.blksize = s.blksize || 4096;
    this.ino = s.ino || 0;
    this.size = s.size || 0;
    this.blocks = s.blocks === undefined ? Math.ceil(this.size / 512) : s.blocks;
    this.atimeMs = s.atimeMs || 0;
    this.mtimeMs = s.mtimeMs || 0;
    this.ctimeMs = s.ctimeMs === undefined ? this.mtimeMs : s.ctimeMs;
    this.birthtimeMs = s.birthtimeMs === undefined ? this.ctimeMs : s.birthtimeMs;
    this.atime = new Date(this.atimeMs);
    this.mtime = new Date(this.mtimeMs);
    this.ctime = new Date(this.ctimeMs);
    this.birthtime = new Date(this.birthtimeMs);
  }
  _is(bits) { return (this.mode & constants.S_IFMT) === bits; }
  isFile() { return this._is(constants.S_IFREG); }
  isDirectory() { return this._is(constants.S_IFDIR); }
  isSymbolicLink() { return this._is(constants.S_IFLNK); }
  isCharacterDevice() { return this._is(constants.S_IFCHR); }
  isBlockDevice() { return this._is(constants.S_IFBLK); }
  isFIFO() { return this._is(constants.S_IFIFO); }
  isSocket() { return this._is(constants.S_IFSOCK); }
}

/** statSync(p, {bigint: true}): the same fields as BigInts, plus nanosecond times. */
class BigIntStats extends Stats {
  constructor(st) {
    super(st);
    for (const k of ["dev", "mode", "nlink", "uid", "gid", "rdev", "blksize", "ino", "size", "blocks", "atimeMs", "mtimeMs", "ctimeMs", "birthtimeMs"]) {
      this[k] = BigInt(Math.trunc(this[k]));
    }
    for (const k of ["atime", "mtime", "ctime", "birthtime"]) this[`${k}Ns`] = this[`${k}Ms`] * 1000000n;
  }
  _is(bits) { return (Number(this.mode) & constants.S_IFMT) === bits; }
}

function makeStats(raw, o) { return o && o.bigint ? new BigIntStats(raw) : new Stats(raw); }

class Dirent {
  constructor(name, kind, parentPath) {
    this.name = name;
    this.parentPath = parentPath;
    this.path = parentPath;
    Object.defineProperty(this, "_kind", { value: kind, enumerable: false });
  }
  isFile() { return this._kind === "file"; }
  isDirectory() { return this._kind === "dir"; }
  isSymbolicLink() { return this._kind === "symlink"; }
  isCharacterDevice() { return this._kind === "char"; }
  isBlockDevice() { return this._kind === "block"; }
  isFIFO() { return this._kind === "fifo"; }
  isSocket() { return this._kind === "socket"; }
}

function joinPath(dir, name) { return dir.endsWith("/") ? dir + name : dir + "/" + name; }

// ---- sync API: one host op each ----

function readFileSync(path, options) {
  const o = optsOf(options, { encoding: null, flag: "r" });
  if (Number.isInteger(path)) return readAllFd(path, o.encoding);
  const p = toPath(path);
  if (o.encoding === "utf8" || o.encoding === "utf-8") {
    // The host decodes (WHATWG replacement rules, like Node): no base64 and no Buffer on this path.
    return host.call("fs.readFile", { path: p, encoding: "utf8" }, { syscall: "open", path: p }).text;
  }
  const res = host.call("fs.readFile", { path: p }, { syscall: "open", path: p });
  return decode(res.data_b64, o.encoding);
}

function readAllFd(fd, encoding) {
  const chunks = [];
  for (;;) {
    const res = host.call("fs.read", { fd, length: 65536, position: null }, { syscall: "read" });
    const b = Buffer.from(res.data_b64 || "", "base64");
    if (b.length === 0) break;
    chunks.push(b);
  }
  const all = Buffer.concat(chunks);
  return encoding && encoding !== "buffer" ? all.toString(encoding) : all;
}

function writeLike(path, data, options, dfltFlag) {
  const o = optsOf(options, { encoding: "utf8", flag: dfltFlag, mode: 0o666 });
  const bytes = toBytes(data, o.encoding);
  if (typeof path === "number") {
    writeSync(path, bytes);
    return;
  }
  const p = toPath(path);
  host.call("fs.writeFile", { path: p, data_b64: bytes.toString("base64"), flag: flagString(o.flag, dfltFlag), mode: modeOf(o.mode, 0o666) }, { syscall: "open", path: p });
}

function writeFileSync(path, data, options) { writeLike(path, data, options, "w"); }
function appendFileSync(path, data, options) { writeLike(path, data, options, "a"); }

function mkdirSync(path, options) {
  const o = typeof options === "number" || typeof options === "string" ? { mode: options } : optsOf(options, {});
  const p = toPath(path);
  const res = host.call("fs.mkdir", { path: p, recursive: !!o.recursive, mode: modeOf(o.mode, 0o777) }, { syscall: "mkdir", path: p });
  return o.recursive ? (res && res.first) || undefined : undefined;
}

function readdirSync(path, options) {
  const o = optsOf(options, { encoding: "utf8", withFileTypes: false, recursive: false });
  const p = toPath(path);
  const out = [];
  const walk = (dir, rel) => {
    const res = host.call("fs.readdir", { path: dir }, { syscall: "scandir", path: dir });
    const entries = res.entries.slice().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const relName = rel ? rel + "/" + e.name : e.name;
      if (o.withFileTypes) out.push(new Dirent(o.recursive ? e.name : e.name, e.kind, o.recursive && rel ? joinPath(p, rel) : p));
      else out.push(o.encoding === "buffer" ? Buffer.from(relName) : relName);
      if (o.recursive && e.kind === "dir") walk(joinPath(dir, e.name), relName);
    }
  };
  walk(p, "");
  return out;
}

function statSync(path, options) {
  const o = optsOf(options, { throwIfNoEntry: true });
  const p = toPath(path);
  try {
    return makeStats(host.call("fs.stat", { path: p, follow: true }, { syscall: "stat", path: p }), o);
  } catch (err) {
    if (o.throwIfNoEntry === false && err.code === "ENOENT") return undefined;
    throw err;
  }
}

function lstatSync(path, options) {
  const o = optsOf(options, { throwIfNoEntry: true });
  const p = toPath(path);
  try {
    return makeStats(host.call("fs.stat", { path: p, follow: false }, { syscall: "lstat", path: p }), o);
  } catch (err) {
    if (o.throwIfNoEntry === false && err.code === "ENOENT") return undefined;
    throw err;
  }
}

function fstatSync(fd, options) {
  return makeStats(host.call("fs.fstat", { fd: checkFd(fd) }, { syscall: "fstat" }), optsOf(options, {}));
}

function existsSync(path) {
  let p;
  try { p = toPath(path); } catch { return false; }
  try {
    host.call("fs.stat", { path: p, follow: true }, { syscall: "stat", path: p });
    return true;
  } catch {
    return false;
  }
}

function accessSync(path, mode) {
  const p = toPath(path);
  host.call("fs.access", { path: p, mode: mode === undefined ? constants.F_OK : mode }, { syscall: "access", path: p, forceSyscall: true });
}

function unlinkSync(path) {
  const p = toPath(path);
  host.call("fs.unlink", { path: p }, { syscall: "unlink", path: p, forceSyscall: true });
}

function rmSync(path, options) {
  const o = optsOf(options, { recursive: false, force: false });
  const p = toPath(path);
  host.call("fs.rm", { path: p, recursive: !!o.recursive, force: !!o.force }, { syscall: "rm", path: p });
}

function rmdirSync(path, options) {
  const o = optsOf(options, { recursive: false });
  const p = toPath(path);
  if (o.recursive) {
    host.call("fs.rm", { path: p, recursive: true, force: false }, { syscall: "rmdir", path: p });
    return;
  }
  host.call("fs.rmdir", { path: p }, { syscall: "rmdir", path: p, forceSyscall: true });
}

function renameSync(from, to) {
  const a = toPath(from, "oldPath");
  const b = toPath(to, "newPath");
  host.call("fs.rename", { from: a, to: b }, { syscall: "rename", path: a, dest: b, force: true });
}

function copyFileSync(from, to, mode) {
  const a = toPath(from, "src");
  const b = toPath(to, "dest");
  host.call("fs.copyFile", { from: a, to: b, exclusive: !!((mode || 0) & constants.COPYFILE_EXCL) }, { syscall: "copyfile", path: a, dest: b, force: true });
}

function symlinkSync(target, path, type) {
  const t = toPath(target, "target");
  const p = toPath(path);
  host.call("fs.symlink", { target: t, path: p }, { syscall: "symlink", path: t, dest: p, force: true });
}

function readlinkSync(path, options) {
  const o = optsOf(options, { encoding: "utf8" });
  const p = toPath(path);
  const res = host.call("fs.readlink", { path: p }, { syscall: "readlink", path: p, forceSyscall: true });
  return o.encoding === "buffer" ? Buffer.from(res.target) : res.target;
}

function linkSync(existing, path) {
  const a = toPath(existing, "existingPath");
  const b = toPath(path, "newPath");
  host.call("fs.link", { existing: a, path: b }, { syscall: "link", path: a, dest: b, force: true });
}

function realpathSync(path, options) {
  const o = optsOf(options, { encoding: "utf8" });
  const p = toPath(path);
  const res = host.call("fs.realpath", { path: p }, { syscall: "realpath", path: p });
  return o.encoding === "buffer" ? Buffer.from(res.path) : res.path;
}
realpathSync.native = realpathSync;

function chmodSync(path, mode) {
  const p = toPath(path);
  host.call("fs.chmod", { path: p, mode: modeOf(mode) }, { syscall: "chmod", path: p, forceSyscall: true });
}

function chownSync(path, uid, gid) {
  const p = toPath(path);
  if (!Number.isInteger(uid) || uid < -1) throw invalidArgType("uid", "an integer >= -1", uid);
  if (!Number.isInteger(gid) || gid < -1) throw invalidArgType("gid", "an integer >= -1", gid);
  host.call("fs.chown", { path: p, uid, gid }, { syscall: "chown", path: p, forceSyscall: true });
}

function utimesSync(path, atime, mtime) {
  const p = toPath(path);
  host.call("fs.utimes", { path: p, atime_ms: timeMs(atime), mtime_ms: timeMs(mtime) }, { syscall: "utime", path: p, forceSyscall: true });
}

function truncateSync(path, len) {
  if (typeof path === "number") { ftruncateSync(path, len); return; }
  const p = toPath(path);
  host.call("fs.truncate", { path: p, len: lenOf(len) }, { syscall: "open", path: p });
}

/** Node's validateInt32(fd, "fd", 0): a number, an integer, within 0 .. 2^31-1. */
function checkFd(fd) {
  if (typeof fd !== "number") throw invalidArgType("fd", "of type number", fd);
  if (!Number.isInteger(fd)) throw codedError(RangeError, "ERR_OUT_OF_RANGE", `The value of "fd" is out of range. It must be an integer. Received ${fd}`);
  if (fd < 0 || fd > 2147483647) throw codedError(RangeError, "ERR_OUT_OF_RANGE", `The value of "fd" is out of range. It must be >= 0 && <= 2147483647. Received ${fd}`);
  return fd;
}

function ftruncateSync(fd, len) {
  host.call("fs.ftruncate", { fd: checkFd(fd), len: lenOf(len) }, { syscall: "ftruncate" });
}

function openSync(path, flags, mode) {
  const p = toPath(path);
  const res = host.call("fs.open", { path: p, flags: flagString(flags, "r"), mode: modeOf(mode, 0o666) }, { syscall: "open", path: p });
  return res.fd;
}

function readSync(fd, buffer, offsetOrOpts, length, position) {
  checkFd(fd);
  if (!(buffer instanceof Uint8Array) && !ArrayBuffer.isView(buffer)) throw invalidArgType("buffer", "an instance of Buffer, TypedArray, or DataView", buffer);
  let offset = offsetOrOpts;
  if (offsetOrOpts !== null && typeof offsetOrOpts === "object") ({ offset, length, position } = offsetOrOpts);
  offset = offset || 0;
  const view = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (length === undefined) length = view.length - offset;
  if (offset < 0 || length < 0 || offset + length > view.length) {
    throw codedError(RangeError, "ERR_OUT_OF_RANGE", `The value of "length" is out of range. It must be <= ${view.length - offset}. Received ${length}`);
  }
  if (length === 0) return 0;
  const pos = typeof position === "bigint" ? Number(position) : position === undefined || position === null || position < 0 ? null : position;
  const res = host.call("fs.read", { fd, length, position: pos }, { syscall: "read" });
  const data = Buffer.from(res.data_b64 || "", "base64");
  view.set(data.subarray(0, length), offset);
  return Math.min(data.length, length);
}

function writeSync(fd, data, offsetOrPos, lengthOrEnc, position) {
  checkFd(fd);
  let bytes;
  let pos = null;
  if (typeof data === "string") {
    bytes = Buffer.from(data, typeof lengthOrEnc === "string" ? lengthOrEnc : "utf8");
    pos = typeof offsetOrPos === "number" ? offsetOrPos : null;
  } else {
    const all = toBytes(data);
    const off = typeof offsetOrPos === "number" ? offsetOrPos : 0;
    const len = typeof lengthOrEnc === "number" ? lengthOrEnc : all.length - off;
    bytes = all.subarray(off, off + len);
    pos = typeof position === "number" ? position : null;
  }
  const res = host.call("fs.write", { fd, data_b64: bytes.toString("base64"), position: pos }, { syscall: "write" });
  return res && typeof res.written === "number" ? res.written : bytes.length;
}

function checkBuffers(buffers) {
  if (!Array.isArray(buffers)) throw invalidArgType("buffers", "an ArrayBufferView[]", buffers);
  for (let i = 0; i < buffers.length; i++) {
    if (!ArrayBuffer.isView(buffers[i])) throw invalidArgType(`buffers[${i}]`, "an instance of ArrayBufferView", buffers[i]);
  }
  return buffers;
}

function vecPosition(position) {
  return typeof position === "number" && position >= 0 ? position : typeof position === "bigint" ? Number(position) : null;
}

/** Scatter read: fill each buffer in turn from one file position (or the current one). */
function readvSync(fd, buffers, position) {
  checkFd(fd);
  checkBuffers(buffers);
  let pos = vecPosition(position);
  let total = 0;
  for (const b of buffers) {
    if (b.byteLength === 0) continue;
    const n = readSync(fd, b, 0, b.byteLength, pos);
    total += n;
    if (pos !== null) pos += n;
    if (n < b.byteLength) break;
  }
  return total;
}

/** Gather write: the buffers in order, at one file position (or the current one). */
function writevSync(fd, buffers, position) {
  checkFd(fd);
  checkBuffers(buffers);
  const all = Buffer.concat(buffers.map((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
  if (all.length === 0) return 0;
  return writeSync(fd, all, 0, all.length, vecPosition(position));
}

function closeSync(fd) {
  host.call("fs.close", { fd: checkFd(fd) }, { syscall: "close" });
}

function fsyncSync(fd) { checkFd(fd); }

function mkdtempSync(prefix) {
  const p = toPath(prefix, "prefix");
  const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  for (let attempt = 0; attempt < 10; attempt++) {
    const rnd = require("./crypto.js").randomBytes(6);
    let suffix = "";
    for (const b of rnd) suffix += chars[b % chars.length];
    try {
      host.call("fs.mkdir", { path: p + suffix, recursive: false, mode: 0o700 }, { syscall: "mkdtemp", path: p + suffix });
      return p + suffix;
    } catch (err) {
      if (err.code !== "EEXIST") throw err;
    }
  }
  throw systemError("EEXIST", "mkdtemp", p + "XXXXXX");
}

/** fs.Dir over one readdir snapshot (the entries are read when the directory is opened). */
class Dir {
  constructor(path, entries) {
    this.path = path;
    this._entries = entries;
    this._closed = false;
  }
  _check() { if (this._closed) throw codedError(Error, "ERR_DIR_CLOSED", "Directory handle was closed"); }
  readSync() { this._check(); return this._entries.length ? this._entries.shift() : null; }
  read(cb) {
    const p = new Promise((resolve, reject) => { try { resolve(this.readSync()); } catch (e) { reject(e); } });
    if (typeof cb === "function") { p.then((v) => cb(null, v), cb); return undefined; }
    return p;
  }
  closeSync() { this._check(); this._closed = true; }
  close(cb) {
    const p = new Promise((resolve, reject) => { try { resolve(this.closeSync()); } catch (e) { reject(e); } });
    if (typeof cb === "function") { p.then(() => cb(null), cb); return undefined; }
    return p;
  }
  async *[Symbol.asyncIterator]() {
    try { let e; while ((e = this.readSync()) !== null) yield e; } finally { if (!this._closed) this.closeSync(); }
  }
  *entries() { let e; while ((e = this.readSync()) !== null) yield e; }
}

function opendirSync(path) {
  const p = toPath(path);
  const res = host.call("fs.readdir", { path: p }, { syscall: "opendir", path: p });
  return new Dir(p, res.entries.map((e) => new Dirent(e.name, e.kind, p)));
}

/** cpSync: a recursive copy built from stat/readdir/mkdir/copyFile/readlink/symlink ops. */
function cpSync(src, dest, options) {
  const o = optsOf(options, { recursive: false, force: true, errorOnExist: false, dereference: false, filter: null });
  const from = toPath(src, "src");
  const to = toPath(dest, "dest");
  const copy = (a, b) => {
    if (typeof o.filter === "function" && !o.filter(a, b)) return;
    const st = o.dereference ? statSync(a) : lstatSync(a);
    if (st.isDirectory()) {
      if (!o.recursive) {
        throw codedError(Error, "ERR_FS_EISDIR", `Recursive option is required to copy a directory: ${a}`);
      }
      if (!existsSync(b)) mkdirSync(b, { recursive: true });
      for (const name of readdirSync(a)) copy(joinPath(a, name), joinPath(b, name));
    } else if (st.isSymbolicLink()) {
      if (existsSync(b) || lstatSync(b, { throwIfNoEntry: false })) {
        if (!o.force) { if (o.errorOnExist) throw systemError("EEXIST", "cp", b); return; }
        unlinkSync(b);
      }
      symlinkSync(readlinkSync(a), b);
    } else {
      if (lstatSync(b, { throwIfNoEntry: false })) {
        if (!o.force) { if (o.errorOnExist) throw codedError(Error, "ERR_FS_CP_EEXIST", `Target already exists: cp returned EEXIST (${b} already exists)`); return; }
      }
      copyFileSync(a, b);
    }
  };
  copy(from, to);
}

const syncApi = {
  readFileSync, writeFileSync, appendFileSync, mkdirSync, readdirSync, statSync, lstatSync, fstatSync,
  existsSync, accessSync, unlinkSync, rmSync, rmdirSync, renameSync, copyFileSync, symlinkSync,
  readlinkSync, linkSync, realpathSync, chmodSync, chownSync, utimesSync, truncateSync, ftruncateSync, openSync,
  readSync, writeSync, closeSync, fsyncSync, mkdtempSync, opendirSync, cpSync, readvSync, writevSync,
};

// ---- callback API: run the sync op, deliver on the next tick like real async I/O ----

function callbackify(name, syncFn) {
  const fn = function (...args) {
    const cb = args[args.length - 1];
    // The value Node reports is the one at the callback's position: usually a missing one.
    if (typeof cb !== "function") throw invalidArgType("cb", "of type function", args.length > syncFn.length ? cb : undefined);
    args.pop();
    let result;
    try {
      result = syncFn(...args);
    } catch (err) {
      if (isValidationError(err)) throw err; // Node validates arguments before starting the operation
      loop.nextTick(cb, [err]);
      return;
    }
    loop.nextTick(cb, [null, result]);
  };
  Object.defineProperty(fn, "name", { value: name });
  return fn;
}

const callbackApi = {};
for (const [name, fn] of Object.entries(syncApi)) {
  if (name === "existsSync") continue;
  callbackApi[name.slice(0, -4)] = callbackify(name.slice(0, -4), fn);
}
callbackApi.read = function (fd, buffer, offset, length, position, cb) {
  if (typeof buffer === "function" || typeof offset === "function" || typeof length === "function") {
    throw notSupported("fs.read without (fd, buffer, offset, length, position, cb)");
  }
  if (typeof cb !== "function") throw invalidArgType("cb", "of type function", cb);
  try {
    const n = readSync(fd, buffer, offset, length, position);
    loop.nextTick(cb, [null, n, buffer]);
  } catch (err) { if (isValidationError(err)) throw err; loop.nextTick(cb, [err]); }
};
callbackApi.write = function (fd, data, ...rest) {
  const cb = rest.pop();
  if (typeof cb !== "function") throw invalidArgType("cb", "of type function", cb);
  try {
    const n = writeSync(fd, data, ...rest);
    loop.nextTick(cb, [null, n, data]);
  } catch (err) { if (isValidationError(err)) throw err; loop.nextTick(cb, [err]); }
};
for (const [name, syncFn] of [["readv", readvSync], ["writev", writevSync]]) {
  callbackApi[name] = { [name](fd, buffers, position, cb) {
    if (typeof position === "function") { cb = position; position = null; }
    if (typeof cb !== "function") throw invalidArgType("cb", "of type function", cb);
    try {
      const n = syncFn(fd, buffers, position);
      loop.nextTick(cb, [null, n, buffers]);
    } catch (err) { if (isValidationError(err)) throw err; loop.nextTick(cb, [err]); }
  } }[name];
}
callbackApi.exists = function (path, cb) { const r = existsSync(path); loop.nextTick(cb, [r]); };
callbackApi.realpath.native = callbackApi.realpath;

// ---- promises API ----

class FileHandle {
  constructor(fd) { this.fd = fd; }
  async read(buffer, offset, length, position) {
    if (buffer === undefined || (buffer !== null && typeof buffer === "object" && !ArrayBuffer.isView(buffer))) {
      const o = buffer || {};
      buffer = o.buffer || Buffer.alloc(16384);
      offset = o.offset; length = o.length; position = o.position;
    }
    const bytesRead = readSync(this.fd, buffer, offset || 0, length === undefined ? buffer.byteLength - (offset || 0) : length, position);
    return { bytesRead, buffer };
  }
  async write(data, ...rest) {
    const bytesWritten = writeSync(this.fd, data, ...rest);
    return { bytesWritten, buffer: data };
  }
  async readv(buffers, position) { return { bytesRead: readvSync(this.fd, buffers, position), buffers }; }
  async writev(buffers, position) { return { bytesWritten: writevSync(this.fd, buffers, position), buffers }; }
  async readFile(options) { return readAllFd(this.fd, optsOf(options, { encoding: null }).encoding); }
  async writeFile(data, options) { writeSync(this.fd, toBytes(data, optsOf(options, { encoding: "utf8" }).encoding)); }
  async appendFile(data, options) { return this.writeFile(data, options); }
  async stat() { return fstatSync(this.fd); }
  async truncate(len) { ftruncateSync(this.fd, len); }
  async sync() {}
  async datasync() {}
  async close() { if (this.fd !== -1) { closeSync(this.fd); this.fd = -1; } }
  async [Symbol.asyncDispose]() { return this.close(); }
}

const promises = {};
for (const [name, fn] of Object.entries(syncApi)) {
  if (["existsSync", "openSync", "readSync", "writeSync", "closeSync", "fstatSync", "ftruncateSync", "fsyncSync", "readvSync", "writevSync"].includes(name)) continue;
  const short = name.slice(0, -4);
  promises[short] = { [short]: async (...args) => fn(...args) }[short];
}
promises.open = async (path, flags, mode) => new FileHandle(openSync(path, flags, mode));
promises.constants = constants;

// ---- streams ----

function createReadStream(path, options) {
  const { Readable } = require("./stream.js");
  const o = optsOf(options, { flags: "r", encoding: null, start: undefined, end: Infinity, highWaterMark: 65536, fd: null, autoClose: true });
  const stream = new Readable({ encoding: o.encoding || undefined });
  let fd = o.fd;
  let pos = o.start === undefined ? null : o.start;
  const end = o.end;
  stream.path = typeof path === "string" ? path : undefined;
  stream.bytesRead = 0;
  const closeFd = () => { if (fd !== null && o.autoClose !== false) { try { closeSync(fd); } catch { /* already closed */ } fd = null; } };
  stream._read = function () {
    try {
      if (fd === null) {
        fd = openSync(path, o.flags, o.mode);
        this.emit("open", fd);
        this.emit("ready");
      }
      let want = o.highWaterMark;
      if (pos !== null && end !== Infinity) want = Math.min(want, end - pos + 1);
      if (pos === null && end !== Infinity) want = Math.min(want, end - this.bytesRead + 1);
      if (want <= 0) { closeFd(); this.push(null); return; }
      const buf = Buffer.alloc(want);
      const n = readSync(fd, buf, 0, want, pos);
      if (n === 0) { closeFd(); this.push(null); return; }
      if (pos !== null) pos += n;
      this.bytesRead += n;
      this.push(buf.subarray(0, n));
    } catch (err) {
      closeFd();
      this.destroy(err);
    }
  };
  stream._destroy = (err, cb) => { closeFd(); cb(err); };
  stream.close = (cb) => { stream.destroy(); if (cb) stream.once("close", cb); };
  // Node opens eagerly, so a denied/missing file is an 'error' event even if nobody reads.
  loop.nextTick(() => {
    if (fd !== null || stream.destroyed) return;
    try {
      fd = openSync(path, o.flags, o.mode);
      stream.emit("open", fd);
      stream.emit("ready");
    } catch (err) { stream.destroy(err); }
  }, []);
  return stream;
}

function createWriteStream(path, options) {
  const { Writable } = require("./stream.js");
  const o = optsOf(options, { flags: "w", encoding: "utf8", fd: null, start: undefined, autoClose: true });
  let fd = o.fd;
  let pos = o.start === undefined ? null : o.start;
  let opened = fd !== null;
  const ensureOpen = (stream) => {
    if (fd === null && !opened) {
      opened = true;
      fd = openSync(path, o.flags, o.mode);
      stream.emit("open", fd);
      stream.emit("ready");
    }
  };
  const closeFd = () => { if (fd !== null && o.autoClose !== false) { try { closeSync(fd); } catch { /* already closed */ } fd = null; } };
  const stream = new Writable({
    write(chunk, enc, cb) {
      try {
        ensureOpen(this);
        const n = writeSync(fd, chunk, 0, chunk.length, pos);
        if (pos !== null) pos += n;
        this.bytesWritten += n;
        cb();
      } catch (err) { cb(err); }
    },
    final(cb) {
      try { ensureOpen(this); closeFd(); cb(); } catch (err) { cb(err); }
    },
    destroy(err, cb) { closeFd(); cb(err); },
  });
  stream.path = typeof path === "string" ? path : undefined;
  stream.bytesWritten = 0;
  stream.close = (cb) => { stream.end(); if (cb) stream.once("close", cb); };
  // Node opens eagerly; do it on the next tick so an open error is an 'error' event.
  loop.nextTick(() => { try { ensureOpen(stream); } catch (err) { stream.destroy(err); } }, []);
  return stream;
}

function unsupported(name) {
  return () => { throw notSupported(`fs.${name}`); };
}

module.exports = Object.assign({}, callbackApi, syncApi, {
  constants, Stats, Dirent, promises, createReadStream, createWriteStream,
  F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1,
  watch: unsupported("watch"), watchFile: unsupported("watchFile"), unwatchFile: unsupported("unwatchFile"),
  lchown: unsupported("lchown"), lchownSync: unsupported("lchownSync"),
  Dir, BigIntStats,
});
module.exports.promises.watch = unsupported("promises.watch");

