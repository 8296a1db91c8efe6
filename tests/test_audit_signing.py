"""Ed25519 signed checkpoints (C2SP signed note): keys, CLI, and the tamper matrix in docs/audit.md."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from secure_exec.audit import GENESIS_HASH, AuditContext, AuditLog, canonical_json, chain_hash
from secure_exec.audit.chain import splice_hash
from secure_exec.audit.signing import (
    SigningKey,
    load_verifier_key,
    open_note,
    parse_checkpoint_text,
    parse_signing_key,
    parse_verifier_key,
    sign_note,
)
from secure_exec.audit.verify import verify_log
from secure_exec.cli import audit_cmd
from secure_exec.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "audit.md"
CTX = AuditContext(session_id="s-1", plugin_id="acme.p", call_id="c-1")


def test_key_and_note_format_match_the_go_sumdb_note_test_vector() -> None:
    # The example key and note from golang.org/x/mod/sumdb/note's documentation: Ed25519 is
    # deterministic, so the same key and text must give exactly the published signature.
    skey = parse_signing_key("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")
    assert skey.verifier.text() == "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    note = sign_note(skey, text)
    assert note == text + (
        "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6Ryy"
        "BwJnAM=\n"
    )
    vkey = parse_verifier_key("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
    assert open_note(vkey, note) == (text, "")
    assert open_note(vkey, note.replace("cryptography", "Cryptography"))[0] is None
    other = SigningKey.generate("PeterNeumann").verifier
    assert open_note(other, note) == (None, "signed with another key of the same name")
    with pytest.raises(ConfigError):
        parse_verifier_key("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")  # wrong hash


def test_keygen_run_and_verify_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "audit.key"
    assert audit_cmd.main(["keygen", str(key), "--name", "ci.example"]) == 0
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    pub = Path(str(key) + ".pub")
    assert capsys.readouterr().out.splitlines()[-1] == pub.read_text().strip()
    assert audit_cmd.main(["keygen", str(key)]) == 2  # never overwrites a private key
    assert "refusing to overwrite" in capsys.readouterr().err

    log_path = tmp_path / "run.jsonl"
    script = tmp_path / "p.js"
    script.write_text("require('fs').existsSync('/nope'); console.log('done')\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [sys.executable, "-m", "secure_exec.cli.main", "run", "--audit-log", str(log_path), "--audit-sign-key",
         str(key), str(script)],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stderr
    code = audit_cmd.main(["verify", str(log_path), "--public-key", str(pub), "--expect-closed"])
    out = capsys.readouterr().out
    assert code == 0 and "closed cleanly" in out and "signature(s) verified" in out, out
    assert audit_cmd.main(["checkpoint", str(log_path), "--public-key", str(pub)]) == 0
    note = capsys.readouterr().out
    text, _ = open_note(load_verifier_key(pub), note)
    assert text is not None and text.startswith("ci.example\n")
    cp = parse_checkpoint_text(text)
    assert cp is not None and cp.final
    stored = tmp_path / "latest.note"
    stored.write_text(note)
    assert audit_cmd.main(["verify", str(log_path), "--public-key", str(pub), "--checkpoint", str(stored)]) == 0
    lines = log_path.read_bytes().splitlines(keepends=True)
    log_path.write_bytes(b"".join(lines[:-1]))  # drop the final checkpoint
    assert audit_cmd.main(["verify", str(log_path), "--public-key", str(pub), "--checkpoint", str(stored)]) == 1
    assert "truncated" in capsys.readouterr().out


def test_env_var_signs_the_runtime_default_log(tmp_path: Path) -> None:
    key = SigningKey.generate("env.example")
    key_path = tmp_path / "k"
    key_path.write_text(key.text())
    log = AuditLog.from_env({"SECURE_EXEC_AUDIT_LOG": str(tmp_path / "a.jsonl"),
                             "SECURE_EXEC_AUDIT_SIGN_KEY": str(key_path)})
    log.lifecycle("sandbox.started", CTX)
    log.close()
    result = verify_log(tmp_path / "a.jsonl", public_key=key.verifier, expect_closed=True)
    assert result.ok and result.signed_checkpoints_checked == 1, result.problem
    with pytest.raises(ConfigError):
        AuditLog.from_env({"SECURE_EXEC_AUDIT_SIGN_KEY": str(key_path)})
    with pytest.raises(ConfigError):
        AuditLog(None, sign_key=key, hmac_key=b"k" * 32)


# -- the tamper matrix -------------------------------------------------------------------------------

SIGNER = SigningKey.generate("matrix.example")


def _genuine(path: Path) -> str:
    """10 events, checkpoints at seq 5 and 10, events 11-12, final checkpoint 13; returns its note."""
    with AuditLog(path, sign_key=SIGNER, checkpoint_every=4) as log:
        for i in range(10):
            log.lifecycle("plugin.loaded", CTX, n=i)
    note = log.last_signed_checkpoint
    assert note is not None
    return note


def _rechain(events: list[dict[str, Any]]) -> bytes:
    """What an attacker without the private key does: renumber, re-anchor and recompute every hash."""
    prev, out = GENESIS_HASH, []
    for seq, ev in enumerate(events, start=1):
        ev = {k: v for k, v in ev.items() if k != "hash"}
        ev["seq"], ev["prev_hash"] = seq, prev
        if ev["event"] == "audit.checkpoint":
            ev["covers_seq"], ev["covers_hash"] = seq - 1, prev
        canonical = canonical_json(ev)
        prev = chain_hash(prev, canonical)
        out.append(splice_hash(canonical, prev))
    return b"".join(out)


def _events(data: bytes) -> list[dict[str, Any]]:
    return [orjson.loads(x) for x in data.splitlines()]


def _edit_field(data: bytes) -> bytes:
    return data.replace(b'"n":3', b'"n":4', 1)


def _edit_rechained(data: bytes) -> bytes:
    evs = _events(data)
    evs[3]["n"] = 99
    return _rechain(evs)


def _delete_rechained(data: bytes) -> bytes:
    evs = _events(data)
    del evs[2]
    return _rechain(evs)


def _reorder_rechained(data: bytes) -> bytes:
    evs = _events(data)
    evs[1], evs[2] = evs[2], evs[1]
    return _rechain(evs)


def _insert_rechained(data: bytes) -> bytes:
    evs = _events(data)
    evs.insert(7, {**evs[6], "event_id": "f" * 32, "n": 1000})
    return _rechain(evs)


def _append_forged(data: bytes) -> bytes:
    evs = _events(data)
    return _rechain([*evs, {**evs[0], "event": "plugin.loaded", "n": 1001}])


def _strip_checkpoints(data: bytes) -> bytes:
    return _rechain([e for e in _events(data) if e["event"] != "audit.checkpoint"])


def _truncate_mid(data: bytes) -> bytes:
    return b"".join(data.splitlines(keepends=True)[:11])


def _truncate_at_checkpoint(data: bytes) -> bytes:
    return b"".join(data.splitlines(keepends=True)[:10])  # ends with the signed (non-final) checkpoint 10


def _edit_final_checkpoint_time(data: bytes) -> bytes:
    evs = _events(data)
    evs[-1]["ts"] = evs[-1]["ts"].replace("Z", "").rsplit(".", 1)[0] + ".000000Z"
    return _rechain(evs)


def _checkpoint_from_another_log(data: bytes) -> bytes:
    evs = _events(data)
    forged = SigningKey.generate("matrix.example")  # same name, attacker's own key
    evs[-1]["signed_note"] = sign_note(forged, open_note(SIGNER.verifier, "\n".join(evs[-1]["signed_note"]) + "\n")[0]
                                       or "").rstrip("\n").split("\n")
    return _rechain(evs)


def _duplicate_key(data: bytes) -> bytes:
    lines = data.splitlines(keepends=True)
    lines[2] = lines[2].replace(b'{"call_id"', b'{"n":0,"call_id"', 1)
    return b"".join(lines)


EDITS: dict[str, Callable[[bytes], bytes] | None] = {
    "none (genuine log)": None,
    "field edited in place": _edit_field,
    "field edited, chain recomputed": _edit_rechained,
    "line deleted, chain recomputed": _delete_rechained,
    "lines reordered, chain recomputed": _reorder_rechained,
    "event inserted, chain recomputed": _insert_rechained,
    "event appended after the final checkpoint": _append_forged,
    "checkpoints stripped, chain recomputed": _strip_checkpoints,
    "tail truncated between checkpoints": _truncate_mid,
    "tail truncated at a checkpoint boundary": _truncate_at_checkpoint,
    "final checkpoint's time edited, hash recomputed": _edit_final_checkpoint_time,
    "final checkpoint re-signed with another key": _checkpoint_from_another_log,
    "duplicate key inserted (first-key-wins forgery)": _duplicate_key,
    "torn tail from a crash, then reopened": None,
}
MODES = ("no key", "--expect-closed", "--public-key", "--public-key --expect-closed", "--public-key --checkpoint")
EXPECTED: dict[str, str] = {  # one letter per mode: o = verifies, X = fails, f = verifies with a finding
    "none (genuine log)": "ooooo",
    "field edited in place": "XXXXX",
    "field edited, chain recomputed": "ooXXX",
    "line deleted, chain recomputed": "ooXXX",
    "lines reordered, chain recomputed": "ooXXX",
    "event inserted, chain recomputed": "ooXXX",
    "event appended after the final checkpoint": "oXoXX",
    "checkpoints stripped, chain recomputed": "oXXXX",
    "tail truncated between checkpoints": "oXoXX",
    "tail truncated at a checkpoint boundary": "oXoXX",
    "final checkpoint's time edited, hash recomputed": "ooXXX",
    "final checkpoint re-signed with another key": "ooXXX",
    "duplicate key inserted (first-key-wins forgery)": "XXXXX",
    "torn tail from a crash, then reopened": "fffff",
}
_SYMBOL = {"o": "passes", "X": "**fails**", "f": "passes, finding"}


def _verdict(path: Path, mode: str, note: str) -> str:
    pub = SIGNER.verifier if "--public-key" in mode else None
    result = verify_log(path, public_key=pub, expect_closed="--expect-closed" in mode,
                        trusted_checkpoint=note if "--checkpoint" in mode else None)
    if not result.ok:
        return "X"
    return "f" if result.findings else "o"


def _matrix(tmp_path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for i, (name, edit) in enumerate(EDITS.items()):
        path = tmp_path / f"m{i}.jsonl"
        note = _genuine(path)
        if name.startswith("torn tail"):
            data = path.read_bytes()
            path.write_bytes(data[: len(data) - 30])  # a cut inside the final checkpoint
            with AuditLog(path, sign_key=SIGNER, checkpoint_every=4) as log:
                log.lifecycle("sandbox.started", CTX)
            note = log.last_signed_checkpoint or ""
        elif edit is not None:
            data = path.read_bytes()
            changed = edit(data)
            assert changed != data, name
            path.write_bytes(changed)
        out[name] = "".join(_verdict(path, mode, note) for mode in MODES)
    return out


def render_table(matrix: dict[str, str]) -> str:
    head = "| edit | " + " | ".join(f"`{m}`" for m in MODES) + " |\n"
    head += "|---" * (len(MODES) + 1) + "|\n"
    rows = "".join(f"| {name} | " + " | ".join(_SYMBOL[c] for c in v) + " |\n" for name, v in matrix.items())
    return head + rows


BEGIN, END = "<!-- tamper-matrix:begin -->\n", "<!-- tamper-matrix:end -->\n"


def test_tamper_matrix(tmp_path: Path) -> None:
    matrix = _matrix(tmp_path)
    assert matrix == EXPECTED
    table = render_table(matrix)
    doc = DOC.read_text()
    if os.environ.get("SE_WRITE_AUDIT_TABLE") == "1":  # regenerate: SE_WRITE_AUDIT_TABLE=1 pytest this file
        start, stop = doc.index(BEGIN) + len(BEGIN), doc.index(END)
        DOC.write_text(doc[:start] + table + doc[stop:])
        doc = DOC.read_text()
    assert BEGIN + table + END in doc, "docs/audit.md's tamper matrix is stale: rerun with SE_WRITE_AUDIT_TABLE=1"


def test_a_cli_log_without_a_key_can_be_checked_for_clean_close(tmp_path: Path) -> None:
    """`run --audit-log F` ends the log with a final checkpoint, so --expect-closed tells a cleanly
    closed log from a truncated one (the issue: every CLI log was reported as "truncated")."""
    log_path = tmp_path / "run.jsonl"
    script = tmp_path / "p.js"
    script.write_text("console.log(require('fs').existsSync('/nope'))\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run([sys.executable, "-m", "secure_exec.cli.main", "run", "--audit-log", str(log_path),
                          str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert verify_log(log_path, expect_closed=True).ok
    lines = log_path.read_bytes().splitlines(keepends=True)
    log_path.write_bytes(b"".join(lines[:-2]))
    assert not verify_log(log_path, expect_closed=True).ok
