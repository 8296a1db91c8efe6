"""``Sandbox``: the single owner of a run.

One ``Sandbox`` holds everything a run (``NodeRuntime.run``/``exec``) or a loaded plugin uses: the
engine instance, the session (gate, providers, descriptors), the one deadline every piece of work
runs under, the guest event loop, the module loader, the lifecycle and limit events, and, through
the session's ``RunScope``, a registry of the threads, children and connections the run started.
``NodeRuntime`` and ``PluginInstance`` are thin clients: they say what to evaluate or call, the
sandbox drives it and turns every outcome into one result per limit (``TimeLimitExceeded`` / exit
code 124 and a ``limit.exceeded`` event, whichever path the guest took: script, ES module with
top-level await or dynamic import, plugin call).

The deadline covers host work too: a gated bridge op whose provider may block (host filesystem,
network, child processes, host functions) runs on the scope's worker thread and is waited on only
for what is left of the run; at the deadline the guest gets ``ETIMEDOUT``, the run ends with 124,
and what still runs is stopped (children killed, sockets shut) or, if nobody can stop it, counted
as abandoned in the ``limit.exceeded`` event.
"""

from __future__ import annotations

import functools
import itertools
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

import attrs
import orjson

from secure_exec.audit import AuditContext, AuditLog
from secure_exec.bridge.dispatch import Dispatcher, Handler
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
    MemoryLimitExceeded,
    SecureExecError,
    StackLimitExceeded,
    TimeLimitExceeded,
)
from secure_exec.providers.env import MappingEnvProvider
from secure_exec.providers.manager import Providers, get_providers
from secure_exec.providers.memfs import InMemoryFileSystem
from secure_exec.providers.scope import DeadlineReached, RunScope
from secure_exec.providers.types import ProviderContext
from secure_exec.runtime.config import ProcessConfig, StdioEvent
from secure_exec.runtime.drivers import SystemDriver
from secure_exec.runtime.modules import load_module, looks_like_esm
from secure_exec.runtime.ops import register_all
from secure_exec.runtime.session import Session

TIMEOUT_EXIT = 124
MAX_ERROR_MESSAGE = 8192
NONBLOCKING_ATTR = "nonblocking"
"""A provider class attribute: ``True`` says its calls never block, so they run on the guest's thread."""

ENTRY_NAME = "<secure_exec entry>"
_log = logging.getLogger("secure_exec.sandbox")
_session_ids = itertools.count(1)

# The ES-module entry runs through a dynamic import() so the event loop can run while its top-level
# await is pending. Everything it uses is captured before the entry's code runs, and the outcome
# getter is a non-configurable, non-writable global: guest code can neither replace it nor forge
# the outcome by patching Object.keys, String or Object.defineProperty.
_ENTRY_DRIVER = """(() => {{
  const keys = Object.keys, str = String, def = Object.defineProperty;
  let state = null;
  const plain = (ns) => {{
    const o = {{}}, ks = keys(ns);
    for (let i = 0; i < ks.length; i++)
      def(o, ks[i], {{ value: ns[ks[i]], enumerable: true, writable: true, configurable: true }});
    return o;
  }};
  const failed = (e) => {{
    try {{
      return {{ ok: false, error: {{ name: e && typeof e.name === "string" ? e.name : "Error",
        message: e && e.message !== undefined ? str(e.message) : str(e),
        stack: e && e.stack ? str(e.stack) : "" }} }};
    }} catch {{
      return {{ ok: false, error: {{ name: "Error", message: "the entry module threw a value that cannot be read",
        stack: "" }} }};
    }}
  }};
  def(globalThis, "__se_entry_state", {{ value: () => state, configurable: false, writable: false,
                                         enumerable: false }});
{TURN}

  // The completion value: the host gets the outcome at once when the entry settles without host
  // work or timers; otherwise it drives the event loop and reads __se_entry_state.
  return import({path}).then(
    (ns) => {{ try {{ state = {{ ok: true, ns: plain(ns) }}; }} catch (e) {{ state = failed(e); }} return state; }},
    (e) => {{ state = failed(e); return state; }});
}})();"""


