// CommonJS loader. Resolution runs here in the guest on top of module.stat/module.read, so loading a
// module is its own policy-checked, audited decision ("import"), separate from the guest's own reads.
"use strict";

const pathMod = require("path-browserify");
const host = require("./host.js");
const { notSupported, codedError } = require("./errors.js");

const registry = new Map(); // builtin name -> factory
const builtinCache = new Map();
const UNSUPPORTED = new Set([
  "net", "tls", "dgram", "cluster", "worker_threads", "vm", "v8", "inspector", "inspector/promises",
  "repl", "http2", "zlib", "async_hooks", "trace_events", "wasi", "sqlite", "test", "sea", "domain",
  "diagnostics_channel",
]);

function defineBuiltin(name, factory) { registry.set(name, factory); }

function builtinNames() { return [...registry.keys()].sort(); }

function stripNode(name) { return name.startsWith("node:") ? name.slice(5) : name; }

function isBuiltin(name) {
  const n = stripNode(String(name));
  return registry.has(n) || UNSUPPORTED.has(n);
}

/** Exports of a built-in module (`fs` or `node:fs`); throws for unknown/unsupported names. */
function loadBuiltin(name) {
  const n = stripNode(String(name));
  if (builtinCache.has(n)) return builtinCache.get(n);
  const factory = registry.get(n);
  if (!factory) {
    if (UNSUPPORTED.has(n)) throw notSupported(n);
    throw codedError(Error, "ERR_UNKNOWN_BUILTIN_MODULE", `No such built-in module: ${name}`);
  }
  const exp = factory();
  builtinCache.set(n, exp);
  return exp;
}

// Resolution probes and module reads are the host's "import" decision (not the guest's "read"):
// a refused probe answers "absent" whether or not something is there, so require() is no oracle.
function statKind(p) {
  return host.call("module.stat", { path: p }, { syscall: "stat", path: p }).kind;
}

function readText(p) {
  return host.call("module.read", { path: p }, { syscall: "open", path: p }).text;
}

const EXTS = [".js", ".json", ".cjs"];

function tryFile(p) {
  if (statKind(p) === "file") return p;
  for (const e of EXTS) if (statKind(p + e) === "file") return p + e;
  return null;
}

function readPackage(dir) {
  const pj = pathMod.join(dir, "package.json");
  if (statKind(pj) !== "file") return null;
  try {
    return JSON.parse(readText(pj));
  } catch (err) {
    throw codedError(Error, "ERR_INVALID_PACKAGE_CONFIG", `Invalid package config ${pj}: ${err.message}`);
  }
}

function tryIndex(dir) {
  for (const e of EXTS) if (statKind(pathMod.join(dir, "index" + e)) === "file") return pathMod.join(dir, "index" + e);
  return null;
}

function tryDirectory(dir) {
  if (statKind(dir) !== "dir") return null;
  const pkg = readPackage(dir);
  if (pkg && typeof pkg.main === "string" && pkg.main) {
    const m = pathMod.resolve(dir, pkg.main);
    const hit = tryFile(m) || tryIndex(m);
    if (hit) return hit;
  }
  return tryIndex(dir);
}

const CONDITIONS = ["require", "node", "default"];

function pickTarget(target) {
  if (typeof target === "string") return target;
  if (Array.isArray(target)) {
    for (const t of target) { const r = pickTarget(t); if (r) return r; }
    return null;
  }
  if (target && typeof target === "object") {
    for (const k of Object.keys(target)) if (CONDITIONS.includes(k)) { const r = pickTarget(target[k]); if (r) return r; }
  }
  return null;
}

/** package.json "exports" for require(): exact subpaths, "./x/*" patterns, conditions. */
function resolveExports(pkgDir, exportsField, subpath, isImports = false) {
  let map = exportsField;
  if (!isImports && (typeof map === "string" || Array.isArray(map) || (map && !Object.keys(map).some((k) => k.startsWith("."))))) map = { ".": map };
  let target = null;
  if (Object.prototype.hasOwnProperty.call(map, subpath)) target = pickTarget(map[subpath]);
  else {
    for (const key of Object.keys(map)) {
      const star = key.indexOf("*");
      if (star === -1) continue;
      const pre = key.slice(0, star);
      const post = key.slice(star + 1);
      if (subpath.startsWith(pre) && subpath.endsWith(post) && subpath.length >= key.length - 1) {
        const mid = subpath.slice(pre.length, subpath.length - post.length);
        const t = pickTarget(map[key]);
        if (t) target = t.replace(/\*/g, mid);
        break;
      }
    }
  }
  if (!target) {
    throw codedError(Error, "ERR_PACKAGE_PATH_NOT_EXPORTED", `Package subpath '${subpath}' is not defined by "exports" in ${pkgDir}/package.json`);
  }
  return pathMod.resolve(pkgDir, target);
}

