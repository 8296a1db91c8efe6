"""`secure-exec audit` subcommands on real logs, including hostile ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import attrs
import orjson
import pytest

from secure_exec.audit import AuditContext, AuditLog
from secure_exec.cli import audit_cmd
from secure_exec.cli import main as root_cli
from secure_exec.testing import audit_events, capture_audit  # noqa: F401 - audit_events is a fixture

REPO = Path(__file__).resolve().parents[1]
KEY = b"k" * 32


@attrs.frozen
class Dec:
    decision: str = "allow"
    enforced: bool = True
    reason: str = "preset read-data grants /srv/**"
    rule_id: str = "preset:read-data#1"
    rule_source: str = "preset"
    policy_digest: str = "sha256:" + "9e" * 32


THUMB = AuditContext(session_id="s-1", plugin_id="acme.thumb", plugin_version="1.4.0", call_id="c-1")
FETCH = AuditContext(session_id="s-2", plugin_id="acme.fetch", plugin_version="0.2.0", call_id="c-9")
DENY = Dec(decision="deny", reason="no rule matched", rule_id="", rule_source="default")


def build_log(path: Path) -> dict[str, str]:
    ids: dict[str, str] = {}
    with AuditLog(path, hmac_key=KEY, checkpoint_every=10) as log:
        log.lifecycle("sandbox.started", THUMB)
        for i, name in enumerate(["/srv/in/a.png", "/srv/in/b.png", "/srv/in/a.png"]):
            ids.setdefault(f"read{i}", log.decision(THUMB, capability="fs", op="read", resource=name,
                                                   resource_requested=name.removeprefix("/srv/"),
                                                   decision=Dec(), op_id=f"o{i}"))
            ids[f"read{i}-out"] = log.outcome(THUMB, capability="fs", op="read", resource=name, status="ok",
                                              error_code=None, duration_ms=0.25, bytes_out=1024, op_id=f"o{i}")
        log.decision(THUMB, capability="fs", op="write", resource="/srv/out/a.png", resource_requested=None,
                     decision=Dec(), op_id="o5")
        log.outcome(THUMB, capability="fs", op="write", resource="/srv/out/a.png", status="error",
                    error_code="ENOSPC", duration_ms=1.0, bytes_in=99, op_id="o5")
        ids["deny"] = log.decision(THUMB, capability="fs", op="read", resource="/etc/shadow",
                                   resource_requested="../../etc/shadow", decision=DENY, op_id="o6")
        log.decision(THUMB, capability="fs", op="read", resource="/etc/shadow", resource_requested=None,
                     decision=DENY, op_id="o7")
        ids["net"] = log.decision(FETCH, capability="net", op="http", resource="https://api.test:443",
                                  resource_requested="https://api.test/v1", decision=Dec(rule_id="config#3",
                                  rule_source="config"), resolved_ips=["192.0.2.10"], op_id="n1")
        log.outcome(FETCH, capability="net", op="http", resource="https://api.test:443", status="ok",
                    error_code=None, duration_ms=12.5, bytes_in=10, bytes_out=2048, op_id="n1")
        log.decision(FETCH, capability="env", op="read", resource="HOME", resource_requested=None,
                     decision=Dec(decision="deny", enforced=False, reason="audit mode"), op_id="e1")
        log.decision(FETCH, capability="process", op="spawn", resource="/usr/bin/git", resource_requested="git",
                     decision=Dec(), op_id="p1")
        log.lifecycle("limit.exceeded", FETCH, limit="time", reason="deadline 5000 ms")
        log.lifecycle("sandbox.stopped", THUMB)
    return ids


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "audit.jsonl"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = audit_cmd.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_query_filters_and_formats(log_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build_log(log_path)
    code, out, _ = run(capsys, "query", str(log_path), "--plugin", "acme.thumb", "--decision", "deny")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["resource"] for r in rows] == ["/etc/shadow", "/etc/shadow"]
    code, out, _ = run(capsys, "query", str(log_path), "--capability", "fs", "--op", "read",
                       "--resource", "/srv/in/*", "--format", "table")
    assert code == 0
    body = out.splitlines()[2:]
    assert len(body) == 6 and all("/srv/in/" in row for row in body)  # 3 decisions + 3 outcomes
    code, out, _ = run(capsys, "query", str(log_path), "--plugin", "acme.*", "--event", "plugin.*")
    assert code == 0 and out == ""
    events = [orjson.loads(line) for line in log_path.read_bytes().splitlines()]
    middle = events[8]["ts"]
    code, out, _ = run(capsys, "query", str(log_path), "--since", middle, "--limit", "3")
    assert code == 0
    seqs = [json.loads(line)["seq"] for line in out.splitlines()]
    assert seqs == [e["seq"] for e in events if e["ts"] >= middle][-3:]
    code, out, _ = run(capsys, "query", str(log_path), "--until", "2000-01-01T00:00:00Z")
    assert code == 0 and out == ""
    code, _, err = run(capsys, "query", str(log_path), "--since", "yesterday")
    assert code == 2 and "RFC 3339" in err


def test_report_counts(log_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build_log(log_path)
    code, out, _ = run(capsys, "report", str(log_path))
    assert code == 0
    table = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.startswith("acme.")}
    assert table["acme.thumb"] == ["4", "2", "0", "0", "1"]  # allow, deny, audit-deny, absent, errors
    assert table["acme.fetch"] == ["2", "0", "1", "0", "0"]
    assert "2      fs          read  /etc/shadow" in out
    assert "time   deadline 5000 ms" in out


def test_explain_decision_and_outcome(log_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = build_log(log_path)
    code, out, _ = run(capsys, "explain", str(log_path), ids["net"])
    assert code == 0
    assert "decision    allow" in out and "rule        config#3  source config" in out
    assert "policy      sha256:" + "9e" * 32 in out and "resolved    [\"192.0.2.10\"]" in out
    assert "outcome     ok  12.5 ms  in 10 B  out 2048 B" in out
    code, out, _ = run(capsys, "explain", str(log_path), ids["read0-out"][:10])  # from the outcome, by prefix
    assert code == 0 and "request     fs.read /srv/in/a.png" in out and "(seq 3," in out
    code, out, _ = run(capsys, "explain", str(log_path), ids["deny"])
    assert "decision    deny" in out and "source default" in out and "refused" in out
    code, out, _ = run(capsys, "explain", str(log_path), "0" * 32)
    assert code == 1 and "no event" in out


def test_suggest_policy_is_minimal_valid_toml(log_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build_log(log_path)
    code, out, _ = run(capsys, "suggest-policy", str(log_path))
    assert code == 0
    rules = tomllib.loads(out)["rules"]
    got = {(r["capability"], tuple(r.get("ops", ()))): r for r in rules}
    assert got[("fs", ("read",))]["paths"] == ["/srv/in/a.png", "/srv/in/b.png"]
    assert got[("fs", ("write",))]["paths"] == ["/srv/out/a.png"]
    assert got[("network", ("http",))]["urls"] == ["https://api.test:443"]
    assert got[("env", ("read",))]["names"] == ["HOME"]  # audit-mode deny: it went ahead, so it is needed
    (spawn,) = [r for r in rules if r["capability"] == "child_process"]
    assert spawn["executable"] == "/usr/bin/git" and "ops" not in spawn
    assert all(r["effect"] == "allow" and r["id"].startswith("suggested-") for r in rules)
    assert not any("/etc/shadow" in str(r) for r in rules)  # enforced denials are not "used"
    code, out, _ = run(capsys, "suggest-policy", str(log_path), "--plugin", "acme.fetch")
    assert {r["capability"] for r in tomllib.loads(out)["rules"]} == {"network", "env", "child_process"}


HOSTILE = "\x1b[2J\x1b]0;pwned\x07\u202eevil\r\n"


def test_suggested_policy_loads_in_the_policy_engine_and_allows_exactly_what_was_used(
    log_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy_mod = pytest.importorskip("secure_exec.policy.engine")
    requests = pytest.importorskip("secure_exec.policy.requests")
    build_log(log_path)
    code, out, _ = run(capsys, "suggest-policy", str(log_path))
    assert code == 0
    toml_path = tmp_path / "suggested.toml"
    toml_path.write_text(out, "utf-8")
    policy = policy_mod.Policy.from_toml(toml_path)
    fs = requests.FsAccessRequest

    def allowed(request: Any) -> bool:
        return bool(policy.decide(request).allow)

    assert allowed(fs(op="read", path="/srv/in/a.png")) and allowed(fs(op="write", path="/srv/out/a.png"))
    assert not allowed(fs(op="read", path="/srv/in/c.png"))
    assert not allowed(fs(op="write", path="/srv/in/a.png"))
    assert not allowed(fs(op="read", path="/etc/shadow"))
    assert allowed(requests.EnvAccessRequest(op="read", key="HOME"))
    assert not allowed(requests.EnvAccessRequest(op="read", key="PATH"))
    assert allowed(requests.ChildProcessAccessRequest(command="/usr/bin/git"))
    assert not allowed(requests.ChildProcessAccessRequest(command="/bin/sh"))


def test_hostile_log_content_is_escaped_on_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A log written by an attacker (not through AuditLog) must not reach the terminal raw."""
    path = tmp_path / "evil.jsonl"
    ev: dict[str, Any] = {
        "schema": "secure_exec.audit", "schema_version": "1.0", "event": "permission.checked", "seq": 1,
        "event_id": "e" * 32, "plugin_id": HOSTILE, "capability": "fs", "op": "read", "resource": "/x" + HOSTILE,
        "resource_requested": HOSTILE, "decision": "deny", "enforced": True, "reason": HOSTILE,
        "rule_id": HOSTILE, "ts": "2026-01-01T00:00:00.000000Z",
    }
    path.write_bytes(orjson.dumps(ev) + b"\n" + b'{"half": "\x1b' + b"\n")
    outputs = []
    for argv in (["query", str(path)], ["query", str(path), "--format", "table"], ["report", str(path)],
                 ["explain", str(path), "e" * 32], ["suggest-policy", str(path)], ["verify", str(path)]):
        _code, out, err = run(capsys, *argv)
        outputs.append(out + err)
    for text in outputs:
        for bad in ("\x1b", "\u202e", "\x07", "\r"):
            assert bad not in text
    assert "\\x1b[2J" in outputs[1]
    assert json.loads(outputs[0].splitlines()[0])["reason"] == HOSTILE  # escaped but lossless JSON
    assert "skipped 1 malformed" in outputs[0]