# One event-loop turn in one crossing: unhandled rejections, due timers, then "is work pending?".
# Defined (non-configurable) before guest code runs, from the shim's own fixed entry points.
TURN = """const rej = globalThis.__se_rejections, tick = globalThis.__se_tick, pend = globalThis.__se_pending;
  Object.defineProperty(globalThis, "__se_turn", { configurable: false, writable: false, enumerable: false,
    value: (now) => { rej(); const d = tick(now); return [d, !!pend()]; } });"""


@attrs.frozen
class RunResult:
    code: int
    error_message: str | None = None
    exports: Any = None


@attrs.frozen
class Identity:
    """Who runs: the audit identity of every event of the sandbox."""

    plugin_id: str = "anonymous"
    plugin_version: str = ""
    plugin_digest: str = ""


class BoundedDispatcher(Dispatcher[Session]):
    """A dispatcher whose gated ops run under the run's deadline.

    A gated handler runs on the guest's thread only when its capability's provider declared it never
    blocks (``Session.scope.inline``); otherwise on the scope's worker thread, waited on with what is
    left of the run. At the deadline the guest gets ``ETIMEDOUT`` and the scope is marked expired,
    which ends the run with ``TimeLimitExceeded``.
    """

    def register(self, name: str, handler: Handler[Session], *, capability: str | None = None,
                 exempt: str | None = None) -> None:
        if capability is not None:
            handler = _bounded(capability, name, handler)
        super().register(name, handler, capability=capability, exempt=exempt)

    def adopt(self, other: Dispatcher[Session]) -> None:
        """Take every op of ``other`` (already wrapped there): the table is copied, not shared."""
        clash = sorted(set(self.ops) & set(other.ops))
        if clash:
            raise ConfigError(f"op(s) {clash} are already registered")
        self._ops.update(other.ops)


def _bounded(capability: str, op: str, handler: Handler[Session]) -> Handler[Session]:
    def run(s: Session, a: dict[str, Any]) -> Any:
        scope = s.scope
        if capability in scope.inline:
            return handler(s, a)
        ctx = s.gate.audit_ctx  # the worker keeps this call's identity even if it outlives the call
        try:
            return scope.wait(lambda: s.gate.run_as(ctx, lambda: handler(s, a)))
        except DeadlineReached:
            raise GuestError("ETIMEDOUT", f"ETIMEDOUT: {op} was still running when the run's time limit "
                             "ended it") from None

    return run


_PROTOTYPE: BoundedDispatcher | None = None


def make_dispatcher(max_request_bytes: int) -> BoundedDispatcher:
    """A dispatcher with every runtime op, copied from one built per process (building one registers and
    wraps ~40 ops: a millisecond each runtime used to pay). Each runtime still gets its own table, so
    a plugin's host functions are added to that plugin's runtime only."""
    global _PROTOTYPE
    if _PROTOTYPE is None:
        proto = BoundedDispatcher()
        register_all(proto)
        _PROTOTYPE = proto
    d = BoundedDispatcher(max_request_bytes=max_request_bytes)
    d.adopt(_PROTOTYPE)
    return d


def _nonblocking(provider: object) -> bool:
    return getattr(type(provider), NONBLOCKING_ATTR, False) is True


def inline_capabilities(p: Providers) -> frozenset[str]:
    """Capabilities whose provider cannot block, so their ops may run on the guest's own thread."""
    out = set()
    if p.filesystem is not None and (type(p.filesystem) is InMemoryFileSystem or _nonblocking(p.filesystem)):
        out.add("fs")
    if p.env is None or type(p.env) is MappingEnvProvider or _nonblocking(p.env):
        out.add("env")
    return frozenset(out)


