// fetch/Headers/Request/Response/AbortController: buffered bodies over one async host op
// (net.fetch.start). The host does DNS, SSRF checks and redirects; the guest only shapes the API.
"use strict";

const { Buffer } = require("buffer");
const host = require("../internal/host.js");
const { invalidArgType } = require("../internal/errors.js");

class Headers {
  constructor(init) {
    this._map = new Map(); // lower name -> [name, values[]]
    if (init instanceof Headers) init.forEach((v, k) => this.append(k, v));
    else if (Array.isArray(init)) for (const [k, v] of init) this.append(k, v);
    else if (init && typeof init === "object") for (const k of Object.keys(init)) this.append(k, init[k]);
  }
  static _check(name) {
    const n = String(name);
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(n)) throw new TypeError(`Headers: invalid header name "${n}"`);
    return n.toLowerCase();
  }
  append(name, value) {
    const k = Headers._check(name);
    const v = String(value).trim();
    const cur = this._map.get(k);
    if (cur) cur.push(v); else this._map.set(k, [v]);
  }
  set(name, value) { this._map.set(Headers._check(name), [String(value).trim()]); }
  get(name) {
    const v = this._map.get(Headers._check(name));
    return v ? v.join(", ") : null;
  }
  getSetCookie() { return (this._map.get("set-cookie") || []).slice(); }
  has(name) { return this._map.has(Headers._check(name)); }
  delete(name) { this._map.delete(Headers._check(name)); }
  forEach(fn, self) { for (const [k, v] of this) fn.call(self, v, k, this); }
  *entries() {
    for (const k of [...this._map.keys()].sort()) {
      if (k === "set-cookie") for (const v of this._map.get(k)) yield [k, v];
      else yield [k, this._map.get(k).join(", ")];
    }
  }
  *keys() { for (const [k] of this.entries()) yield k; }
  *values() { for (const [, v] of this.entries()) yield v; }
  [Symbol.iterator]() { return this.entries(); }
  _pairs() { const out = []; for (const [k, vs] of this._map) for (const v of vs) out.push([k, v]); return out; }
}

function bodyBytes(body) {
  if (body === undefined || body === null) return null;
  if (typeof body === "string") return Buffer.from(body, "utf8");
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof Blob) return body._bytes;
  if (body && typeof body.toString === "function" && body.constructor && body.constructor.name === "URLSearchParams") return Buffer.from(body.toString(), "utf8");
  throw invalidArgType("body", "a string, ArrayBuffer, TypedArray or URLSearchParams", body);
}

/** Blob: in-memory bytes with a type (enough for Response.blob() and simple uploads). */
class Blob {
  constructor(parts, options) {
    const chunks = [];
    for (const p of parts || []) {
      if (p instanceof Blob) chunks.push(p._bytes);
      else chunks.push(bodyBytes(p) || Buffer.alloc(0));
    }
    this._bytes = Buffer.concat(chunks);
    this.type = options && options.type ? String(options.type).toLowerCase() : "";
  }
  get size() { return this._bytes.length; }
  text() { return Promise.resolve(this._bytes.toString("utf8")); }
  arrayBuffer() { const b = this._bytes; return Promise.resolve(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)); }
  bytes() { return Promise.resolve(new Uint8Array(this._bytes)); }
  slice(start, end, type) { const b = new Blob([], { type }); b._bytes = Buffer.from(this._bytes.subarray(start, end)); return b; }
}

/** A one-chunk stand-in for a WHATWG ReadableStream body: getReader() and async iteration. */
function bodyStream(owner) {
  let done = false;
  const take = () => {
    if (done || owner.bodyUsed) return { value: undefined, done: true };
    done = true;
    owner.bodyUsed = true;
    return { value: new Uint8Array(owner._bytes), done: false };
  };
  return {
    get locked() { return owner.bodyUsed; },
    getReader() {
      return { read: () => Promise.resolve(take()), releaseLock() {}, cancel: () => Promise.resolve(), closed: Promise.resolve() };
    },
    async *[Symbol.asyncIterator]() { const r = take(); if (!r.done) yield r.value; },
    cancel: () => Promise.resolve(),
  };
}

class Body {
  _initBody(bytes) { this._bytes = bytes; this.bodyUsed = false; }
  _consume() {
    if (this.bodyUsed) return Promise.reject(new TypeError("Body is unusable: Body has already been read"));
    this.bodyUsed = true;
    return Promise.resolve(this._bytes || Buffer.alloc(0));
  }
  get body() {
    if (this._bytes === null) return null;
    if (!this._stream) Object.defineProperty(this, "_stream", { value: bodyStream(this), enumerable: false });
    return this._stream;
  }
  text() { return this._consume().then((b) => b.toString("utf8")); }
  json() { return this.text().then((t) => JSON.parse(t)); }
  arrayBuffer() { return this._consume().then((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)); }
  bytes() { return this._consume().then((b) => new Uint8Array(b)); }
  blob() { return this._consume().then((b) => new Blob([b], { type: (this.headers && this.headers.get("content-type")) || "" })); }
  formData() { return Promise.reject(require("../internal/errors.js").notSupported("Body.formData")); }
}

