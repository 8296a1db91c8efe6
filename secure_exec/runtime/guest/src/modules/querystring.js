// querystring: stringify from querystring-es3; parse/escape/unescape are our own so that parse
// returns a null-prototype object (a "__proto__" key is data, never a prototype change) like Node.
"use strict";

const es3 = require("querystring-es3");

function unescape(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s.replace(/%([0-9a-fA-F]{2})/g, (_m, h) => String.fromCharCode(parseInt(h, 16)));
  }
}

function escape(s) {
  return encodeURIComponent(String(s));
}

function parse(qs, sep, eq, options) {
  const out = Object.create(null);
  if (typeof qs !== "string" || qs.length === 0) return out;
  const s = sep || "&";
  const e = eq || "=";
  const maxKeys = options && typeof options.maxKeys === "number" ? options.maxKeys : 1000;
  const decode = options && typeof options.decodeURIComponent === "function" ? options.decodeURIComponent : unescape;
  let parts = qs.split(s);
  if (maxKeys > 0) parts = parts.slice(0, maxKeys);
  for (const part of parts) {
    if (part.length === 0) continue;
    const i = part.indexOf(e);
    const k = decode((i >= 0 ? part.slice(0, i) : part).replace(/\+/g, " "));
    const v = decode((i >= 0 ? part.slice(i + e.length) : "").replace(/\+/g, " "));
    if (!Object.prototype.hasOwnProperty.call(out, k)) out[k] = v;
    else if (Array.isArray(out[k])) out[k].push(v);
    else out[k] = [out[k], v];
  }
  return out;
}

module.exports = { parse, decode: parse, stringify: es3.stringify, encode: es3.stringify, escape, unescape };
