// Small fixes applied to the bundled npm packages so they behave like Node where plugins can
// tell the difference (error codes, encodings). Each patch is local and idempotent.
"use strict";

const { Buffer } = require("buffer");
const EventEmitter = require("events");

// Buffer codecs. The npm package codes base64/utf-8 byte by byte in JS, which an interpreter runs
// at ~1 us/byte (100 KB: 80 ms to decode base64, 117 ms to encode UTF-8). QuickJS-NG has native
// Uint8Array.fromBase64/toBase64, atob/btoa and the URI functions, so the hot paths (every fs and
// network byte crosses as base64) go through those when present, falling back to the package.
const U8 = Uint8Array;
const nativeB64 = typeof U8.fromBase64 === "function" && typeof U8.prototype.toBase64 === "function";
const hasWellFormed = typeof String.prototype.isWellFormed === "function";

function asBuffer(u8) { return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength); }

function base64ToBytes(str, url) {
  // Node is lenient (stray characters, mixed alphabets): whatever the native decoder rejects goes
  // to the package's decoder instead. Whitespace and missing padding are fine for both.
  if (!nativeB64) return null;
  try {
    return asBuffer(U8.fromBase64(str, { alphabet: url ? "base64url" : "base64", lastChunkHandling: "loose" }));
  } catch {
    return null;
  }
}

function utf8ToBytes(str) {
  if (hasWellFormed && !str.isWellFormed()) return null; // lone surrogates: the package does U+FFFD
  try {
    const bin = unescape(encodeURIComponent(str));
    if (nativeB64) return asBuffer(U8.fromBase64(btoa(bin)));
    const out = Buffer.allocUnsafe(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

function bytesToBinary(view) {
  if (nativeB64) return atob(U8.prototype.toBase64.call(view));
  let s = "";
  for (let i = 0; i < view.length; i += 8192) s += String.fromCharCode.apply(null, view.subarray(i, i + 8192));
  return s;
}

function bytesToUtf8(view) {
  if (view.length < 64) return null; // short strings: the package is fast enough, and exact
  try {
    return decodeURIComponent(escape(bytesToBinary(view)));
  } catch {
    return null; // invalid UTF-8: the package's decoder produces the replacement characters
  }
}

const toStr = Buffer.prototype.toString;
Buffer.prototype.toString = function toString(encoding, start, end) {
  const enc = typeof encoding === "string" ? encoding.toLowerCase() : encoding === undefined ? "utf8" : encoding;
  const whole = (start === undefined || start === 0) && (end === undefined || end >= this.length);
  const view = whole ? this : this.subarray(Math.max(0, start | 0), end === undefined ? this.length : Math.min(this.length, end | 0));
  if (enc === "base64url") {
    if (nativeB64) return U8.prototype.toBase64.call(view, { alphabet: "base64url", omitPadding: true });
    return toStr.call(view, "base64").replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  if (enc === "base64" && nativeB64) return U8.prototype.toBase64.call(view);
  if (enc === "hex" && typeof U8.prototype.toHex === "function") return U8.prototype.toHex.call(view);
  if ((enc === "latin1" || enc === "binary") && nativeB64) return bytesToBinary(view);
  if (enc === "utf8" || enc === "utf-8") {
    const fast = bytesToUtf8(view);
    if (fast !== null) return fast;
  }
  return toStr.apply(this, arguments);
};
const isEnc = Buffer.isEncoding;
Buffer.isEncoding = (e) => (typeof e === "string" && e.toLowerCase() === "base64url") || isEnc(e);
const from = Buffer.from;
Buffer.from = function (value, enc, len) {
  if (typeof value === "string") {
    const e = typeof enc === "string" ? enc.toLowerCase() : "utf8";
    if (e === "base64" || e === "base64url") {
      const fast = base64ToBytes(value, e === "base64url");
      if (fast !== null) return fast;
      if (e === "base64url") enc = "base64"; // the package's decoder accepts - and _ as well
    } else if ((e === "utf8" || e === "utf-8") && value.length >= 64) {
      const fast = utf8ToBytes(value);
      if (fast !== null) return fast;
    }
  }
  return from.call(this, value, enc, len);
};
// Node's RangeErrors carry codes.
for (const name of ["alloc", "allocUnsafe", "allocUnsafeSlow"]) {
  const orig = Buffer[name];
  Buffer[name] = function (size, ...rest) {
    if (typeof size !== "number") {
      const err = new TypeError(`The "size" argument must be of type number. Received ${typeof size}`);
      err.code = "ERR_INVALID_ARG_TYPE";
      throw err;
    }
    if (!(size >= 0 && size <= 2147483647)) {
      const err = new RangeError(`The value of "size" is out of range. It must be >= 0 && <= 2147483647. Received ${size}`);
      err.code = "ERR_OUT_OF_RANGE";
      throw err;
    }
    return orig.call(this, size, ...rest);
  };
}
for (const key of Object.getOwnPropertyNames(Buffer.prototype)) {
  if (!/^(read|write)(U?Int|Float|Double|BigU?Int)/.test(key)) continue;
  const orig = Buffer.prototype[key];
  Buffer.prototype[key] = function (...args) {
    try {
      return orig.apply(this, args);
    } catch (err) {
      if (err instanceof RangeError && err.code === undefined) {
        err.code = /beyond buffer length|out of range/i.test(err.message) && !/value/i.test(err.message) ? "ERR_BUFFER_OUT_OF_BOUNDS" : "ERR_OUT_OF_RANGE";
      }
      throw err;
    }
  };
}
for (const key of ["swap16", "swap32", "swap64"]) {
  const orig = Buffer.prototype[key];
  Buffer.prototype[key] = function () {
    try { return orig.call(this); } catch (err) { if (err instanceof RangeError) err.code = "ERR_INVALID_BUFFER_SIZE"; throw err; }
  };
}

// events: Node's codes for a bad listener and for an unhandled non-Error 'error'.
for (const key of ["on", "addListener", "once", "prependListener", "prependOnceListener", "removeListener", "off"]) {
  const orig = EventEmitter.prototype[key];
  EventEmitter.prototype[key] = function (type, listener) {
    if (typeof listener !== "function") {
      const err = new TypeError(`The "listener" argument must be of type function. Received ${listener === null ? "null" : typeof listener}`);
      err.code = "ERR_INVALID_ARG_TYPE";
      throw err;
    }
    return orig.call(this, type, listener);
  };
}
EventEmitter.errorMonitor = EventEmitter.errorMonitor || Symbol("events.errorMonitor");
const emit = EventEmitter.prototype.emit;
EventEmitter.prototype.emit = function (type, ...args) {
  if (type === "error" && this._events !== undefined && this._events[EventEmitter.errorMonitor] !== undefined) {
    emit.call(this, EventEmitter.errorMonitor, ...args);
  }
  if (type === "error" && (this._events === undefined || this._events.error === undefined)) {
    const er = args[0];
    if (er instanceof Error) throw er;
    const { inspect } = require("../modules/util.js");
    const err = new Error(`Unhandled error. (${inspect(er)})`);
    err.code = "ERR_UNHANDLED_ERROR";
    err.context = er;
    throw err;
  }
  return emit.call(this, type, ...args);
};

module.exports = {};
