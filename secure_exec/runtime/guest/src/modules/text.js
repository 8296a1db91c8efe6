// TextEncoder/TextDecoder: QuickJS has neither. UTF-8 (with fatal mode and streaming), UTF-16LE and
// latin1 cover what plugins use; other labels throw a RangeError like browsers do.
"use strict";

const { Buffer } = require("buffer");

class TextEncoder {
  get encoding() { return "utf-8"; }
  encode(input = "") {
    const b = Buffer.from(String(input), "utf8");
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice();
  }
  encodeInto(src, dest) {
    const b = Buffer.from(String(src), "utf8");
    let n = Math.min(b.length, dest.length);
    while (n > 0 && n < b.length && (b[n] & 0xc0) === 0x80) n--; // never split a character
    dest.set(b.subarray(0, n));
    const read = Buffer.from(b.subarray(0, n)).toString("utf8").length;
    return { read, written: n };
  }
}

const LABELS = { "utf-8": "utf-8", utf8: "utf-8", "unicode-1-1-utf-8": "utf-8", "utf-16le": "utf-16le", "utf-16": "utf-16le", latin1: "windows-1252", "iso-8859-1": "windows-1252", "windows-1252": "windows-1252", ascii: "windows-1252", "us-ascii": "windows-1252" };

/** Length of a valid UTF-8 prefix, or -1 at the first invalid sequence (complete input). */
function utf8Check(b, final) {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    let n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n === -1) return -1;
    if (i + n >= b.length && n > 0) {
      for (let j = i + 1; j < b.length; j++) if ((b[j] & 0xc0) !== 0x80) return -1;
      return final ? -1 : i;
    }
    for (let j = 1; j <= n; j++) if ((b[i + j] & 0xc0) !== 0x80) return -1;
    if (n === 2) {
      const cp = ((c & 0x0f) << 12) | ((b[i + 1] & 0x3f) << 6) | (b[i + 2] & 0x3f);
      if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
    } else if (n === 3) {
      const cp = ((c & 0x07) << 18) | ((b[i + 1] & 0x3f) << 12) | ((b[i + 2] & 0x3f) << 6) | (b[i + 3] & 0x3f);
      if (cp < 0x10000 || cp > 0x10ffff) return -1;
    }
    i += n + 1;
  }
  return i;
}

class TextDecoder {
  constructor(label = "utf-8", options) {
    const enc = LABELS[String(label).trim().toLowerCase()];
    if (!enc) {
      const err = new RangeError(`The "${label}" encoding is not supported`);
      err.code = "ERR_ENCODING_NOT_SUPPORTED";
      throw err;
    }
    this._enc = enc;
    this._fatal = !!(options && options.fatal);
    this._ignoreBOM = !!(options && options.ignoreBOM);
    this._pending = Buffer.alloc(0);
    this._bomSeen = false;
  }
  get encoding() { return this._enc; }
  get fatal() { return this._fatal; }
  get ignoreBOM() { return this._ignoreBOM; }
  decode(input, options) {
    const stream = !!(options && options.stream);
    let b;
    if (input === undefined) b = Buffer.alloc(0);
    else if (input instanceof ArrayBuffer) b = Buffer.from(input);
    else if (ArrayBuffer.isView(input)) b = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    else throw new TypeError('The "input" argument must be an instance of ArrayBuffer or ArrayBufferView');
    if (this._pending.length) b = Buffer.concat([this._pending, b]);
    this._pending = Buffer.alloc(0);
    let out;
    if (this._enc === "utf-8") {
      const ok = utf8Check(b, !stream);
      if (ok === -1 && this._fatal) {
        const err = new TypeError("The encoded data was not valid for encoding utf-8");
        err.code = "ERR_ENCODING_INVALID_ENCODED_DATA";
        throw err;
      }
      let end = b.length;
      if (stream) {
        // keep an incomplete trailing sequence for the next call
        let k = b.length - 1;
        let back = 0;
        while (k >= 0 && back < 3 && (b[k] & 0xc0) === 0x80) { k--; back++; }
        if (k >= 0 && b[k] >= 0xc0) {
          const need = b[k] >= 0xf0 ? 3 : b[k] >= 0xe0 ? 2 : 1;
          if (back < need) end = k;
        }
      }
      this._pending = Buffer.from(b.subarray(end));
      out = b.subarray(0, end).toString("utf8");
    } else if (this._enc === "utf-16le") {
      const end = stream ? b.length - (b.length % 2) : b.length;
      this._pending = Buffer.from(b.subarray(end));
      out = b.subarray(0, end).toString("utf16le");
    } else {
      out = b.toString("latin1");
    }
    if (!this._ignoreBOM && !this._bomSeen && out.length > 0) {
      if (out.charCodeAt(0) === 0xfeff) out = out.slice(1);
      this._bomSeen = true;
    }
    if (!stream) this._bomSeen = false;
    return out;
  }
}

module.exports = { TextEncoder, TextDecoder };
