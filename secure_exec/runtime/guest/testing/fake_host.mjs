// Test host for the guest shim WITHOUT the wasm engine: runs 50-node.js in a bare node:vm context
// (only ECMAScript globals plus what QuickJS-NG itself provides: queueMicrotask, atob, btoa,
// performance.now; Intl is removed) against an in-memory fake of every bridge op in
// docs/bridge-ops.md. Node's own require/process are never visible to the guest.
//
// Usage: node fake_host.mjs < spec.json > result.json   (or a JSON array of specs -> array of results)
// spec: {source, filename?, mode: "cjs"|"script", contract: "raw"|"core", files: {path: text|{b64}|{dir}|{symlink}},
//        deny: [path prefixes], denyEnv: [keys], env: {}, config: {}, commands: {cmd: {status, stdout, stderr}},
//        fetch: {url: {status, headers, body}}, dns: {host: [addr]}, stdin: "..."}
// result: {exit, stdout, stderr, ops: [[op, args-summary]...], error}
import vm from "node:vm";
import { readFileSync } from "node:fs";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const bootstrap = join(here, "..", "..", "..", "engine", "bootstrap");
/** One run in a fresh vm context with fresh fake-host state. */
async function runOne(spec) {

  const out = { exit: null, stdout: "", stderr: "", ops: [], error: null };
  let cwd = (spec.config && spec.config.cwd) || "/";
  const env = Object.assign({}, spec.env || {});
  const deny = spec.deny || [];
  const denyEnv = new Set(spec.denyEnv || []);
  const asyncQueue = []; // [id, ok, value] to settle on the next loop turn
  let stdinData = Buffer.from(spec.stdin || "", "utf8");

  // ---------- in-memory filesystem ----------
  const nodes = new Map(); // abs path -> {kind, data?, target?, mode, mtimeMs}
  function mk(kind, extra) { return Object.assign({ kind, mode: kind === "dir" ? 0o755 : 0o644, mtimeMs: 1700000000000, ino: nodes.size + 1 }, extra); }
  nodes.set("/", mk("dir"));
  function ensureParents(p) {
    const parts = p.split("/").filter(Boolean);
    let cur = "";
    for (let i = 0; i < parts.length - 1; i++) { cur += "/" + parts[i]; if (!nodes.has(cur)) nodes.set(cur, mk("dir")); }
  }
  for (const [p, v] of Object.entries(spec.files || {})) {
    ensureParents(p);
    if (typeof v === "string") nodes.set(p, mk("file", { data: Buffer.from(v, "utf8") }));
    else if (v.b64 !== undefined) nodes.set(p, mk("file", { data: Buffer.from(v.b64, "base64") }));
    else if (v.dir) nodes.set(p, mk("dir"));
    else if (v.symlink !== undefined) nodes.set(p, mk("symlink", { target: v.symlink }));
  }

  function err(code, syscall, path, dest, message) {
    // A host-realm Error, as the engine would throw: the shim must rebuild it in the guest realm.
    const e = new Error(message || code);
    Object.assign(e, { code });
    if (syscall) e.syscall = syscall;
    if (path !== undefined) e.path = path;
    if (dest !== undefined) e.dest = dest;
    return e;
  }
  const abs = (p) => posix.resolve(cwd, p);
  function resolveLinks(p, follow, syscall, raw) {
    let cur = "/";
    const parts = abs(p).split("/").filter(Boolean);
    for (let i = 0; i < parts.length; i++) {
      let next = posix.join(cur, parts[i]);
      let hops = 0;
      let n = nodes.get(next);
      while (n && n.kind === "symlink" && (follow || i < parts.length - 1)) {
        if (++hops > 40) {
        if (spec.internalSyscall) throw err("ELOOP", spec.internalSyscall, raw, undefined, `ELOOP: too many symbolic links encountered, ${spec.internalSyscall} '${raw}'`);
        throw err("ELOOP", syscall, raw);
      }
        next = posix.resolve(cur, n.target);
        n = nodes.get(next);
      }
      if (!n && i < parts.length - 1) throw err("ENOENT", syscall, raw);
      if (n && n.kind !== "dir" && i < parts.length - 1) throw err("ENOTDIR", syscall, raw);
      cur = next;
    }
    return cur;
  }
  function checkPolicy(rawPath, syscall) {
    const p = abs(rawPath);
    for (const d of deny) if (p === d || p.startsWith(d.endsWith("/") ? d : d + "/")) throw err("EACCES", syscall, rawPath);
  }
  function fileAt(rawPath, syscall, follow = true) {
    checkPolicy(rawPath, syscall);
    const p = resolveLinks(rawPath, follow, syscall, rawPath);
    const n = nodes.get(p);
    if (!n) throw err("ENOENT", syscall, rawPath);
    return [p, n];
  }
  function statOf(n) {
    return { kind: n.kind, size: n.kind === "file" ? n.data.length : n.kind === "symlink" ? n.target.length : 4096, mode: n.mode, mtimeMs: n.mtimeMs, atimeMs: n.atimeMs === undefined ? n.mtimeMs : n.atimeMs, ctimeMs: n.mtimeMs, birthtimeMs: n.mtimeMs, nlink: 1, ino: n.ino, uid: 0, gid: 0 };
  }
  function parentOk(rawPath, syscall) {
    checkPolicy(rawPath, syscall);
    const p = resolveLinks(rawPath, false, syscall, rawPath);
    const parent = nodes.get(posix.dirname(p));
    if (!parent) throw err("ENOENT", syscall, rawPath);
    if (parent.kind !== "dir") throw err("ENOTDIR", syscall, rawPath);
    return p;
  }
  const fds = new Map();
  let nextFd = 3;

  // ---------- ops ----------
  const handlers = {
    "process.config": () => Object.assign({ argv: ["/usr/bin/node", spec.filename || "/entry.js"], cwd, platform: "linux", arch: "x64", version: "v20.0.0", pid: 42, os: { hostname: "sandbox" } }, spec.config || {}, { cwd }),
    "process.chdir": ({ path }) => { const [p, n] = fileAt(path, "chdir"); if (n.kind !== "dir") throw err("ENOTDIR", "chdir", path); cwd = p; return { cwd }; },
    "process.exit": ({ code }) => { out.exit = code; return {}; },
    "stdio.write": ({ fd, data, data_b64 }) => {
      const text = data !== undefined ? data : Buffer.from(data_b64, "base64").toString("utf8");
      if (fd === 1) out.stdout += text; else if (fd === 2) out.stderr += text; else throw err("EBADF", "write");
      return {};
    },
    "stdio.read": ({ length }) => { const b = stdinData.subarray(0, length); stdinData = stdinData.subarray(b.length); return { data_b64: b.toString("base64") }; },
    "env.get": ({ key }) => ({ value: denyEnv.has(key) || !Object.hasOwn(env, key) ? null : env[key] }),
    "env.keys": () => ({ keys: Object.keys(env).filter((k) => !denyEnv.has(k)) }),
    "env.set": ({ key, value }) => { if (denyEnv.has(key)) throw err("EACCES", "setenv", key); env[key] = value; return {}; },
    "env.delete": ({ key }) => { if (denyEnv.has(key)) throw err("EACCES", "unsetenv", key); delete env[key]; return {}; },
    "fs.readFile": ({ path, encoding }) => { const [, n] = fileAt(path, "open"); if (n.kind === "dir") throw err("EISDIR", "read"); return encoding === "utf8" ? { text: n.data.toString("utf8") } : { data_b64: n.data.toString("base64") }; },
    "fs.writeFile": ({ path, data_b64, flag }) => {
      const p = parentOk(path, "open");
      const cur = nodes.get(resolveLinks(path, true, "open", path));
      if (cur && flag.includes("x")) throw err("EEXIST", "open", path);
      if (cur && cur.kind === "dir") throw err("EISDIR", "open", path);
      const data = Buffer.from(data_b64, "base64");
      if (cur && flag.startsWith("a")) cur.data = Buffer.concat([cur.data, data]);
      else if (cur) cur.data = data;
      else nodes.set(p, mk("file", { data }));
      return {};
    },
    "fs.stat": ({ path, follow }) => statOf(fileAt(path, follow ? "stat" : "lstat", follow)[1]),
    // The CommonJS loader's "import" decision (fs_ops.module_stat/module_read): a refused or absent
    // path is {kind: null}; a read of a refused module is EACCES.
    "module.stat": ({ path }) => {
      try { return { kind: statOf(fileAt(path, "stat", true)[1]).kind }; }
      catch (e) { if (["EACCES", "ENOENT", "ENOTDIR", "ELOOP"].includes(e.code)) return { kind: null }; throw e; }
    },
    "module.read": ({ path }) => { const [, n] = fileAt(path, "open"); if (n.kind === "dir") throw err("EISDIR", "read"); return { text: n.data.toString("utf8") }; },
    "fs.readdir": ({ path }) => {
      const [p, n] = fileAt(path, "scandir");
      if (n.kind !== "dir") throw err("ENOTDIR", "scandir", path);
      const entries = [];
      for (const [k, v] of nodes) if (k !== p && posix.dirname(k) === p) entries.push({ name: posix.basename(k), kind: v.kind });
      return { entries };
    },
    "fs.mkdir": ({ path, recursive }) => {
      checkPolicy(path, "mkdir");
      const p = abs(path);
      if (nodes.has(p)) { if (recursive && nodes.get(p).kind === "dir") return { first: null }; throw err("EEXIST", "mkdir", path); }
      if (!recursive) { parentOk(path, "mkdir"); nodes.set(p, mk("dir")); return { first: null }; }
      let first = null;
      let cur = "";
      for (const part of p.split("/").filter(Boolean)) {
        cur += "/" + part;
        const n = nodes.get(cur);
        if (n && n.kind !== "dir") throw err("ENOTDIR", "mkdir", path);
        if (!n) { nodes.set(cur, mk("dir")); first = first || cur; }
      }
      return { first };
    },
    "fs.access": ({ path }) => { fileAt(path, "stat"); return {}; }, // reports its internal stat on purpose
    "fs.unlink": ({ path }) => { const [p, n] = fileAt(path, "unlink", false); if (n.kind === "dir") throw err("EISDIR", "unlink", path); nodes.delete(p); return {}; },
    "fs.rmdir": ({ path }) => {
      const [p, n] = fileAt(path, "rmdir", false);
      if (n.kind !== "dir") throw err("ENOTDIR", "rmdir", path);
      for (const k of nodes.keys()) if (k.startsWith(p + "/")) throw err("ENOTEMPTY", "rmdir", path);
      nodes.delete(p); return {};
    },
    "fs.rm": ({ path, recursive, force }) => {
      let p, n;
      try { [p, n] = fileAt(path, "rm", false); } catch (e) { if (force && e.code === "ENOENT") return {}; throw e; }
      if (n.kind === "dir" && !recursive) { const e = err("ERR_FS_EISDIR", "rm", path, undefined, `Path is a directory: rm returned EISDIR (is a directory) ${path}`); throw e; }
      for (const k of [...nodes.keys()]) if (k === p || k.startsWith(p + "/")) nodes.delete(k);
      return {};
    },
    "fs.rename": ({ from, to }) => {
      checkPolicy(to, "rename");
      const [p, n] = fileAt(from, "rename", false);
      const q = parentOk(to, "rename");
      if (q.startsWith(p + "/")) throw err("EINVAL", "rename", from, to);
      for (const k of [...nodes.keys()]) if (k === p || k.startsWith(p + "/")) { const v = nodes.get(k); nodes.delete(k); nodes.set(q + k.slice(p.length), v); }
      void n; return {};
    },
    "fs.copyFile": ({ from, to, exclusive }) => {
      const [, n] = fileAt(from, "copyfile");
      const q = parentOk(to, "copyfile");
      if (exclusive && nodes.has(q)) throw err("EEXIST", "copyfile", from, to);
      nodes.set(q, mk("file", { data: Buffer.from(n.data) })); return {};
    },
    "fs.symlink": ({ target, path }) => { const q = parentOk(path, "symlink"); if (nodes.has(q)) throw err("EEXIST", "symlink", target, path); nodes.set(q, mk("symlink", { target })); return {}; },
    "fs.readlink": ({ path }) => { const [, n] = fileAt(path, "readlink", false); if (n.kind !== "symlink") throw err("EINVAL", "readlink", path); return { target: n.target }; },
    "fs.link": ({ existing, path }) => { const [, n] = fileAt(existing, "link"); const q = parentOk(path, "link"); nodes.set(q, n); return {}; },
    "fs.realpath": ({ path }) => ({ path: fileAt(path, "realpath")[0] }),
    "fs.chmod": ({ path, mode }) => { fileAt(path, "chmod")[1].mode = mode & 0o7777; return {}; },
    "fs.chown": ({ path }) => { fileAt(path, "chown"); return {}; },
    "fs.ftruncate": ({ fd, len }) => { const f = fds.get(fd); if (!f) throw err("EBADF", "ftruncate"); const b = Buffer.alloc(len); f.n.data.copy(b, 0, 0, Math.min(len, f.n.data.length)); f.n.data = b; return {}; },
    "fs.utimes": ({ path, atime_ms, mtime_ms }) => { const n = fileAt(path, "utime")[1]; n.atimeMs = atime_ms; n.mtimeMs = mtime_ms; return {}; },
    "fs.truncate": ({ path, len }) => { const n = fileAt(path, "open")[1]; const b = Buffer.alloc(len); n.data.copy(b, 0, 0, Math.min(len, n.data.length)); n.data = b; return {}; },
    "fs.open": ({ path, flags }) => {
      let n;
      if (flags.startsWith("r")) n = fileAt(path, "open")[1];
      else {
        const q = parentOk(path, "open");
        n = nodes.get(q);
        if (n && flags.includes("x")) throw err("EEXIST", "open", path);
        if (!n) { n = mk("file", { data: Buffer.alloc(0) }); nodes.set(q, n); }
        else if (flags.startsWith("w")) n.data = Buffer.alloc(0);
      }
      if (n.kind === "dir" && !flags.startsWith("r")) throw err("EISDIR", "open", path);
      if (fds.size >= 16) throw err("EMFILE", "open", path);
      const fd = nextFd++;
      fds.set(fd, { n, pos: flags.startsWith("a") ? n.data.length : 0, append: flags.startsWith("a") });
      return { fd };
    },
    "fs.read": ({ fd, length, position }) => {
      const f = fds.get(fd); if (!f) throw err("EBADF", "read");
      const at = position === null ? f.pos : position;
      const b = f.n.data.subarray(at, at + length);
      if (position === null) f.pos += b.length;
      return { data_b64: b.toString("base64") };
    },
    "fs.write": ({ fd, data_b64, position }) => {
      const f = fds.get(fd); if (!f) throw err("EBADF", "write");
      const d = Buffer.from(data_b64, "base64");
      const at = f.append ? f.n.data.length : position === null ? f.pos : position;
      const need = at + d.length;
      if (need > f.n.data.length) { const b = Buffer.alloc(need); f.n.data.copy(b); f.n.data = b; }
      d.copy(f.n.data, at);
      if (position === null) f.pos = at + d.length;
      return { written: d.length };
    },
    "fs.fstat": ({ fd }) => { const f = fds.get(fd); if (!f) throw err("EBADF", "fstat"); return statOf(f.n); },
    "fs.close": ({ fd }) => { if (!fds.delete(fd)) throw err("EBADF", "close"); return {}; },
    "crypto.random": ({ n }) => ({ data_b64: randomBytes(n).toString("base64") }),
    "crypto.hash": ({ alg, data_b64 }) => ({ digest_b64: createHash(alg).update(Buffer.from(data_b64, "base64")).digest("base64") }),
    "crypto.hmac": ({ alg, key_b64, data_b64 }) => ({ digest_b64: createHmac(alg, Buffer.from(key_b64, "base64")).update(Buffer.from(data_b64, "base64")).digest("base64") }),
    "proc.spawnSync": (a) => runCommand(a, "spawnSync"),
    "proc.spawn.start": (a) => { let v; let ok = true; try { v = runCommand(a, "spawn"); } catch (e) { ok = false; v = plain(e); } asyncQueue.push([a.id, ok, v]); return { id: a.id }; },
    "net.fetch.start": (a) => {
      const r = (spec.fetch || {})[a.url];
      if (!r) asyncQueue.push([a.id, false, { code: "EACCES", syscall: "connect", path: a.url, message: `EACCES: permission denied, connect '${a.url}'` }]);
      else asyncQueue.push([a.id, true, { status: r.status || 200, statusText: r.statusText || "OK", headers: Object.entries(r.headers || {}), body_b64: Buffer.from(r.body || "").toString("base64"), url: a.url, redirected: false, echo: { method: a.method, headers: a.headers, body_b64: a.body_b64 } }]);
      return { id: a.id };
    },
    "dns.lookup": ({ hostname }) => {
      const list = (spec.dns || {})[hostname];
      if (!list) throw err("EACCES", "getaddrinfo", hostname);
      return { addresses: list.map((address) => ({ address, family: address.includes(":") ? 6 : 4 })) };
    },
  };

  function runCommand(a, syscall) {
    const c = (spec.commands || {})[a.command];
    if (!c) throw err("EACCES", syscall, a.command);
    let stdout = c.stdout || "";
    if (c.echoArgs) stdout = a.args.join(" ");
    if (c.echoInput) stdout = Buffer.from(a.input_b64 || "", "base64").toString("utf8");
    if (c.echoEnv) stdout = JSON.stringify(a.env);
    return { pid: 100, status: c.status || 0, signal: null, stdout_b64: Buffer.from(stdout).toString("base64"), stderr_b64: Buffer.from(c.stderr || "").toString("base64") };
  }

  function plain(e) { return { code: e.code, message: e.message, syscall: e.syscall, path: e.path }; }

  function dispatch(op, args) {
    // Everything crosses as JSON, exactly like the real bridge.
    const a = JSON.parse(JSON.stringify(args === undefined ? {} : args));
    out.ops.push([op, a.path !== undefined ? a.path : a.key !== undefined ? a.key : a.command !== undefined ? a.command : a.url !== undefined ? a.url : null]);
    const h = handlers[op];
    if (!h) throw err("ENOSYS", null, undefined, undefined, `ENOSYS: unknown op ${op}`);
    const r = h(a);
    return r === undefined ? undefined : JSON.parse(JSON.stringify(r));
  }

  // ---------- sandbox ----------
  const ctx = vm.createContext({});
  vm.runInContext("delete globalThis.Intl; delete globalThis.WebAssembly;", ctx);
  // What QuickJS-NG itself provides (the shim must not need anything else from the host engine).
  ctx.queueMicrotask = queueMicrotask;
  ctx.atob = atob;
  ctx.btoa = btoa;
  ctx.performance = { now: () => 0, timeOrigin: 0 };
  if (spec.contract === "core") {
    ctx.__se_host_call = (req) => {
      const { op, args } = JSON.parse(req);
      const r = dispatch(op, args);
      return r === undefined ? "" : JSON.stringify(r);
    };
    vm.runInContext(readFileSync(join(bootstrap, "00-core.js"), "utf8"), ctx, { filename: "00-core.js" });
  } else {
    ctx.__se_hostcall = (op, args) => dispatch(op, args);
  }
  vm.runInContext(readFileSync(join(bootstrap, "50-node.js"), "utf8"), ctx, { filename: "50-node.js" });

  const turn = () => new Promise((r) => setImmediate(r));

  function report(e) {
    if (e && e.name === "ProcessExit" && e.code === "ERR_PROCESS_EXIT") return true;
    out.error = { name: e && e.name, message: e && e.message, code: e && e.code };
    out.stderr += `Uncaught ${e && e.stack ? e.stack : String(e)}\n`;
    if (out.exit === null) out.exit = 1;
    return false;
  }

  // Errors thrown from guest microtasks (nextTick/promise jobs) surface here, as the engine's
  // job runner would report them.
  let jobError = null;
  const onJobError = (e) => { if (jobError === null) jobError = e; };
  // Node's own rejection tracking stands in for the engine's: forward it to the shim.
  const onUnhandled = (reason, promise) => {
    try { ctx.__se_rejection(promise, reason, false); ctx.__se_rejections(); } catch (e) { onJobError(e); }
  };
  const onHandled = (promise) => { try { ctx.__se_rejection(promise, undefined, true); } catch (e) { onJobError(e); } };
  process.on("uncaughtException", onJobError);
  process.on("unhandledRejection", onUnhandled);
  process.on("rejectionHandled", onHandled);
  function checkJobs() {
    if (jobError === null) return;
    const e = jobError;
    jobError = null;
    if (!report(e)) throw e;
  }

  let now = 0;
  try {
    if (spec.mode === "cjs") ctx.__se_cjs(spec.filename || "/entry.js", spec.source);
    else vm.runInContext(spec.source, ctx, { filename: spec.filename || "/entry.js" });
    for (let guard = 0; guard < 100000 && out.exit === null; guard++) {
      await turn();
      checkJobs();
      while (asyncQueue.length) {
        const [id, ok, v] = asyncQueue.shift();
        ctx.__se_settle(id, ok, v);
        await turn();
      }
      const delay = ctx.__se_tick(now);
      await turn();
      checkJobs();
      if (out.exit !== null) break;
      if (!ctx.__se_pending() && asyncQueue.length === 0) {
        const code = ctx.__se_finish();
        if (code !== null) { out.exit = code; break; }
        continue;
      }
      if (delay > 0) now += delay; // virtual clock: deterministic, no real waiting
    }
  } catch (e) {
    if (out.error === null) report(e);
  }
  process.off("uncaughtException", onJobError);
  process.off("unhandledRejection", onUnhandled);
  process.off("rejectionHandled", onHandled);
  return out;
}

const input = JSON.parse(readFileSync(0, "utf8"));
// An array runs many scripts in one process (each in its own context): fast corpus checks.
const result = Array.isArray(input) ? await (async () => { const r = []; for (const sp of input) r.push(await runOne(sp)); return r; })() : await runOne(input);
process.stdout.write(JSON.stringify(result));
