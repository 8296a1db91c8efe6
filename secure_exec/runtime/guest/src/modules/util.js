// util: format/inspect written here (not the npm `util` package) because console output must match
// Node's shapes closely, stay bounded on huge/circular values, and avoid Node internals.
"use strict";

const { codedError, invalidArgType } = require("../internal/errors.js");

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const TypedArrayProto = Object.getPrototypeOf(Uint8Array.prototype);
const typedArrayTag = Object.getOwnPropertyDescriptor(TypedArrayProto, Symbol.toStringTag).get;

const types = {
  isDate: (v) => v instanceof Date,
  isRegExp: (v) => v instanceof RegExp,
  isMap: (v) => v instanceof Map,
  isSet: (v) => v instanceof Set,
  isWeakMap: (v) => v instanceof WeakMap,
  isWeakSet: (v) => v instanceof WeakSet,
  isPromise: (v) => v instanceof Promise,
  isNativeError: (v) => v instanceof Error,
  isArrayBuffer: (v) => v instanceof ArrayBuffer,
  isAnyArrayBuffer: (v) => v instanceof ArrayBuffer,
  isArrayBufferView: (v) => ArrayBuffer.isView(v),
  isDataView: (v) => v instanceof DataView,
  isTypedArray: (v) => ArrayBuffer.isView(v) && !(v instanceof DataView),
  isUint8Array: (v) => v instanceof Uint8Array,
  isGeneratorFunction: (v) => typeof v === "function" && /^(async\s+)?function\s*\*/.test(Function.prototype.toString.call(v)),
  isAsyncFunction: (v) => typeof v === "function" && v[Symbol.toStringTag] === "AsyncFunction",
  isBoxedPrimitive: (v) => v instanceof Number || v instanceof String || v instanceof Boolean,
  isSymbolObject: (v) => typeof v === "object" && v !== null && Object.prototype.toString.call(v) === "[object Symbol]",
  isProxy: () => false,
};

