/* secure_exec core bootstrap: runs once per engine build (baked into the snapshot), before any user code.
 *
 * Why: the C glue installs the raw host-call primitive as globalThis.__se_host_call. User code must never
 * see it, so this file captures it in a closure and deletes the global. What stays visible is a small,
 * frozen internal API for the other bootstrap files (the Node shim captures it and may delete it too):
 *
 *   __secure_exec_bridge.hostCall(requestString) -> replyString   (raw; throws the host's error reply)
 *   __secure_exec_bridge.call(op, args) -> value                   (JSON {op, args} in, JSON value out)
 *   __secure_exec_bridge.defer() -> {id, promise}                  (for host-started async operations)
 *   __se_settle(id, ok, value) -> boolean                          (the host settles a deferred promise)
 *   __secure_exec_bridge.compileScript(source, filename) -> value  (a classic script under a real file name)
 *   __secure_exec_bridge.loadModuleSync(filename) -> [state, namespace|reason, promise]  (require(esm))
 *
 * The same bridge object is also registered with the C glue, so host-privileged code
 * (JSInstance.eval_privileged) can reach it after a later file has hidden the global.
 */
(function (g) {
  "use strict";
  const rawHostCall = g.__se_host_call;
  const registerBridge = g.__se_register_bridge;
  // The CommonJS loader's two engine primitives (sandbox.c): compile under a real file name, and
  // load an ES module synchronously (require(esm)). Absent in JS-only test hosts.
  const compileScript = g.__se_compile_script;
  const loadModuleSync = g.__se_load_module_sync;
  delete g.__se_host_call;
  delete g.__se_register_bridge;
  delete g.__se_compile_script;
  delete g.__se_load_module_sync;
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const ErrorCtor = Error;
  const keys = Object.keys;
  const pending = new Map();
  let nextId = 1;

  function hostCall(request) {
    return rawHostCall(String(request));
  }

  function call(op, args) {
    const reply = rawHostCall(stringify({ op: String(op), args: args === undefined ? {} : args }));
    return reply === "" ? undefined : parse(reply);
  }

  function defer() {
    const id = nextId++;
    let resolve;
    let reject;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    pending.set(id, { resolve, reject });
    return { id, promise };
  }

  function toError(value) {
    if (value !== null && typeof value === "object") {
      const e = new ErrorCtor(typeof value.message === "string" ? value.message : "host operation failed");
      for (const k of keys(value)) {
        if (k !== "message" && k !== "stack") e[k] = value[k];
      }
      return e;
    }
    return new ErrorCtor(String(value));
  }

  function settle(id, ok, value) {
    const d = pending.get(id);
    if (d === undefined) return false;
    pending.delete(id);
    if (ok) d.resolve(value);
    else d.reject(toError(value));
    return true;
  }

  const bridge = Object.freeze({
    hostCall,
    call,
    defer,
    pendingCount: () => pending.size,
    compileScript: typeof compileScript === "function" ? compileScript : undefined,
    loadModuleSync: typeof loadModuleSync === "function" ? loadModuleSync : undefined,
  });
  // Kept by the C glue for host-privileged evals (JSInstance.eval_privileged); absent in JS-only test hosts.
  if (typeof registerBridge === "function") registerBridge(bridge);
  Object.defineProperty(g, "__secure_exec_bridge", {
    value: bridge,
    writable: false,
    enumerable: false,
    configurable: true,
  });
  Object.defineProperty(g, "__se_settle", {
    value: settle,
    writable: false,
    enumerable: false,
    configurable: false,
  });
})(globalThis);
