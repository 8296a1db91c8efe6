// Small fixes applied to the bundled npm packages so they behave like Node where plugins can
// tell the difference (error codes, encodings). Each patch is local and idempotent.
"use strict";

const { Buffer } = require("buffer");
const EventEmitter = require("events");

// Buffer: base64url (Node >= 15) on top of the base64 codec, which already accepts - and _.
const toStr = Buffer.prototype.toString;
Buffer.prototype.toString = function toString(encoding, start, end) {
  if (typeof encoding === "string" && encoding.toLowerCase() === "base64url") {
    return toStr.call(this, "base64", start, end).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  return toStr.apply(this, arguments);
};
const isEnc = Buffer.isEncoding;
Buffer.isEncoding = (e) => (typeof e === "string" && e.toLowerCase() === "base64url") || isEnc(e);
const from = Buffer.from;
Buffer.from = function (value, enc, len) {
  if (typeof value === "string" && typeof enc === "string" && enc.toLowerCase() === "base64url") enc = "base64";
  return from.call(this, value, enc, len);
};
const byteLength = Buffer.byteLength;
Buffer.byteLength = function (s, enc) {
  if (typeof enc === "string" && enc.toLowerCase() === "base64url") enc = "base64";
  return byteLength.call(this, s, enc);
};
const write = Buffer.prototype.write;
Buffer.prototype.write = function (s, a, b, c) {
  const args = [s, a, b, c].map((x) => (typeof x === "string" && x.toLowerCase() === "base64url" ? "base64" : x));
  return write.apply(this, args);
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