function notFound(request, parent) {
  const stack = parent ? `\nRequire stack:\n- ${parent}` : "";
  const err = new Error(`Cannot find module '${request}'${stack}`);
  err.code = "MODULE_NOT_FOUND";
  err.requireStack = parent ? [parent] : [];
  return err;
}

const scopeCache = new Map(); // directory -> {dir, pkg} | null (the nearest package.json, as Node's package scope)

/** The nearest package.json above `file` (stopping at a node_modules folder), cached for the run. */
function packageScope(file) {
  let dir = pathMod.dirname(file);
  const walked = [];
  let found = null;
  for (;;) {
    if (scopeCache.has(dir)) { found = scopeCache.get(dir); break; }
    walked.push(dir);
    if (pathMod.basename(dir) === "node_modules") break;
    const pkg = readPackage(dir);
    if (pkg) { found = { dir, pkg }; break; }
    const up = pathMod.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  for (const d of walked) scopeCache.set(d, found);
  return found;
}

/** "module" or "commonjs" for a .js (or extensionless) file from its package scope's "type"; null if none. */
function scopeType(file) {
  const scope = packageScope(file);
  const t = scope && scope.pkg && scope.pkg.type;
  return t === "module" || t === "commonjs" ? t : null;
}

/** `#name` through the "imports" of the requiring file's package scope (conditions node/require/default). */
function resolveImports(request, parentFile) {
  const scope = packageScope(parentFile.endsWith("/") ? parentFile + "x" : parentFile);
  const imports = scope && scope.pkg && scope.pkg.imports;
  if (!imports || typeof imports !== "object") {
    throw codedError(TypeError, "ERR_PACKAGE_IMPORT_NOT_DEFINED", `Package import specifier "${request}" is not defined imported from ${parentFile}`);
  }
  const direct = imports[request];
  if (typeof direct === "string" && !direct.startsWith("./")) return resolveFilename(direct, parentFile);
  try {
    return resolveExports(scope.dir, imports, request, true);
  } catch (err) {
    if (err.code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") throw err;
    throw codedError(TypeError, "ERR_PACKAGE_IMPORT_NOT_DEFINED", `Package import specifier "${request}" is not defined in package ${scope.dir}/package.json imported from ${parentFile}`);
  }
}

/** Full filename for `request` from module `parentFile` (or a directory when parentFile ends in /). */
function resolveFilename(request, parentFile) {
  if (typeof request !== "string" || request === "") {
    throw codedError(TypeError, "ERR_INVALID_ARG_VALUE", `The argument 'id' must be a non-empty string. Received ${JSON.stringify(request)}`);
  }
  if (request.startsWith("node:")) {
    if (!isBuiltin(request)) throw codedError(Error, "ERR_UNKNOWN_BUILTIN_MODULE", `No such built-in module: ${request}`);
    return request;
  }
  if (isBuiltin(request)) return request;
  if (request.startsWith("#")) {
    const target = resolveImports(request, parentFile);
    const hit = tryFile(target);
    if (hit) return hit;
    throw notFound(request, parentFile.endsWith("/") ? undefined : parentFile);
  }
  const baseDir = parentFile.endsWith("/") ? parentFile : pathMod.dirname(parentFile);
  if (request.startsWith("./") || request.startsWith("../") || request.startsWith("/") || request === "." || request === "..") {
    const abs = pathMod.resolve(baseDir, request);
    const hit = (request.endsWith("/") ? null : tryFile(abs)) || tryDirectory(abs);
    if (hit) return hit;
    throw notFound(request, parentFile.endsWith("/") ? undefined : parentFile);
  }
  // bare specifier: walk node_modules directories upward
  const parts = request.split("/");
  const nameLen = request.startsWith("@") ? 2 : 1;
  const pkgName = parts.slice(0, nameLen).join("/");
  const sub = parts.slice(nameLen).join("/");
  let dir = baseDir;
  for (;;) {
    if (pathMod.basename(dir) !== "node_modules") {
      const pkgDir = pathMod.join(dir, "node_modules", pkgName);
      if (statKind(pkgDir) === "dir") {
        const pkg = readPackage(pkgDir);
        if (pkg && pkg.exports !== undefined && pkg.exports !== null) {
          const target = resolveExports(pkgDir, pkg.exports, sub ? "./" + sub : ".");
          if (statKind(target) === "file") return target;
          throw notFound(request, parentFile);
        }
        const full = sub ? pathMod.join(pkgDir, sub) : pkgDir;
        const hit = (sub ? tryFile(full) : null) || tryDirectory(full);
        if (hit) return hit;
      }
    }
    const up = pathMod.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw notFound(request, parentFile.endsWith("/") ? undefined : parentFile);
}

const cache = Object.create(null);
const cacheProxy = new Proxy(cache, {
  set() { throw new TypeError("require.cache is read-only in the sandbox"); },
  deleteProperty() { throw new TypeError("require.cache is read-only in the sandbox"); },
  defineProperty() { throw new TypeError("require.cache is read-only in the sandbox"); },
});
let mainModule;

class Module {
  constructor(id, parent) {
    this.id = id;
    this.filename = id;
    this.path = pathMod.dirname(id);
    this.exports = {};
    this.parent = parent || null;
    this.loaded = false;
    this.children = [];
    this.paths = [];
  }
  require(request) { return makeRequire(this)(request); }
}

const wrapperStart = "(function (exports, require, module, __filename, __dirname) { ";
const wrapperEnd = "\n})";
const indirectEval = eval; // eslint-disable-line no-eval

function compile(mod, source) {
  let src = source;
  if (src.startsWith("#!")) src = "//" + src;
  const compileScript = host.enginePrimitive("compileScript");
  // The engine compiles under the module's own file name, so stack traces and syntax errors name it
  // (line numbers are the file's; columns on line 1 include the wrapper, as in old Node versions).
  if (compileScript) return compileScript(wrapperStart + src + wrapperEnd, mod.filename);
  return indirectEval(wrapperStart + src + wrapperEnd + `\n//# sourceURL=${mod.filename}`);
}

function compileAndRun(mod, source) {
  const fn = compile(mod, source);
  fn.call(mod.exports, mod.exports, makeRequire(mod), mod, mod.filename, pathMod.dirname(mod.filename));
}

const esmLoading = new Set();

/** require() of an ES module, as Node 22 does: its namespace (or its "module.exports" export). */
function requireEsm(mod, filename) {
  const load = host.enginePrimitive("loadModuleSync");
  if (!load) {
    throw codedError(Error, "ERR_REQUIRE_ESM", `require() of ES Module ${filename} not supported. Use import() instead.`);
  }
  if (esmLoading.has(filename)) {
    throw codedError(Error, "ERR_REQUIRE_CYCLE_MODULE", `Cannot require() ES Module ${filename} in a cycle.`);
  }
  esmLoading.add(filename);
  let res;
  try {
    res = load(filename);
  } finally {
    esmLoading.delete(filename);
  }
  const [state, value, promise] = res;
  if (state !== "fulfilled") {
    promise.catch(() => {}); // the failure is thrown here, not reported again as an unhandled rejection
    if (state === "rejected") throw value;
    throw codedError(Error, "ERR_REQUIRE_ASYNC_MODULE", "require() cannot be used on an ESM graph with top-level await. Use import() instead. To see where the top-level await comes from, use --experimental-print-required-tla.");
  }
  mod.exports = Object.prototype.hasOwnProperty.call(value, "module.exports") ? value["module.exports"]
    : "default" in value && !("__esModule" in value) ? esModuleFacade(value) : value;
}

/** Node's require(esm) result for a module with a default export: the namespace plus __esModule: true. */
function esModuleFacade(ns) {
  const o = Object.create(null);
  Object.defineProperty(o, "__esModule", { value: true, enumerable: true });
  for (const k of Object.keys(ns)) Object.defineProperty(o, k, { get: () => ns[k], enumerable: true });
  Object.defineProperty(o, Symbol.toStringTag, { value: "Module" });
  return Object.preventExtensions(o);
}

/** How require() runs `filename`, as Node decides: by extension, then the package scope's "type". */
function formatOf(filename) {
  const ext = pathMod.extname(filename);
  if (ext === ".mjs") return "module";
  if (ext === ".cjs") return "commonjs";
  if (ext === ".json") return "json";
  if (ext !== ".js" && ext !== "") return "commonjs";
  return scopeType(filename) || "detect";
}

function loadFile(filename, parent) {
  if (cache[filename]) return cache[filename].exports;
  const format = formatOf(filename);
  const mod = new Module(filename, parent);
  cache[filename] = mod;
  if (parent) parent.children.push(mod);
  let ok = false;
  try {
    if (format === "module") {
      requireEsm(mod, filename);
      ok = true;
      mod.loaded = true;
      return mod.exports;
    }
    const text = readText(filename);
    if (format === "detect") {
      // No "type" above it: CommonJS unless it only parses as an ES module (Node 22's detection).
      let fn;
      try {
        fn = compile(mod, text);
      } catch (err) {
        if (!(err instanceof SyntaxError) || !/\b(import|export)\b/.test(text)) throw err;
        try {
          requireEsm(mod, filename);
        } catch (err2) {
          throw err2 && err2.code === "ERR_REQUIRE_ESM" ? err : err2;
        }
        ok = true;
        mod.loaded = true;
        return mod.exports;
      }
      fn.call(mod.exports, mod.exports, makeRequire(mod), mod, mod.filename, pathMod.dirname(mod.filename));
    } else if (format === "json") {
      try {
        mod.exports = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
      } catch (err) {
        err.message = `${filename}: ${err.message}`;
        throw err;
      }
    } else {
      compileAndRun(mod, text);
    }
    ok = true;
  } finally {
    if (!ok) delete cache[filename];
  }
  mod.loaded = true;
  return mod.exports;
}

function makeRequire(mod) {
  const from = mod ? mod.filename : null;
  const base = () => from || require("../modules/process.js").process.cwd().replace(/\/?$/, "/");
  function req(request) {
    if (typeof request === "string" && isBuiltin(request)) return loadBuiltin(request);
    const filename = resolveFilename(request, base());
    if (isBuiltin(filename)) return loadBuiltin(filename);
    return loadFile(filename, mod);
  }
  req.resolve = (request) => resolveFilename(request, base());
  req.resolve.paths = (request) => (isBuiltin(request) ? null : []);
  req.cache = cacheProxy;
  Object.defineProperty(req, "main", { get: () => mainModule, enumerable: true });
  req.extensions = Object.freeze({ ".js": null, ".json": null, ".cjs": null });
  return req;
}

/** Host entry (__se_cjs): run `source` as the CommonJS main module `filename`; its exports. */
function runMain(filename, source) {
  if (typeof filename !== "string" || !filename.startsWith("/")) {
    throw codedError(TypeError, "ERR_INVALID_ARG_VALUE", `__se_cjs needs an absolute filename, got ${JSON.stringify(filename)}`);
  }
  const mod = new Module(filename, null);
  mod.id = ".";
  mainModule = mod;
  cache[filename] = mod;
  const loop = require("./loop.js");
  try {
    if (typeof source === "string") compileAndRun(mod, source);
    else compileAndRun(mod, readText(filename));
  } catch (err) {
    // As in Node: an 'uncaughtException' listener swallows a throw from the main module.
    if (loop.isExit(err) || !uncaught(err)) throw err;
  }
  mod.loaded = true;
  loop.flushTicks(); // nextTick callbacks run before promise jobs once the main module returns
  return mod.exports;
}

/** Host entry (__se_require): exports of the CommonJS file at absolute `filename` (ESM -> CJS interop). */
function requireAbsolute(filename) {
  if (typeof filename !== "string" || !filename.startsWith("/")) {
    throw codedError(TypeError, "ERR_INVALID_ARG_VALUE", `__se_require needs an absolute filename, got ${JSON.stringify(filename)}`);
  }
  return makeRequire(null)(filename);
}

function uncaught(err) {
  const { process } = require("../modules/process.js");
  if (process.listenerCount("uncaughtException") === 0) return false;
  process.emit("uncaughtException", err, "uncaughtException");
  return true;
}

function createRequire(filename) {
  const { fileURLToPath } = require("../modules/url.js");
  let f = typeof filename === "string" ? (filename.startsWith("file:") ? fileURLToPath(filename) : filename)
    : filename && filename.href ? fileURLToPath(filename) : null;
  if (!f || !f.startsWith("/")) throw codedError(TypeError, "ERR_INVALID_ARG_VALUE", `The argument 'filename' must be a file URL object, file URL string, or absolute path string. Received ${JSON.stringify(filename)}`);
  const m = new Module(f, null);
  return makeRequire(m);
}

function moduleBuiltin() {
  return {
    createRequire, isBuiltin, Module,
    builtinModules: builtinNames(),
    unsupportedModules: [...UNSUPPORTED].sort(),
    _cache: cacheProxy,
    _resolveFilename: (r, parent) => resolveFilename(r, parent && parent.filename ? parent.filename : "/"),
    register: () => { throw notSupported("module.register"); },
    syncBuiltinESMExports: () => {},
  };
}

module.exports = { defineBuiltin, loadBuiltin, builtinNames, isBuiltin, makeRequire, runMain, requireAbsolute, moduleBuiltin, resolveFilename, UNSUPPORTED };
