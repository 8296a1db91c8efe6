"""``JSInstance``: one QuickJS-NG sandbox (a wasmtime Store plus an instance of the engine module).

Why it looks like this: the guest is untrusted, so every crossing is bounded (request/reply sizes,
pointer ranges) and every failure mode maps to a typed host exception. A QuickJS error from a limit
(time, memory, JS stack) leaves the instance usable; a wasm trap does not (the C stack pointer and
QuickJS internals are not unwound), so after a trap the instance is *reset*: replaced by a fresh
sandbox, with all JS state lost, and ``generation`` incremented. The exception says so.
"""

from __future__ import annotations

import json
import os
import struct
import threading
import time
from types import TracebackType
from typing import Any

import orjson
import wasmtime

from secure_exec.engine.crossing import (
    GuestExports,
    GuestFault,
    GuestMemory,
    PublicExports,
    PublicMemory,
    bind_fast,
)
from secure_exec.engine.limits import EngineLimits, HostCall, ModuleLoader
from secure_exec.engine.loader import ACTIVE, epoch_ticks, runtime
from secure_exec.errors import (
    ConfigError,
    EngineTrap,
    GuestError,
    JSError,
    MemoryLimitExceeded,
    SandboxBusy,
    SandboxClosed,
    StackLimitExceeded,
    TimeLimitExceeded,
)

_EIO = orjson.dumps({"code": "EIO", "message": "EIO: i/o error in host operation", "name": "Error"})
_RESET_NOTE = "; the sandbox was reset to a fresh one (all JS state lost)"
_U32 = 0xFFFFFFFF


def slow_path_forced() -> bool:
    return os.environ.get("SECURE_EXEC_ENGINE_SLOWPATH", "") not in ("", "0")


def _decode_json(out: bytes) -> Any:
    """The guest's JSON. orjson is fast but refuses lone surrogates, which JS strings may hold (and
    JSON.stringify escapes as ``\\udXXX``); the stdlib keeps them, so it is the faithful fallback."""
    try:
        return orjson.loads(out)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(out.decode("utf-8", "surrogatepass"))
    except ValueError:
        raise JSError("Error", "the script's result could not be decoded as JSON") from None


def _ns(budget: float | None) -> int:
    """The guest interrupt handler's budget in ns (0 = none)."""
    return 0 if budget is None else max(1, int(budget * 1e9))


def _wire_error(code: str, message: str) -> bytes:
    return orjson.dumps({"code": code, "message": message, "name": "Error"})


class _Sandbox:
    """The wasm side of one instance: store, exports, memory and cached guest buffer addresses."""

    __slots__ = ("exports", "hdr", "inbuf", "incap", "memory", "store")

    def __init__(self, limits: EngineLimits, fast: bool) -> None:
        rt = runtime()
        store = wasmtime.Store(rt.engine)
        store.set_wasi(wasmtime.WasiConfig())  # empty: no preopens, env, args or stdin
        store.set_limits(memory_size=limits.memory_limit)
        store.set_epoch_deadline(epoch_ticks(None))
        inst = rt.instance_pre(fast).instantiate(store)
        self.store = store
        self.exports: GuestExports
        self.memory: GuestMemory
        if fast:
            self.exports, self.memory = bind_fast(store, inst)
        else:
            ex = inst.exports(store)
            funcs = {n: f for n, f in ((n, ex[n]) for n in ex) if isinstance(f, wasmtime.Func)}
            mem = ex["memory"]
            if not isinstance(mem, wasmtime.Memory):
                raise EngineTrap("the engine module exports no memory")
            self.exports, self.memory = PublicExports(store, funcs), PublicMemory(store, mem)
        if rt.snapshot:
            self.exports.call("sb_configure", limits.js_heap_limit, limits.stack_limit)
        else:
            self.exports.call("_initialize")
            rc = self.exports.call("sb_init", limits.js_heap_limit, limits.stack_limit)
            if rc != 0:
                raise EngineTrap(f"engine initialisation failed (sb_init returned {rc})")
        self.exports.call("sb_reseed", int.from_bytes(os.urandom(8), "little", signed=True))
        self.hdr = self.exports.call("sb_result_hdr") & _U32
        self.inbuf = self.exports.call("sb_inbuf", 4096) & _U32
        self.incap = 4096


