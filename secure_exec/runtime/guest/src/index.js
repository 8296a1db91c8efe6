// Entry of the guest Node shim (built into secure_exec/engine/bootstrap/50-node.js).
//
// Evaluated ONCE at snapshot time, after 00-core.js has defined __se_hostcall. Nothing here may call
// the host at load time (config, env, cwd are fetched lazily on first use). At the end the raw
// primitive is removed from the global object so user code can only reach the host through the
// Node APIs below.
"use strict";

const host = require("./internal/host.js");
host.install(globalThis);

const loop = require("./internal/loop.js");
require("./internal/patches.js");
const mod = require("./internal/module.js");
const { Buffer } = require("buffer");
const { process, finish, trackRejection, processRejections } = require("./modules/process.js");

const def = mod.defineBuiltin;
def("assert", () => require("./modules/assert.js"));
def("assert/strict", () => require("./modules/assert.js").strict);
def("buffer", () => {
  const b = require("buffer");
  return Object.assign({}, b, {
    constants: { MAX_LENGTH: b.kMaxLength, MAX_STRING_LENGTH: 536870888 },
    Blob: require("./modules/fetch.js").Blob,
    atob: globalThis.atob, btoa: globalThis.btoa,
    isUtf8: (v) => { try { new (require("./modules/text.js").TextDecoder)("utf-8", { fatal: true }).decode(v); return true; } catch { return false; } },
    isAscii: (v) => { for (const x of new Uint8Array(v.buffer || v, v.byteOffset || 0, v.byteLength)) if (x > 127) return false; return true; },
  });
});
def("child_process", () => require("./modules/child_process.js"));
def("console", () => require("./modules/console.js").console);
def("constants", () => Object.assign({}, require("./modules/fs.js").constants, require("./modules/os.js").constants.signals));
def("crypto", () => require("./modules/crypto.js"));
def("dns", () => require("./modules/dns.js"));
def("dns/promises", () => require("./modules/dns.js").promises);
def("events", () => {
  const EE = require("events");
  const et = require("./modules/event_target.js");
  EE.EventTarget = et.EventTarget;
  EE.Event = et.Event;
  return EE;
});
def("fs", () => require("./modules/fs.js"));
def("fs/promises", () => require("./modules/fs.js").promises);
def("http", () => require("./modules/http.js").http);
def("https", () => require("./modules/http.js").https);
def("module", () => mod.moduleBuiltin());
def("os", () => require("./modules/os.js"));
def("path", () => require("./modules/path.js"));
def("path/posix", () => require("./modules/path.js"));
def("perf_hooks", () => ({ performance: globalThis.performance, PerformanceObserver: undefined }));
def("process", () => process);
def("punycode", () => require("punycode"));
def("querystring", () => require("./modules/querystring.js"));
def("readline", () => require("./modules/readline.js"));
def("readline/promises", () => require("./modules/readline.js").promises);
def("stream", () => require("./modules/stream.js"));
def("stream/promises", () => require("./modules/stream.js").promises);
def("string_decoder", () => require("string_decoder"));
def("sys", () => mod.loadBuiltin("util"));
def("timers", () => require("./modules/timers.js"));
def("timers/promises", () => require("./modules/timers.js").promises);
def("tty", () => ({ isatty: () => false, ReadStream: function ReadStream() {}, WriteStream: function WriteStream() {} }));
def("url", () => require("./modules/url.js"));
def("util", () => {
  const util = require("./modules/util.js");
  const text = require("./modules/text.js");
  util.TextEncoder = text.TextEncoder;
  util.TextDecoder = text.TextDecoder;
  return util;
});
def("util/types", () => require("./modules/util.js").types);
def("secure-exec:host", () => require("./modules/host_functions.js"));


// ---- globals (Node's are writable and configurable, not enumerable) ----
function defGlobal(name, value) {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
}
function defLazyGlobal(name, get) {
  Object.defineProperty(globalThis, name, {
    get() { const v = get(); defGlobal(name, v); return v; },
    set(v) { defGlobal(name, v); },
    configurable: true, enumerable: false,
  });
}

const timers = require("./modules/timers.js");
const text = require("./modules/text.js");
const fetchMod = require("./modules/fetch.js");
defGlobal("global", globalThis);
defGlobal("process", process);
defGlobal("Buffer", Buffer);
defGlobal("console", require("./modules/console.js").console);
for (const k of ["setTimeout", "setInterval", "setImmediate", "clearTimeout", "clearInterval", "clearImmediate"]) defGlobal(k, timers[k]);
defGlobal("TextEncoder", text.TextEncoder);
defGlobal("TextDecoder", text.TextDecoder);
defGlobal("structuredClone", require("./modules/clone.js").structuredClone);
defLazyGlobal("URL", () => require("./modules/url.js").URL);
defLazyGlobal("URLSearchParams", () => require("./modules/url.js").URLSearchParams);
for (const k of ["fetch", "Headers", "Request", "Response", "AbortController", "AbortSignal", "Blob"]) defGlobal(k, fetchMod[k]);
const eventTarget = require("./modules/event_target.js");
for (const k of ["Event", "EventTarget", "CustomEvent"]) defGlobal(k, eventTarget[k]);
defLazyGlobal("crypto", () => require("./modules/crypto.js").webcrypto);

// ---- host entry points: fixed, so user code cannot replace what the host calls ----
function defEntry(name, fn) {
  if (name === "__se_settle" && host.engineOwnsSettle()) return; // 00-core.js defined it (contract B)
  Object.defineProperty(globalThis, name, { value: fn, writable: false, configurable: false, enumerable: false });
}
defEntry("__se_settle", (id, ok, value) => loop.settle(id, !!ok, value));
defEntry("__se_tick", (nowMs) => loop.tick(nowMs));
defEntry("__se_pending", () => loop.pending());
defEntry("__se_finish", () => finish());
defEntry("__se_builtin", (name) => mod.loadBuiltin(name));
defEntry("__se_cjs", (filename, source) => mod.runMain(filename, source));
defEntry("__se_require", (filename) => mod.requireAbsolute(filename));
defEntry("__se_rejection", (promise, reason, handled) => trackRejection(promise, reason, !!handled));
defEntry("__se_rejections", () => processRejections());

// ---- hide the raw primitives ----
for (const name of ["__se_hostcall", "__secure_exec_bridge"]) {
  delete globalThis[name];
  if (Object.prototype.hasOwnProperty.call(globalThis, name)) {
    throw new Error(`secure_exec guest: ${name} must be a configurable global so the shim can hide it`);
  }
}
