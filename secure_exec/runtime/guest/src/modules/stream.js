// stream: a deliberately small Readable/Writable/Duplex/Transform (enough for fs streams, child
// process stdio, http bodies and pipe()). The npm readable-stream is ~100 KB and leans on Node
// internals; the guest only needs the common event contract.
"use strict";

const EventEmitter = require("events");
const { Buffer } = require("buffer");
const loop = require("../internal/loop.js");

function later(fn) { loop.nextTick(fn, []); }

function toChunk(chunk, encoding, objectMode) {
  if (objectMode) return chunk;
  if (typeof chunk === "string") return Buffer.from(chunk, encoding || "utf8");
  if (chunk instanceof Uint8Array) return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const err = new TypeError('The "chunk" argument must be of type string or an instance of Buffer or Uint8Array');
  err.code = "ERR_INVALID_ARG_TYPE";
  throw err;
}

class Readable extends EventEmitter {
  constructor(opts) {
    super();
    const o = opts || {};
    this._rs = { buffer: [], flowing: null, ended: false, endEmitted: false, reading: false, scheduled: false, objectMode: !!(o.objectMode || o.readableObjectMode), decoder: null, encoding: null };
    this.readable = true;
    this.destroyed = false;
    this.readableEnded = false;
    if (typeof o.read === "function") this._read = o.read;
    if (typeof o.destroy === "function") this._destroy = o.destroy;
    if (o.encoding) this.setEncoding(o.encoding);
  }
  _read() {}
  push(chunk, encoding) {
    const s = this._rs;
    if (chunk === null) {
      s.ended = true;
    } else if (!s.ended) {
      let c = toChunk(chunk, encoding, s.objectMode);
      if (s.decoder) c = s.decoder.write(c);
      if (s.objectMode || c.length > 0) s.buffer.push(c);
    }
    s.reading = false;
    this._schedule();
    return !s.ended;
  }
  unshift(chunk) { this._rs.buffer.unshift(chunk); }
  setEncoding(enc) {
    const { StringDecoder } = require("string_decoder");
    this._rs.decoder = new StringDecoder(enc);
    this._rs.encoding = enc;
    return this;
  }
  on(ev, fn) {
    super.on(ev, fn);
    if (ev === "data" && this._rs.flowing !== false) this.resume();
    if (ev === "readable") this._schedule();
    return this;
  }
  resume() { this._rs.flowing = true; this._schedule(); return this; }
  pause() { this._rs.flowing = false; return this; }
  isPaused() { return this._rs.flowing === false; }
  read() {
    const s = this._rs;
    if (s.buffer.length === 0) {
      if (!s.ended && !s.reading) { s.reading = true; this._read(16384); }
      if (s.buffer.length === 0) { this._schedule(); return null; }
    }
    const chunks = s.buffer.splice(0, s.buffer.length);
    this._schedule();
    if (s.objectMode) return chunks[0];
    return typeof chunks[0] === "string" ? chunks.join("") : Buffer.concat(chunks);
  }
  _schedule() {
    if (this._rs.scheduled || this.destroyed) return;
    this._rs.scheduled = true;
    later(() => { this._rs.scheduled = false; this._flow(); });
  }
  _flow() {
    const s = this._rs;
    if (this.destroyed) return;
    if (s.flowing) {
      while (s.flowing && s.buffer.length > 0) this.emit("data", s.buffer.shift());
    } else if (s.buffer.length > 0 && this.listenerCount("readable") > 0) {
      this.emit("readable");
    }
    if (s.ended && s.buffer.length === 0) {
      if (!s.endEmitted) {
        s.endEmitted = true;
        this.readable = false;
        this.readableEnded = true;
        this.emit("end");
        later(() => { if (!this.destroyed) this.destroy(); });
      }
      return;
    }
    if (s.flowing && !s.reading && !s.ended) {
      s.reading = true;
      try { this._read(16384); } catch (err) { this.destroy(err); }
    }
  }
  destroy(err) {
    if (this.destroyed) return this;
    this.destroyed = true;
    const done = (e) => later(() => { if (e) this.emit("error", e); this.emit("close"); });
    if (this._destroy) this._destroy(err || null, done); else done(err);
    return this;
  }
  pipe(dest, opts) {
    const end = !opts || opts.end !== false;
    this.on("data", (c) => { if (dest.write(c) === false && typeof dest.once === "function") { /* no backpressure: buffers are in memory */ } });
    if (end) this.once("end", () => dest.end());
    dest.emit && dest.emit("pipe", this);
    return dest;
  }
  unpipe() { this.removeAllListeners("data"); return this; }
  async *[Symbol.asyncIterator]() {
    const queue = [];
    let done = false;
    let error = null;
    let wake = null;
    this.on("data", (c) => { queue.push(c); if (wake) wake(); });
    this.once("end", () => { done = true; if (wake) wake(); });
    this.once("error", (e) => { error = e; if (wake) wake(); });
    this.once("close", () => { done = true; if (wake) wake(); });
    while (true) {
      if (queue.length) { yield queue.shift(); continue; }
      if (error) throw error;
      if (done) return;
      await new Promise((r) => { wake = r; });
      wake = null;
    }
  }
  static from(iterable, opts) {
    const it = iterable[Symbol.asyncIterator] ? iterable[Symbol.asyncIterator]() : iterable[Symbol.iterator]();
    const r = new Readable(Object.assign({ objectMode: true }, opts));
    if (typeof iterable === "string" || iterable instanceof Uint8Array) { r.push(iterable); r.push(null); return r; }
    r._read = function () {
      Promise.resolve(it.next()).then((res) => { if (res.done) this.push(null); else this.push(res.value); }, (e) => this.destroy(e));
    };
    return r;
  }
}

