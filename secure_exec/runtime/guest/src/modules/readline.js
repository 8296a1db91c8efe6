// readline: line splitting over any Readable (usually process.stdin), with question(), prompts and
// async iteration; no terminal editing (the sandbox has no TTY).
"use strict";

const EventEmitter = require("events");
const loop = require("../internal/loop.js");

class Interface extends EventEmitter {
  constructor(input, output, completer, terminal) {
    super();
    const o = input && typeof input.on === "function" ? { input, output, completer, terminal } : input || {};
    this.input = o.input;
    this.output = o.output;
    this.terminal = false;
    this.line = "";
    this.closed = false;
    this._prompt = o.prompt === undefined ? "> " : String(o.prompt);
    this._questions = [];
    this._paused = false;
    const { StringDecoder } = require("string_decoder");
    this._decoder = new StringDecoder("utf8");
    this._onData = (chunk) => this._feed(typeof chunk === "string" ? chunk : this._decoder.write(chunk));
    this._onEnd = () => {
      const rest = this.line + this._decoder.end();
      this.line = "";
      if (rest.length > 0) this._emitLine(rest);
      this.close();
    };
    if (this.input) {
      this.input.on("data", this._onData);
      this.input.on("end", this._onEnd);
    }
  }
  _feed(text) {
    const parts = (this.line + text).split(/\r?\n/);
    this.line = parts.pop();
    for (const l of parts) this._emitLine(l);
  }
  _emitLine(l) {
    const q = this._questions.shift();
    if (q) q(l);
    else this.emit("line", l);
  }
  setPrompt(p) { this._prompt = String(p); }
  getPrompt() { return this._prompt; }
  prompt() { if (this.output && !this.closed) this.output.write(this._prompt); }
  question(query, options, cb) {
    if (typeof options === "function") cb = options;
    if (this.closed) {
      const err = new Error("readline was closed");
      err.code = "ERR_USE_AFTER_CLOSE";
      throw err;
    }
    if (this.output) this.output.write(String(query));
    this._questions.push(cb);
  }
  write(data) { if (this.output && data !== undefined && data !== null) this.output.write(String(data)); }
  pause() { this._paused = true; if (this.input && this.input.pause) this.input.pause(); this.emit("pause"); return this; }
  resume() { this._paused = false; if (this.input && this.input.resume) this.input.resume(); this.emit("resume"); return this; }
  close() {
    if (this.closed) return;
    this.closed = true;
    if (this.input) {
      this.input.removeListener("data", this._onData);
      this.input.removeListener("end", this._onEnd);
    }
    this.emit("close");
  }
  [Symbol.asyncIterator]() {
    const lines = [];
    let wake = null;
    let done = this.closed;
    this.on("line", (l) => { lines.push(l); if (wake) wake(); });
    this.once("close", () => { done = true; if (wake) wake(); });
    const self = this;
    return {
      async next() {
        while (lines.length === 0 && !done) await new Promise((r) => { wake = r; });
        wake = null;
        if (lines.length) return { value: lines.shift(), done: false };
        return { value: undefined, done: true };
      },
      async return() { self.close(); return { value: undefined, done: true }; },
      [Symbol.asyncIterator]() { return this; },
    };
  }
}

function createInterface(input, output, completer, terminal) {
  return new Interface(input, output, completer, terminal);
}

const promises = {
  Interface,
  createInterface(...args) {
    const rl = createInterface(...args);
    const question = rl.question.bind(rl);
    rl.question = (query, options) => new Promise((resolve) => question(query, options, resolve));
    return rl;
  },
};

module.exports = {
  Interface, createInterface, promises,
  clearLine: (s, d, cb) => { if (cb) loop.nextTick(cb, []); return true; },
  clearScreenDown: (s, cb) => { if (cb) loop.nextTick(cb, []); return true; },
  cursorTo: (s, x, y, cb) => { if (typeof y === "function") y(); else if (cb) loop.nextTick(cb, []); return true; },
  moveCursor: (s, dx, dy, cb) => { if (cb) loop.nextTick(cb, []); return true; },
  emitKeypressEvents: () => {},
};
