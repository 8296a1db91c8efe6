"""``proc.spawnSync`` and ``proc.spawn.start``: child processes through the command executor.

The policy decides on the resolved absolute executable (what will really run), the arguments,
the guest's cwd and the explicit environment the guest asked for. The host's own environment is
never passed; the executor strips ``LD_*``/``DYLD_*``/``NODE_OPTIONS`` as well, and the guards
refuse a spawn that asks for them.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from secure_exec.bridge.dispatch import Dispatcher
from secure_exec.errors import GuestError
from secure_exec.policy.requests import ChildProcessAccessRequest
from secure_exec.providers.protocols import CommandExecutor
from secure_exec.providers.types import CommandResult
from secure_exec.runtime.ops import env_ops
from secure_exec.runtime.session import Session

MAX_ARGS = 4096
MAX_INPUT = 16 * 2**20


def _spec(s: Session, a: dict[str, Any]) -> tuple[CommandExecutor, str, ChildProcessAccessRequest, dict[str, Any]]:
    command, args = a.get("command"), a.get("args", [])
    if not isinstance(command, str) or not command or "\x00" in command:
        raise GuestError("ERR_INVALID_ARG_TYPE", 'The "file" argument must be of type string', name="TypeError")
    if not isinstance(args, list) or len(args) > MAX_ARGS or not all(isinstance(x, str) for x in args):
        raise GuestError("ERR_INVALID_ARG_TYPE", 'The "args" argument must be an array of strings', name="TypeError")
    env = a.get("env")
    if env is None:  # as in Node, the child inherits the guest's process.env (what the policy lets it see)
        env = _visible_env(s)
    if not isinstance(env, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
        raise GuestError("ERR_INVALID_ARG_TYPE", 'The "options.env" property must be an object of strings',
                         name="TypeError")
    exe = s.providers.command_executor
    if exe is None:
        raise s.not_configured("child_process", f"spawn {command}", command)
    resolved = exe.resolve_command(command)
    timeout = a.get("timeout")
    input_b64 = a.get("input_b64")
    data: bytes | None = None
    if input_b64 is not None:
        try:
            data = base64.b64decode(str(input_b64), validate=True)
        except (binascii.Error, ValueError):
            raise GuestError("ERR_INVALID_ARG_VALUE", "input is not valid base64", name="TypeError") from None
        if len(data) > MAX_INPUT:
            raise GuestError("ERR_OUT_OF_RANGE", f"input over {MAX_INPUT} bytes", name="RangeError")
    cwd = a.get("cwd") if isinstance(a.get("cwd"), str) else s.cwd
    req = ChildProcessAccessRequest(resolved, tuple(args), cwd, env)
    run = {"args": args, "env": env, "input": data,
           "timeout": float(timeout) / 1000.0 if isinstance(timeout, int | float) and timeout > 0 else None}
    return exe, command, req, run


def _visible_env(s: Session) -> dict[str, str]:
    keys = env_ops.keys(s, {})["keys"]  # each key's read decision is audited there
    env = s.providers.env
    out: dict[str, str] = {}
    for k in keys:
        v = env.get(k) if env is not None else None
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


def _execute(s: Session, exe: CommandExecutor, command: str, req: ChildProcessAccessRequest,
             run: dict[str, Any]) -> dict[str, Any]:
    # The guest's cwd is a guest path; the executor runs in its own host work dir (cwd=None).
    with s.gate.operation(req, capability="child_process", op="spawn", resource=req.command, requested=command,
                          syscall=f"spawn {command}", guest_path=command) as rec:
        rec.bytes_in = len(run["input"] or b"")
        r = exe.run(req.command, run["args"], cwd=None, env=run["env"], input=run["input"], timeout=run["timeout"])
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
