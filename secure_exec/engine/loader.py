"""The process-wide wasmtime Engine, the compiled engine module and its on-disk cache.

Why process-wide: compiling the 1 MB module costs ~0.5 s while loading a serialized copy with
``deserialize_file`` costs ~0.1 ms; one Engine/Module/Linker/InstancePre per process makes a new
sandbox just a Store plus an instantiation. Imports are registered once per Linker and routed to the
sandbox active on the calling thread (``ACTIVE``), because wasmtime-py's callback slab is global.

The serialized module is native code, so it is loaded only from our own cache directory
($SECURE_EXEC_CACHE_DIR, else $XDG_CACHE_HOME/secure_exec, else ~/.cache/secure_exec), keyed by
sha256(wasm) + wasmtime version + Config, and written atomically.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import attrs
import wasmtime

from secure_exec.engine.crossing import IMPORT_ARITY, define_fast_import, define_public_import
from secure_exec.errors import EngineTrap

WASM_PATH = Path(__file__).resolve().parent / "wasm" / "sandbox.wasm"
MAX_WASM_STACK = 2 << 20  # never more: wasmtime-py aborts the process above the async stack size
EPOCH_TICK = 0.01  # seconds between epoch increments (the hard backstop's resolution)
CONFIG_KEY = f"v1;max_wasm_stack={MAX_WASM_STACK};epoch_interruption=1"

ACTIVE = threading.local()  # .instance: the JSInstance whose wasm call is running on this thread


def cache_dir() -> Path:
    env = os.environ.get("SECURE_EXEC_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "secure_exec"


def _route(name: str) -> Any:
    def handler(*args: int) -> int:
        inst = getattr(ACTIVE, "instance", None)
        if inst is None:  # an import fired outside a call we made: refuse, never crash
            return -1
        result: int = inst.on_import(name, args)
        return result

    if name != "call":
        return handler

    def call_handler(req: int, n: int, buf: int, cap: int) -> int:  # the hot one: no *args packing
        inst = getattr(ACTIVE, "instance", None)
        if inst is None:
            return -1
        result: int = inst.on_call(req, n, buf, cap)
        return result

    return call_handler


@attrs.define
class Runtime:
    """Everything shared by all sandboxes of this process."""

    engine: wasmtime.Engine
    module: wasmtime.Module
    snapshot: bool  # True when the module was wizened (bootstrap already evaluated)
    wasm_sha256: str
    _pres: dict[bool, wasmtime.InstancePre] = attrs.field(factory=dict)
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def instance_pre(self, fast: bool) -> wasmtime.InstancePre:
        with self._lock:
            pre = self._pres.get(fast)
            if pre is None:
                linker = wasmtime.Linker(self.engine)
                linker.define_wasi()
                define = define_fast_import if fast else define_public_import
                for name in IMPORT_ARITY:
                    define(linker, name, _route(name))
                pre = linker.instantiate_pre(self.module)
                self._pres[fast] = pre
            return pre


def _make_engine() -> wasmtime.Engine:
    cfg = wasmtime.Config()
    cfg.max_wasm_stack = MAX_WASM_STACK
    cfg.epoch_interruption = True
    return wasmtime.Engine(cfg)


def _load_module(engine: wasmtime.Engine, wasm: bytes, sha: str) -> wasmtime.Module:
    key = hashlib.sha256(f"{sha};wasmtime={version('wasmtime')};{CONFIG_KEY}".encode()).hexdigest()[:32]
    d = cache_dir()
    path = d / f"sandbox-{key}.cwasm"
    if path.is_file():
        try:
            return wasmtime.Module.deserialize_file(engine, str(path))
        except wasmtime.WasmtimeError:
            pass  # stale or damaged: recompile and replace below
    module = wasmtime.Module(engine, wasm)
    try:
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=d, prefix=".sandbox-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(module.serialize())
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass  # an unwritable cache only costs speed
    return module


_runtime: Runtime | None = None
_runtime_lock = threading.Lock()


def runtime() -> Runtime:
    """The shared runtime, built on first use (and the epoch ticker started)."""
    global _runtime
    if _runtime is None:
        with _runtime_lock:
            if _runtime is None:
                try:
                    wasm = WASM_PATH.read_bytes()
                except OSError as e:
                    msg = f"engine module missing at {WASM_PATH}: run python -m secure_exec.engine.build"
                    raise EngineTrap(msg) from e
                sha = hashlib.sha256(wasm).hexdigest()
                engine = _make_engine()
                module = _load_module(engine, wasm, sha)
                snapshot = not any(e.name == "_initialize" for e in module.exports)
                _runtime = Runtime(engine, module, snapshot, sha)
                _start_ticker(engine)
    return _runtime


def _forget_runtime_in_child() -> None:
    """A forked child has no ticker thread (threads do not survive fork), so its first sandbox builds
    a fresh runtime with its own Engine and ticker instead of silently losing the hard time limit."""
    global _runtime
    _runtime = None


os.register_at_fork(after_in_child=_forget_runtime_in_child)


def _start_ticker(engine: wasmtime.Engine) -> None:
    """One daemon thread for the whole process advances the epoch every EPOCH_TICK seconds."""

    def tick() -> None:
        while True:
            time.sleep(EPOCH_TICK)
            engine.increment_epoch()

    threading.Thread(target=tick, name="secure_exec-epoch", daemon=True).start()


def epoch_ticks(seconds: float | None) -> int:
    """Epoch deadline for a call: the budget plus a generous margin, so the graceful stop goes first."""
    if seconds is None:
        return 1 << 40
    return int(seconds * 1.5 / EPOCH_TICK) + 25
