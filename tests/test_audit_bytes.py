"""verify checks the bytes on disk: a line must be exactly the canonical text its hash covers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secure_exec.audit import AuditContext, AuditLog
from secure_exec.audit.verify import verify_log

CTX = AuditContext(session_id="s-1", plugin_id="acme.p", call_id="c-1")


class Deny:
    decision = "deny"
    reason = "no rule allows it"


def _log(path: Path) -> list[bytes]:
    with AuditLog(path) as log:
        log.lifecycle("sandbox.started", CTX)
        log.decision(CTX, capability="fs", op="read", resource="/etc/shadow", resource_requested=None,
                     decision=Deny())
        log.lifecycle("sandbox.stopped", CTX)
    return path.read_bytes().splitlines(keepends=True)


def test_duplicate_decision_key_forgery_fails_with_its_line_number(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    lines = _log(path)
    assert verify_log(path).ok
    assert b'"decision":"deny"' in lines[1]
    # The attack from the issue: a leading duplicate that a first-key-wins reader, grep or a SIEM
    # rule takes as the decision, while a last-key-wins parser re-renders the original bytes.
    forged = lines[1].replace(b'{"call_id"', b'{"decision":"allow","call_id"', 1)
    assert forged != lines[1]
    assert json.loads(forged)["decision"] == "deny"  # last key wins: a re-rendering check passes
    first_wins = json.loads(forged, object_pairs_hook=lambda kv: dict(reversed(kv)))
    assert first_wins["decision"] == "allow"
    path.write_bytes(lines[0] + forged + lines[2])
    result = verify_log(path)
    assert not result.ok and result.problem is not None
    assert result.problem.line == 2 and result.problem.seq == 2
    assert "not canonical" in result.problem.what and "duplicate key 'decision'" in result.problem.what


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        (lambda raw: raw.replace(b'","', b'", "', 1), "whitespace"),
        (lambda raw: b" " + raw, "whitespace"),
        (lambda raw: raw.replace(b'{"call_id":"c-1",', b'{', 1).replace(b'"event":', b'"call_id":"c-1","event":', 1),
         "keys are not sorted"),
        (lambda raw: raw.replace(b'"seq":2', b'"seq":2e0', 1), "non-canonical number"),
        (lambda raw: raw.replace(b'"plugin_id":"acme.p"', b'"plugin_id":"acme\\u002ep"', 1), "string escape"),
    ],
)
def test_non_canonical_lines_fail_with_their_line_number(tmp_path: Path, edit: object, why: str) -> None:
    path = tmp_path / "a.jsonl"
    lines = _log(path)
    changed = edit(lines[1])  # type: ignore[operator]
    assert changed != lines[1] and json.loads(changed) == json.loads(lines[1])  # same values, other bytes
    path.write_bytes(lines[0] + changed + lines[2])
    result = verify_log(path)
    assert not result.ok and result.problem is not None and result.problem.line == 2
    assert "not canonical" in result.problem.what and why in result.problem.what


def test_hash_must_be_the_last_key_and_unique(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    lines = _log(path)
    moved = lines[1].replace(b'{"call_id"', b'{"hash":"x","call_id"', 1)
    path.write_bytes(lines[0] + moved + lines[2])
    result = verify_log(path)
    assert not result.ok and result.problem is not None and result.problem.line == 2
