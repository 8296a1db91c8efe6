"""Crossing the wasm boundary: calling guest exports, registering host imports, touching guest memory.

Why two implementations: wasmtime-py's public ``Func.__call__`` boxes every value (~10 µs a call) and
its host trampoline costs ~7 µs, which dominate a warm eval or a host call. wasmtime-py 50 also ships
the raw C entry points ``wasmtime_func_call_unchecked`` and ``wasmtime_linker_define_func_unchecked``
in ``wasmtime._ffi``; the *fast* path uses them (private API, hence the pinned ``wasmtime>=50,<51``).
The *public* path does the same through the documented API and is the tested fallback
(``SECURE_EXEC_ENGINE_SLOWPATH=1`` forces it). Both present the same tiny interface:
``GuestExports.call(name, *ints)`` and ``GuestMemory.read/write`` with bounds checks, because every
guest pointer and length is untrusted.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from ctypes import POINTER, byref
from typing import Any, Protocol, cast

import wasmtime
from wasmtime import _ffi as ffi

I32 = wasmtime.ValType.i32()
I64 = wasmtime.ValType.i64()

# name -> (param types, result type or None). The ABI of csrc/sandbox.c.
EXPORT_SIGS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "_initialize": ((), None),
    "sb_init": (("i32", "i32"), "i32"),
    "sb_configure": (("i32", "i32"), None),
    "sb_inbuf": (("i32",), "i32"),
    "sb_result_hdr": ((), "i32"),
    "sb_eval": (("i32", "i32", "i64"), "i32"),
    "sb_call": (("i32", "i32", "i64"), "i32"),
    "sb_run_jobs": (("i64",), "i32"),
    "sb_jobs_run": ((), "i32"),
    "sb_gc": ((), None),
    "sb_memory_usage": ((), "i64"),
    "sb_reseed": (("i64",), None),
}

# import name -> number of i32 params (every import returns one i32)
IMPORT_ARITY: dict[str, int] = {"call": 4, "take": 2, "load": 6}

ImportHandler = Callable[..., int]


class GuestFault(Exception):
    """A guest pointer or length fell outside its linear memory."""


class GuestExports(Protocol):
    def call(self, name: str, *args: int) -> int: ...


class GuestMemory(Protocol):
    def size(self) -> int: ...
    def read(self, ptr: int, n: int) -> bytes: ...
    def write(self, ptr: int, data: bytes) -> None: ...


def _check(ptr: int, n: int, size: int) -> None:
    if ptr < 0 or n < 0 or ptr + n > size:
        raise GuestFault(f"guest range [{ptr}, {ptr}+{n}) outside linear memory of {size} bytes")


def _signed(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


# ---------------------------------------------------------------- fast path (unchecked C API)

_RAW = ffi.wasmtime_val_raw_t
_TRAP_P = POINTER(ffi.wasm_trap_t)
_KEEPALIVE: list[Any] = []  # ctypes callbacks must outlive every Linker that refers to them


def _proto(name: str, restype: Any, argtypes: list[Any]) -> Any:
    """A private ctypes handle on a C-API function (``dll[name]`` is a new object, so the shared
    bindings keep their own restype); skips wasmtime-py's Python wrapper frame on hot paths."""
    fn = ffi.dll[name]
    fn.restype = restype
    fn.argtypes = argtypes
    return fn


_CTX_P, _MEM_P = POINTER(ffi.wasmtime_context_t), POINTER(ffi.wasmtime_memory_t)
_memory_data = _proto("wasmtime_memory_data", ctypes.c_void_p, [_CTX_P, _MEM_P])
_memory_data_size = _proto("wasmtime_memory_data_size", ctypes.c_size_t, [_CTX_P, _MEM_P])
_func_call_unchecked = _proto(
    "wasmtime_func_call_unchecked",
    POINTER(ffi.wasmtime_error_t),
    [_CTX_P, POINTER(ffi.wasmtime_func_t), POINTER(_RAW), ctypes.c_size_t, POINTER(_TRAP_P)],
)


_export_get = _proto(
    "wasmtime_instance_export_get",
    ctypes.c_bool,
    [_CTX_P, POINTER(ffi.wasmtime_instance_t), ctypes.c_char_p, ctypes.c_size_t, POINTER(ffi.wasmtime_extern_t)],
)


class FastExports:
    """Exports called with ``wasmtime_func_call_unchecked``; one argument buffer per instance (calls into
    one instance never overlap: re-entry is refused before it gets here)."""

    __slots__ = ("_buf", "_ctx", "_f", "_trap")

    def __init__(self, ctx: Any, funcs: dict[str, Any]) -> None:
        self._ctx = ctx
        self._buf = (_RAW * 3)()
        self._f = {n: (byref(f), EXPORT_SIGS[n][1]) for n, f in funcs.items()}

    def call(self, name: str, *args: int) -> int:
        fn, result = self._f[name]
        b = self._buf
        for i, a in enumerate(args):
            b[i].i64 = a
        trap = _TRAP_P()
        err = _func_call_unchecked(self._ctx, fn, b, 3, byref(trap))
        if err:
            raise wasmtime.WasmtimeError._from_ptr(err)
        if trap:
            raise wasmtime.Trap._from_ptr(trap)
        if result is None:
            return 0
        return int(b[0].i64) if result == "i64" else int(b[0].i32)


