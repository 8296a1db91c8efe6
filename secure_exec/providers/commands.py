"""Child processes for the guest: no shell, explicit environment, capped output, killed on timeout.

A child process runs with the host's full authority, so everything it is given is spelled out:
the command is resolved to an absolute, real path through a PATH the host configured (never the
host's own ``$PATH``) so the policy can check the binary that will really run; the environment is
exactly the mapping passed in (never ``os.environ``), minus loader/runtime injection variables
(defence in depth: the policy has already decided on the environment, see ``policy.guards``);
there is no shell to interpret metacharacters; output beyond the cap is drained and dropped; and the
whole process group is killed when the timeout fires.

``cwd`` is a host directory. The runtime passes ``/proc/self/fd/N`` for a descriptor of the
directory it decided on, so the child enters exactly that directory (the path is resolved by
``chdir`` in the child before the descriptors are closed); ``None`` means ``work_dir``.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from typing import IO

from secure_exec.errors import ConfigError, GuestError
from secure_exec.providers.scope import current_scope
from secure_exec.providers.types import CommandResult

DEFAULT_PATH = ("/usr/local/bin", "/usr/bin", "/bin")
STRIPPED_ENV_PREFIXES = ("LD_", "DYLD_")
STRIPPED_ENV_NAMES = frozenset({"NODE_OPTIONS"})
MAX_ARGS = 4096


def is_stripped_env(name: str) -> bool:
    """True for variables that inject code into the child (``LD_PRELOAD``, ``DYLD_*``, ``NODE_OPTIONS``)."""
    upper = name.upper()
    return upper.startswith(STRIPPED_ENV_PREFIXES) or upper in STRIPPED_ENV_NAMES


def clean_env(env: Mapping[str, str] | None) -> dict[str, str]:
    """The child's whole environment: the given mapping, validated, minus injection variables."""
    out: dict[str, str] = {}
    for k, v in (env or {}).items():
        if not isinstance(k, str) or not isinstance(v, str) or not k or "=" in k or "\x00" in k or "\x00" in v:
            raise GuestError("ERR_INVALID_ARG_VALUE", f"invalid environment entry {str(k)[:64]!r}", name="TypeError")
        if not is_stripped_env(k):
            out[k] = v
    return out


def _spawn_error(code: str, command: str, detail: str = "") -> GuestError:
    return GuestError(code, f"spawn {command} {code}{detail}", syscall=f"spawn {command}", path=command)


class _Capture(threading.Thread):
    """Read a pipe to EOF, keeping at most ``cap`` bytes (the rest is drained so the child never blocks)."""

    def __init__(self, pipe: IO[bytes], cap: int) -> None:
        super().__init__(daemon=True)
        self._pipe, self._cap = pipe, cap
        self.data = bytearray()
        self.truncated = False
        self.stop = threading.Event()  # set when the pipe is held open past the child (a detached grandchild)

    def run(self) -> None:
        with self._pipe:
            fd = self._pipe.fileno()
            poller = select.poll()
            poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
            while not self.stop.is_set():
                if not poller.poll(100):
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                room = self._cap - len(self.data)
                if len(chunk) > room:
                    self.truncated = True
                    chunk = chunk[:max(room, 0)]
                self.data += chunk


