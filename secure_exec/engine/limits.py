"""Per-sandbox resource limits and the two host callbacks' types.

Why a separate module: every other layer (runtime, host, CLI) builds ``EngineLimits`` from its own
configuration, so this value type must be importable without loading wasmtime.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from secure_exec.errors import ConfigError

HostCall = Callable[[bytes], tuple[bool, bytes]]
"""Raw guest request -> ``(is_error, reply bytes)``. An error reply is JSON ``{code, message, ...}``."""

ModuleLoader = Callable[[str, str], tuple[str, str]]
"""``(specifier, referrer) -> (resolved name, source)``; raise ``GuestError`` to refuse an import."""

SHADOW_STACK = 1 << 20  # the wasm module's C stack (build flag -z stack-size), below the heap
_MIN_MEMORY = 8 << 20
_MAX_MEMORY = 3 << 30  # wasm32 linear memory tops out at 4 GiB; keep clear of it
_MAX_PAYLOAD = (1 << 31) - 2  # replies are sized by an i32 on the wire


def _check_time(_inst: object, _attr: object, value: float | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not (0 < value <= 86400):
        raise ConfigError(f"time_limit must be a number of seconds in (0, 86400] or None, got {value!r}")


def _int_range(name: str, lo: int, hi: int) -> Callable[[object, object, int], None]:
    def check(_inst: object, _attr: object, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not (lo <= value <= hi):
            raise ConfigError(f"{name} must be an integer in [{lo}, {hi}] bytes, got {value!r}")

    return check


@attrs.frozen
class EngineLimits:
    """Limits of one sandbox. Every one of them is enforced inside the engine, not by convention."""

    time_limit: float | None = attrs.field(default=5.0, validator=_check_time)
    """Seconds of wall time per call into the sandbox; ``None`` only if explicitly asked."""
    memory_limit: int = attrs.field(default=64 * 2**20, validator=_int_range("memory_limit", _MIN_MEMORY, _MAX_MEMORY))
    """Bytes: the cap on wasm linear memory (Store limit); the JS heap limit is set a little below it."""
    stack_limit: int = attrs.field(
        default=512 * 2**10, validator=_int_range("stack_limit", 64 * 2**10, SHADOW_STACK - 256 * 2**10)
    )
    """JS stack limit in bytes; must stay well under the 1 MiB shadow stack."""
    max_request_bytes: int = attrs.field(default=8 * 2**20, validator=_int_range("max_request_bytes", 1, _MAX_PAYLOAD))
    max_reply_bytes: int = attrs.field(default=32 * 2**20, validator=_int_range("max_reply_bytes", 1, _MAX_PAYLOAD))

    @property
    def js_heap_limit(self) -> int:
        """The JS allocator's limit: linear memory minus the shadow stack and 1 MiB of headroom."""
        return self.memory_limit - SHADOW_STACK - (1 << 20)

    @property
    def budget_ns(self) -> int:
        """The per-call budget for the guest's interrupt handler (0 = none)."""
        return 0 if self.time_limit is None else max(1, int(self.time_limit * 1e9))
