"""Loaded plugins: one persistent sandbox per plugin, called many times by the host.

A plugin instance is a thin client of one ``Sandbox`` (runtime/sandbox.py) whose engine state
survives between calls. Calls are serialised (one thread at a time; a call re-entering the same
plugin from its own host function or stdio hook raises ``SandboxBusy`` instead of deadlocking);
``acall`` runs a call on a worker thread so an asyncio host never blocks. Each call runs under its
own deadline, is audited with a ``call_id`` that every access it makes carries, and ends everything
it started before it returns. After a wasm trap or a ``process.exit`` inside a call the instance is
reloaded at once from the verified in-memory copy of the plugin's files taken at load (state is
lost, the error is raised); after a time or memory limit the engine keeps the instance usable and
its state.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import attrs
import orjson

from secure_exec.errors import (
    ConfigError,
    EngineTrap,
    JSError,
    LimitExceeded,
    SandboxBusy,
    SandboxClosed,
    SecureExecError,
)
from secure_exec.host.hostfns import HostFunctionTable
from secure_exec.host.hostfns import register as register_hostfns
from secure_exec.host.manifest import PluginManifest, plugin_snapshot
from secure_exec.providers.scope import current_scope
from secure_exec.runtime.config import StdioEvent
from secure_exec.runtime.modules import load_module
from secure_exec.runtime.node_runtime import NodeRuntime
from secure_exec.runtime.sandbox import TURN, Sandbox, limit_name, limit_of
from secure_exec.runtime.session import Session

PLUGIN_ROOT = "/plugin"
INVOKER = PLUGIN_ROOT + "/__invoker__.mjs"
PENDING_MARK = "did not settle after all pending jobs ran"
MAX_MODULE_BYTES = 8 * 2**20

# Evaluated as a classic script BEFORE any plugin code runs: it captures the intrinsics the invoker
# needs and defines a non-configurable, non-writable factory. The invoker module (whose imports run
# the plugin first) only calls that factory, and the host reaches the invoker through the engine's
# module registry ("<file>#<export>"), which guest code cannot touch. So a plugin that patches
# Object.defineProperty, Promise.prototype.then, Reflect or Array iteration changes nothing here.
_KIT = """(() => {
  const def = Object.defineProperty, keys = Object.keys, apply = Reflect.apply, str = String;
  const then = Promise.prototype.then, resolve = Promise.resolve.bind(Promise), reject = Promise.reject.bind(Promise);
  const errorOf = (e) => {
    try {
      return { name: e && typeof e.name === "string" ? e.name : "Error",
               message: e && e.message !== undefined ? str(e.message) : str(e),
               code: e && typeof e.code === "string" ? e.code : null,
               stack: e && typeof e.stack === "string" ? e.stack : "" };
    } catch {
      return { name: "Error", message: "the plugin threw a value that cannot be read", code: null, stack: "" };
    }
  };
  def(globalThis, "__se_plugin_kit", { configurable: false, writable: false, enumerable: false, value: (ns) => {
    let cur = 0, out = null;
    const fnNames = [], ks = keys(ns);
    for (let i = 0; i < ks.length; i++) if (typeof ns[ks[i]] === "function") fnNames[fnNames.length] = ks[i];
    const kit = { __proto__: null, exports: fnNames,
      invoke: (id, fn, args) => {
        cur = id; out = null;  // calls are serialised by the host: at most one is in flight
        const f = ns[fn];
        if (typeof f !== "function")
          return { ok: false, error: { name: "TypeError", code: "ERR_PLUGIN_NO_FUNCTION",
                   message: `the plugin exports no function named '${fn}'`, stack: "" } };
        let p;
        try { p = resolve(apply(f, undefined, args)); } catch (e) { p = reject(e); }
        // The host gets the outcome at once when the promise settles without host work; otherwise it
        // drives the event loop and collects it with result(id).
        return apply(then, p, [
          (v) => { const r = { ok: true, value: v === undefined ? null : v }; if (cur === id) out = r; return r; },
          (e) => { const r = { ok: false, error: errorOf(e) }; if (cur === id) out = r; return r; }]);
      },
      result: (id) => { if (id !== cur || out === null) return null; const r = out; out = null; return r; },
    };
    return kit;
  } });
})();"""

_INVOKER = """import * as ns from {entry};
const kit = __se_plugin_kit(ns);
export const invoke = kit.invoke;
export const result = kit.result;
export const exports = kit.exports;
"""


class PluginError(JSError):
    """A plugin function threw (or rejected). Carries the JS name, message, code and stack."""

    def __init__(self, name: str, js_message: str, stack: str = "", js_code: str | None = None) -> None:
        super().__init__(name, js_message, stack)
        self.js_code = js_code


def _s(v: Any) -> str:
    return v if isinstance(v, str) else ""


class PluginInstance:
    """A loaded plugin. ``call`` its exported functions with JSON-like arguments, many times."""

    def __init__(self, *, manifest: PluginManifest, digest: str, runtime: NodeRuntime,
                 host_functions: HostFunctionTable, pinned_digest: str | None,
                 on_stdio: Callable[[StdioEvent], None] | None,
                 on_close: Callable[[PluginInstance], None] | None = None,
                 files: Mapping[str, bytes] | None = None) -> None:
        self.manifest = manifest
        self.runtime = runtime
        self.pinned_digest = pinned_digest
        self.on_stdio = on_stdio
        self._on_close = on_close
        self._hostfns = host_functions
        if files is None:
            digest, files = plugin_snapshot(manifest.root)
        self.digest = digest
        self._files = dict(files)  # the verified copy: the only source of the plugin's own modules
        register_hostfns(runtime.dispatcher, host_functions)
        self._lock = threading.Lock()
        self._owner: int | None = None
        self._ids = itertools.count(1)
        self._sb: Sandbox | None = None
        self._ctx_base: Any = None
        self._ctx_fields: dict[str, Any] | None = None
        self.exports: tuple[str, ...] = ()
        self.calls = 0
        self._start()

    @property
    def id(self) -> str:
        return self.manifest.id

    @property
    def version(self) -> str:
        return self.manifest.version

    # ----------------------------------------------------------------- lifecycle

    def _load(self, s: Session, spec: str, referrer: str) -> tuple[str, str]:
        """The plugin's own files come from its verified in-memory copy (``Session.modules``, which the
        ES loader and the guest's ``require`` both consult, for every spelling of a path); anything
        else via the fs gate."""
        return load_module(s, spec, referrer)

    def _start(self) -> None:
        rt = self.runtime
        sb = Sandbox(driver=rt.driver, limits=rt.limits, audit_log=rt.audit_log, dispatcher=rt.dispatcher,
                     who=rt.identity, process=rt.driver.process_config, on_stdio=self.on_stdio,
                     module_loader=self._load)
        sb.session.modules = (PLUGIN_ROOT, self._files)  # before any plugin code can import or require
        entry = PLUGIN_ROOT + "/" + Path(self.manifest.entry).as_posix()
        try:
            sb.begin(rt.limits.time_limit)
            sb.eval_script(_KIT + "\n" + TURN, "<secure_exec plugin kit>")
            sb.has_turn = True
            ns = sb.eval_module(_INVOKER.format(entry=orjson.dumps(entry).decode()), INVOKER)
            sb.release()  # nothing the plugin's top level started outlives its load
        except BaseException:
            sb.close()
            raise
        exports = ns.get("exports")
        self.exports = tuple(x for x in exports if isinstance(x, str)) if isinstance(exports, list) else ()
        self._sb = sb
        rt.audit_log.lifecycle("sandbox.started", sb.audit_ctx, file_path=entry)

    def _stop(self) -> None:
        if self._sb is not None:
            self._sb.close()
        self._sb = None

    def reload(self) -> None:
        """Throw the instance away and load the plugin again; refused if its files changed on disk."""
        current, _ = plugin_snapshot(self.manifest.root)
        if current != self.digest or (self.pinned_digest and current != self.pinned_digest):
            raise ConfigError(f"plugin {self.id!r} changed on disk (digest {current}, expected "
                              f"{self.pinned_digest or self.digest}); refusing to load it")
        with self._owned():
            self._stop()
            self._start()

    def close(self) -> None:
        with self._owned():
            if self._sb is None:
                return
            self._stop()
            self.runtime.dispose()
        if self._on_close is not None:
            self._on_close(self)

    @property
    def closed(self) -> bool:
        return self._sb is None

    def __enter__(self) -> PluginInstance:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _owned(self) -> _CallLock:
        return _CallLock(self)

    # ----------------------------------------------------------------- calls

    def call(self, function: str, *args: Any, time_limit: float | None = None) -> Any:
        """Call an exported function; awaits its promise, settling host operations meanwhile."""
        if not isinstance(function, str) or not function.isidentifier():
            raise ConfigError(f"function name must be an identifier, got {function!r}")
        with self._owned():
            sb = self._sb
            if sb is None:
                raise SandboxClosed(f"plugin {self.id!r} is closed")
            rt = self.runtime
            call_id = f"c-{next(self._ids)}"
            self.calls += 1
            gate = sb.session.gate
            base_ctx = gate.audit_ctx
            if self._ctx_fields is None or self._ctx_base is not base_ctx:
                self._ctx_base, self._ctx_fields = base_ctx, attrs.asdict(base_ctx, recurse=False)
            gate.audit_ctx = type(base_ctx)(**{**self._ctx_fields, "call_id": call_id})  # evolve, cheaper
            t0 = time.perf_counter()
            status = "error"
            try:
                sb.begin(time_limit if time_limit is not None else rt.limits.time_limit)
                value = self._call(sb, call_id, function, list(args))
                status = "ok"
                return value
            except LimitExceeded as e:
                status = "limit"
                sb.limit_event(limit_name(e), function=function)
                raise
            finally:
                sb.release()  # nothing the call started outlives it
                if status != "ok":  # a successful call is on record through its accesses' call_id
                    try:
                        rt.audit_log.lifecycle("plugin.call", gate.audit_ctx, function=function, status=status,
                                               duration_ms=round((time.perf_counter() - t0) * 1000.0, 3))
                    except SecureExecError:
                        pass  # the audit log reported it; the call's own outcome must not be lost
                gate.audit_ctx = base_ctx

    def _call(self, sb: Sandbox, call_id: str, function: str, args: list[Any]) -> Any:
        s = sb.session
        box: list[Any] = []
        generation = sb.inst.generation

        def settled() -> bool:
            r = sb.guest(INVOKER + "#result", [call_id])
            if r is not None:
                box.append(r)
            return bool(box)

        try:
            try:
                first = sb.guest(INVOKER + "#invoke", [call_id, function, args])
            except JSError as e:
                if PENDING_MARK not in e.js_message or s.exit_code is not None:
                    raise
                first = None
            if s.exit_code is None:
                if isinstance(first, dict):
                    box.append(first)
                else:
                    sb.drive(until=settled)
            if s.exit_code is None and not box and not settled():
                raise PluginError("Error", f"{function}() returned a promise that never settles",
                                  js_code="ERR_PLUGIN_NEVER_SETTLED")
        except (EngineTrap, LimitExceeded):
            if sb.inst.generation != generation or sb.inst.closed:  # the engine replaced a trapped sandbox
                self._restart()
            raise
        except JSError as e:
            if s.exit_code is None:
                raise
            self._exited(s, e)
        if s.exit_code is not None:
            self._exited(s, None)
        r = box[0]
        if not isinstance(r, dict):
            raise PluginError("Error", f"{function}() produced an outcome that could not be read")
        if r.get("ok") is True:
            return r.get("value")
        raw = r.get("error")
        err: dict[str, Any] = raw if isinstance(raw, dict) else {}
        name, msg = _s(err.get("name")), _s(err.get("message"))
        lim = limit_of(name, msg, sb.limits, sb.time_limit, sb.deadline)
        if lim is not None:
            raise lim
        code = err.get("code")
        raise PluginError(name or "Error", msg, _s(err.get("stack")), code if isinstance(code, str) else None)

    def _exited(self, s: Session, cause: BaseException | None) -> None:
        """process.exit() inside a call: reload the plugin at once (its state is gone) and say so."""
        code = s.exit_code
        self._restart()
        raise PluginError("ProcessExit", f"the plugin called process.exit({code}); it was reloaded") from cause

    def _restart(self) -> None:
        self._stop()
        self._start()

    async def acall(self, function: str, *args: Any, time_limit: float | None = None) -> Any:
        """``call`` on a worker thread: the event loop keeps running while the plugin works."""
        return await asyncio.to_thread(self.call, function, *args, time_limit=time_limit)


class _CallLock:
    """Serialise calls; a call from inside this plugin's own call (host function, stdio hook) is refused."""

    __slots__ = ("p",)

    def __init__(self, p: PluginInstance) -> None:
        self.p = p

    def __enter__(self) -> None:
        p = self.p
        me = threading.get_ident()
        if not p._lock.acquire(blocking=False):  # busy: refuse a re-entry, wait for another thread
            sb = p._sb
            if p._owner == me or (sb is not None and current_scope() is sb.scope):
                raise SandboxBusy(f"plugin {p.id!r} is already running a call: a host function or hook cannot "
                                  "call back into the plugin that called it")
            p._lock.acquire()
        p._owner = me

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.p._owner = None
        self.p._lock.release()


def granted_functions(manifest: PluginManifest, offered: Mapping[str, Callable[..., Any]]) -> dict[str, Any]:
    """The host functions a plugin gets: those it declared AND the host offered; a missing one is an error."""
    missing = [n for n in manifest.host_functions if n not in offered]
    if missing:
        raise ConfigError(f"plugin {manifest.id!r} needs host function(s) {missing} that the host does not provide")
    return {n: offered[n] for n in manifest.host_functions}
