"""Loaded plugins: one persistent sandbox per plugin, called many times by the host.

A plugin instance owns one engine instance whose state survives between calls. Calls are
serialised (one thread at a time); ``acall`` runs a call on a worker thread so an asyncio host never
blocks. After a wasm trap or a ``process.exit`` inside a call the instance is reloaded from the
plugin's files (state is lost, the error is raised); after a time or memory limit the engine keeps
the instance usable and its state.
"""

from __future__ import annotations

import asyncio
import itertools
import posixpath
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson

from secure_exec.engine.instance import JSInstance
from secure_exec.errors import ConfigError, EngineTrap, GuestError, JSError, LimitExceeded, SandboxClosed
from secure_exec.host.hostfns import HostFunctionTable
from secure_exec.host.hostfns import register as register_hostfns
from secure_exec.host.manifest import PluginManifest, plugin_digest
from secure_exec.runtime.config import StdioEvent
from secure_exec.runtime.modules import load_module
from secure_exec.runtime.node_runtime import NodeRuntime
from secure_exec.runtime.session import Session

PLUGIN_ROOT = "/plugin"
PENDING_MARK = "did not settle after all pending jobs ran"
MAX_MODULE_BYTES = 8 * 2**20

_INVOKER = """import * as ns from {entry};
const results = new Map();
const errorOf = (e) => ({{
  name: e && typeof e.name === "string" ? e.name : "Error",
  message: e && e.message !== undefined ? String(e.message) : String(e),
  code: e && typeof e.code === "string" ? e.code : null,
  stack: e && typeof e.stack === "string" ? e.stack : "",
}});
Object.defineProperty(globalThis, "__se_plugin_invoke", {{ value: (id, fn, args) => {{
  results.clear();  // calls are serialised by the host: at most one is in flight
  const f = ns[fn];
  if (typeof f !== "function") {{
    results.set(id, {{ ok: false, error: {{ name: "TypeError", code: "ERR_PLUGIN_NO_FUNCTION",
      message: `the plugin exports no function named '${{fn}}'`, stack: "" }} }});
    return;
  }}
  let p;
  try {{ p = Promise.resolve(f(...args)); }} catch (e) {{ p = Promise.reject(e); }}
  // The host gets the outcome at once when the promise settles without host work; otherwise it
  // drives the event loop and collects it from `results`.
  return p.then((v) => {{ const r = {{ ok: true, value: v === undefined ? null : v }}; results.set(id, r); return r; }},
                (e) => {{ const r = {{ ok: false, error: errorOf(e) }}; results.set(id, r); return r; }});
}} }});
Object.defineProperty(globalThis, "__se_plugin_result", {{ value: (id) => {{
  const r = results.get(id);
  if (r === undefined) return null;
  results.delete(id);
  return r;
}} }});
export const exports = Object.keys(ns).filter((k) => typeof ns[k] === "function");
"""


class PluginError(JSError):
    """A plugin function threw (or rejected). Carries the JS name, message, code and stack."""

    def __init__(self, name: str, js_message: str, stack: str = "", js_code: str | None = None) -> None:
        super().__init__(name, js_message, stack)
        self.js_code = js_code


