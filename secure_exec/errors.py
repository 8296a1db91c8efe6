"""Typed errors.

Two families live here:

* host-facing exceptions (``SecureExecError`` and subclasses) that the host application catches;
* ``GuestError``, raised by bridge handlers and providers, which never reaches the host: the bridge
  turns it into a JavaScript ``Error`` with Node's ``code``/``errno``/``syscall``/``path`` fields.

Neither carries a host traceback or a host path across the sandbox boundary.
"""

from __future__ import annotations

from typing import Any

# Node's (libuv's) negative errno numbers for the codes the guest can see.
NODE_ERRNO: dict[str, int] = {
    "EPERM": -1,
    "ENOENT": -2,
    "EIO": -5,
    "EBADF": -9,
    "EAGAIN": -11,
    "ENOMEM": -12,
    "EACCES": -13,
    "EEXIST": -17,
    "EXDEV": -18,
    "ENOTDIR": -20,
    "EISDIR": -21,
    "EINVAL": -22,
    "EMFILE": -24,
    "EFBIG": -27,
    "ENOSPC": -28,
    "EROFS": -30,
    "ENAMETOOLONG": -36,
    "ENOSYS": -38,
    "ENOTEMPTY": -39,
    "ELOOP": -40,
    "ETIMEDOUT": -110,
    "ECONNREFUSED": -111,
    "ECONNRESET": -104,
    "EHOSTUNREACH": -113,
    "ENOTFOUND": -3008,
}


class SecureExecError(Exception):
    """Base class of every error secure_exec raises to the host."""

    code: str = "ERR_SECURE_EXEC"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class ConfigError(SecureExecError, ValueError):
    """Bad input from the host: an invalid option, policy file, manifest or preset."""

    code = "ERR_CONFIG"


class PermissionDenied(SecureExecError, PermissionError):
    """The policy refused an operation the host itself asked for (e.g. a plugin load)."""

    code = "EACCES"

    def __init__(
        self,
        message: str,
        *,
        capability: str = "",
        op: str = "",
        resource: str = "",
        reason: str = "",
        rule_id: str = "",
        event_id: str = "",
    ) -> None:
        super().__init__(message)
        self.capability = capability
        self.op = op
        self.resource = resource
        self.reason = reason
        self.rule_id = rule_id
        self.event_id = event_id


class LimitExceeded(SecureExecError):
    """A resource limit fired. ``limit`` names which one."""

    code = "ERR_LIMIT"
    limit: str = "limit"


class TimeLimitExceeded(LimitExceeded, TimeoutError):
    code = "ERR_TIME_LIMIT"
    limit = "time"


class MemoryLimitExceeded(LimitExceeded):
    code = "ERR_MEMORY_LIMIT"
    limit = "memory"


class StackLimitExceeded(LimitExceeded):
    code = "ERR_STACK_LIMIT"
    limit = "stack"


class PayloadTooLarge(LimitExceeded):
    code = "ERR_PAYLOAD_TOO_LARGE"
    limit = "payload"


class JSError(SecureExecError):
    """An uncaught JavaScript exception, with the JS error's name, message and stack."""

    code = "ERR_JS"

    def __init__(self, name: str, js_message: str, stack: str = "") -> None:
        super().__init__(f"{name}: {js_message}" if name else js_message)
        self.name = name
        self.js_message = js_message
        self.stack = stack


class EngineTrap(SecureExecError):
    """The wasm instance trapped. The instance was discarded; the host process is fine."""

    code = "ERR_ENGINE_TRAP"

    def __init__(self, message: str, *, trap_code: str = "") -> None:
        super().__init__(message)
        self.trap_code = trap_code


class SandboxClosed(SecureExecError, RuntimeError):
    code = "ERR_SANDBOX_CLOSED"


class SandboxBusy(SecureExecError, RuntimeError):
    """A sandbox was used from a second thread while another thread owns it."""

    code = "ERR_SANDBOX_BUSY"


class AuditWriteError(SecureExecError, OSError):
    """The primary audit sink failed; with fail-closed (the default) the operation is denied."""

    code = "ERR_AUDIT_WRITE"


class GuestError(Exception):
    """An error destined for the guest, shaped like a Node system error.

    Raised by bridge handlers and providers. The bridge serialises only these fields, so no host
    traceback or host object crosses the boundary; ``path`` must be the *guest's* path.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        syscall: str | None = None,
        path: str | None = None,
        dest: str | None = None,
        name: str = "Error",
        **extra: str | int | bool | None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.syscall = syscall
        self.path = path
        self.dest = dest
        self.name = name
        self.extra = extra

    @property
    def errno(self) -> int | None:
        return NODE_ERRNO.get(self.code)

    def to_wire(self) -> dict[str, Any]:
        """The JSON-safe shape the guest turns into an ``Error``."""
        d: dict[str, Any] = {"code": self.code, "message": self.message, "name": self.name}
        if self.errno is not None:
            d["errno"] = self.errno
        if self.syscall is not None:
            d["syscall"] = self.syscall
        if self.path is not None:
            d["path"] = self.path
        if self.dest is not None:
            d["dest"] = self.dest
        for k, v in self.extra.items():
            if v is not None:
                d[k] = v
        return d


def node_message(code: str, syscall: str | None, path: str | None, detail: str, dest: str | None = None) -> str:
    """Node's message format: ``EACCES: permission denied, open '/secret.txt'``."""
    msg = f"{code}: {detail}"
    if syscall:
        msg += f", {syscall}"
        if path is not None:
            msg += f" '{path}'"
            if dest is not None:
                msg += f" -> '{dest}'"
    return msg
