"""Rotation as part of the chain; copytruncate, deletion and replacement detected and handled."""

from __future__ import annotations

import itertools
import os
import shutil
import time
from pathlib import Path

import orjson
import pytest

from secure_exec.audit import AuditContext, AuditLog
from secure_exec.audit.signing import SigningKey
from secure_exec.audit.verify import log_files, verify_log
from secure_exec.cli import audit_cmd
from secure_exec.errors import AuditWriteError, ConfigError

CTX = AuditContext(session_id="s-1", plugin_id="acme.p")
KEY = SigningKey.generate("rotation.example")


def _events(path: Path | str) -> list[dict[str, object]]:
    return [orjson.loads(x) for x in Path(path).read_bytes().splitlines()]


def _all_seqs(directory: Path) -> list[int]:
    seqs: list[int] = []
    for f in log_files(directory):
        seqs += [int(e["seq"]) for e in _events(f)]  # type: ignore[call-overload]
    return seqs


def test_size_rotation_links_files_and_verify_proves_the_sequence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = tmp_path / "logs"
    d.mkdir()
    path = d / "audit.jsonl"
    with AuditLog(path, sign_key=KEY, checkpoint_every=10, rotate_bytes=8192) as log:
        for i in range(120):
            log.lifecycle("plugin.loaded", CTX, n=i, pad="p" * 40)
    files = log_files(d)
    assert len(files) >= 4 and files[-1] == str(path)
    for older, newer in itertools.pairwise(files):
        first = _events(newer)[0]
        last = _events(older)[-1]
        assert first["event"] == "log.continued" and first["reason"] == "rotated"
        assert first["previous_last_hash"] == last["hash"] == first["prev_hash"]
        assert first["previous_file"] == os.path.basename(older)
        assert last["event"] == "audit.checkpoint"  # every rotated file ends anchored by a signature
    assert _all_seqs(d) == list(range(1, len(_all_seqs(d)) + 1))
    result = verify_log(d, public_key=KEY.verifier, expect_closed=True)
    assert result.ok and result.closed, result.problem
    assert verify_log(str(d / "audit.jsonl*"), public_key=KEY.verifier, expect_closed=True).ok
    assert audit_cmd.main(["verify", str(d / "audit.jsonl*"), "--expect-closed"]) == 0
    capsys.readouterr()
    # One rotated file alone verifies as a continuation (and says so) ...
    alone = verify_log(files[1], public_key=KEY.verifier)
    assert alone.ok and any("continues a previous one" in n for n in alone.notes)
    # ... but a missing file in the middle or at the start breaks the sequence.
    os.rename(files[1], tmp_path / "moved-away")
    broken = verify_log(d, public_key=KEY.verifier)
    assert not broken.ok and broken.problem is not None and "seq gap" in broken.problem.what
    os.rename(tmp_path / "moved-away", files[1])
    os.unlink(files[0])
    broken = verify_log(d, public_key=KEY.verifier)
    assert not broken.ok and broken.problem is not None and "are missing" in broken.problem.what
    assert audit_cmd.main(["verify", str(d)]) == 1
    assert f"({os.path.basename(files[1])} line 1)" in capsys.readouterr().out


def test_time_rotation(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    with AuditLog(path, rotate_seconds=0.05) as log:
        log.lifecycle("plugin.loaded", CTX, n=1)
        time.sleep(0.08)
        log.lifecycle("plugin.loaded", CTX, n=2)  # due: rotated after this event
        log.lifecycle("plugin.loaded", CTX, n=3)
    assert len(log_files(tmp_path)) == 2
    assert [e["event"] for e in _events(path)] == ["log.continued", "plugin.loaded"]
    assert verify_log(tmp_path).ok


def test_copytruncate_mid_run_is_detected_and_chained(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, sign_key=KEY, checkpoint_every=20)
    for i in range(30):
        log.lifecycle("plugin.loaded", CTX, n=i)
    shutil.copyfile(path, tmp_path / "audit.jsonl.1")  # what logrotate's copytruncate does
    os.truncate(path, 0)
    for i in range(30, 40):
        log.lifecycle("plugin.loaded", CTX, n=i)
    log.close()
    first = _events(path)[0]
    assert first["event"] == "log.continued" and first["reason"] == "truncated"
    assert first["previous_last_seq"] == 31  # 30 events + the checkpoint at 20 events
    result = verify_log(tmp_path, public_key=KEY.verifier, expect_closed=True)
    assert result.ok, result.problem
    assert sum(e["event"] == "plugin.loaded" for f in log_files(tmp_path) for e in _events(f)) == 40


def test_deleted_log_is_salvaged_and_nothing_is_lost(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, file_check_interval=0.05)
    for i in range(10):
        log.lifecycle("plugin.loaded", CTX, n=i)
    os.unlink(path)
    deadline = time.monotonic() + 0.2
    n = 10
    while time.monotonic() < deadline:  # events keep coming while the deletion is not yet seen
        log.lifecycle("plugin.loaded", CTX, n=n)
        n += 1
    log.lifecycle("plugin.loaded", CTX, n=n)
    log.close()
    salvaged = [f for f in os.listdir(tmp_path) if ".salvaged-" in f]
    assert len(salvaged) == 1
    link = _events(path)[0]
    assert link["event"] == "log.continued" and link["reason"] == "deleted"
    assert link["previous_file"] == salvaged[0]
    loaded = [e["n"] for f in log_files(tmp_path) for e in _events(f) if e["event"] == "plugin.loaded"]
    assert loaded == list(range(n + 1)), "every event is in the salvaged file or the new one"
    assert verify_log(tmp_path).ok


def test_replaced_log_is_set_aside_and_the_chain_continues(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, file_check_interval=0)
    log.lifecycle("plugin.loaded", CTX, n=0)
    os.rename(path, tmp_path / "audit.jsonl.old")  # rotated away by someone else ...
    path.write_text("not ours\n")  # ... and something else put in its place
    log.lifecycle("plugin.loaded", CTX, n=1)
    log.close()
    aside = [f for f in os.listdir(tmp_path) if ".foreign-" in f]
    assert len(aside) == 1 and (tmp_path / aside[0]).read_text() == "not ours\n"
    link = _events(path)[0]
    assert link["event"] == "log.continued" and link["reason"] == "replaced" and link["set_aside"] == aside[0]
    assert verify_log(tmp_path).ok


def test_fail_mode_refuses_every_event_after_a_file_change(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, on_file_change="fail", file_check_interval=0)
    log.lifecycle("plugin.loaded", CTX, n=0)
    os.unlink(path)
    for _ in range(2):
        with pytest.raises(AuditWriteError, match="was deleted while open"):
            log.lifecycle("plugin.loaded", CTX, n=1)
    log.close()
    with pytest.raises(ConfigError):
        AuditLog(tmp_path / "b.jsonl", on_file_change="ignore")
    with pytest.raises(ConfigError):
        AuditLog(tmp_path / "b.jsonl", rotate_bytes=10)
