"""Findings of an adversarial review of the audit log (issue 12), each a test that failed before its fix.

The attacker can edit the log file and knows the public key, not the private one.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from types import SimpleNamespace as NS
from typing import Any

import orjson

from secure_exec.audit import AuditContext, AuditLog, canonical_json, chain_hash
from secure_exec.audit.signing import load_verifier_key, write_key_pair
from secure_exec.audit.verify import verify_log

CTX = AuditContext(session_id="s1", plugin_id="p", plugin_version="1", plugin_digest="sha256:x", call_id="c")


def _log(d: Path, n: int, **kw: Any) -> tuple[Path, str, Any]:
    """A signed log of ``n`` decisions, closed; (path, the last signed checkpoint note, public key)."""
    key = d / "key"
    if not key.exists():
        write_key_pair(str(key), "test-log")
    path = d / "a.jsonl"
    log = AuditLog(path, sign_key=str(key), checkpoint_every=4, aggregate_window=None, **kw)
    for i in range(n):
        dec = NS(decision="deny" if i % 3 == 0 else "allow", enforced=True, reason="r", rule_id="r1",
                 rule_source="x", policy_digest="d")
        log.decision(CTX, capability="fs", op="read", resource=f"/srv/f{i}", resource_requested=f"f{i}",
                     decision=dec, op_id=f"o{i}")
    log.close()
    assert log.last_signed_checkpoint is not None
    return path, log.last_signed_checkpoint, load_verifier_key(str(key) + ".pub")


def _line(event: dict[str, Any], prev: str) -> bytes:
    body = canonical_json(event)
    return body[:-1] + b',"hash":"' + chain_hash(prev, body).encode() + b'"}'


def test_a_forged_recovery_after_the_last_checkpoint_is_caught(tmp_path: Path) -> None:
    path, note, pub = _log(tmp_path, 10)
    lines = path.read_bytes().splitlines()
    last = orjson.loads(lines[-1])
    fake = dict(orjson.loads(lines[1]))
    fake.update(seq=99, decision="allow", resource="/etc/shadow", event_id="f" * 32)
    region = orjson.dumps(fake, option=orjson.OPT_SORT_KEYS)
    rec = {k: last[k] for k in ("schema", "schema_version", "session_id", "plugin_id", "plugin_version",
                                "plugin_digest", "call_id", "ts")}
    rec.update(event="log.recovered", event_id="e" * 32, seq=last["seq"] + 1,
               reason="opened after an interrupted write", torn_bytes=len(region),
               torn_sha256="sha256:" + hashlib.sha256(region).hexdigest())
    rec["prev_hash"] = last["hash"]
    with path.open("ab") as fh:
        fh.write(region + b"\n" + _line(rec, last["hash"]) + b"\n")
    r = verify_log(path, public_key=pub, trusted_checkpoint=note)
    assert not r.ok and "signed checkpoint" in r.problem.what  # type: ignore[union-attr]


def test_an_event_appended_without_a_newline_is_not_a_torn_write(tmp_path: Path) -> None:
    path, note, pub = _log(tmp_path, 6)
    lines = path.read_bytes().splitlines()
    with path.open("ab") as fh:
        fh.write(lines[1])  # a whole event, only its newline missing
    assert not verify_log(path, public_key=pub, trusted_checkpoint=note).ok
    assert not verify_log(path, public_key=pub, expect_closed=True).ok


def test_a_directory_must_prove_the_chain_from_seq_1(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    _path, note, pub = _log(logs, 40, rotate_bytes=4096)
    assert verify_log(logs, public_key=pub, trusted_checkpoint=note, expect_closed=True).ok
    rotated = [p for p in logs.iterdir() if p.name.startswith("a.jsonl.")]
    assert rotated
    for p in rotated:
        os.unlink(p)
    r = verify_log(logs, public_key=pub, trusted_checkpoint=note, expect_closed=True)
    assert not r.ok and "missing" in r.problem.what  # type: ignore[union-attr]


def test_the_next_writer_never_adopts_events_forged_after_a_final_checkpoint(tmp_path: Path) -> None:
    path, _note, pub = _log(tmp_path, 6)
    last = orjson.loads(path.read_bytes().splitlines()[-1])
    assert last["final"] is True
    forged = dict(orjson.loads(path.read_bytes().splitlines()[1]))
    forged.update(seq=last["seq"] + 1, prev_hash=last["hash"], resource="/etc/FORGED", event_id="f" * 32)
    forged.pop("hash")
    with path.open("ab") as fh:
        fh.write(_line(forged, last["hash"]) + b"\n")
    _path, note2, _pub = _log(tmp_path, 3)  # the next writer opens the same log and goes on
    r = verify_log(path, public_key=pub, trusted_checkpoint=note2, expect_closed=True)
    events = [orjson.loads(x) for x in path.read_bytes().splitlines() if x.strip()]
    signed_forgery = r.ok and not r.findings and any(e.get("resource") == "/etc/FORGED" for e in events)
    assert not signed_forgery
    recovered = [e for e in events if e.get("event") == "log.recovered"]
    assert recovered and recovered[0]["seq"] == last["seq"] + 1  # the forged bytes are hashed, not chained on


def test_every_url_in_a_text_is_redacted() -> None:
    from secure_exec.audit.sanitize import redact_url

    assert redact_url("https://a.test/?next=https://u2:pw2@b.test/") == "https://a.test/?next=https://REDACTED@b.test/"
    assert redact_url("https://a.test/,https://u:pw@b.test/") == "https://a.test/,https://REDACTED@b.test/"
    assert "HUNTER2" not in redact_url("POST https://svc:HUNTER2@c.test/v1?api_key=K1 failed")
    assert redact_url("POST https://svc:HUNTER2@c.test/v1?api_key=K1 failed").endswith(" failed")


def test_a_failing_sinks_error_is_redacted_in_the_log() -> None:
    class Leaky:
        name = "otlp https://svc:HUNTER2@collector.test/v1/logs?api_key=K1"

        def write(self, event: Any, line: bytes) -> None:
            raise OSError("POST https://svc:HUNTER2@collector.test/v1/logs?api_key=K1 failed")

        def close(self) -> None:
            pass

    log = AuditLog(None, sinks=[Leaky()])
    dec = NS(decision="allow", enforced=True, reason="r", rule_id="r1", rule_source="x", policy_digest="d")
    log.decision(CTX, capability="fs", op="read", resource="/x", resource_requested="/x", decision=dec, op_id="o1")
    log.decision(CTX, capability="fs", op="read", resource="/y", resource_requested="/y", decision=dec, op_id="o2")
    assert log.memory is not None
    text = orjson.dumps([dict(e) for e in log.memory.events]).decode()
    assert "sink_failed" in text and "HUNTER2" not in text and "K1" not in text


def test_counted_repeats_fail_closed_when_the_log_is_gone(tmp_path: Path) -> None:
    """Review finding: with on_file_change='fail', 1,000 repeated allowed reads succeeded after the file was deleted."""
    import pytest

    from secure_exec.errors import AuditWriteError

    path = tmp_path / "a.jsonl"
    log = AuditLog(path, on_file_change="fail", file_check_interval=0)
    dec = NS(decision="allow", enforced=True, reason="r", rule_id="r1", rule_source="x", policy_digest="d")

    def read() -> str:
        return log.decision(CTX, capability="fs", op="read", resource="/x", resource_requested="/x", decision=dec,
                            op_id="o")

    read()
    read()  # a counted repeat
    os.unlink(path)
    with pytest.raises(AuditWriteError):
        for _ in range(1000):
            read()


def test_both_query_engines_skip_an_unterminated_last_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    path, _note, _pub = _log(tmp_path, 6)
    with path.open("ab") as fh:
        fh.write(path.read_bytes().splitlines()[2])  # a copied allow, no newline
    exe = Path(sys.executable).parent / "secure-exec"

    def report(engine: str) -> str:
        r = subprocess.run([str(exe), "audit", "report", str(path), "--engine", engine], capture_output=True,
                           text=True, timeout=120)
        return r.stdout

    assert report("auto") == report("python")


def test_an_hmac_checkpoints_own_time_cannot_be_edited(tmp_path: Path) -> None:
    """Issue 12: with an HMAC key, editing the final checkpoint's timestamp was never caught."""
    key = b"k" * 32
    path = tmp_path / "h.jsonl"
    log = AuditLog(path, hmac_key=key, checkpoint_every=4, aggregate_window=None)
    dec = NS(decision="allow", enforced=True, reason="r", rule_id="r1", rule_source="x", policy_digest="d")
    for i in range(6):
        log.decision(CTX, capability="fs", op="read", resource=f"/f{i}", resource_requested=f"f{i}", decision=dec,
                     op_id=f"o{i}")
    log.close()
    assert verify_log(path, key=key, expect_closed=True).ok
    lines = path.read_bytes().splitlines()
    final = orjson.loads(lines[-1])
    assert final["final"] is True
    prev = orjson.loads(lines[-2])["hash"]
    final["ts"] = "2020-01-01T00:00:00.000000Z"
    final.pop("hash")
    lines[-1] = _line(final, prev)  # chain recomputed, as an attacker without the key can
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert not verify_log(path, key=key, expect_closed=True).ok