def new_session(driver: SystemDriver, audit_log: AuditLog, who: Identity, process: ProcessConfig,
                on_stdio: Callable[[StdioEvent], None] | None, stdin: bytes) -> Session:
    """A session (gate, providers, env, cwd) for one sandbox of ``driver``'s host plugin."""
    sid = f"{driver.token}s{next(_session_ids)}-{uuid.uuid4().hex[:8]}"
    providers = get_providers(driver.plugin_manager, ProviderContext(plugin_id=who.plugin_id, session_id=sid))
    if process.env and providers.env is not None:
        for k, v in process.env.items():
            providers.env.set(k, v)
    actx = AuditContext(session_id=sid, plugin_id=who.plugin_id, plugin_version=who.plugin_version,
                        plugin_digest=who.plugin_digest)
    gate = Gate(policy=driver.policy, audit=audit_log, audit_ctx=actx)
    s = Session(gate=gate, providers=providers, process=process, os=driver.os_config, on_stdio=on_stdio,
                stdin=stdin, cwd=process.cwd)
    s.scope.inline = inline_capabilities(providers)
    return s


def error_message(e: JSError) -> str:
    msg = e.js_message if e.name in ("Error", "") else f"{e.name}: {e.js_message}"
    return msg if len(msg) <= MAX_ERROR_MESSAGE else msg[:MAX_ERROR_MESSAGE] + "...[Truncated]"


DEADLINE_SLACK_S = 0.005
"""How close to its deadline a run must be for an ``interrupted`` error to count as the time limit."""


def limit_of(name: str, message: str, limits: EngineLimits, time_limit: float | None = None,
             deadline: float | None = None) -> LimitExceeded | None:
    """The typed limit behind a JS error that reached us as data (a rejected import, a plugin result).

    Its name and message are the guest's to choose, so a time limit is believed only when the run's
    deadline has really passed: a guest that throws ``InternalError("interrupted")`` early gets an
    ordinary error, never exit 124 and a ``limit.exceeded`` event it did not earn.
    """
    if name == "InternalError" and message == "interrupted":
        if deadline is None or time.monotonic() < deadline - DEADLINE_SLACK_S:
            return None
        tl = limits.time_limit if time_limit is None else time_limit
        return TimeLimitExceeded(f"the script exceeded its time limit of {tl} s")
    if name == "InternalError" and message == "out of memory":
        return MemoryLimitExceeded(f"the script exceeded its memory limit of {limits.memory_limit} bytes")
    if name == "RangeError" and message == "Maximum call stack size exceeded":
        return StackLimitExceeded(f"the script exceeded its JS stack limit of {limits.stack_limit} bytes")
    return None


def limit_name(e: LimitExceeded) -> str:
    if isinstance(e, TimeLimitExceeded):
        return "time"
    if isinstance(e, MemoryLimitExceeded):
        return "memory"
    if isinstance(e, StackLimitExceeded):
        return "stack"
    return e.limit if isinstance(getattr(e, "limit", None), str) else "payload"


def is_esm(source: str, file_path: str) -> bool:
    if file_path.endswith(".mjs"):
        return True
    if file_path.endswith(".cjs"):
        return False
    return looks_like_esm(source)