class PluginInstance:
    """A loaded plugin. ``call`` its exported functions with JSON-like arguments, many times."""

    def __init__(self, *, manifest: PluginManifest, digest: str, runtime: NodeRuntime,
                 host_functions: HostFunctionTable, pinned_digest: str | None,
                 on_stdio: Callable[[StdioEvent], None] | None,
                 on_close: Callable[[PluginInstance], None] | None = None) -> None:
        self.manifest = manifest
        self.digest = digest
        self.runtime = runtime
        self.pinned_digest = pinned_digest
        self.on_stdio = on_stdio
        self._on_close = on_close
        self._hostfns = host_functions
        register_hostfns(runtime.dispatcher, host_functions)
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._inst: JSInstance | None = None
        self._session: Session | None = None
        self.exports: tuple[str, ...] = ()
        self.calls = 0
        self._start(check_digest=False)  # the loader computed the digest a moment ago

    @property
    def id(self) -> str:
        return self.manifest.id

    @property
    def version(self) -> str:
        return self.manifest.version

    # ----------------------------------------------------------------- lifecycle

    def _load(self, s: Session, spec: str, referrer: str) -> tuple[str, str]:
        """The plugin's own files come from its (digest-checked) folder; anything else via the fs gate."""
        base = posixpath.dirname(referrer) if referrer.startswith("/") else PLUGIN_ROOT
        path = posixpath.normpath(posixpath.join(base, spec)) if spec.startswith((".", "/")) else None
        if path is not None and (path == PLUGIN_ROOT or path.startswith(PLUGIN_ROOT + "/")):
            host = (self.manifest.root / path[len(PLUGIN_ROOT) + 1:]).resolve()
            if not host.is_relative_to(self.manifest.root) or not host.is_file():
                raise GuestError("ERR_MODULE_NOT_FOUND", f"Cannot find module '{spec}' imported from {referrer}")
            data = host.read_bytes()
            if len(data) > MAX_MODULE_BYTES:
                raise GuestError("ERR_MODULE_TOO_LARGE", f"module {path} is larger than {MAX_MODULE_BYTES} bytes")
            return path, data.decode("utf-8", "replace")
        return load_module(s, spec, referrer)

    def _start(self, *, check_digest: bool = True) -> None:
        if check_digest:
            current = plugin_digest(self.manifest.root)
            if current != self.digest or (self.pinned_digest and current != self.pinned_digest):
                raise ConfigError(f"plugin {self.id!r} changed on disk (digest {current}, expected "
                                  f"{self.pinned_digest or self.digest}); refusing to load it")
        rt = self.runtime
        s = rt.new_session(rt.driver.process_config, self.on_stdio, b"")
        inst = JSInstance(limits=rt.limits, host_call=lambda raw: rt.dispatcher.handle(s, raw),
                          module_loader=lambda spec, ref: self._load(s, spec, ref))
        entry = PLUGIN_ROOT + "/" + Path(self.manifest.entry).as_posix()
        try:
            rt.budget(inst, None if rt.limits.time_limit is None else time.monotonic() + rt.limits.time_limit)
            ns = inst.eval_module(_INVOKER.format(entry=orjson.dumps(entry).decode()), PLUGIN_ROOT + "/__invoker__.mjs")
        except BaseException:
            inst.close()
            s.close()
            raise
        self._inst, self._session = inst, s
        self.exports = tuple(ns.get("exports") or ())
        rt.audit_log.lifecycle("sandbox.started", s.gate.audit_ctx, file_path=entry)

    def _stop(self) -> None:
        if self._inst is not None:
            self._inst.close()
        if self._session is not None:
            self.runtime.audit_log.lifecycle("sandbox.stopped", self._session.gate.audit_ctx)
            self._session.close()
        self._inst = self._session = None

    def reload(self) -> None:
        """Throw the instance away and load the plugin again from its files (state is lost)."""
        with self._lock:
            self._stop()
            self._start()

    def close(self) -> None:
        with self._lock:
            if self._inst is None:
                return
            self._stop()
            self.runtime.dispose()
        if self._on_close is not None:
            self._on_close(self)

    @property
    def closed(self) -> bool:
        return self._inst is None

    def __enter__(self) -> PluginInstance:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # ----------------------------------------------------------------- calls

    def call(self, function: str, *args: Any, time_limit: float | None = None) -> Any:
        """Call an exported function; awaits its promise, settling host operations meanwhile."""
        if not isinstance(function, str) or not function.isidentifier():
            raise ConfigError(f"function name must be an identifier, got {function!r}")
        with self._lock:
            inst, s = self._inst, self._session
            if inst is None or s is None:
                raise SandboxClosed(f"plugin {self.id!r} is closed")
            rt = self.runtime
            limit = time_limit if time_limit is not None else rt.limits.time_limit
            deadline = None if limit is None else time.monotonic() + limit
            call_id = next(self._ids)
            self.calls += 1
            box: list[Any] = []
            generation = inst.generation

            def settled() -> bool:
                r = inst.call_function("__se_plugin_result", [call_id])
                if r is not None:
                    box.append(r)
                return bool(box)

            try:
                rt.budget(inst, deadline)
                try:
                    first = inst.call_function("__se_plugin_invoke", [call_id, function, list(args)])
                except JSError as e:
                    if PENDING_MARK not in e.js_message or s.exit_code is not None:
                        raise
                    first = None
                if isinstance(first, dict):
                    box.append(first)
                else:
                    rt.drive(inst, s, deadline, until=settled)
                if not box and not settled():
                    if s.exit_code is not None:
                        code, s.exit_code = s.exit_code, None
                        self._restart()
                        raise PluginError("ProcessExit", f"the plugin called process.exit({code}); it was reloaded")
                    raise PluginError("Error", f"{function}() returned a promise that never settles",
                                      js_code="ERR_PLUGIN_NEVER_SETTLED")
            except (EngineTrap, LimitExceeded):
                if inst.generation != generation:  # the engine replaced a trapped sandbox: reload the plugin
                    self._restart()
                raise
            except JSError as e:
                if s.exit_code is not None:
                    code, s.exit_code = s.exit_code, None
                    self._restart()
                    raise PluginError("ProcessExit", f"the plugin called process.exit({code}); it was reloaded") from e
                raise
            r = box[0]
            if r.get("ok"):
                return r.get("value")
            err = r.get("error") or {}
            raise PluginError(str(err.get("name") or "Error"), str(err.get("message") or ""),
                              str(err.get("stack") or ""), err.get("code"))

    def _restart(self) -> None:
        self._stop()
        self._start()

    async def acall(self, function: str, *args: Any, time_limit: float | None = None) -> Any:
        """``call`` on a worker thread: the event loop keeps running while the plugin works."""
        return await asyncio.to_thread(self.call, function, *args, time_limit=time_limit)


def granted_functions(manifest: PluginManifest, offered: Mapping[str, Callable[..., Any]]) -> dict[str, Any]:
    """The host functions a plugin gets: those it declared AND the host offered; a missing one is an error."""
    missing = [n for n in manifest.host_functions if n not in offered]
    if missing:
        raise ConfigError(f"plugin {manifest.id!r} needs host function(s) {missing} that the host does not provide")
    return {n: offered[n] for n in manifest.host_functions}
