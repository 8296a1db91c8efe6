"""Tamper evidence: every kind of damage is caught with exit 1 and the first broken seq."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from secure_exec.audit import GENESIS_HASH, AuditContext, AuditLog, canonical_json, chain_hash
from secure_exec.audit.chain import splice_hash
from secure_exec.audit.verify import verify_log
from secure_exec.cli import audit_cmd
from secure_exec.errors import AuditWriteError

KEY = b"0123456789abcdef-test-key-32byte"
CTX = AuditContext(session_id="s-1", plugin_id="acme.p", call_id="c-1")
REPO = Path(__file__).resolve().parents[1]


def make_log(path: Path, *, events: int = 20, key: bytes | None = KEY, every: int | None = 4) -> None:
    with AuditLog(path, hmac_key=key, checkpoint_every=every) as log:
        for i in range(events):
            log.lifecycle("plugin.loaded", CTX, n=i)


def raw_lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def write_lines(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(lines))


def rechain(events: list[dict[str, Any]]) -> list[bytes]:
    """What an attacker without the key can do: renumber and recompute every hash."""
    prev, out = GENESIS_HASH, []
    for seq, ev in enumerate(events, start=1):
        ev = {k: v for k, v in ev.items() if k != "hash"}
        ev["seq"], ev["prev_hash"] = seq, prev
        if ev["event"] == "audit.checkpoint":  # keep unsigned anchors consistent, as an attacker would
            ev["covers_seq"], ev["covers_hash"] = seq - 1, prev
        canonical = canonical_json(ev)
        prev = chain_hash(prev, canonical)
        out.append(splice_hash(canonical, prev))
    return out


def verify_cli(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    os.environ["SE_TEST_AUDIT_KEY"] = KEY.decode()
    code = audit_cmd.main(["verify", str(path), *extra])
    return code, capsys.readouterr().out


def test_intact_log_verifies_with_and_without_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.jsonl"
    make_log(path)
    code, out = verify_cli(path, capsys, "--key-env", "SE_TEST_AUDIT_KEY", "--expect-closed")
    assert code == 0, out
    assert "OK: 26 event(s)" in out and "6 signature(s) verified" in out and "closed cleanly" in out
    assert verify_cli(path, capsys)[0] == 0


def test_edited_field_is_caught_at_its_seq(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.jsonl"
    make_log(path)
    lines = raw_lines(path)
    assert b'"n":5' in lines[6]
    lines[6] = lines[6].replace(b'"n":5', b'"n":6')
    write_lines(path, lines)
    code, out = verify_cli(path, capsys)
    assert code == 1
    assert out.startswith("FAILED at seq 7 (line 7): hash mismatch")


def test_deleted_line_is_caught(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.jsonl"
    make_log(path)
    lines = raw_lines(path)
    del lines[8]
    write_lines(path, lines)
    code, out = verify_cli(path, capsys)
    assert code == 1 and out.startswith("FAILED at seq 9 (line 9): seq gap: expected 9, found 10")


def test_deleted_first_line_is_caught(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.jsonl"
    make_log(path)
    write_lines(path, raw_lines(path)[1:])
    code, out = verify_cli(path, capsys)
    assert code == 1 and out.startswith("FAILED at seq 1 (line 1): seq gap")


def test_reordered_lines_are_caught(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.jsonl"
    make_log(path)
    lines = raw_lines(path)
    lines[10], lines[11] = lines[11], lines[10]
    write_lines(path, lines)
    code, out = verify_cli(path, capsys)
    assert code == 1 and out.startswith("FAILED at seq 11 (line 11):")


def test_duplicated_line_is_caught(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.jsonl"
    make_log(path)
    lines = raw_lines(path)
    lines.insert(5, lines[4])
    write_lines(path, lines)
    code, out = verify_cli(path, capsys)
    assert code == 1 and "FAILED at seq 6 (line 6): seq out of order: expected 6, found 5" in out


def test_prev_hash_break_is_caught(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Replacing one event by a self-consistent forgery still breaks the link to its predecessor."""
    path = tmp_path / "a.jsonl"
    make_log(path, key=None, every=None)
    lines = raw_lines(path)
    ev = orjson.loads(lines[3])
    ev.pop("hash")
    ev["prev_hash"] = "sha256:" + "1" * 64
    ev["n"] = 999
    canonical = canonical_json(ev)
    lines[3] = splice_hash(canonical, chain_hash(ev["prev_hash"], canonical))
    write_lines(path, lines)
    code, out = verify_cli(path, capsys)
    assert code == 1 and out.startswith("FAILED at seq 4 (line 4): prev_hash does not match")