def bind_fast(store: wasmtime.Store, instance: wasmtime.Instance) -> tuple[FastExports, FastMemory]:
    """Look the ABI's exports up by name through the C API (no wrapper objects: ~10x cheaper)."""
    ctx = store._context()
    inst_ref = byref(instance._instance)
    funcs: dict[str, Any] = {}
    memory: Any = None
    for name in (*EXPORT_SIGS, "memory"):
        item = ffi.wasmtime_extern_t()
        b = name.encode()
        if not _export_get(ctx, inst_ref, b, len(b), byref(item)):
            continue
        kind = cast(int, item.kind)  # ctypes returns a plain int for a c_uint8 field
        if kind == ffi.WASMTIME_EXTERN_FUNC.value and name in EXPORT_SIGS:
            funcs[name] = item.of.func
        elif kind == ffi.WASMTIME_EXTERN_MEMORY.value and name == "memory":
            memory = item.of.memory
    if memory is None:
        raise wasmtime.WasmtimeError("the engine module exports no memory")
    return FastExports(ctx, funcs), FastMemory(ctx, memory)


class FastMemory:
    __slots__ = ("_ctx", "_mem", "_ref")

    def __init__(self, ctx: Any, memory: Any) -> None:
        self._ctx = ctx
        self._mem = memory  # a wasmtime_memory_t
        self._ref = byref(self._mem)

    def size(self) -> int:
        return int(_memory_data_size(self._ctx, self._ref))

    def read(self, ptr: int, n: int) -> bytes:
        size = _memory_data_size(self._ctx, self._ref)  # re-read each time: memory may have grown
        if ptr < 0 or n < 0 or ptr + n > size:
            _check(ptr, n, size)
        return ctypes.string_at(_memory_data(self._ctx, self._ref) + ptr, n)

    def write(self, ptr: int, data: bytes) -> None:
        size = _memory_data_size(self._ctx, self._ref)
        if ptr < 0 or ptr + len(data) > size:
            _check(ptr, len(data), size)
        ctypes.memmove(_memory_data(self._ctx, self._ref) + ptr, data, len(data))


def _noop(_env: int | None) -> None:
    return None


_noop_finalizer = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(_noop)


def _trap_ptr(message: str) -> int:
    trap = wasmtime.Trap(message)
    return ctypes.cast(trap._consume(), ctypes.c_void_p).value or 0


def define_fast_import(linker: wasmtime.Linker, name: str, handler: ImportHandler) -> None:
    """Register ``host.<name>`` through the unchecked C API. ``handler`` must not raise Exception."""
    nparams = IMPORT_ARITY[name]

    def cb(_env: int, _caller: Any, args: Any, _nargs: int) -> int:
        try:
            if nparams == 4:
                args[0].i32 = handler(args[0].i32, args[1].i32, args[2].i32, args[3].i32)
            else:
                args[0].i32 = handler(*[args[i].i32 for i in range(nparams)])
            return 0
        except BaseException as e:  # noqa: BLE001 - nothing may unwind through wasm frames
            return _trap_ptr(f"host import {name} aborted: {type(e).__name__}")

    c_cb = ffi.wasmtime_func_unchecked_callback_t(cb)
    _KEEPALIVE.append(c_cb)
    ty = wasmtime.FuncType([I32] * nparams, [I32])
    m, n = b"host", name.encode()
    err = ffi.wasmtime_linker_define_func_unchecked(
        linker.ptr(),
        ctypes.create_string_buffer(m),
        len(m),
        ctypes.create_string_buffer(n),
        len(n),
        ty.ptr(),
        c_cb,
        None,
        _noop_finalizer,
    )
    if err:
        raise wasmtime.WasmtimeError._from_ptr(err)


# ---------------------------------------------------------------- public API path (fallback)


class PublicExports:
    __slots__ = ("_f", "_sigs", "_store")

    def __init__(self, store: wasmtime.Store, exports: dict[str, wasmtime.Func]) -> None:
        self._store = store
        self._f = exports
        self._sigs = {name: EXPORT_SIGS[name][0] for name in exports}

    def call(self, name: str, *args: int) -> int:
        sig = self._sigs[name]
        conv = [_signed(a, 64 if t == "i64" else 32) for a, t in zip(args, sig, strict=True)]
        r = self._f[name](self._store, *conv)
        return int(r) if isinstance(r, int) else 0


class PublicMemory:
    __slots__ = ("_mem", "_store")

    def __init__(self, store: wasmtime.Store, memory: wasmtime.Memory) -> None:
        self._store = store
        self._mem = memory

    def size(self) -> int:
        return int(self._mem.data_len(self._store))

    def read(self, ptr: int, n: int) -> bytes:
        _check(ptr, n, self.size())
        base = ctypes.addressof(self._mem.data_ptr(self._store).contents)
        return ctypes.string_at(base + ptr, n)

    def write(self, ptr: int, data: bytes) -> None:
        _check(ptr, len(data), self.size())
        base = ctypes.addressof(self._mem.data_ptr(self._store).contents)
        ctypes.memmove(base + ptr, data, len(data))


def define_public_import(linker: wasmtime.Linker, name: str, handler: ImportHandler) -> None:
    """Register ``host.<name>`` through the documented API. A raise becomes a trap (handlers don't)."""
    nparams = IMPORT_ARITY[name]
    ty = wasmtime.FuncType([I32] * nparams, [I32])
    linker.define_func("host", name, ty, handler)