def test_usage_errors_exit_2(log_path: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    build_log(log_path)
    assert run(capsys, "verify", str(tmp_path / "nope.jsonl"))[0] == 2
    code, _, err = run(capsys, "verify", str(log_path), "--key-env", "SE_TEST_UNSET_VAR_XYZ")
    assert code == 2 and "SE_TEST_UNSET_VAR_XYZ" in err
    code, _, err = run(capsys, "verify", str(log_path), "--key-file", str(tmp_path / "nokey"))
    assert code == 2 and "nokey" in err
    assert run(capsys, "frobnicate", str(log_path))[0] == 2
    assert run(capsys, "verify")[0] == 2
    assert run(capsys, "query", str(log_path), "--decision", "maybe")[0] == 2


def test_mounted_under_the_root_cli(log_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build_log(log_path)
    os.environ["SE_TEST_CLI_KEY"] = KEY.decode()
    assert root_cli.main(["audit", "verify", str(log_path), "--key-env", "SE_TEST_CLI_KEY", "--expect-closed"]) == 0
    assert "closed cleanly" in capsys.readouterr().out
    assert root_cli.main(["audit", "nope"]) == 2


def test_standalone_module_entry(log_path: Path) -> None:
    build_log(log_path)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "secure_exec.cli.audit_cmd", "verify", str(log_path)],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("OK:")
    log_path.write_bytes(log_path.read_bytes().replace(b'"/srv/in/b.png"', b'"/srv/in/c.png"', 1))
    proc = subprocess.run([sys.executable, "-m", "secure_exec.cli.audit_cmd", "verify", str(log_path)],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 1 and proc.stdout.startswith("FAILED at seq 4")


def test_capture_audit_sees_every_log(tmp_path: Path) -> None:
    with capture_audit() as events:
        build_log(tmp_path / "a.jsonl")
        AuditLog.null().lifecycle("sandbox.started", THUMB)
    AuditLog.null().lifecycle("sandbox.started", THUMB)  # after the block: not captured
    assert len(events) == len((tmp_path / "a.jsonl").read_bytes().splitlines()) + 1
    assert events[0]["event"] == "sandbox.started" and "hash" in events[0]


def test_audit_events_fixture(audit_events: list[dict[str, Any]]) -> None:  # noqa: F811 - the fixture
    log = AuditLog.null()
    log.decision(THUMB, capability="fs", op="read", resource="/a", resource_requested=None, decision=DENY)
    assert [(e["event"], e["decision"]) for e in audit_events] == [("permission.checked", "deny")]
