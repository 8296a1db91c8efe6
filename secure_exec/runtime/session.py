"""One sandbox session: what the bridge handlers need to serve a guest.

A ``Session`` is the dispatcher's context object. It holds the gate (policy + audit), the providers
chosen for this sandbox, the guest's cwd, the descriptors this session opened, the stdio hook and
the async operations still running. Nothing here is process-global.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from secure_exec.bridge.gate import Gate
from secure_exec.errors import GuestError, node_message
from secure_exec.providers.manager import Providers
from secure_exec.providers.scope import RunScope
from secure_exec.runtime.config import OsConfig, ProcessConfig, StdioEvent

MAX_OPEN_FDS = 256
MAX_STDIO_BYTES = 16 * 2**20
MAX_ASYNC_OPS = 64


@attrs.define
class AsyncOp:
    id: int
    future: concurrent.futures.Future[Any]


@attrs.define
class Session:
    gate: Gate
    providers: Providers
    process: ProcessConfig
    os: OsConfig
    on_stdio: Callable[[StdioEvent], None] | None = None
    stdin: bytes = b""
    cwd: str = "/"
    exit_code: int | None = None
    fds: dict[int, Any] = attrs.field(factory=dict)  # this session's fds -> fs_ops.OpenFile (closed by close())
    stdio_bytes: int = 0
    stdin_pos: int = 0
    async_ops: dict[int, AsyncOp] = attrs.field(factory=dict)
    scope: RunScope = attrs.field(factory=RunScope)  # deadline + threads/children/sockets this run started
    wakeup: threading.Event = attrs.field(factory=threading.Event)
    entry: tuple[str, str] | None = None  # (guest path, source) of the ES module being run
    # (guest folder, files): modules under that folder come only from this verified copy (a plugin's
    # own code as its digest was checked at load), whatever the filesystem holds there now
    modules: tuple[str, Mapping[str, bytes]] | None = None

    def not_configured(self, capability: str, syscall: str | None = None, path: str | None = None) -> GuestError:
        """ENOSYS: no provider for this capability (distinct from EACCES, which is a policy denial)."""
        return GuestError(
            "ENOSYS",
            node_message("ENOSYS", syscall, path, f"function not implemented ({capability} is not configured)"),
            syscall=syscall, path=path,
        )

    def start_async(self, op_id: int, fn: Callable[[], Any]) -> None:
        """Run ``fn`` on a worker thread; the runtime's loop settles guest promise ``op_id`` with its result."""
        if op_id in self.async_ops:
            raise GuestError("EINVAL", f"EINVAL: async operation id {op_id} is already in use")
        if len(self.async_ops) >= MAX_ASYNC_OPS:
            raise GuestError("EAGAIN", f"EAGAIN: more than {MAX_ASYNC_OPS} host operations in flight")
        ctx = self.gate.audit_ctx  # async work keeps the identity of the call that started it
        fut = self.scope.submit(lambda: self.gate.run_as(ctx, fn))
        fut.add_done_callback(lambda _f: self.wakeup.set())
        self.async_ops[op_id] = AsyncOp(op_id, fut)

    def close_descriptors(self) -> int:
        """Close every descriptor this run still holds, through its provider; returns how many."""
        fs, n = self.providers.filesystem, 0
        for fd in list(self.fds):
            del self.fds[fd]
            if fs is not None:
                try:
                    fs.close(fd)
                    n += 1
                except (GuestError, OSError):
                    pass
        return n

    def close(self) -> None:
        self.close_descriptors()
        for op in self.async_ops.values():
            op.future.cancel()
        self.async_ops.clear()
        self.scope.release()  # kill children, abort connections, join the run's threads (bounded)
