// console: formatting uses util.format so output matches Node; every call is one stdio.write so
// the host sees lines in program order (log/info/debug -> fd 1, error/warn/trace -> fd 2).
"use strict";

const util = require("./util.js");
const { writeFd } = require("./process.js");

function makeConsole(out, err) {
  let indent = "";
  const counts = new Map();
  const timers = new Map();
  const emit = (write, args) => {
    let text = util.format(...args);
    if (indent) text = indent + text.replace(/\n/g, "\n" + indent);
    write(text + "\n");
  };
  const c = {
    log: (...a) => emit(out, a),
    info: (...a) => emit(out, a),
    debug: (...a) => emit(out, a),
    error: (...a) => emit(err, a),
    warn: (...a) => emit(err, a),
    trace: (...a) => {
      const e = new Error(util.format(...a));
      emit(err, [`Trace: ${e.message}` + (e.stack ? "\n" + String(e.stack).split("\n").filter((l) => /^\s+at /.test(l)).join("\n") : "")]);
    },
    dir: (obj, opts) => emit(out, [util.inspect(obj, Object.assign({ customInspect: false }, opts))]),
    dirxml: (...a) => emit(out, a),
    assert: (cond, ...a) => {
      if (!cond) emit(err, a.length ? [`Assertion failed: ${util.format(...a)}`] : ["Assertion failed"]);
    },
    count: (label = "default") => {
      const n = (counts.get(label) || 0) + 1;
      counts.set(label, n);
      emit(out, [`${label}: ${n}`]);
    },
    countReset: (label = "default") => { counts.delete(label); },
    group: (...a) => { if (a.length) emit(out, a); indent += "  "; },
    groupCollapsed: (...a) => { if (a.length) emit(out, a); indent += "  "; },
    groupEnd: () => { indent = indent.slice(0, -2); },
    time: (label = "default") => { timers.set(label, performance.now()); },
    timeEnd: (label = "default") => {
      const t = timers.get(label);
      if (t === undefined) return;
      timers.delete(label);
      emit(out, [`${label}: ${(performance.now() - t).toFixed(3)}ms`]);
    },
    timeLog: (label = "default", ...a) => {
      const t = timers.get(label);
      if (t === undefined) return;
      emit(out, [`${label}: ${(performance.now() - t).toFixed(3)}ms`, ...a]);
    },
    table: (data) => emit(out, [data]),
    clear: () => {},
    profile: () => {},
    profileEnd: () => {},
    timeStamp: () => {},
  };
  return c;
}

const console = makeConsole((s) => writeFd(1, s), (s) => writeFd(2, s));

class Console {
  constructor(stdout, stderr) {
    const o = stdout && typeof stdout.write !== "function" ? stdout : { stdout, stderr };
    const outS = o.stdout;
    const errS = o.stderr || o.stdout;
    return makeConsole((s) => outS.write(s), (s) => errS.write(s));
  }
}

module.exports = { console, Console };
