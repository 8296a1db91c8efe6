"""Command executor: no shell, explicit env, injection variables stripped, output caps, timeout kill."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from secure_exec.errors import ConfigError, GuestError
from secure_exec.providers.commands import SubprocessCommandExecutor, clean_env
from secure_exec.providers.protocols import CommandExecutor

PY = os.path.realpath(sys.executable)


def err(fn, *a, **kw) -> GuestError:  # type: ignore[no-untyped-def]
    with pytest.raises(GuestError) as ei:
        fn(*a, **kw)
    return ei.value


@pytest.fixture
def ex(tmp_path: Path) -> SubprocessCommandExecutor:
    return SubprocessCommandExecutor(path=[os.path.dirname(PY), "/usr/bin", "/bin"], work_dir=str(tmp_path))


def test_resolve_command(ex: SubprocessCommandExecutor) -> None:
    assert isinstance(ex, CommandExecutor)
    assert ex.resolve_command(os.path.basename(sys.executable)) == PY
    assert ex.resolve_command(sys.executable) == PY
    sh = ex.resolve_command("sh")
    assert os.path.isabs(sh) and not os.path.islink(sh)
    e = err(ex.resolve_command, "no-such-binary-xyz")
    assert (e.code, e.syscall, e.message) == ("ENOENT", "spawn no-such-binary-xyz", "spawn no-such-binary-xyz ENOENT")
    assert err(ex.resolve_command, "./relative").code == "ENOENT"
    # the host's $PATH is never consulted: an executor with an empty PATH finds nothing by name
    assert err(SubprocessCommandExecutor(path=[]).resolve_command, "sh").code == "ENOENT"
    with pytest.raises(ConfigError):
        SubprocessCommandExecutor(path=["relative/bin"])


def test_run_no_shell_args_stdin_cwd(ex: SubprocessCommandExecutor, tmp_path: Path) -> None:
    r = ex.run(PY, ["-c", "import sys,os; print(sys.argv[1:], os.getcwd()); print(sys.stdin.read())", "$HOME; rm -rf /",
                    "*"], input=b"from stdin")
    assert r.status == 0 and r.signal is None and not r.timed_out and not r.truncated
    lines = r.stdout.decode().splitlines()
    assert lines[0] == f"['$HOME; rm -rf /', '*'] {tmp_path}"
    assert lines[1] == "from stdin"
    r = ex.run(PY, ["-c", "import sys; sys.stderr.write('bad'); sys.exit(3)"])
    assert (r.status, r.stderr) == (3, b"bad")


def test_env_is_explicit_and_injection_vars_stripped(ex: SubprocessCommandExecutor,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOST_SECRET", "leak")
    env = {"GOOD": "1", "LD_PRELOAD": "/tmp/evil.so", "ld_library_path": "/x", "DYLD_INSERT_LIBRARIES": "/y",
           "NODE_OPTIONS": "--require /evil.js"}
    r = ex.run(PY, ["-c", "import os, json; print(json.dumps(sorted(k for k in os.environ if k != 'LC_CTYPE')))"],
               env=env)
    assert r.stdout.decode().strip() == '["GOOD"]'
    assert clean_env(None) == {}
    with pytest.raises(GuestError):
        clean_env({"A=B": "1"})


def test_output_cap_truncates(tmp_path: Path) -> None:
    ex = SubprocessCommandExecutor(path=[os.path.dirname(PY)], work_dir=str(tmp_path), max_output_bytes=1000)
    r = ex.run(PY, ["-c", "import sys; sys.stdout.write('x' * 200000); sys.stderr.write('y' * 10)"])
    assert r.status == 0 and r.truncated
    assert r.stdout == b"x" * 1000 and r.stderr == b"y" * 10


def test_timeout_kills_process_group(ex: SubprocessCommandExecutor, tmp_path: Path) -> None:
    marker = tmp_path / "grandchild.pid"
    code = ("import subprocess, sys, time; "
            f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
            f"open({str(marker)!r}, 'w').write(str(p.pid)); print('started', flush=True); time.sleep(60)")
    r = ex.run(PY, ["-c", code], timeout=2.0)
    assert r.timed_out and r.signal == "SIGKILL" and r.status is None
    if not marker.exists() or not r.stdout:  # a very slow machine killed it before the grandchild started
        return
    pid = int(marker.read_text())
    # the grandchild was in the killed process group: SIGKILL is delivered asynchronously, so wait
    # (bounded) until it is gone or a zombie awaiting its reaper
    for _ in range(500):
        try:
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().split(")")[1].split()[0]
        except FileNotFoundError:
            state = "gone"
        if state in ("Z", "X", "gone"):
            break
        time.sleep(0.01)
    assert state in ("Z", "X", "gone")


def test_bad_input(ex: SubprocessCommandExecutor) -> None:
    assert err(ex.run, PY, ["a\x00b"]).code == "ERR_INVALID_ARG_VALUE"
    assert err(ex.run, PY, [], cwd="/no/such/dir").code == "ENOENT"
    assert err(ex.run, PY, [], timeout=0).code == "ERR_OUT_OF_RANGE"
    assert err(ex.run, PY, [], env={"X": "a\x00"}).code == "ERR_INVALID_ARG_VALUE"


def test_cwd_through_a_directory_descriptor(ex: SubprocessCommandExecutor, tmp_path: Path) -> None:
    # the runtime hands the executor /proc/self/fd/N for the directory it decided on: renaming the
    # directory afterwards (or swapping its path for a symlink) does not change where the child runs
    d = tmp_path / "decided"
    d.mkdir()
    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        d.rename(tmp_path / "moved")
        d.symlink_to("/")
        r = ex.run(PY, ["-c", "import os; print(os.getcwd())"], cwd=f"/proc/self/fd/{fd}")
    finally:
        os.close(fd)
    assert r.stdout.decode().strip() == str(tmp_path / "moved")
    assert err(ex.run, PY, [], cwd=str(tmp_path / "missing")).code == "ENOENT"
