"""``NodeRuntime``: the seed's runtime API on top of the engine, the bridge, policy and audit.

A thin client of ``Sandbox`` (runtime/sandbox.py): each ``run``/``exec`` gets a fresh sandbox (a new
engine instance from the snapshot, so no state leaks between runs, a fresh session and providers,
one deadline), which drives the guest's event loop until no work is left, as Node does, or the
time limit ends the run with exit code 124. When ``run``/``exec`` returns, everything the run
started has been ended with it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType

import attrs

from secure_exec.audit import AuditLog
from secure_exec.engine.limits import EngineLimits
from secure_exec.errors import ConfigError, SandboxClosed
from secure_exec.runtime.config import ProcessConfig, StdioEvent
from secure_exec.runtime.drivers import RuntimeDriverFactory, SystemDriver, create_node_driver
from secure_exec.runtime.sandbox import (
    MAX_ERROR_MESSAGE,
    TIMEOUT_EXIT,
    BoundedDispatcher,
    Identity,
    RunResult,
    Sandbox,
    is_esm,
    make_dispatcher,
    new_session,
)
from secure_exec.runtime.session import Session

__all__ = ["MAX_ERROR_MESSAGE", "TIMEOUT_EXIT", "ExecResult", "NodeRuntime", "RunResult", "is_esm"]


@attrs.frozen
class ExecResult:
    code: int
    error_message: str | None = None


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
        self.dispatcher: BoundedDispatcher = make_dispatcher(self.limits.max_request_bytes)
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

    @property
    def identity(self) -> Identity:
        return Identity(self.plugin_id, self.plugin_version, self.plugin_digest)

    def new_session(self, process: ProcessConfig, on_stdio: Callable[[StdioEvent], None] | None,
                    stdin: bytes) -> Session:
        """A session of this runtime's driver (for tests of single bridge ops)."""
        return new_session(self.driver, self.audit_log, self.identity, process, on_stdio, stdin)

    def sandbox(self, process: ProcessConfig | None = None, on_stdio: Callable[[StdioEvent], None] | None = None,
                stdin: bytes = b"") -> Sandbox:
        """A new sandbox (engine instance + session) of this runtime's driver, limits and audit log."""
        if self._disposed:
            raise SandboxClosed("this NodeRuntime has been disposed")
        return Sandbox(driver=self.driver, limits=self.limits, audit_log=self.audit_log, dispatcher=self.dispatcher,
                       who=self.identity, process=process or self.driver.process_config, on_stdio=on_stdio,
                       stdin=stdin)

    def _execute(self, code: str, file_path: str, *, process: ProcessConfig | None,
                 on_stdio: Callable[[StdioEvent], None] | None, stdin: bytes, want_exports: bool) -> RunResult:
        if self._disposed:
            raise SandboxClosed("this NodeRuntime has been disposed")
        if not isinstance(code, str):
            raise ConfigError(f"code must be a str, got {type(code).__name__}")
        if not isinstance(file_path, str) or not file_path.startswith("/"):
            raise ConfigError(f"file_path must be an absolute guest path, got {file_path!r}")
        sb = self.sandbox(process, on_stdio, stdin)
        sb.begin(self.limits.time_limit)
        return sb.run(code, file_path, want_exports=want_exports)


def _default_audit_log() -> AuditLog:
    """``SECURE_EXEC_AUDIT_LOG=<path>`` writes JSON lines there; otherwise an in-memory chain.

    ``SECURE_EXEC_AUDIT_SIGN_KEY=<private key file>`` adds Ed25519 signed checkpoints.
    """
    return AuditLog.from_env()