def test_truncation_after_a_checkpoint_needs_key_and_expect_closed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "a.jsonl"
    make_log(path)
    lines = raw_lines(path)
    cut = [i for i, raw in enumerate(lines) if b'"audit.checkpoint"' in raw][2]  # a non-final checkpoint
    write_lines(path, lines[: cut + 1])
    last_seq = orjson.loads(lines[cut])["seq"]
    code, out = verify_cli(path, capsys, "--key-env", "SE_TEST_AUDIT_KEY", "--expect-closed")
    assert code == 1
    assert out.startswith(f"FAILED at seq {last_seq + 1} (line {cut + 2}): log ends at seq {last_seq} without a final")
    # The documented limit: without --expect-closed a truncated tail looks like a shorter log.
    assert verify_cli(path, capsys, "--key-env", "SE_TEST_AUDIT_KEY")[0] == 0


def test_rewritten_chain_is_caught_by_the_signed_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.jsonl"
    make_log(path)
    events = [orjson.loads(raw) for raw in raw_lines(path)]
    events[5]["n"] = 12345  # seq 6; the next checkpoint is seq 10
    write_lines(path, rechain(events))
    assert verify_cli(path, capsys)[0] == 0  # without the key a full rewrite is undetectable
    code, out = verify_cli(path, capsys, "--key-env", "SE_TEST_AUDIT_KEY")
    assert code == 1 and out.startswith("FAILED at seq 10 (line 10): checkpoint signature is invalid")


def test_stripped_checkpoints_and_forged_final_are_caught(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.jsonl"
    make_log(path)
    events = [orjson.loads(raw) for raw in raw_lines(path)]
    plain = [e for e in events if e["event"] != "audit.checkpoint"]
    write_lines(path, rechain(plain))
    code, out = verify_cli(path, capsys, "--key-env", "SE_TEST_AUDIT_KEY")
    assert code == 1 and "no checkpoint" in out
    # keep the first checkpoint (signed interval 4), strip the rest: the gap rule catches it
    first_cp = next(i for i, e in enumerate(events) if e["event"] == "audit.checkpoint")
    kept = events[: first_cp + 1] + [e for e in events[first_cp + 1 :] if e["event"] != "audit.checkpoint"]
    write_lines(path, rechain(kept))
    code, out = verify_cli(path, capsys, "--key-env", "SE_TEST_AUDIT_KEY")
    assert code == 1 and "FAILED at seq 10 (line 10): missing checkpoint: 5 events since the last one" in out
    # flip the last (final) checkpoint's flag to hide an unclean shutdown: signature no longer matches
    events[-1]["final"] = False
    write_lines(path, rechain(events))
    code, out = verify_cli(path, capsys, "--key-env", "SE_TEST_AUDIT_KEY")
    assert code == 1 and out.startswith(f"FAILED at seq {len(events)}") and "signature is invalid" in out


def test_wrong_key_is_reported_as_such(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.jsonl"
    make_log(path)
    key_file = tmp_path / "key"
    key_file.write_bytes(b"hex:" + b"ff" * 32)
    code, out = verify_cli(path, capsys, "--key-file", str(key_file))
    assert code == 1 and out.startswith("FAILED at seq 5 (line 5): checkpoint was signed with another key")


def test_partial_last_line_is_a_finding_then_recovered_on_reopen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "a.jsonl"
    make_log(path, key=None, every=None, events=10)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 40])  # cut inside the 10th line
    torn = path.read_bytes()[path.read_bytes().rindex(b"\n") + 1 :]
    code, out = verify_cli(path, capsys)
    assert code == 0, out
    assert "finding: line 10: partial last line" in out and "not yet recovered" in out
    code, out = verify_cli(path, capsys, "--expect-closed")
    assert code == 1 and out.startswith("FAILED at seq 10 (line 10): partial last line")
    # Reopening preserves the torn bytes, records them in log.recovered and continues the chain.
    with AuditLog(path) as log:
        log.lifecycle("sandbox.started", CTX)
    lines = raw_lines(path)
    assert len(lines) == 12 and lines[9] == torn + b"\n"
    recovered = orjson.loads(lines[10])
    assert recovered["event"] == "log.recovered" and recovered["seq"] == 10
    assert recovered["torn_bytes"] == len(torn)
    assert recovered["torn_sha256"] == "sha256:" + hashlib.sha256(torn).hexdigest()
    assert orjson.loads(lines[11])["seq"] == 11
    code, out = verify_cli(path, capsys)
    assert code == 0, out
    assert "finding: line 10: torn write of" in out and "recovered by log.recovered at seq 10 (line 11)" in out
    # The finding names the bytes: changing the torn line breaks the match, and verify fails there.
    lines[9] = b"X" + lines[9][1:]
    write_lines(path, lines)
    code, out = verify_cli(path, capsys)
    assert code == 1 and out.startswith("FAILED at seq 10 (line 10)")