class SubprocessCommandExecutor:
    """A ``CommandExecutor`` on ``subprocess`` (no shell) for a host-chosen PATH and work directory."""

    def __init__(self, *, path: Sequence[str] = DEFAULT_PATH, work_dir: str | None = None,
                 max_output_bytes: int = 1 << 20, default_timeout_s: float = 30.0,
                 max_timeout_s: float = 300.0) -> None:
        for d in path:
            if not os.path.isabs(d):
                raise ConfigError(f"SubprocessCommandExecutor: PATH entry {d!r} must be absolute")
        self.path = tuple(path)
        self.work_dir = work_dir if work_dir is not None else os.path.realpath(os.sep)
        self.max_output_bytes = max_output_bytes
        self.default_timeout_s = default_timeout_s
        self.max_timeout_s = max_timeout_s

    def resolve_command(self, command: str) -> str:
        """The absolute, symlink-free path of the executable ``command`` names (``ENOENT`` if none)."""
        if not isinstance(command, str) or not command or "\x00" in command:
            raise GuestError("ERR_INVALID_ARG_VALUE", f"invalid command {str(command)[:64]!r}", name="TypeError")
        if "/" in command:
            candidates = [command] if command.startswith("/") else []
        else:
            candidates = [os.path.join(d, command) for d in self.path]
        for c in candidates:
            if os.path.isfile(c) and os.access(c, os.X_OK):
                return os.path.realpath(c)
        raise _spawn_error("ENOENT", command)

    def run(self, command: str, args: Sequence[str], *, cwd: str | None = None,
            env: Mapping[str, str] | None = None, input: bytes | None = None,
            timeout: float | None = None) -> CommandResult:
        exe = self.resolve_command(command)
        argv = [exe]
        if len(args) > MAX_ARGS:
            raise GuestError("E2BIG", f"spawn {command} E2BIG: more than {MAX_ARGS} arguments")
        for a in args:
            if not isinstance(a, str) or "\x00" in a:
                raise GuestError("ERR_INVALID_ARG_VALUE", f"invalid argument {str(a)[:64]!r}", name="TypeError")
            argv.append(a)
        workdir = cwd if cwd is not None else self.work_dir
        if not os.path.isdir(workdir):
            raise _spawn_error("ENOENT", command)
        limit = self.default_timeout_s if timeout is None else min(float(timeout), self.max_timeout_s)
        if limit <= 0:
            raise GuestError("ERR_OUT_OF_RANGE", f"timeout must be positive, got {timeout!r}", name="RangeError")
        scope = current_scope()  # the run this child is for: its deadline bounds the child, whatever was asked
        if scope is not None:
            limit = scope.bound(limit) or 0.0
            if limit <= 0:
                raise _spawn_error("ETIMEDOUT", command, " (the run's time limit has passed)")
        try:
            # an argv list, no shell, and the resolved absolute executable the policy checked
            proc = subprocess.Popen(
                argv, executable=exe, cwd=workdir, env=clean_env(env), shell=False, close_fds=True,
                stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
            )
        except PermissionError:
            raise _spawn_error("EACCES", command) from None
        except OSError:
            raise _spawn_error("ENOENT", command) from None
        ends = time.monotonic() + limit
        # killed when the run ends; never after it was reaped (its group id could belong to another process)
        tracked = scope.track(lambda: _kill_group(proc) if proc.returncode is None else None) if scope else None
        try:
            return self._collect(proc, input, limit, ends)
        finally:
            if scope is not None and tracked is not None:
                scope.untrack(tracked)

    def _collect(self, proc: subprocess.Popen[bytes], input: bytes | None, limit: float,
                 ends: float) -> CommandResult:
        assert proc.stdout is not None and proc.stderr is not None
        out, err = _Capture(proc.stdout, self.max_output_bytes), _Capture(proc.stderr, self.max_output_bytes)
        out.start()
        err.start()
        if input is not None:
            threading.Thread(target=_feed, args=(proc.stdin, input), daemon=True).start()
        expired = threading.Event()

        def on_timeout() -> None:
            expired.set()
            _kill_group(proc)

        timer = threading.Timer(limit, on_timeout)
        timer.daemon = True
        timer.start()
        try:
            # Exited but not reaped (WNOWAIT): its pid stays reserved, so the process-group id cannot be
            # reused by an unrelated process before the leftovers of the group are killed below.
            os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
        except ChildProcessError:
            pass
        finally:
            timer.cancel()
        _kill_group(proc)  # a background job the child left in its own group ends with it
        proc.wait()
        timed_out = expired.is_set()
        # The pipes close when every holder exits. A grandchild that left the process group keeps them
        # open: wait for it only until the timeout, then stop reading and return what arrived.
        for cap in (out, err):
            cap.join(max(0.0, ends - time.monotonic()))
            if cap.is_alive():
                cap.stop.set()
                cap.join()
        rc = proc.returncode
        sig = signal.Signals(-rc).name if rc is not None and rc < 0 else None
        return CommandResult(None if sig else rc, sig, bytes(out.data), bytes(err.data), timed_out,
                             out.truncated or err.truncated)


def _feed(pipe: IO[bytes] | None, data: bytes) -> None:
    if pipe is None:
        return
    try:
        with pipe:
            pipe.write(data)
    except (BrokenPipeError, OSError):
        pass  # the child stopped reading; its exit status says what happened


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's whole session, so grandchildren holding the pipes die too."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
