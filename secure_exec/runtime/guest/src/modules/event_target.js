// Event/EventTarget: QuickJS has neither; Node exposes both as globals (AbortSignal, custom events).
"use strict";

class Event {
  constructor(type, init) {
    if (arguments.length === 0) {
      const err = new TypeError('The "type" argument must be specified');
      err.code = "ERR_MISSING_ARGS";
      throw err;
    }
    const o = init || {};
    this.type = String(type);
    this.bubbles = !!o.bubbles;
    this.cancelable = !!o.cancelable;
    this.composed = !!o.composed;
    this.defaultPrevented = false;
    this.timeStamp = typeof performance !== "undefined" ? performance.now() : 0;
    this.target = null;
    this.currentTarget = null;
    this.isTrusted = false;
    Object.defineProperty(this, "_stop", { value: false, writable: true, enumerable: false });
  }
  preventDefault() { if (this.cancelable) this.defaultPrevented = true; }
  stopImmediatePropagation() { this._stop = true; }
  stopPropagation() {}
  composedPath() { return this.currentTarget ? [this.currentTarget] : []; }
}

class CustomEvent extends Event {
  constructor(type, init) {
    super(type, init);
    this.detail = init && init.detail !== undefined ? init.detail : null;
  }
}

class EventTarget {
  constructor() {
    Object.defineProperty(this, "_listeners", { value: new Map(), enumerable: false });
  }
  addEventListener(type, listener, options) {
    if (listener === null || listener === undefined) return;
    const once = typeof options === "object" && options !== null && !!options.once;
    const list = this._listeners.get(type) || [];
    if (list.some((l) => l.listener === listener)) return;
    list.push({ listener, once });
    this._listeners.set(type, list);
    const signal = typeof options === "object" && options !== null ? options.signal : undefined;
    if (signal && typeof signal.addEventListener === "function") signal.addEventListener("abort", () => this.removeEventListener(type, listener));
  }
  removeEventListener(type, listener) {
    const list = this._listeners.get(type);
    if (list) this._listeners.set(type, list.filter((l) => l.listener !== listener));
  }
  dispatchEvent(event) {
    if (!(event instanceof Event)) {
      const err = new TypeError('The "event" argument must be an instance of Event');
      err.code = "ERR_INVALID_ARG_TYPE";
      throw err;
    }
    event.target = this;
    event.currentTarget = this;
    for (const l of (this._listeners.get(event.type) || []).slice()) {
      if (l.once) this.removeEventListener(event.type, l.listener);
      if (typeof l.listener === "function") l.listener.call(this, event);
      else if (l.listener && typeof l.listener.handleEvent === "function") l.listener.handleEvent(event);
      if (event._stop) break;
    }
    event.currentTarget = null;
    return !event.defaultPrevented;
  }
}

module.exports = { Event, EventTarget, CustomEvent };
