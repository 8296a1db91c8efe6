// path: path-browserify (POSIX) with Node's argument errors (ERR_INVALID_ARG_TYPE), Node 20's
// path.format (adds the dot to a bare ext), toNamespacedPath, and a win32 face that refuses.
"use strict";

const base = require("path-browserify");
const { notSupported, invalidArgType } = require("../internal/errors.js");

const path = {};
for (const [name, fn] of Object.entries(base)) {
  if (typeof fn !== "function") continue;
  path[name] = function (...args) {
    if (name !== "format" && name !== "_makeLong") {
      for (let i = 0; i < args.length; i++) {
        if (typeof args[i] !== "string" && !(name === "basename" && i === 1 && args[i] === undefined)) {
          throw invalidArgType(name === "basename" && i === 1 ? "ext" : i === 0 ? "path" : `paths[${i}]`, "of type string", args[i]);
        }
      }
    }
    return fn.apply(base, args);
  };
}
path.format = function format(obj) {
  if (obj === null || typeof obj !== "object") throw invalidArgType("pathObject", "of type object", obj);
  const dir = obj.dir || obj.root;
  let b = obj.base;
  if (!b) {
    const ext = obj.ext ? (obj.ext[0] === "." ? obj.ext : "." + obj.ext) : "";
    b = `${obj.name || ""}${ext}`;
  }
  if (!dir) return b;
  return dir === obj.root ? `${dir}${b}` : `${dir}/${b}`;
};
path.toNamespacedPath = (p) => p;
path.sep = "/";
path.delimiter = ":";
path.posix = path;
path.win32 = new Proxy({}, {
  get: (_t, k) => (typeof k === "string" ? () => { throw notSupported(`path.win32.${k}`); } : undefined),
});

module.exports = path;