CRASHER = textwrap.dedent(
    """
    import os, sys
    from secure_exec.audit import AuditContext, AuditLog
    log = AuditLog(sys.argv[1], hmac_key=sys.argv[2].encode(), checkpoint_every=4)
    for i in range(7):  # a checkpoint after 4 events, then 3 unanchored ones
        log.lifecycle("plugin.loaded", AuditContext(session_id="s"), n=i)
    os._exit(0)  # no close(): no final checkpoint
    """
)


def test_restart_after_a_crash_keeps_the_checkpoint_interval(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-c", CRASHER, str(path), KEY.decode()], env=env, check=True, timeout=60)
    assert not verify_log(path, key=KEY, expect_closed=True).ok
    with AuditLog(path, hmac_key=KEY, checkpoint_every=4) as restarted:
        for i in range(3):
            restarted.lifecycle("plugin.loaded", CTX, n=i)
    events = [orjson.loads(raw) for raw in raw_lines(path)]
    assert [e["seq"] for e in events if e["event"] == "audit.checkpoint"] == [5, 9, 13]
    result = verify_log(path, key=KEY, expect_closed=True)
    assert result.ok, result.problem


HOLDER = textwrap.dedent(
    """
    import sys, time
    from secure_exec.audit import AuditContext, AuditLog
    log = AuditLog(sys.argv[1])
    log.lifecycle("sandbox.started", AuditContext(session_id="s"))
    print("ready", flush=True)
    sys.stdin.read()  # hold the log open until the parent closes our stdin
    log.close()
    """
)


def test_a_second_process_cannot_append_to_an_open_log(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        with pytest.raises(AuditWriteError) as info:
            AuditLog(path)
        assert "another process" in str(info.value) and str(path) in str(info.value)
    finally:
        proc.communicate("", timeout=60)
    assert proc.returncode == 0
    with AuditLog(path) as log:  # free again once the holder exited
        log.lifecycle("sandbox.started", CTX)
    assert verify_log(path).ok and verify_log(path).events == 2


WRITER = textwrap.dedent(
    """
    import sys
    from secure_exec.audit import AuditContext, AuditLog
    log = AuditLog(sys.argv[1])
    ctx = AuditContext(session_id="s", plugin_id="p")
    i = 0
    while True:
        log.lifecycle("plugin.loaded", ctx, n=i, pad="x" * (i % 3000))
        i += 1
    """
)


@pytest.mark.parametrize("round_", range(3))
def test_sigkill_mid_run_leaves_a_log_that_verifies_up_to_the_last_complete_line(tmp_path: Path, round_: int) -> None:
    path = tmp_path / "a.jsonl"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], env=env)
    try:
        deadline = time.monotonic() + 30
        while (not path.exists() or path.stat().st_size < 200_000 * (round_ + 1)) and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    data = path.read_bytes()
    complete = data.count(b"\n")
    assert complete > 10
    result = verify_log(path)
    assert result.events == complete  # every complete line verifies
    assert result.ok, result.problem
    if not data.endswith(b"\n"):  # the kill landed inside a write: a finding, not a failure
        assert len(result.findings) == 1 and f"line {complete + 1}: partial last line" in result.findings[0]
