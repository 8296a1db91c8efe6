"""``NodeRuntime``: the seed's runtime API on top of the engine, the bridge, policy and audit.

Each ``run``/``exec`` gets a fresh sandbox (a new engine instance from the snapshot, so no state
leaks between runs), a fresh ``Session`` and its providers, and drives a small event loop: host
operations finish on worker threads, the loop settles their promises and runs due timers until no
work is left, as Node does, or the time limit ends the run with exit code 124.
"""

from __future__ import annotations

import itertools
import os
import time
import uuid
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

import attrs
import orjson

from secure_exec.audit import AuditContext, AuditLog
from secure_exec.bridge.dispatch import Dispatcher
from secure_exec.bridge.gate import Gate
from secure_exec.engine.instance import JSInstance
from secure_exec.engine.limits import EngineLimits
from secure_exec.errors import (
    AuditWriteError,
    ConfigError,
    EngineTrap,
    GuestError,
    JSError,
    LimitExceeded,
    SandboxClosed,
    TimeLimitExceeded,
)
from secure_exec.providers.manager import get_providers
from secure_exec.providers.types import ProviderContext
from secure_exec.runtime.config import ProcessConfig, StdioEvent
from secure_exec.runtime.drivers import RuntimeDriverFactory, SystemDriver, create_node_driver
from secure_exec.runtime.modules import load_module, looks_like_esm
from secure_exec.runtime.ops import register_all
from secure_exec.runtime.session import Session

TIMEOUT_EXIT = 124
MAX_ERROR_MESSAGE = 8192
_session_ids = itertools.count(1)
_ENTRY_DRIVER = """(() => {{
  let state = null;
  const plain = (ns) => {{ const o = {{}}; for (const k of Object.keys(ns)) o[k] = ns[k]; return o; }};
  Object.defineProperty(globalThis, "__se_entry_state", {{ value: () => state, configurable: true }});
  import({path}).then(
    (ns) => {{ state = {{ ok: true, ns: plain(ns) }}; }},
    (e) => {{ state = {{ ok: false, error: {{ name: e && e.name,
      message: e && e.message !== undefined ? String(e.message) : String(e),
      stack: e && e.stack ? String(e.stack) : "" }} }}; }});
}})();"""


@attrs.frozen
class RunResult:
    code: int
    error_message: str | None = None
    exports: Any = None


@attrs.frozen
class ExecResult:
    code: int
    error_message: str | None = None


def _dispatcher(max_request_bytes: int) -> Dispatcher[Session]:
    d: Dispatcher[Session] = Dispatcher(max_request_bytes=max_request_bytes)
    register_all(d)
    return d


def _error_message(e: JSError) -> str:
    msg = e.js_message if e.name in ("Error", "") else f"{e.name}: {e.js_message}"
    return msg if len(msg) <= MAX_ERROR_MESSAGE else msg[:MAX_ERROR_MESSAGE] + "...[Truncated]"


def is_esm(source: str, file_path: str) -> bool:
    if file_path.endswith(".mjs"):
        return True
    if file_path.endswith(".cjs"):
        return False
    return looks_like_esm(source)