const writableMethods = {
  _initWritable(o) {
    this._ws = { queue: [], writing: false, ending: false, finished: false, objectMode: !!(o.objectMode || o.writableObjectMode), decodeStrings: o.decodeStrings !== false };
    this.writable = true;
    this.writableEnded = false;
    this.writableFinished = false;
    if (typeof o.write === "function") this._write = o.write;
    if (typeof o.final === "function") this._final = o.final;
  },
  write(chunk, encoding, cb) {
    if (typeof encoding === "function") { cb = encoding; encoding = undefined; }
    const s = this._ws;
    if (s.ending) {
      const err = new Error("write after end");
      err.code = "ERR_STREAM_WRITE_AFTER_END";
      later(() => { if (cb) cb(err); this.emit("error", err); });
      return false;
    }
    const data = s.objectMode || (!s.decodeStrings && typeof chunk === "string") ? chunk : toChunk(chunk, encoding, false);
    s.queue.push([data, encoding || (typeof chunk === "string" ? "utf8" : "buffer"), cb]);
    this._drain();
    return true;
  },
  _drain() {
    const s = this._ws;
    if (s.writing) return;
    const item = s.queue.shift();
    if (!item) {
      if (s.ending && !s.finished) this._finish();
      return;
    }
    s.writing = true;
    this._write(item[0], item[1], (err) => {
      s.writing = false;
      if (item[2]) item[2](err || null);
      if (err) { this.destroy(err); return; }
      later(() => this._drain());
    });
  },
  _finish() {
    const s = this._ws;
    s.finished = true;
    const done = (err) => {
      if (err) { this.destroy(err); return; }
      this.writableFinished = true;
      later(() => {
        for (const f of this._ws.onFinished || []) f();
        this.emit("finish"); if (!this.destroyed && !(this._rs && !this._rs.endEmitted)) this.destroy(); });
    };
    if (this._final) this._final(done); else done();
  },
  end(chunk, encoding, cb) {
    if (typeof chunk === "function") { cb = chunk; chunk = undefined; }
    if (typeof encoding === "function") { cb = encoding; encoding = undefined; }
    if (chunk !== undefined && chunk !== null) this.write(chunk, encoding);
    if (cb) (this._ws.onFinished = this._ws.onFinished || []).push(cb);
    if (!this._ws.ending) {
      this._ws.ending = true;
      this.writableEnded = true;
      this._drain();
    }
    return this;
  },
  cork() {},
  uncork() {},
  setDefaultEncoding() { return this; },
};

class Writable extends EventEmitter {
  constructor(opts) {
    super();
    this._initWritable(opts || {});
    this.destroyed = false;
    if (opts && typeof opts.destroy === "function") this._destroy = opts.destroy;
  }
  _write(chunk, enc, cb) { cb(); }
  destroy(err) {
    if (this.destroyed) return this;
    this.destroyed = true;
    const done = (e) => later(() => { if (e) this.emit("error", e); this.emit("close"); });
    if (this._destroy) this._destroy(err || null, done); else done(err);
    return this;
  }
}
Object.assign(Writable.prototype, writableMethods);

class Duplex extends Readable {
  constructor(opts) {
    super(opts);
    this._initWritable(opts || {});
  }
  _write(chunk, enc, cb) { cb(); }
}
Object.assign(Duplex.prototype, writableMethods);

class Transform extends Duplex {
  constructor(opts) {
    super(opts);
    const o = opts || {};
    if (typeof o.transform === "function") this._transform = o.transform;
    if (typeof o.flush === "function") this._flush = o.flush;
  }
  _transform(chunk, enc, cb) { cb(null, chunk); }
  _write(chunk, enc, cb) {
    this._transform(chunk, enc, (err, out) => {
      if (out !== undefined && out !== null) this.push(out);
      cb(err);
    });
  }
  _final(cb) {
    const end = (err, out) => { if (out !== undefined && out !== null) this.push(out); this.push(null); cb(err); };
    if (this._flush) this._flush(end); else end();
  }
}

class PassThrough extends Transform {}

function finished(stream, cb) {
  let called = false;
  const done = (err) => { if (!called) { called = true; cb(err || undefined); } };
  stream.once("end", () => done());
  stream.once("finish", () => done());
  stream.once("error", done);
  stream.once("close", () => done());
  return () => {};
}

function pipeline(...streams) {
  const cb = typeof streams[streams.length - 1] === "function" ? streams.pop() : null;
  if (streams.length === 1 && Array.isArray(streams[0])) streams = streams[0];
  let failed = false;
  const fail = (err) => { if (failed) return; failed = true; for (const s of streams) if (s.destroy) s.destroy(); if (cb) cb(err); };
  for (let i = 0; i < streams.length - 1; i++) {
    streams[i].on("error", fail);
    streams[i].pipe(streams[i + 1]);
  }
  const last = streams[streams.length - 1];
  last.on("error", fail);
  finished(last, (err) => { if (err) fail(err); else if (!failed && cb) cb(); });
  return last;
}

const promises = {
  pipeline: (...s) => new Promise((resolve, reject) => pipeline(...s, (e) => (e ? reject(e) : resolve()))),
  finished: (s) => new Promise((resolve, reject) => finished(s, (e) => (e ? reject(e) : resolve()))),
};

function Stream() { EventEmitter.call(this); }
Object.setPrototypeOf(Stream.prototype, EventEmitter.prototype);
Object.assign(Stream, { Stream, Readable, Writable, Duplex, Transform, PassThrough, pipeline, finished, promises });

module.exports = Stream;