class Request extends Body {
  constructor(input, init) {
    super();
    const i = init || {};
    const base = input instanceof Request ? input : null;
    this.url = base ? base.url : String(input && input.href !== undefined ? input.href : input);
    this.method = String(i.method || (base && base.method) || "GET").toUpperCase();
    this.headers = new Headers(i.headers || (base && base.headers));
    this.redirect = i.redirect || (base && base.redirect) || "follow";
    this.signal = i.signal || (base && base.signal) || null;
    const bytes = i.body !== undefined ? bodyBytes(i.body) : base ? base._bytes : null;
    if (bytes && (this.method === "GET" || this.method === "HEAD")) throw new TypeError("Request with GET/HEAD method cannot have body.");
    if (typeof i.body === "string" && !this.headers.has("content-type")) this.headers.set("content-type", "text/plain;charset=UTF-8");
    this._initBody(bytes);
  }
  clone() { return new Request(this); }
}

class Response extends Body {
  constructor(body, init) {
    super();
    const i = init || {};
    this.status = i.status === undefined ? 200 : i.status;
    this.statusText = i.statusText || "";
    this.headers = new Headers(i.headers);
    this.ok = this.status >= 200 && this.status < 300;
    this.url = i.url || "";
    this.redirected = !!i.redirected;
    this.type = "basic";
    this._initBody(bodyBytes(body));
  }
  clone() { if (this.bodyUsed) throw new TypeError("Response.clone: Body has already been consumed."); return new Response(this._bytes, this); }
  static json(data, init) {
    const r = new Response(JSON.stringify(data), init);
    if (!r.headers.has("content-type")) r.headers.set("content-type", "application/json");
    return r;
  }
  static error() { const r = new Response(null, { status: 0 }); r.type = "error"; return r; }
  static redirect(url, status = 302) { return new Response(null, { status, headers: { location: String(url) } }); }
}

const { EventTarget, Event } = require("./event_target.js");

class AbortSignal extends EventTarget {
  constructor() { super(); this.aborted = false; this.reason = undefined; this.onabort = null; }
  throwIfAborted() { if (this.aborted) throw this.reason; }
  _abort(reason) {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason === undefined ? abortError("This operation was aborted") : reason;
    const ev = new Event("abort");
    if (typeof this.onabort === "function") this.onabort.call(this, ev);
    this.dispatchEvent(ev);
  }
  static abort(reason) { const s = new AbortSignal(); s._abort(reason); return s; }
  static timeout(ms) {
    const s = new AbortSignal();
    require("../internal/loop.js").addTimer(() => s._abort(abortError("The operation was aborted due to timeout", "TimeoutError")), ms, [], false).unref();
    return s;
  }
  static any(signals) {
    const s = new AbortSignal();
    for (const x of signals) {
      if (x.aborted) { s._abort(x.reason); break; }
      x.addEventListener("abort", () => s._abort(x.reason), { once: true });
    }
    return s;
  }
}

class AbortController {
  constructor() { this.signal = new AbortSignal(); }
  abort(reason) { this.signal._abort(reason); }
}

function abortError(message, name = "AbortError") {
  const e = new Error(message);
  e.name = name;
  e.code = name === "AbortError" ? 20 : 23;
  return e;
}

function fetch(input, init) {
  let req;
  try {
    req = new Request(input, init);
  } catch (err) {
    return Promise.reject(err);
  }
  if (req.signal && req.signal.aborted) return Promise.reject(req.signal.reason);
  const args = {
    url: req.url, method: req.method, headers: req.headers._pairs(),
    body_b64: req._bytes ? req._bytes.toString("base64") : null, redirect: req.redirect,
  };
  let p;
  try {
    p = host.start("net.fetch.start", args, { syscall: "connect", path: req.url });
  } catch (err) {
    return Promise.reject(failed(err));
  }
  const result = p.then((res) => new Response(Buffer.from(res.body_b64 || "", "base64"), {
    status: res.status, statusText: res.statusText || "", headers: res.headers || [], url: res.url || req.url, redirected: !!res.redirected,
  }), (err) => { throw failed(err); });
  if (!req.signal) return result;
  return new Promise((resolve, reject) => {
    req.signal.addEventListener("abort", () => reject(req.signal.reason));
    result.then(resolve, reject);
  });
}

/** Like undici: a TypeError("fetch failed") whose cause is the Node-style system error. */
function failed(cause) {
  const err = new TypeError(`fetch failed: ${cause.message}`);
  err.cause = cause;
  if (cause.code) err.code = cause.code;
  return err;
}

module.exports = { fetch, Headers, Request, Response, AbortController, AbortSignal, Blob };
