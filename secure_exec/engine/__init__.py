"""The engine layer: QuickJS-NG compiled to wasm, hosted by wasmtime, one ``JSInstance`` per sandbox.

Everything other layers need is re-exported here; see docs/engine.md for the ABI and the limits.
"""

from secure_exec.engine.instance import JSInstance
from secure_exec.engine.limits import EngineLimits, HostCall, ModuleLoader

__all__ = ["EngineLimits", "HostCall", "JSInstance", "ModuleLoader"]
