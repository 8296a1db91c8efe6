// console: formatting uses util.format so output matches Node; every call is one stdio.write so
// the host sees lines in program order (log/info/debug -> fd 1, error/warn/trace -> fd 2).
"use strict";

const util = require("./util.js");
const { writeFd } = require("./process.js");

/** console.table as Node 20 draws it (box characters, left-aligned cells, util.inspect values). */
function renderTable(data, columns) {
  if (data === null || typeof data !== "object") return util.format(data);
  const fmt = (v) => util.inspect(v, { depth: 1, breakLength: Infinity });
  const isMap = data instanceof Map;
  const rows = isMap ? [...data.entries()] : data instanceof Set ? [...data].map((v, i) => [i, v]) : Object.keys(data).map((k) => [k, data[k]]);
  const indexHeader = isMap ? "(iteration index)" : "(index)";
  const keys = [];
  let hasValues = false;
  for (const [, v] of rows) {
    if (v !== null && typeof v === "object") {
      for (const k of Object.keys(v)) if (!keys.includes(k)) keys.push(k);
    } else {
      hasValues = true;
    }
  }
  const cols = Array.isArray(columns) ? columns.map(String) : keys;
  const header = [indexHeader, ...(isMap ? ["Key"] : []), ...cols, ...(hasValues ? ["Values"] : [])];
  const body = rows.map(([k, v], i) => {
    const isObj = v !== null && typeof v === "object";
    const cells = cols.map((c) => (isObj && Object.prototype.hasOwnProperty.call(v, c) ? fmt(v[c]) : ""));
    const row = isMap ? [String(i), fmt(k)] : [String(k)];
    return [...row, ...cells, ...(hasValues ? [isObj ? "" : fmt(v)] : [])];
  });
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((r) => r[c].length)) + 2);
  const line = (l, m, r) => l + widths.map((w) => "\u2500".repeat(w)).join(m) + r;
  const rowText = (cells) => "\u2502" + cells.map((c, i) => " " + c.padEnd(widths[i] - 1)).join("\u2502") + "\u2502";
  return [
    line("\u250c", "\u252c", "\u2510"), rowText(header), line("\u251c", "\u253c", "\u2524"),
    ...body.map(rowText), line("\u2514", "\u2534", "\u2518"),
  ].join("\n");
}

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
    table: (data, columns) => emit(out, [renderTable(data, columns)]),
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