function quote(s) {
  const q = !s.includes("'") ? "'" : !s.includes('"') ? '"' : !s.includes("`") ? "`" : "'";
  const esc = s.replace(/[\\\n\r\t\b\f\v\x00-\x1f]/g, (c) => ({ "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f", "\v": "\\v" })[c] || "\\x" + c.charCodeAt(0).toString(16).padStart(2, "0"));
  return q + (q === "'" ? esc.replace(/'/g, "\\'") : esc) + q;
}

function formatKey(k) {
  if (typeof k === "symbol") return `[${k.toString()}]`;
  return IDENT.test(k) ? k : quote(k);
}

function fnBase(fn) {
  const src = (() => { try { return Function.prototype.toString.call(fn); } catch { return ""; } })();
  if (src.startsWith("class")) return `[class ${fn.name || "(anonymous)"}]`;
  const kind = types.isAsyncFunction(fn) ? "AsyncFunction" : types.isGeneratorFunction(fn) ? "GeneratorFunction" : "Function";
  return fn.name ? `[${kind}: ${fn.name}]` : `[${kind} (anonymous)]`;
}

function ctorName(obj) {
  const proto = Object.getPrototypeOf(obj);
  if (proto === null) return null;
  const c = proto.constructor;
  return typeof c === "function" && c.name ? c.name : "Object";
}

function inspect(value, opts) {
  const o = Object.assign({ depth: 2, breakLength: 80, maxArrayLength: 100, maxStringLength: 10000, showHidden: false, compact: 3, sorted: false }, typeof opts === "object" && opts !== null ? opts : {});
  if (o.depth === null) o.depth = Infinity;
  const seen = [];
  const circular = new Map();
  let currentDepth = 0;
  return fmt(value, 0, true);

  function fmt(v, level, top) {
    switch (typeof v) {
      case "string": {
        const s = v.length > o.maxStringLength ? v.slice(0, o.maxStringLength) : v;
        const more = v.length > s.length ? `... ${v.length - s.length} more characters` : "";
        return quote(s) + more;
      }
      case "number": return Object.is(v, -0) ? "-0" : String(v);
      case "bigint": return `${v}n`;
      case "boolean": return String(v);
      case "undefined": return "undefined";
      case "symbol": return v.toString();
      default: break;
    }
    if (v === null) return "null";
    if (typeof v === "object" || typeof v === "function") {
      const custom = v[inspect.custom];
      if (typeof custom === "function" && custom !== inspect) {
        const r = custom.call(v, o.depth - level, o, inspect);
        if (r !== v) return typeof r === "string" ? r : fmt(r, level, false);
      }
    }
    if (seen.includes(v)) {
      if (!circular.has(v)) circular.set(v, circular.size + 1);
      return `[Circular *${circular.get(v)}]`;
    }
    return fmtObject(v, level);
  }

  function fmtObject(v, level) {
    const name = ctorName(v);
    let braces = ["{", "}"];
    let prefix = "";
    let base = "";
    let entries = [];
    let keys = Object.keys(v);
    const isArr = Array.isArray(v);
    if (typeof v === "function") {
      base = fnBase(v);
      keys = keys.filter((k) => k !== "prototype");
      if (keys.length === 0) return base;
    } else if (v instanceof Error) {
      base = v.stack && typeof v.stack === "string" && v.stack.includes(String(v.message)) ? v.stack.trimEnd() : `${v.name || "Error"}: ${v.message}` + (v.stack ? "\n" + String(v.stack).trimEnd() : "");
      if (level > 0) base = base.replace(/\n/g, "\n" + " ".repeat(level * 2));
      keys = keys.filter((k) => k !== "stack" && k !== "message");
      if (keys.length === 0) return base;
    } else if (v instanceof Date) {
      base = Number.isNaN(v.getTime()) ? "Invalid Date" : v.toISOString();
      if (keys.length === 0) return base;
    } else if (v instanceof RegExp) {
      base = String(v);
      if (keys.length === 0) return base;
    } else if (v instanceof Promise) {
      return "Promise { <unknown> }";
    } else if (v instanceof WeakMap || v instanceof WeakSet) {
      return `${name} { <items unknown> }`;
    } else if (types.isBoxedPrimitive(v)) {
      const inner = v.valueOf();
      base = `[${v instanceof Number ? "Number" : v instanceof String ? "String" : "Boolean"}: ${fmt(inner, level, false)}]`;
      if (v instanceof String) keys = keys.filter((k) => !/^\d+$/.test(k));
      if (keys.length === 0) return base;
    }
    if (level > o.depth) {
      if (isArr) return "[Array]";
      return `[${name === null ? "Object: null prototype" : name}]`;
    }
    seen.push(v);
    currentDepth = level;
    try {
      if (isArr) {
        braces = ["[", "]"];
        if (name !== "Array") prefix = `${name === null ? "[Array: null prototype]" : name}(${v.length}) `;
        const shown = Math.min(v.length, o.maxArrayLength);
        let holes = 0;
        for (let i = 0; i < shown; i++) {
          if (!Object.prototype.hasOwnProperty.call(v, i)) { holes++; continue; }
          if (holes) { entries.push(`<${holes} empty item${holes > 1 ? "s" : ""}>`); holes = 0; }
          entries.push(fmt(v[i], level + 1, false));
        }
        if (holes) entries.push(`<${holes} empty item${holes > 1 ? "s" : ""}>`);
        if (v.length > shown) entries.push(`... ${v.length - shown} more item${v.length - shown > 1 ? "s" : ""}`);
        keys = keys.filter((k) => !/^(0|[1-9]\d*)$/.test(k) || Number(k) >= v.length);
      } else if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
        braces = ["[", "]"];
        const tag = typedArrayTag.call(v);
        const isBuf = name === "Buffer" || (v.constructor && v.constructor.name === "Buffer");
        if (isBuf) {
          const n = Math.min(v.length, 50);
          const hex = [];
          for (let i = 0; i < n; i++) hex.push(v[i].toString(16).padStart(2, "0"));
          return `<Buffer${hex.length ? " " + hex.join(" ") : ""}${v.length > n ? ` ... ${v.length - n} more bytes` : ""}>`;
        }
        prefix = `${tag}(${v.length}) `;
        const shown = Math.min(v.length, o.maxArrayLength);
        for (let i = 0; i < shown; i++) entries.push(fmt(v[i], level + 1, false));
        if (v.length > shown) entries.push(`... ${v.length - shown} more item${v.length - shown > 1 ? "s" : ""}`);
        keys = keys.filter((k) => !/^\d+$/.test(k));
      } else if (v instanceof ArrayBuffer) {
        const b = new Uint8Array(v);
        const hex = [];
        for (let i = 0; i < Math.min(b.length, 50); i++) hex.push(b[i].toString(16).padStart(2, "0"));
        prefix = "ArrayBuffer ";
        entries.push(`[Uint8Contents]: <${hex.join(" ")}${b.length > 50 ? ` ... ${b.length - 50} more bytes` : ""}>`, `byteLength: ${b.length}`);
      } else if (v instanceof Map) {
        prefix = `${name}(${v.size}) `;
        for (const [k, val] of v) entries.push(`${fmt(k, level + 1, false)} => ${fmt(val, level + 1, false)}`);
      } else if (v instanceof Set) {
        prefix = `${name}(${v.size}) `;
        for (const val of v) entries.push(fmt(val, level + 1, false));
      } else if (base) {
        prefix = base + " ";
      } else if (name === null) {
        prefix = "[Object: null prototype] ";
      } else if (name !== "Object") {
        prefix = `${name} `;
      }
      const tag = v[Symbol.toStringTag];
      if (typeof tag === "string" && tag && tag !== name && !ArrayBuffer.isView(v) && !(v instanceof Map) && !(v instanceof Set)) {
        prefix = `${name === null ? "Object" : name} [${tag}] `;
      }
      if (o.sorted) keys.sort();
      const allKeys = keys.concat(Object.getOwnPropertySymbols(v).filter((s) => Object.prototype.propertyIsEnumerable.call(v, s)));
      for (const k of allKeys) {
        const desc = Object.getOwnPropertyDescriptor(v, k);
        let shown;
        if (desc && (desc.get || desc.set)) shown = desc.get && desc.set ? "[Getter/Setter]" : desc.get ? "[Getter]" : "[Setter]";
        else shown = fmt(v[k], level + 1, false);
        entries.push(`${formatKey(k)}: ${shown}`);
      }
    } finally {
      seen.pop();
    }
    if (circular.has(v)) prefix = `<ref *${circular.get(v)}> ${prefix}`;
    if (entries.length === 0) {
      if (base && typeof v !== "function") return base;
      return `${prefix}${braces[0]}${braces[1]}`;
    }
    // Node's reduceToSingleString: group long arrays into columns, then put everything on one line
    // when the object is at most `compact` (3) levels deep and fits in breakLength (80).
    const start = prefix + braces[0];
    const indentLvl = level * 2;
    const isArrayLike = braces[0] === "[";
    let output = entries;
    if (isArrayLike && entries.length > 6) output = groupArrayElements(entries, indentLvl, v);
    if (currentDepth - level < o.compact && output.length === entries.length) {
      const startLen = output.length + indentLvl + start.length + 10;
      if (isBelowBreakLength(output, startLen)) {
        const joined = output.join(", ");
        if (!joined.includes("\n")) return `${start} ${joined} ${braces[1]}`;
      }
    }
    const ind = "\n" + " ".repeat(indentLvl);
    return `${start}${ind}  ${output.join(`,${ind}  `)}${ind}${braces[1]}`;
  }

  function isBelowBreakLength(output, startLen) {
    let total = output.length + startLen;
    if (total + output.length > o.breakLength) return false;
    for (const e of output) {
      total += e.length;
      if (total > o.breakLength) return false;
    }
    return true;
  }

  function groupArrayElements(output, indentLvl, value) {
    let totalLength = 0;
    let maxLength = 0;
    let outputLength = output.length;
    if (/^\.\.\. \d+ more items?$/.test(output[outputLength - 1])) outputLength--;
    const separatorSpace = 2;
    const dataLen = new Array(outputLength);
    for (let i = 0; i < outputLength; i++) {
      const len = output[i].length;
      dataLen[i] = len;
      totalLength += len + separatorSpace;
      if (maxLength < len) maxLength = len;
    }
    const actualMax = maxLength + separatorSpace;
    if (actualMax * 3 + indentLvl < o.breakLength && (totalLength / actualMax > 5 || maxLength <= 6)) {
      const averageBias = Math.sqrt(actualMax - totalLength / output.length);
      const biasedMax = Math.max(actualMax - 3 - averageBias, 1);
      const columns = Math.min(
        Math.round(Math.sqrt(2.5 * biasedMax * outputLength) / biasedMax),
        Math.floor((o.breakLength - indentLvl) / actualMax),
        o.compact * 4,
        15,
      );
      if (columns <= 1) return output;
      const tmp = [];
      const maxLineLength = [];
      for (let i = 0; i < columns; i++) {
        let lineLength = 0;
        for (let j = i; j < output.length; j += columns) if (dataLen[j] > lineLength) lineLength = dataLen[j];
        maxLineLength.push(lineLength + separatorSpace);
      }
      let padStart = true;
      for (let i = 0; i < output.length; i++) {
        if (typeof value[i] !== "number" && typeof value[i] !== "bigint") { padStart = false; break; }
      }
      for (let i = 0; i < outputLength; i += columns) {
        const max = Math.min(i + columns, outputLength);
        let str = "";
        let j = i;
        for (; j < max - 1; j++) {
          const cell = `${output[j]}, `;
          str += padStart ? cell.padStart(maxLineLength[j - i], " ") : cell.padEnd(maxLineLength[j - i], " ");
        }
        str += padStart ? output[j].padStart(maxLineLength[j - i] - separatorSpace, " ") : output[j];
        tmp.push(str);
      }
      if (outputLength < output.length) tmp.push(output[outputLength]);
      return tmp;
    }
    return output;
  }
}
inspect.custom = Symbol.for("nodejs.util.inspect.custom");
inspect.defaultOptions = { depth: 2 };

function format(...args) {
  return formatWithOptions({}, ...args);
}

function formatWithOptions(opts, first, ...rest) {
  if (typeof first !== "string") {
    return [first, ...rest].map((a) => (typeof a === "string" ? a : inspect(a, opts))).join(" ");
  }
  let i = 0;
  let out = first.replace(/%([sdifjoOc%])/g, (m, ch) => {
    if (ch === "%") return "%";
    if (i >= rest.length) return m;
    const a = rest[i++];
    switch (ch) {
      case "s":
        if (typeof a === "bigint") return `${a}n`;
        if (typeof a === "symbol") return a.toString();
        if (typeof a === "object" && a !== null) return inspect(a, Object.assign({}, opts, { depth: 0 }));
        return String(a);
      case "d": case "i":
        if (typeof a === "bigint") return `${a}n`;
        if (typeof a === "symbol" || (typeof a === "object" && a !== null)) return "NaN";
        return ch === "i" ? String(Math.trunc(Number(a))) : String(Number(a));
      case "f": return typeof a === "symbol" ? "NaN" : String(parseFloat(a));
      case "j": try { return JSON.stringify(a); } catch { return "[Circular]"; }
      case "o": return inspect(a, Object.assign({}, opts, { showHidden: true, depth: 4 }));
      case "O": return inspect(a, opts);
      case "c": return "";
      default: return m;
    }
  });
  for (; i < rest.length; i++) out += " " + (typeof rest[i] === "string" ? rest[i] : inspect(rest[i], opts));
  return out;
}

const kCustomPromisify = Symbol.for("nodejs.util.promisify.custom");

function promisify(fn) {
  if (typeof fn !== "function") throw invalidArgType("original", "of type function", fn);
  if (fn[kCustomPromisify]) return fn[kCustomPromisify];
  function promisified(...args) {
    return new Promise((resolve, reject) => {
      fn.call(this, ...args, (err, ...values) => (err ? reject(err) : resolve(values.length > 1 ? values : values[0])));
    });
  }
  Object.setPrototypeOf(promisified, Object.getPrototypeOf(fn));
  return Object.defineProperties(promisified, Object.getOwnPropertyDescriptors(fn));
}
promisify.custom = kCustomPromisify;

function callbackify(fn) {
  if (typeof fn !== "function") throw invalidArgType("original", "of type function", fn);
  return function (...args) {
    const cb = args.pop();
    if (typeof cb !== "function") throw invalidArgType("last argument", "of type function", cb);
    fn.apply(this, args).then((v) => queueMicrotask(() => cb(null, v)), (e) => queueMicrotask(() => cb(e || new Error("Promise was rejected with a falsy value"))));
  };
}

function inherits(ctor, superCtor) {
  if (typeof ctor !== "function") throw invalidArgType("ctor", "of type function", ctor);
  if (typeof superCtor !== "function") throw invalidArgType("superCtor", "of type function", superCtor);
  Object.defineProperty(ctor, "super_", { value: superCtor, writable: true, configurable: true });
  Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
}

const warned = new Set();
function deprecate(fn, msg, code) {
  return function (...args) {
    if (!warned.has(code || msg)) {
      warned.add(code || msg);
      const p = globalThis.process;
      if (p && typeof p.emitWarning === "function") p.emitWarning(msg, "DeprecationWarning", code);
    }
    return new.target ? Reflect.construct(fn, args, new.target) : fn.apply(this, args);
  };
}

function isDeepStrictEqual(a, b) {
  return require("./assert.js").deepEqualImpl(a, b, true);
}

function stripVTControlCharacters(s) {
  return String(s).replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
}

function toUSVString(s) {
  return String(s).replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}

/** util.parseArgs (Node 18.3+): long/short options, --opt=value, grouped short booleans, "--". */
function parseArgs(config) {
  const c = config || {};
  const args = c.args !== undefined ? c.args : globalThis.process.argv.slice(2);
  const options = c.options || {};
  const strict = c.strict !== false;
  const allowPositionals = c.allowPositionals !== undefined ? !!c.allowPositionals : !strict;
  const values = Object.create(null);
  const positionals = [];
  const byShort = {};
  for (const [name, o] of Object.entries(options)) {
    if (o.type !== "string" && o.type !== "boolean") throw codedError(TypeError, "ERR_INVALID_ARG_VALUE", `options.${name}.type must be 'string' or 'boolean'`);
    if (o.short !== undefined) byShort[o.short] = name;
  }
  const fail = (code, msg) => { throw codedError(TypeError, code, msg); };
  const store = (name, value) => {
    const o = options[name];
    if (o === undefined) {
      if (strict) fail("ERR_PARSE_ARGS_UNKNOWN_OPTION", `Unknown option '${name.length === 1 ? "-" : "--"}${name}'`);
      values[name] = value === undefined ? true : value;
      return;
    }
    if (strict && o.type === "string" && typeof value !== "string") fail("ERR_PARSE_ARGS_INVALID_OPTION_VALUE", `Option '--${name} <value>' argument missing`);
    if (strict && o.type === "boolean" && value !== undefined) fail("ERR_PARSE_ARGS_INVALID_OPTION_VALUE", `Option '--${name}' does not take an argument`);
    const v = o.type === "boolean" ? true : value;
    if (o.multiple) (values[name] = values[name] || []).push(v);
    else values[name] = v;
  };
  for (let i = 0; i < args.length; i++) {
    const a = String(args[i]);
    if (a === "--") {
      for (const rest of args.slice(i + 1)) {
        if (!allowPositionals && strict) fail("ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL", `Unexpected argument '${rest}'. This command does not take positional arguments`);
        positionals.push(rest);
      }
      break;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq === -1 ? a.slice(2) : a.slice(2, eq);
      const o = options[name];
      if (eq !== -1) store(name, a.slice(eq + 1));
      else if (o && o.type === "string" && i + 1 < args.length) store(name, String(args[++i]));
      else store(name, undefined);
    } else if (a.startsWith("-") && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const name = byShort[a[j]] || a[j];
        const o = options[name];
        if (o && o.type === "string") {
          const rest = a.slice(j + 1);
          if (rest) store(name, rest);
          else if (i + 1 < args.length) store(name, String(args[++i]));
          else store(name, undefined);
          break;
        }
        store(name, undefined);
      }
    } else {
      if (!allowPositionals) fail("ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL", `Unexpected argument '${a}'. This command does not take positional arguments`);
      positionals.push(a);
    }
  }
  for (const [name, o] of Object.entries(options)) if (o.default !== undefined && values[name] === undefined) values[name] = o.default;
  return { values, positionals };
}

module.exports = {
  format, formatWithOptions, toUSVString, parseArgs, inspect, promisify, callbackify, inherits, deprecate, types,
  isDeepStrictEqual, stripVTControlCharacters,
  isArray: Array.isArray,
  isBoolean: (v) => typeof v === "boolean",
  isNull: (v) => v === null,
  isNullOrUndefined: (v) => v === null || v === undefined,
  isNumber: (v) => typeof v === "number",
  isString: (v) => typeof v === "string",
  isSymbol: (v) => typeof v === "symbol",
  isUndefined: (v) => v === undefined,
  isRegExp: types.isRegExp,
  isObject: (v) => v !== null && typeof v === "object",
  isDate: types.isDate,
  isError: types.isNativeError,
  isFunction: (v) => typeof v === "function",
  isPrimitive: (v) => v === null || (typeof v !== "object" && typeof v !== "function"),
  TextEncoder: undefined, // filled in by index.js once text.js is loaded
  TextDecoder: undefined,
};