class NodeRuntime:
    """Runs Node-style code in the sandbox; every privileged call goes through providers, policy, audit."""

    def __init__(
        self,
        *,
        system_driver: SystemDriver | None = None,
        runtime_driver_factory: RuntimeDriverFactory | None = None,
        memory_limit: int = 128,
        time_limit: float | None = 30.0,
        on_stdio: Callable[[StdioEvent], None] | None = None,
        audit_log: AuditLog | None = None,
        plugin_id: str = "anonymous",
        plugin_version: str = "",
        plugin_digest: str = "",
    ) -> None:
        if isinstance(memory_limit, bool) or not isinstance(memory_limit, int) or not 16 <= memory_limit <= 3072:
            raise ConfigError(f"memory_limit is in MB and must be an integer from 16 to 3072, got {memory_limit!r}")
        self.driver = system_driver or create_node_driver()
        self.factory = runtime_driver_factory or RuntimeDriverFactory()
        self.limits = EngineLimits(
            time_limit=time_limit, memory_limit=memory_limit * 2**20, stack_limit=self.factory.stack_limit,
            max_request_bytes=self.factory.max_request_bytes, max_reply_bytes=self.factory.max_reply_bytes,
        )
        self.on_stdio = on_stdio
        self.audit_log = audit_log if audit_log is not None else _default_audit_log()
        self.plugin_id, self.plugin_version, self.plugin_digest = plugin_id, plugin_version, plugin_digest
        self.dispatcher = _dispatcher(self.limits.max_request_bytes)
        self._disposed = False

    # ----------------------------------------------------------------- seed API

    def run(self, code: str, file_path: str = "/entry.mjs") -> RunResult:
        """Run a module (ESM or CommonJS) to completion; ``exports`` is its namespace or module.exports."""
        return self._execute(code, file_path, process=None, on_stdio=self.on_stdio, stdin=b"", want_exports=True)

    def exec(
        self,
        code: str,
        *,
        file_path: str = "/entry.js",
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        stdin: str | bytes | None = None,
        argv: list[str] | None = None,
        on_stdio: Callable[[StdioEvent], None] | None = None,
    ) -> ExecResult:
        """Run code as a script; output only through ``on_stdio``. ``env`` entries still go through policy."""
        base = self.driver.process_config
        proc = attrs.evolve(
            base,
            env={**base.env, **(env or {})},
            cwd=cwd if cwd is not None else base.cwd,
            argv=tuple(argv) if argv is not None else (base.argv[0], file_path, *base.argv[2:]),
        )
        data = stdin.encode() if isinstance(stdin, str) else (stdin or b"")
        r = self._execute(code, file_path, process=proc, on_stdio=on_stdio or self.on_stdio, stdin=data,
                          want_exports=False)
        return ExecResult(r.code, r.error_message)

    def dispose(self) -> None:
        """Refuse further runs and unregister this runtime's providers from the plugin manager."""
        self._disposed = True
        self.driver.close()

    def __enter__(self) -> NodeRuntime:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.dispose()

    # ----------------------------------------------------------------- one run

    def new_session(self, process: ProcessConfig, on_stdio: Callable[[StdioEvent], None] | None,
                 stdin: bytes) -> Session:
        sid = f"{self.driver.token}s{next(_session_ids)}-{uuid.uuid4().hex[:8]}"
        pm = self.driver.plugin_manager
        providers = get_providers(pm, ProviderContext(plugin_id=self.plugin_id, session_id=sid))
        if process.env and providers.env is not None:
            for k, v in process.env.items():
                providers.env.set(k, v)
        actx = AuditContext(session_id=sid, plugin_id=self.plugin_id, plugin_version=self.plugin_version,
                            plugin_digest=self.plugin_digest)
        gate = Gate(policy=self.driver.policy, audit=self.audit_log, audit_ctx=actx)
        return Session(gate=gate, providers=providers, process=process, os=self.driver.os_config,
                       on_stdio=on_stdio, stdin=stdin, cwd=process.cwd)

    def _execute(self, code: str, file_path: str, *, process: ProcessConfig | None,
                 on_stdio: Callable[[StdioEvent], None] | None, stdin: bytes, want_exports: bool) -> RunResult:
        if self._disposed:
            raise SandboxClosed("this NodeRuntime has been disposed")
        if not isinstance(code, str):
            raise ConfigError(f"code must be a str, got {type(code).__name__}")
        if not isinstance(file_path, str) or not file_path.startswith("/"):
            raise ConfigError(f"file_path must be an absolute guest path, got {file_path!r}")
        s = self.new_session(process or self.driver.process_config, on_stdio, stdin)
        deadline = None if self.limits.time_limit is None else time.monotonic() + self.limits.time_limit
        inst = JSInstance(limits=self.limits, host_call=lambda raw: self.dispatcher.handle(s, raw),
                          module_loader=lambda spec, ref: load_module(s, spec, ref))
        self.audit_log.lifecycle("sandbox.started", s.gate.audit_ctx, file_path=file_path)
        try:
            exports: Any = None
            try:
                self.budget(inst, deadline)
                if is_esm(code, file_path):
                    exports = self.run_module(inst, s, code, file_path, deadline)
                else:
                    exports = inst.call_function("__se_cjs", [file_path, code])
                code_ = self.finish(inst, s, deadline)
                return RunResult(code_, None, exports if want_exports else None)
            except JSError as e:
                if s.exit_code is not None:  # process.exit() unwinds the guest with a marker exception
                    return RunResult(s.exit_code, None, None)
                msg = _error_message(e)
                header = f"{e.name}: {e.js_message}" if e.name else e.js_message
                self._stderr(s, f"{header}\n{e.stack}" if e.stack else header)
                return RunResult(1, msg, None)
            except TimeLimitExceeded:
                self._limit_event(s, "time")
                return RunResult(TIMEOUT_EXIT, "CPU time limit exceeded", None)
            except LimitExceeded as e:
                self._limit_event(s, e.limit)
                return RunResult(1, f"{type(e).__name__}: {e}", None)
            except EngineTrap as e:
                self._limit_event(s, "trap")
                return RunResult(1, f"EngineTrap: {e}", None)
        finally:
            s.close()
            inst.close()
            try:
                self.audit_log.lifecycle("sandbox.stopped", s.gate.audit_ctx)
            except AuditWriteError:
                pass  # already reported on stderr by the audit log; the run's result must not be lost

    def run_module(self, inst: JSInstance, s: Session, code: str, file_path: str, deadline: float | None) -> Any:
        """Evaluate the entry ES module; its top-level await may wait on timers and host operations.

        The module is loaded by a dynamic ``import()`` so the event loop can run while it is pending;
        the outcome is parked in a non-enumerable global that only this driver reads.
        """
        s.entry = (file_path, code)
        inst.eval_script(_ENTRY_DRIVER.format(path=orjson.dumps(file_path).decode()), "<secure_exec entry>")
        state: list[Any] = []

        def settled() -> bool:
            r = inst.call_function("__se_entry_state", [])
            if r is not None:
                state.append(r)
            return bool(state)

        self.drive(inst, s, deadline, until=settled)
        if not state and not settled():
            if s.exit_code is not None:
                return None
            raise JSError("Error", "the entry module's top-level await never settled (nothing left to wait for)")
        r = state[0]
        if r.get("ok"):
            return r.get("ns")
        err = r.get("error") or {}
        raise JSError(str(err.get("name") or "Error"), str(err.get("message") or ""), str(err.get("stack") or ""))

    def finish(self, inst: JSInstance, s: Session, deadline: float | None) -> int:
        """Run the loop dry, then let the guest emit beforeExit/exit; beforeExit may schedule more work."""
        while True:
            self.drive(inst, s, deadline)
            if s.exit_code is not None:
                return s.exit_code
            self.budget(inst, deadline)
            code = inst.call_function("__se_finish", [])
            if s.exit_code is not None:
                return s.exit_code
            if code is not None:
                return int(code) & 0xFF

    def budget(self, inst: JSInstance, deadline: float | None) -> None:
        """Give the next call into the guest only what is left of the run's time limit."""
        if deadline is None:
            return
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeLimitExceeded("time limit exceeded")
        inst.limits = attrs.evolve(inst.limits, time_limit=left)

    def drive(self, inst: JSInstance, s: Session, deadline: float | None,
              until: Callable[[], bool] | None = None) -> None:
        """Settle host operations and run timers until no work is left (Node's event loop, in short).

        With ``until``, stop as soon as it returns True (a plugin call whose promise has settled).
        """
        while s.exit_code is None:
            if until is not None and until():
                return
            done = [op for op in s.async_ops.values() if op.future.done()]
            for op in done:
                del s.async_ops[op.id]
                try:
                    ok, value = True, op.future.result()
                except GuestError as e:
                    ok, value = False, e.to_wire()
                except Exception:  # noqa: BLE001 - a provider bug reaches the guest as a plain EIO
                    ok, value = False, GuestError("EIO", "EIO: host operation failed").to_wire()
                self.budget(inst, deadline)
                inst.call_function("__se_settle", [op.id, ok, value])
            if s.exit_code is not None:
                break
            self.budget(inst, deadline)
            inst.call_function("__se_rejections", [])  # unhandled rejections: Node's default is to throw
            delay = inst.call_function("__se_tick", [time.time() * 1000.0])
            pending = bool(inst.call_function("__se_pending", []))
            if not s.async_ops and (not isinstance(delay, int | float) or delay < 0) and not pending:
                return
            if s.async_ops and any(op.future.done() for op in s.async_ops.values()):
                continue
            wait = float(delay) / 1000.0 if isinstance(delay, int | float) and delay >= 0 else 0.05
            if deadline is not None:
                wait = min(wait, max(0.0, deadline - time.monotonic()))
                if wait <= 0 and time.monotonic() >= deadline:
                    raise TimeLimitExceeded("time limit exceeded")
            s.wakeup.clear()
            if wait > 0:
                s.wakeup.wait(wait)

    def _stderr(self, s: Session, text: str) -> None:
        if s.on_stdio is not None:
            s.on_stdio(StdioEvent("stderr", text if text.endswith("\n") else text + "\n"))

    def _limit_event(self, s: Session, limit: str) -> None:
        try:
            self.audit_log.lifecycle("limit.exceeded", s.gate.audit_ctx, limit=limit)
        except Exception:  # noqa: BLE001, S110 - reporting a limit must not mask the limit itself
            pass


def _default_audit_log() -> AuditLog:
    """``SECURE_EXEC_AUDIT_LOG=<path>`` writes JSON lines there; otherwise an in-memory chain."""
    path = os.environ.get("SECURE_EXEC_AUDIT_LOG")
    return AuditLog(path) if path else AuditLog.null()