class JSInstance:
    """One sandbox, owned by one thread at a time (a concurrent or re-entrant use raises SandboxBusy)."""

    def __init__(
        self,
        *,
        limits: EngineLimits = EngineLimits(),  # noqa: B008 - frozen value type
        host_call: HostCall | None = None,
        module_loader: ModuleLoader | None = None,
    ) -> None:
        if not isinstance(limits, EngineLimits):
            raise ConfigError(f"limits must be an EngineLimits, got {type(limits).__name__}")
        self.limits = limits
        self.deadline: float | None = None
        """``time.monotonic()`` by which every call into the guest must end (the owner's one deadline)."""
        self.host_call = host_call
        self.module_loader = module_loader
        self.fast_path = not slow_path_forced()
        self.generation = 0
        self._lock = threading.Lock()
        self._pending: bytes | None = None
        self._fatal: BaseException | None = None
        self._sb: _Sandbox | None = None  # imports firing during construction are refused, not crashed
        self._sb = self._new_sandbox()

    # ------------------------------------------------------------------ public API

    def eval_script(self, source: str, filename: str = "<eval>") -> Any:
        """Evaluate a classic script; returns its JSON-safe completion value.

        A promise result is awaited by draining the job queue; one still pending after that (waiting for
        the host) gives None, and its outcome is left to the script.
        """
        src, fn = self._text(source, "source"), self._name(filename, "filename")
        return self._run_with_input(src + b"\0" + fn + b"\0", "sb_eval", len(src), 2)

    def eval_privileged(self, source: str, filename: str = "<host>") -> Any:
        """Host-only: ``source`` must evaluate to a function, which is called with the core bridge
        (``hostCall``, ``call``, ``defer``, ``pendingCount``) even when later bootstrap files hid it.

        For the runtime's own glue and for tests. Never pass plugin code here.
        """
        src, fn = self._text(source, "source"), self._name(filename, "filename")
        return self._run_with_input(src + b"\0" + fn + b"\0", "sb_eval", len(src), 2 | 4)

    def eval_module(self, source: str, filename: str) -> dict[str, Any]:
        """Evaluate an ES module (top-level await allowed); returns its namespace as JSON-safe data.

        The namespace stays reachable in the guest: ``call_function(f"{filename}#{export}", args)``.
        """
        src, fn = self._text(source, "source"), self._name(filename, "filename")
        ns = self._run_with_input(src + b"\0" + fn + b"\0", "sb_eval", len(src), 1)
        return ns if isinstance(ns, dict) else {}

    def call_function(self, name: str, args: list[Any]) -> Any:
        """Call ``globalThis[name](...args)`` (or ``"<module>#<export>"``) in one crossing.

        A returned promise is awaited by draining the job queue; one that still pends raises JSError.
        """
        nm = self._name(name, "function name")
        if not isinstance(args, list | tuple):
            raise ConfigError(f"call_function({name!r}): args must be a list, got {type(args).__name__}")
        try:
            payload = orjson.dumps(list(args))
        except TypeError as e:
            raise ConfigError(f"call_function({name!r}): arguments are not JSON-serialisable: {e}") from None
        return self._run_with_input(nm + b"\0" + payload + b"\0", "sb_call", len(nm), len(payload))

    def run_jobs(self) -> int:
        """Run every pending promise job; returns how many ran."""
        with self._owned() as sb:
            budget = self._budget()
            self._guest(sb, "sb_run_jobs", _ns(budget), timed=True, budget=budget)
            return sb.exports.call("sb_jobs_run")

    def memory_usage(self) -> int:
        """Bytes held by the JS heap (what the memory limit counts)."""
        with self._owned() as sb:
            return self._guest(sb, "sb_memory_usage")

    def linear_memory_size(self) -> int:
        """Bytes of wasm linear memory (never shrinks; capped at ``limits.memory_limit``)."""
        with self._owned() as sb:
            return sb.memory.size()

    def gc(self) -> None:
        with self._owned() as sb:
            self._guest(sb, "sb_gc")

    def close(self) -> None:
        if not self._lock.acquire(blocking=False):
            raise SandboxBusy("the sandbox is in use by another call; close it from its owner")
        try:
            self._sb = None
            self._pending = None
        finally:
            self._lock.release()

    @property
    def closed(self) -> bool:
        return self._sb is None

    def __enter__(self) -> JSInstance:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # ------------------------------------------------------------------ calls into the guest

    def _new_sandbox(self) -> _Sandbox:
        prev = getattr(ACTIVE, "instance", None)
        ACTIVE.instance = self
        try:
            return _Sandbox(self.limits, self.fast_path)
        except (wasmtime.Trap, wasmtime.WasmtimeError) as e:
            raise EngineTrap(f"could not create a sandbox: {e}") from None
        finally:
            ACTIVE.instance = prev

    def _owned(self) -> _Owner:
        return _Owner(self)

    def _text(self, s: str, what: str) -> bytes:
        if not isinstance(s, str):
            raise ConfigError(f"{what} must be a str, got {type(s).__name__}")
        try:
            return s.encode("utf-8")
        except UnicodeEncodeError:
            raise ConfigError(f"{what} contains lone surrogates and cannot be encoded as UTF-8") from None

    def _name(self, s: str, what: str) -> bytes:
        b = self._text(s, what)
        if not b or b"\0" in b:
            raise ConfigError(f"{what} must be a non-empty string without NUL characters, got {s!r}")
        return b

    def _run_with_input(self, payload: bytes, entry: str, a: int, b: int) -> Any:
        with self._owned() as sb:
            if len(payload) > sb.incap:
                ptr = self._guest(sb, "sb_inbuf", len(payload)) & _U32
                if ptr == 0:
                    raise MemoryLimitExceeded(f"the sandbox cannot hold an input of {len(payload)} bytes")
                sb.inbuf, sb.incap = ptr, len(payload)
            sb.memory.write(sb.inbuf, payload)
            budget = self._budget()
            rc = self._guest(sb, entry, a, b, _ns(budget), timed=True, budget=budget)
            p, n = struct.unpack("<II", sb.memory.read(sb.hdr, 8))
            out = sb.memory.read(p, n) if n else b""
            if rc == 0:
                return _decode_json(out) if out else None
            if rc == 2:
                raise TimeLimitExceeded(f"the script exceeded its time limit of {self.limits.time_limit} s")
            if not out:  # the guest could not even allocate the error report
                raise MemoryLimitExceeded(f"the sandbox ran out of memory (limit {self.limits.memory_limit} bytes)")
            raise self._js_error(out)

    def _budget(self) -> float | None:
        """Seconds this call into the guest may take: the time limit, cut to what the deadline leaves."""
        tl = self.limits.time_limit
        if self.deadline is None:
            return tl
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeLimitExceeded(f"the script exceeded its time limit of {self.limits.time_limit} s")
        return left if tl is None else min(tl, left)

    def _guest(self, sb: _Sandbox, name: str, *args: int, timed: bool = False, budget: float | None = None) -> int:
        """One call into the guest with this instance active; traps reset the sandbox."""
        # Always re-arm: a deadline is relative to the epoch when it was set, so a stale one would fire
        # on the next untimed call. Untimed entries (gc, buffers, usage) are internal and bounded.
        sb.store.set_epoch_deadline(epoch_ticks(budget if timed else None))
        prev = getattr(ACTIVE, "instance", None)
        ACTIVE.instance = self
        try:
            return sb.exports.call(name, *args)
        except (wasmtime.Trap, wasmtime.WasmtimeError) as e:
            raise self._after_trap(e) from None
        finally:
            ACTIVE.instance = prev
            self._pending = None

    def _after_trap(self, e: wasmtime.Trap | wasmtime.WasmtimeError) -> BaseException:
        code = e.trap_code if isinstance(e, wasmtime.Trap) else None
        fatal, self._fatal = self._fatal, None
        try:
            self._sb = self._new_sandbox()
            self.generation += 1
            note = _RESET_NOTE
        except Exception:  # noqa: BLE001 - cannot rebuild: close instead of leaving a poisoned sandbox
            self._sb = None
            note = "; the sandbox is closed"
        if fatal is not None:
            return fatal
        if code == wasmtime.TrapCode.STACK_OVERFLOW:
            return StackLimitExceeded("the script exhausted the native stack" + note)
        if code == wasmtime.TrapCode.INTERRUPT:
            return TimeLimitExceeded(f"the script was stopped by the hard time limit{note}")
        name = code.name if code is not None else ""
        return EngineTrap(f"the engine trapped ({name or 'error'}){note}", trap_code=name)

    def _js_error(self, out: bytes) -> Exception:
        try:
            d = _decode_json(out)
        except JSError:
            d = None
        if not isinstance(d, dict):
            return JSError("Error", out.decode("utf-8", "replace"))
        name, msg, stack = str(d.get("name", "")), str(d.get("message", "")), str(d.get("stack", ""))
        if name == "InternalError" and msg == "out of memory":
            return MemoryLimitExceeded(f"the script exceeded its memory limit of {self.limits.memory_limit} bytes")
        if name == "RangeError" and msg == "Maximum call stack size exceeded":
            return StackLimitExceeded(f"the script exceeded its JS stack limit of {self.limits.stack_limit} bytes")
        return JSError(name, msg, stack)

    # ------------------------------------------------------------------ imports (guest -> host)

    def on_import(self, name: str, args: tuple[int, ...]) -> int:
        """Entry for host.call / host.take / host.load. Never raises an Exception into wasm."""
        sb = self._sb
        if sb is None:
            return -1
        try:
            if name == "call":
                return self._host_call(sb, *args)
            if name == "take":
                return self._host_take(sb, *args)
            if name == "load":
                return self._host_load(sb, *args)
            return -1
        except Exception:  # noqa: BLE001 - a host bug must reach the guest as a plain EIO, never a trap
            return self._reply(sb, _EIO, args[2] & _U32 if name == "call" else 0, 0, err=True)
        except BaseException as e:  # KeyboardInterrupt etc.: abort the guest, re-raise on the host side
            self._fatal = e
            raise

    def on_call(self, req: int, n: int, buf: int, cap: int) -> int:
        """host.call, the hot path: the same guarantees as ``on_import`` without the dispatch."""
        sb = self._sb
        if sb is None:
            return -1
        try:
            return self._host_call(sb, req, n, buf, cap)
        except Exception:  # noqa: BLE001 - a host bug must reach the guest as a plain EIO, never a trap
            return self._reply(sb, _EIO, buf & _U32, cap, err=True)
        except BaseException as e:
            self._fatal = e
            raise

    def _reply(self, sb: _Sandbox, data: bytes, buf: int, cap: int, *, err: bool) -> int:
        """Deliver a reply into the guest buffer, or park it for host.take when it does not fit."""
        if len(data) <= cap:
            try:
                sb.memory.write(buf, data)
            except GuestFault:
                return -1  # nowhere to write: an empty error reply, which the guest reports as EIO
            self._pending = None
        else:
            self._pending = data
        return -len(data) - 1 if err else len(data)

    def _host_call(self, sb: _Sandbox, req: int, n: int, buf: int, cap: int) -> int:
        req, buf, cap = req & _U32, buf & _U32, max(cap, 0)
        lim = self.limits
        if n < 0 or n > lim.max_request_bytes:
            msg = f"host call request of {n} bytes exceeds the limit of {lim.max_request_bytes} bytes"
            return self._reply(sb, _wire_error("ERR_PAYLOAD_TOO_LARGE", msg), buf, cap, err=True)
        try:
            raw = sb.memory.read(req, n)
        except GuestFault:
            return self._reply(sb, _wire_error("EFAULT", "host call request outside guest memory"), buf, cap, err=True)
        if self.host_call is None:
            return self._reply(sb, _wire_error("ENOSYS", "no host bridge is configured"), buf, cap, err=True)
        is_err, reply = self.host_call(raw)
        if type(reply) is not bytes:
            if not isinstance(reply, bytes | bytearray | memoryview):
                return self._reply(sb, _EIO, buf, cap, err=True)
            reply = bytes(reply)
        if len(reply) > lim.max_reply_bytes:
            msg = f"host reply of {len(reply)} bytes exceeds the limit of {lim.max_reply_bytes} bytes"
            return self._reply(sb, _wire_error("ERR_PAYLOAD_TOO_LARGE", msg), buf, cap, err=True)
        return self._reply(sb, reply, buf, cap, err=bool(is_err))

    def _host_take(self, sb: _Sandbox, dst: int, n: int) -> int:
        data, self._pending = self._pending, None
        if data is None or n != len(data):
            return -1
        try:
            sb.memory.write(dst & _U32, data)
        except GuestFault:
            return -1
        return n

    def _host_load(self, sb: _Sandbox, spec: int, slen: int, base: int, blen: int, buf: int, cap: int) -> int:
        buf, cap = buf & _U32, max(cap, 0)
        if not (0 <= slen <= 4096 and 0 <= blen <= 4096):
            return self._reply(sb, _wire_error("ENAMETOOLONG", "module specifier too long"), buf, cap, err=True)
        try:
            specifier = sb.memory.read(spec & _U32, slen).decode("utf-8")
            referrer = sb.memory.read(base & _U32, blen).decode("utf-8")
        except (GuestFault, UnicodeDecodeError):
            return self._reply(sb, _wire_error("EINVAL", "invalid module specifier"), buf, cap, err=True)
        if self.module_loader is None:
            msg = f"Cannot find module '{specifier}': module loading is disabled"
            return self._reply(sb, _wire_error("ERR_MODULE_NOT_FOUND", msg), buf, cap, err=True)
        try:
            resolved, source = self.module_loader(specifier, referrer)
        except GuestError as e:
            return self._reply(sb, orjson.dumps(e.to_wire()), buf, cap, err=True)
        if not isinstance(resolved, str) or not isinstance(source, str) or not resolved or "\0" in resolved:
            return self._reply(sb, _EIO, buf, cap, err=True)
        data = resolved.encode() + b"\0" + source.encode("utf-8", "replace")
        if len(data) > self.limits.max_reply_bytes:
            msg = f"module '{resolved}' is larger than {self.limits.max_reply_bytes} bytes"
            return self._reply(sb, _wire_error("ERR_PAYLOAD_TOO_LARGE", msg), buf, cap, err=True)
        return self._reply(sb, data, buf, cap, err=False)


class _Owner:
    """Context manager: take exclusive, non-blocking ownership of the instance for one call."""

    __slots__ = ("inst",)

    def __init__(self, inst: JSInstance) -> None:
        self.inst = inst

    def __enter__(self) -> _Sandbox:
        inst = self.inst
        if not inst._lock.acquire(blocking=False):
            raise SandboxBusy("the sandbox is already running a call (another thread, or re-entry from a host call)")
        sb = inst._sb
        if sb is None:
            inst._lock.release()
            raise SandboxClosed("the sandbox is closed")
        return sb

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.inst._lock.release()
