"""``proc.spawnSync`` and ``proc.spawn.start``: child processes through the command executor.

What the policy decides on is what will run:

* the executable is resolved to an absolute, real path by the executor; ``env``-style launchers
  (``env`` incl. ``env -S``, ``nice``, ``nohup``, ``setsid``, ``stdbuf``, ``timeout``) are resolved to
  the program they really run (``policy.launchers``) and that program is run directly; other
  launchers (``xargs``, ``sudo``, ...) reach the policy as themselves and the ``child.launcher``
  guard refuses them;
* the environment is exactly the one the child will get: the guest's ``options.env``, or, when
  the guest passes none, only the safe base (``PATH``, ``HOME``, ``LANG``, ``LC_*``, ``TERM``,
  ``TZ``) of what the env policy lets the guest see. The host's own environment is never passed.
  Code-running families (``GIT_*``, ``BASH_ENV``, ``LD_*``, ...) are refused by ``child.env``
  unless an allow rule names them one by one;
* the child's working directory is the host directory the guest's cwd (``options.cwd``, else
  ``process.cwd()``) resolves to through the filesystem provider, decided by the fs policy as a
  ``readdir`` of the resolved guest path, and entered through a descriptor of that directory (no
  re-walk of a path string). A filesystem without host directories (in-memory, SQLite, none)
  has no host directory to offer: the child runs in the executor's own work directory when the
  guest gives no ``options.cwd`` (or ``/``), and an explicit ``options.cwd`` elsewhere is refused
  (``ENOSYS``) rather than silently ignored.
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Any, Protocol, runtime_checkable

from secure_exec.bridge.dispatch import Dispatcher
from secure_exec.bridge.paths import guest_path
from secure_exec.errors import GuestError, node_message
from secure_exec.policy.guards import is_safe_env, launcher_name
from secure_exec.policy.launchers import MAX_DEPTH, UNWRAPPED, LauncherError, unwrap_once
from secure_exec.policy.requests import ChildProcessAccessRequest, EnvAccessRequest
from secure_exec.providers.fsutil import FsCheck
from secure_exec.providers.protocols import CommandExecutor
from secure_exec.providers.types import CommandResult
from secure_exec.runtime.ops.fs_ops import FsCall
from secure_exec.runtime.session import Session

MAX_ARGS = 4096
MAX_INPUT = 16 * 2**20


@runtime_checkable
class HostDirectories(Protocol):
    """A filesystem provider whose guest directories are real host directories (``HostFileSystem``)."""

    def open_host_dir(self, path: str, *, check: FsCheck) -> tuple[str, int]: ...


def _spec(s: Session, a: dict[str, Any]) -> tuple[CommandExecutor, str, ChildProcessAccessRequest, dict[str, Any]]:
    command, args = a.get("command"), a.get("args", [])
    if not isinstance(command, str) or not command or "\x00" in command:
        raise GuestError("ERR_INVALID_ARG_TYPE", 'The "file" argument must be of type string', name="TypeError")
    if not isinstance(args, list) or len(args) > MAX_ARGS or not all(isinstance(x, str) for x in args):
        raise GuestError("ERR_INVALID_ARG_TYPE", 'The "args" argument must be an array of strings', name="TypeError")
    env = a.get("env")
    if env is None:  # Node passes process.env; here only its safe base (see the module docstring)
        env = _inherited_env(s)
    if not isinstance(env, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
        raise GuestError("ERR_INVALID_ARG_TYPE", 'The "options.env" property must be an object of strings',
                         name="TypeError")
    exe = s.providers.command_executor
    if exe is None:
        raise s.not_configured("child_process", f"spawn {command}", command)
    timeout = a.get("timeout")
    limit = float(timeout) / 1000.0 if isinstance(timeout, int | float) and timeout > 0 else None
    resolved, child_args, child_env = exe.resolve_command(command), tuple(args), dict(env)
    for _ in range(MAX_DEPTH):  # env/nice/timeout/...: decide on (and run) what they would run
        tool = launcher_name(resolved)
        if tool not in UNWRAPPED:
            break
        try:
            inner = unwrap_once(tool, child_args, child_env)
        except LauncherError:
            break  # decided as the launcher itself: the child.launcher guard refuses it
        resolved, child_args, child_env = exe.resolve_command(inner.command), inner.args, inner.env
        if inner.timeout_s is not None:
            limit = inner.timeout_s if limit is None else min(limit, inner.timeout_s)
    input_b64 = a.get("input_b64")
    data: bytes | None = None
    if input_b64 is not None:
        try:
            data = base64.b64decode(str(input_b64), validate=True)
        except (binascii.Error, ValueError):
            raise GuestError("ERR_INVALID_ARG_VALUE", "input is not valid base64", name="TypeError") from None
        if len(data) > MAX_INPUT:
            raise GuestError("ERR_OUT_OF_RANGE", f"input over {MAX_INPUT} bytes", name="RangeError")
    raw_cwd = a.get("cwd") if isinstance(a.get("cwd"), str) else None
    cwd = guest_path(raw_cwd if raw_cwd is not None else s.cwd, cwd=s.cwd, syscall=f"spawn {command}", arg="cwd")
    fs = s.providers.filesystem
    if isinstance(fs, HostDirectories):  # the request carries the directory the child will really enter
        try:
            cwd = fs.resolve(cwd)
        except GuestError:
            pass  # decided and refused in _open_cwd
    req = ChildProcessAccessRequest(resolved, child_args, cwd, child_env)
    run = {"args": list(child_args), "env": child_env, "input": data, "timeout": limit,
           "raw_cwd": raw_cwd if raw_cwd is not None else s.cwd, "explicit_cwd": raw_cwd is not None}
    return exe, command, req, run


def _inherited_env(s: Session) -> dict[str, str]:
    """The safe base of the guest-visible environment (each read decided and audited)."""
    env = s.providers.env
    out: dict[str, str] = {}
    if env is None:
        return out
    for k in sorted(env.keys()):
        if is_safe_env(k) and s.gate.allowed(EnvAccessRequest("read", k), capability="env", op="read",
                                             resource=k, requested=k):
            v = env.get(k)
            if v is not None:
                out[k] = v
    return out


def _wire(r: CommandResult) -> dict[str, Any]:
    out: dict[str, Any] = {"status": r.status, "signal": r.signal, "pid": 0,
                           "stdout_b64": base64.b64encode(r.stdout).decode(),
                           "stderr_b64": base64.b64encode(r.stderr).decode()}
    if r.timed_out:
        out["error"] = {"code": "ETIMEDOUT", "message": "spawnSync ETIMEDOUT", "errno": -110}
    elif r.truncated:
        out["error"] = {"code": "ENOBUFS", "message": "stdout maxBuffer length exceeded", "errno": -105}
    return out


def _open_cwd(s: Session, command: str, cwd: str, raw: str, explicit: bool) -> int | None:
    """A descriptor of the host directory guest ``cwd`` leads to, decided by the fs policy.

    ``None``: the filesystem has no host directories and the guest asked for no cwd (or ``/``): the
    executor's own work directory is used. Raises ``ENOSYS`` for an explicit other cwd on such a
    filesystem, ``EACCES`` when the fs policy refuses the directory, the provider's error when it
    is missing or not a directory.
    """
    syscall = f"spawn {command}"
    fs = s.providers.filesystem
    if not isinstance(fs, HostDirectories):
        if not explicit or cwd == "/":
            return None
        raise GuestError("ENOSYS", node_message("ENOSYS", syscall, raw, "function not implemented (the filesystem "
                                                "has no host directory for this cwd)"), syscall=syscall, path=raw)
    # one walk: decided (as readdir) on the directory the descriptor will really be
    with FsCall(s, "readdir", syscall, cwd) as c:
        try:
            _where, fd = fs.open_host_dir(c.path, check=c.check)
        except GuestError as e:
            if e.code == "EACCES":
                raise
            raise GuestError(e.code, node_message(e.code, syscall, raw, "cannot use this cwd"), syscall=syscall,
                             path=raw) from None
    return fd


def _execute(s: Session, exe: CommandExecutor, command: str, req: ChildProcessAccessRequest,
             run: dict[str, Any]) -> dict[str, Any]:
    with s.gate.operation(req, capability="child_process", op="spawn", resource=req.command, requested=command,
                          syscall=f"spawn {command}", guest_path=command) as rec:
        rec.bytes_in = len(run["input"] or b"")
        fd = _open_cwd(s, command, req.cwd or "/", run["raw_cwd"], run["explicit_cwd"])
        try:
            # the child enters the directory through this descriptor, not by re-walking a path
            host_cwd = None if fd is None else f"/proc/self/fd/{fd}"
            r = exe.run(req.command, run["args"], cwd=host_cwd, env=run["env"], input=run["input"],
                        timeout=run["timeout"])
        finally:
            if fd is not None:
                os.close(fd)
        rec.bytes_out = len(r.stdout) + len(r.stderr)
    return _wire(r)


def spawn_sync(s: Session, a: dict[str, Any]) -> Any:
    exe, command, req, run = _spec(s, a)
    return _execute(s, exe, command, req, run)


def spawn_start(s: Session, a: dict[str, Any]) -> Any:
    op_id = a.get("id")
    if not isinstance(op_id, int) or isinstance(op_id, bool):
        raise GuestError("ERR_INVALID_ARG_TYPE", "proc.spawn.start needs an integer id", name="TypeError")
    exe, command, req, run = _spec(s, a)
    s.start_async(op_id, lambda: _execute(s, exe, command, req, run))
    return {"id": op_id}


def register(d: Dispatcher[Session]) -> None:
    d.register("proc.spawnSync", spawn_sync, capability="child_process")
    d.register("proc.spawn.start", spawn_start, capability="child_process")
