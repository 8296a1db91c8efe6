// http/https client on top of the fetch op: a ClientRequest collects the body, end() makes one
// net.fetch.start with redirect "manual" (Node's http never follows redirects). No servers.
"use strict";

const { Buffer } = require("buffer");
const EventEmitter = require("events");
const host = require("../internal/host.js");
const loop = require("../internal/loop.js");

const later = (fn) => loop.nextTick(fn, []);
const { notSupported } = require("../internal/errors.js");

const STATUS_CODES = {
  100: "Continue", 101: "Switching Protocols", 200: "OK", 201: "Created", 202: "Accepted", 204: "No Content",
  206: "Partial Content", 301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified",
  307: "Temporary Redirect", 308: "Permanent Redirect", 400: "Bad Request", 401: "Unauthorized",
  403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout", 409: "Conflict",
  410: "Gone", 413: "Payload Too Large", 415: "Unsupported Media Type", 418: "I'm a Teapot",
  422: "Unprocessable Entity", 429: "Too Many Requests", 500: "Internal Server Error",
  501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
};
const METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"];

class Agent {
  constructor(options) { this.options = options || {}; this.keepAlive = !!this.options.keepAlive; }
  destroy() {}
}

function toUrl(input, options, defaultProtocol) {
  const { URL } = require("./url.js");
  let o = {};
  let url;
  if (typeof input === "string" || (input && typeof input.href === "string")) {
    url = new URL(String(input.href || input));
    o = options && typeof options === "object" ? options : {};
  } else {
    o = input || {};
    const protocol = o.protocol || defaultProtocol;
    const hostname = o.hostname || (o.host ? String(o.host).replace(/:\d+$/, "") : "localhost");
    const port = o.port ? `:${o.port}` : "";
    url = new URL(`${protocol}//${hostname.includes(":") ? `[${hostname}]` : hostname}${port}${o.path || "/"}`);
  }
  return { url, o };
}

class IncomingMessage extends require("./stream.js").Readable {
  constructor(res) {
    super();
    this.statusCode = res.status;
    this.statusMessage = res.statusText || STATUS_CODES[res.status] || "";
    this.httpVersion = "1.1";
    this.httpVersionMajor = 1;
    this.httpVersionMinor = 1;
    this.headers = {};
    this.rawHeaders = [];
    for (const [k, v] of res.headers || []) {
      const key = k.toLowerCase();
      this.rawHeaders.push(k, v);
      if (key === "set-cookie") (this.headers[key] = this.headers[key] || []).push(v);
      else this.headers[key] = this.headers[key] === undefined ? v : `${this.headers[key]}, ${v}`;
    }
    this.trailers = {};
    this.complete = false;
    const body = Buffer.from(res.body_b64 || "", "base64");
    if (body.length) this.push(body);
    this.push(null);
    this.once("end", () => { this.complete = true; });
  }
  setTimeout() { return this; }
}

class ClientRequest extends EventEmitter {
  constructor(url, o, cb) {
    super();
    this._url = url;
    this.method = String(o.method || "GET").toUpperCase();
    this.path = url.pathname + url.search;
    this.host = url.hostname;
    this.protocol = url.protocol;
    this._headers = new Map();
    const h = o.headers || {};
    for (const k of Object.keys(h)) this.setHeader(k, h[k]);
    if (o.auth && !this.hasHeader("authorization")) this.setHeader("Authorization", "Basic " + Buffer.from(o.auth).toString("base64"));
    this._chunks = [];
    this._ended = false;
    this.finished = false;
    this.aborted = false;
    this.destroyed = false;
    this.writable = true;
    if (cb) this.once("response", cb);
    if (o.signal) o.signal.addEventListener("abort", () => this.destroy(o.signal.reason));
  }
  setHeader(name, value) { this._headers.set(String(name).toLowerCase(), [String(name), value]); return this; }
  getHeader(name) { const e = this._headers.get(String(name).toLowerCase()); return e ? e[1] : undefined; }
  hasHeader(name) { return this._headers.has(String(name).toLowerCase()); }
  removeHeader(name) { this._headers.delete(String(name).toLowerCase()); }
  getHeaders() { const o = {}; for (const [k, [, v]] of this._headers) o[k] = v; return o; }
  getHeaderNames() { return [...this._headers.keys()]; }
  flushHeaders() {}
  setTimeout(ms, cb) { if (cb) this.once("timeout", cb); return this; }
  setNoDelay() {}
  setSocketKeepAlive() {}
  write(chunk, encoding, cb) {
    if (typeof encoding === "function") { cb = encoding; encoding = undefined; }
    if (this._ended) {
      const err = new Error("write after end");
      err.code = "ERR_STREAM_WRITE_AFTER_END";
      later(() => this.emit("error", err));
      return false;
    }
    this._chunks.push(typeof chunk === "string" ? Buffer.from(chunk, encoding || "utf8") : Buffer.from(chunk));
    if (cb) later(cb);
    return true;
  }
  end(chunk, encoding, cb) {
    if (typeof chunk === "function") { cb = chunk; chunk = undefined; }
    if (typeof encoding === "function") { cb = encoding; encoding = undefined; }
    if (chunk !== undefined && chunk !== null) this.write(chunk, encoding);
    if (this._ended) return this;
    this._ended = true;
    this.finished = true;
    const headers = [];
    for (const [, [name, v]] of this._headers) {
      if (Array.isArray(v)) for (const x of v) headers.push([name, String(x)]);
      else headers.push([name, String(v)]);
    }
    const body = this._chunks.length ? Buffer.concat(this._chunks) : null;
    const url = this._url.href;
    later(() => {
      if (this.destroyed) return;
      let p;
      try {
        p = host.start("net.fetch.start", { url, method: this.method, headers, body_b64: body ? body.toString("base64") : null, redirect: "manual" }, { syscall: "connect", path: url });
      } catch (err) {
        this.destroy(err);
        return;
      }
      this.emit("finish");
      if (cb) cb();
      p.then((res) => {
        if (this.destroyed) return;
        const msg = new IncomingMessage(res);
        if (this.listenerCount("response") === 0) msg.resume();
        this.emit("response", msg);
        this.emit("close");
      }, (err) => this.destroy(err));
    });
    return this;
  }
  abort() { this.aborted = true; this.destroy(); }
  destroy(err) {
    if (this.destroyed) return this;
    this.destroyed = true;
    later(() => { if (err) this.emit("error", err); this.emit("close"); });
    return this;
  }
}

function makeModule(defaultProtocol) {
  const request = (input, options, cb) => {
    if (typeof options === "function") { cb = options; options = undefined; }
    const { url, o } = toUrl(input, options, defaultProtocol);
    return new ClientRequest(url, o, cb);
  };
  const get = (input, options, cb) => {
    const req = request(input, options, cb);
    req.end();
    return req;
  };
  return {
    request, get, Agent, ClientRequest, IncomingMessage, STATUS_CODES, METHODS,
    globalAgent: new Agent(),
    createServer: () => { throw notSupported(`${defaultProtocol === "https:" ? "https" : "http"}.createServer`); },
    Server: function Server() { throw notSupported("http.Server"); },
    validateHeaderName: (n) => { if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(String(n))) throw new TypeError(`Header name must be a valid HTTP token ["${n}"]`); },
    validateHeaderValue: () => {},
    maxHeaderSize: 16384,
  };
}

module.exports = { http: makeModule("http:"), https: makeModule("https:") };
