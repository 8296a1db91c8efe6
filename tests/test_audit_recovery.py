"""Crash consistency: torn tails (kill -9, cuts, short writes) are preserved, recorded and verifiable."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from secure_exec.audit import AuditContext, AuditLog
from secure_exec.audit import sinks as sinks_module
from secure_exec.audit.verify import verify_log
from secure_exec.errors import AuditWriteError

KEY = b"0123456789abcdef-test-key-32byte"
CTX = AuditContext(session_id="s-1", plugin_id="acme.p", call_id="c-1")
REPO = Path(__file__).resolve().parents[1]


def _fill(path: Path, rng: random.Random, events: int) -> None:
    with AuditLog(path, hmac_key=KEY, checkpoint_every=4) as log:
        for i in range(events):
            log.lifecycle("plugin.loaded", CTX, n=i, pad="x" * rng.randrange(0, 300))


def _continue(path: Path) -> None:
    with AuditLog(path, hmac_key=KEY, checkpoint_every=4) as log:
        for i in range(3):
            log.lifecycle("sandbox.started", CTX, n=i)


def test_fifty_random_torn_cuts_are_recovered_and_verify(tmp_path: Path) -> None:
    rng = random.Random(20261130)
    recovered = adopted = 0
    for trial in range(50):
        path = tmp_path / f"cut{trial}.jsonl"
        _fill(path, rng, rng.randrange(3, 15))
        original = path.read_bytes()
        cut = rng.randrange(0, len(original))
        if trial == 0:  # make sure the "whole line but its newline" case is in the sample
            cut = original.rindex(b"\n", 0, len(original) - 1)
        path.write_bytes(original[:cut])
        _continue(path)
        after = path.read_bytes()
        assert after.startswith(original[:cut]), "the bytes before and inside the cut are preserved"
        result = verify_log(path, key=KEY, expect_closed=True)
        assert result.ok, (trial, cut, result.problem)
        torn = original[:cut][original[:cut].rfind(b"\n") + 1 :]
        if result.findings:
            recovered += 1
            assert len(result.findings) == 1 and "recovered by log.recovered" in result.findings[0]
            events = [orjson.loads(x) for x in after.splitlines() if b'"event":"log.recovered"' in x]
            assert len(events) == 1
            assert events[0]["torn_sha256"] == "sha256:" + hashlib.sha256(torn).hexdigest()
        else:
            # No finding only if the cut fell on a line boundary or left one whole event
            # without its newline (then it is adopted as the event it is).
            assert torn == b"" or after[cut : cut + 1] == b"\n", (trial, cut)
            adopted += torn != b""
    assert recovered >= 30 and adopted >= 1


def test_short_write_on_a_full_disk_is_recovered_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.jsonl"
    log = AuditLog(path)
    log.lifecycle("sandbox.started", CTX)
    real_write = os.write
    calls: list[int] = []

    def short_once(fd: int, data: Any) -> int:
        calls.append(len(data))
        if len(calls) == 1:
            return real_write(fd, bytes(data)[: len(data) // 2])  # the disk filled up mid-line
        return real_write(fd, data)

    monkeypatch.setattr(sinks_module.os, "write", short_once)
    with pytest.raises(AuditWriteError, match="short write"):
        log.lifecycle("plugin.loaded", CTX, n=1)
    assert len(calls) == 1, "no second write(2) for the rest of a line"
    assert log.last_seq == 1  # fail-closed: the chain did not advance
    log.lifecycle("plugin.loaded", CTX, n=2)  # space is back
    log.close()
    assert len(calls) == 3, "one write(2) for log.recovered, one for the event"
    lines = path.read_bytes().splitlines()
    assert [orjson.loads(x)["event"] for x in (lines[0], lines[2], lines[3])] == [
        "sandbox.started", "log.recovered", "plugin.loaded",
    ]
    assert orjson.loads(lines[2])["reason"] == "a write failed in this process"
    result = verify_log(path)
    assert result.ok and result.events == 3, result.problem
    assert result.findings and "line 2: torn write" in result.findings[0]


def test_every_event_is_one_write_syscall(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = os.write
    sizes: list[bytes] = []

    def counting(fd: int, data: Any) -> int:
        sizes.append(bytes(data))
        return real_write(fd, data)

    monkeypatch.setattr(sinks_module.os, "write", counting)
    with AuditLog(tmp_path / "a.jsonl", hmac_key=KEY, checkpoint_every=5) as log:
        for i in range(20):
            log.lifecycle("plugin.loaded", CTX, n=i, pad="y" * 5000)
    assert len(sizes) == 25  # 20 events + 4 interval checkpoints + the final one
    assert all(chunk.endswith(b"\n") and chunk.count(b"\n") == 1 for chunk in sizes)


def test_a_forged_recovery_that_does_not_match_the_torn_bytes_fails(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    with AuditLog(path) as log:
        for i in range(4):
            log.lifecycle("plugin.loaded", CTX, n=i)
    lines = path.read_bytes().splitlines(keepends=True)
    # Replace event 3 by junk and claim a recovery: the claimed bytes (length, sha256) do not match.
    path.write_bytes(b"".join(lines[:2]) + b'{"event":"junk"\n' + lines[3])
    result = verify_log(path)
    assert not result.ok and result.problem is not None and result.problem.line == 3


WRITER = textwrap.dedent(
    """
    import sys
    from secure_exec.audit import AuditContext, AuditLog
    log = AuditLog(sys.argv[1], hmac_key=sys.argv[2].encode(), checkpoint_every=50)
    ctx = AuditContext(session_id="s", plugin_id="p")
    print("ready", flush=True)
    i = 0
    while True:
        log.lifecycle("plugin.loaded", ctx, n=i, pad="x" * (i % 5000))
        i += 1
    """
)


@pytest.mark.parametrize("round_", range(4))
def test_kill_9_at_a_random_moment_then_reopen_verifies(tmp_path: Path, round_: int) -> None:
    path = tmp_path / "a.jsonl"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), KEY.decode()], env=env,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        time.sleep(random.Random(round_).uniform(0.05, 0.4))
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    before = path.read_bytes()
    _continue(path)
    assert path.read_bytes().startswith(before)
    result = verify_log(path, key=KEY, expect_closed=True)
    assert result.ok, result.problem
    assert result.closed and result.events > 5
    assert bool(result.findings) == (not before.endswith(b"\n") and b"log.recovered" in path.read_bytes())


def test_a_real_full_filesystem(tmp_path: Path) -> None:
    """A 64 KiB tmpfs fills up mid-run: events are refused (fail closed); once space is freed the
    log continues, records any torn bytes, and verifies."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], check=True,
                       capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        spare = mnt / "spare"
        spare.write_bytes(b"s" * 16384)
        path = mnt / "a.jsonl"
        log = AuditLog(path)
        written = 0
        with pytest.raises(AuditWriteError):
            for i in range(400):
                log.lifecycle("plugin.loaded", CTX, n=i, pad="z" * 700)
                written += 1
        assert written > 10
        with pytest.raises(AuditWriteError):  # still full: still refused, never silently dropped
            log.lifecycle("plugin.loaded", CTX, n=-1)
        spare.unlink()
        for i in range(5):
            log.lifecycle("sandbox.started", CTX, n=i)
        log.close()
        result = verify_log(path)
        assert result.ok, result.problem
        recovered = [x for x in path.read_bytes().splitlines() if b'"event":"log.recovered"' in x]
        assert result.events == written + 5 + len(recovered)
        assert len(result.findings) == len(recovered)
    finally:
        subprocess.run(["umount", str(mnt)], check=False, capture_output=True, timeout=30)