class Sandbox:
    """One engine instance + session + deadline + registry of started work: the owner of a run."""

    def __init__(self, *, driver: SystemDriver, limits: EngineLimits, audit_log: AuditLog,
                 dispatcher: Dispatcher[Session], who: Identity, process: ProcessConfig,
                 on_stdio: Callable[[StdioEvent], None] | None = None, stdin: bytes = b"",
                 module_loader: Callable[[Session, str, str], tuple[str, str]] = load_module) -> None:
        self.limits = limits
        self.audit_log = audit_log
        self.who = who
        self.session = s = new_session(driver, audit_log, who, process, on_stdio, stdin)
        self.deadline: float | None = None
        self.time_limit: float | None = limits.time_limit
        self._loader = module_loader
        self._closed = False
        self.has_turn = False  # __se_turn is defined in this instance (see TURN)
        try:
            self.inst = JSInstance(limits=limits, host_call=functools.partial(dispatcher.handle, s),
                                   module_loader=self._load)
        except BaseException:
            s.close()
            raise

    # ----------------------------------------------------------------- basics

    @property
    def scope(self) -> RunScope:
        return self.session.scope

    @property
    def audit_ctx(self) -> Any:
        return self.session.gate.audit_ctx

    @property
    def closed(self) -> bool:
        return self._closed

    def begin(self, time_limit: float | None) -> None:
        """Start a new deadline (a run, or one plugin call): everything after this runs under it."""
        self.time_limit = time_limit
        self.deadline = None if time_limit is None else time.monotonic() + time_limit
        self.inst.deadline = self.scope.deadline = self.deadline
        self.scope.expired = False

    def _load(self, spec: str, referrer: str) -> tuple[str, str]:
        s = self.session
        if s.entry is not None and spec == s.entry[0] and referrer == ENTRY_NAME:
            return s.entry  # the entry's source comes from the host: nothing to resolve or probe
        if "fs" in s.scope.inline:
            return self._loader(s, spec, referrer)
        try:
            return s.scope.wait(lambda: self._loader(s, spec, referrer))
        except DeadlineReached:
            raise GuestError("ETIMEDOUT", f"loading '{spec[:200]}' was still running when the time limit "
                             "ended the run") from None

    def _expired(self) -> None:
        if self.scope.expired:
            raise TimeLimitExceeded("the run reached its time limit while a host operation was still running")

    def guest(self, name: str, args: list[Any]) -> Any:
        """Call a guest function under the deadline (a host operation cut off by it ends the run)."""
        try:
            r = self.inst.call_function(name, args)
        except JSError:
            self._expired()
            raise
        self._expired()
        return r

    def eval_script(self, source: str, filename: str) -> Any:
        try:
            r = self.inst.eval_script(source, filename)
        except JSError:
            self._expired()
            raise
        self._expired()
        return r

    def eval_module(self, source: str, filename: str) -> dict[str, Any]:
        try:
            r = self.inst.eval_module(source, filename)
        except JSError:
            self._expired()
            raise
        self._expired()
        return r

    # ----------------------------------------------------------------- the event loop

    def drive(self, until: Callable[[], bool] | None = None) -> None:
        """Settle host operations and run timers until no work is left (Node's event loop, in short).

        With ``until``, stop as soon as it returns True (an entry module or plugin call has settled).
        """
        s = self.session
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
                self.guest("__se_settle", [op.id, ok, value])
            if s.exit_code is not None:
                break
            if self.has_turn:
                turn = self.guest("__se_turn", [time.time() * 1000.0])
                ok = isinstance(turn, list) and len(turn) == 2
                delay: Any = turn[0] if ok else None
                pending = bool(turn[1]) if ok else False
            else:
                self.guest("__se_rejections", [])  # unhandled rejections: Node's default is to throw
                delay = self.guest("__se_tick", [time.time() * 1000.0])
                pending = bool(self.guest("__se_pending", []))
            timer = isinstance(delay, int | float) and not isinstance(delay, bool) and delay >= 0
            if not s.async_ops and not timer and not pending:
                return
            if s.async_ops and any(op.future.done() for op in s.async_ops.values()):
                continue
            wait = min(float(delay) / 1000.0, 3600.0) if timer else 0.05
            if self.deadline is not None:
                wait = min(wait, max(0.0, self.deadline - time.monotonic()))
                if wait <= 0 and time.monotonic() >= self.deadline:
                    raise TimeLimitExceeded(f"the script exceeded its time limit of {self.time_limit} s")
            s.wakeup.clear()
            if wait > 0:
                s.wakeup.wait(wait)

    def finish(self) -> int:
        """Run the loop dry, then let the guest emit beforeExit/exit; beforeExit may schedule more work."""
        s = self.session
        while True:
            self.drive()
            if s.exit_code is not None:
                return s.exit_code
            code = self.guest("__se_finish", [])
            if s.exit_code is not None:
                return s.exit_code
            if code is not None:
                return _exit_code(code)

    # ----------------------------------------------------------------- runs

    def run_module(self, code: str, file_path: str) -> Any:
        """Evaluate the entry ES module; its top-level await may wait on timers and host operations."""
        s = self.session
        s.entry = (file_path, code)
        first = self.eval_script(_ENTRY_DRIVER.format(path=orjson.dumps(file_path).decode(), TURN=TURN), ENTRY_NAME)
        self.has_turn = True
        state: list[Any] = [first] if first is not None else []

        def settled() -> bool:
            r = self.guest("__se_entry_state", [])
            if r is not None:
                state.append(r)
            return bool(state)

        if not state:
            self.drive(until=settled)
        if not state and not settled():
            if s.exit_code is not None:
                return None
            raise JSError("Error", "the entry module's top-level await never settled (nothing left to wait for)")
        r = state[0]
        if not isinstance(r, dict):
            raise JSError("Error", "the entry module's outcome could not be read")
        if r.get("ok") is True:
            return r.get("ns")
        raw = r.get("error")
        err: dict[str, Any] = raw if isinstance(raw, dict) else {}
        name, msg, stack = (str(err.get(k) or "") for k in ("name", "message", "stack"))
        lim = limit_of(name, msg, self.limits, self.time_limit, self.deadline)
        if lim is not None:
            raise lim
        raise JSError(name or "Error", msg, stack)

    def run(self, code: str, file_path: str, *, want_exports: bool) -> RunResult:
        """Run ``code`` (ESM or CommonJS) to completion; every limit ends as one typed, audited outcome."""
        s = self.session
        self.audit_log.lifecycle("sandbox.started", self.audit_ctx, file_path=file_path)
        try:
            try:
                if is_esm(code, file_path):
                    exports = self.run_module(code, file_path)
                else:
                    exports = self.guest("__se_cjs", [file_path, code])
                code_ = self.finish()
                return RunResult(code_, None, exports if want_exports else None)
            except JSError as e:
                if s.exit_code is not None:  # process.exit() unwinds the guest with a marker exception
                    return RunResult(s.exit_code, None, None)
                msg = error_message(e)
                header = f"{e.name}: {e.js_message}" if e.name else e.js_message
                self.stderr(f"{header}\n{e.stack}" if e.stack else header)
                return RunResult(1, msg, None)
            except TimeLimitExceeded:
                self.limit_event("time")
                return RunResult(TIMEOUT_EXIT, "CPU time limit exceeded", None)
            except LimitExceeded as e:
                self.limit_event(limit_name(e))
                return RunResult(1, f"{type(e).__name__}: {e}", None)
            except EngineTrap as e:
                self.limit_event("trap")
                return RunResult(1, f"EngineTrap: {e}", None)
            except SecureExecError:
                raise
            except Exception as e:  # noqa: BLE001 - guest data must never become an untyped host exception
                _log.warning("sandbox run ended by an unexpected host-side error", exc_info=True)
                return RunResult(1, f"InternalError: the run ended unexpectedly ({type(e).__name__})", None)
        finally:
            self.close()

    # ----------------------------------------------------------------- ending

    def release(self) -> int:
        """End everything this run (or plugin call) started; returns how much had to be abandoned."""
        s = self.session
        for op in s.async_ops.values():
            op.future.cancel()
        return s.scope.release()

    def close(self) -> None:
        """End the run: stop and join its work (Session.close), drop the engine, write sandbox.stopped."""
        if self._closed:
            return
        self._closed = True
        s = self.session
        try:
            s.close()
        finally:
            try:
                self.inst.close()
            except SecureExecError:  # busy: only when closed from inside its own host call
                pass
            try:
                self.audit_log.lifecycle("sandbox.stopped", self.audit_ctx, abandoned=s.scope.abandoned)
            except AuditWriteError:
                pass  # already reported on stderr by the audit log; the run's result must not be lost

    def stderr(self, text: str) -> None:
        s = self.session
        if s.on_stdio is not None:
            s.on_stdio(StdioEvent("stderr", text if text.endswith("\n") else text + "\n"))

    def limit_event(self, limit: str, **fields: Any) -> None:
        """The one ``limit.exceeded`` event. Ends the run's work first, so it can report how much of it
        had to be abandoned (threads in host code that would not stop)."""
        abandoned = self.release()
        try:
            self.audit_log.lifecycle("limit.exceeded", self.audit_ctx, limit=limit, abandoned=abandoned, **fields)
        except Exception:  # noqa: BLE001, S110 - reporting a limit must not mask the limit itself
            pass


def _exit_code(code: Any) -> int:
    if isinstance(code, bool) or not isinstance(code, int | float) or code != code or abs(code) == float("inf"):
        return 1
    return int(code) & 0xFF
