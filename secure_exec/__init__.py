"""secure_exec: run untrusted JavaScript plugins in QuickJS-NG on wasmtime.

Every file, network, child-process and environment access a plugin makes is asked of capability
providers (pluggy hooks), decided by a policy engine and written to a tamper-evident audit log.
"""

from __future__ import annotations

from secure_exec.errors import (
    AuditWriteError,
    ConfigError,
    EngineTrap,
    GuestError,
    JSError,
    LimitExceeded,
    MemoryLimitExceeded,
    PayloadTooLarge,
    PermissionDenied,
    SandboxBusy,
    SandboxClosed,
    SecureExecError,
    StackLimitExceeded,
    TimeLimitExceeded,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "AuditWriteError",
    "ConfigError",
    "EngineTrap",
    "GuestError",
    "JSError",
    "LimitExceeded",
    "MemoryLimitExceeded",
    "PayloadTooLarge",
    "PermissionDenied",
    "SandboxBusy",
    "SandboxClosed",
    "SecureExecError",
    "StackLimitExceeded",
    "TimeLimitExceeded",
    "__version__",
]
