"""AuditLog: schema, redaction, escaping, structlog isolation, sinks and failure semantics."""

from __future__ import annotations

import io
import re
import sys
import threading
from pathlib import Path
from typing import Any

import attrs
import orjson
import pytest
import structlog

from secure_exec.audit import GENESIS_HASH, AuditContext, AuditLog, MemorySink, canonical_json, chain_hash
from secure_exec.audit.verify import verify_log
from secure_exec.errors import AuditWriteError, ConfigError

CTX = AuditContext(
    session_id="s-1", plugin_id="acme.thumb", plugin_version="1.4.0", plugin_digest="sha256:" + "ab" * 32,
    call_id="c-1",
)


@attrs.frozen
class FakeDecision:
    decision: str = "allow"
    enforced: bool = True
    reason: str = "preset read-data grants /srv/**"
    rule_id: str = "preset:read-data#1"
    rule_source: str = "preset"
    policy_digest: str = "sha256:" + "9e" * 32


def lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(raw) for raw in path.read_bytes().splitlines()]


def read(log: AuditLog, path: Path) -> list[dict[str, Any]]:
    log.close()
    return lines(path)


def test_decision_and_outcome_events_carry_the_schema_fields(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    eid = log.decision(
        CTX, capability="network", op="http", resource="https://example.test:443",
        resource_requested="https://example.test/x", decision=FakeDecision(), resolved_ips=["192.0.2.7"], op_id="o-1",
    )
    oid = log.outcome(
        CTX, capability="network", op="http", resource="https://example.test:443", status="error",
        error_code="ECONNREFUSED", duration_ms=1.23456, bytes_in=10, bytes_out=0, op_id="o-1",
    )
    dec, out = read(log, path)
    assert dec["event_id"] == eid and out["event_id"] == oid
    assert re.fullmatch(r"[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}", eid)
    assert dec["schema"] == "secure_exec.audit" and dec["schema_version"] == "1.0"
    assert dec["event"] == "permission.checked" and dec["stage"] == "decided"
    assert (dec["seq"], out["seq"]) == (1, 2)
    assert dec["prev_hash"] == GENESIS_HASH and out["prev_hash"] == dec["hash"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", dec["ts"])
    for key, value in attrs.asdict(CTX).items():
        assert dec[key] == value and out[key] == value
    assert dec["resolved_ips"] == ["192.0.2.7"]
    assert (dec["decision"], dec["enforced"], dec["rule_id"], dec["rule_source"]) == (
        "allow", True, "preset:read-data#1", "preset")
    assert dec["policy_digest"] == "sha256:" + "9e" * 32
    assert out["event"] == "capability.completed" and out["stage"] == "completed"
    outcome = (out["status"], out["error_code"], out["duration_ms"], out["bytes_in"])
    assert outcome == ("error", "ECONNREFUSED", 1.235, 10)
    # hash = sha256(prev_hash || canonical_json(event without hash))
    body = dict(dec)
    digest = body.pop("hash")
    assert digest == chain_hash(GENESIS_HASH, canonical_json(body))


def test_audit_only_decision_is_recorded_as_not_enforced(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    log = AuditLog(path)
    log.decision(CTX, capability="env", op="read", resource="HOME", resource_requested=None,
                 decision=FakeDecision(decision="deny", enforced=False, reason="no rule"))
    (ev,) = read(log, path)
    assert (ev["decision"], ev["enforced"], ev["resource_requested"]) == ("deny", False, "HOME")


def test_decision_objects_with_enum_or_bool_are_normalised() -> None:
    import enum

    class Kind(enum.Enum):
        DENY = "deny"

    @attrs.frozen
    class BoolDecision:
        allow: bool
        reason: str | None = None

    log = AuditLog.null()
    log.decision(CTX, capability="fs", op="read", resource="/a", resource_requested="a",
                 decision=FakeDecision(decision=Kind.DENY))  # type: ignore[arg-type]
    log.decision(CTX, capability="fs", op="read", resource="/a", resource_requested="a", decision=BoolDecision(True))
    assert log.memory is not None
    first, second = list(log.memory)
    assert first["decision"] == "deny"
    assert second["decision"] == "allow" and second["enforced"] is True and second["reason"] == ""


SECRET = "hunter2-SUPER-SECRET-VALUE"


def test_secrets_never_reach_the_file(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    log = AuditLog(path)
    log.lifecycle(
        "plugin.loaded", CTX, value=SECRET, data=SECRET.encode(), body=SECRET, headers={"authorization": SECRET},
        env={"API_KEY": SECRET}, Authorization=SECRET, x_auth_token=SECRET, db_password=SECRET,
        nested={"ok": 1, "contents": SECRET, "deeper": {"cookie": SECRET, "kept": "fine"}},
        blob=SECRET.encode(), entry="main.js",
    )
    raw = read(log, path)
    text = path.read_bytes()
    assert SECRET.encode() not in text
    (ev,) = raw
    for dropped in ("value", "data", "body", "headers", "env", "Authorization", "x_auth_token", "db_password"):
        assert dropped not in ev
    assert ev["nested"] == {"ok": 1, "deeper": {"kept": "fine"}}
    assert ev["blob"] == f"<{len(SECRET)} bytes redacted>"
    assert ev["entry"] == "main.js"
    assert verify_log(path).ok


def test_lifecycle_cannot_override_chain_or_context_fields() -> None:
    log = AuditLog.null()
    with pytest.raises(ConfigError) as info:
        log.lifecycle("plugin.loaded", CTX, seq=5)
    assert "seq" in str(info.value)
    log.lifecycle("plugin.loaded", CTX, plugin_id="forged", session_id="forged", limit="time")
    assert log.memory is not None
    (ev,) = list(log.memory)
    assert ev["plugin_id"] == "acme.thumb" and ev["session_id"] == "s-1" and ev["limit"] == "time"


def test_ansi_bidi_and_control_characters_are_neutralised_and_capped(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    log = AuditLog(path)
    evil = "../in/\x1b[31mred\x1b[0m\u202eexe.png\r\nforged\x00\x7f\x9b\ud800"
    log.decision(CTX, capability="fs", op="read", resource="/srv/in/\x1b]0;title\x07x",
                 resource_requested=evil + "A" * 2000, decision=FakeDecision(reason="why \u2066isolate\u2069"))
    log.lifecycle("plugin.load_failed", AuditContext(session_id="s\x1b[2J"), error="bad \u202e name")
    ev, life = read(log, path)
    text = path.read_text("utf-8")
    for bad in ("\x1b", "\u202e", "\u2066", "\r", "\x00", "\x7f", "\x9b", "\\u001b", "\\r"):
        assert bad not in text
    expected = "../in/\\x1b[31mred\\x1b[0m\\u202eexe.png\\x0d\\x0aforged\\x00\\x7f\\x9b\\ud800"
    assert ev["resource_requested"].startswith(expected)
    assert len(ev["resource_requested"]) == 512
    assert ev["resource"] == "/srv/in/\\x1b]0;title\\x07x"
    assert ev["reason"] == "why \\u2066isolate\\u2069"
    assert life["session_id"] == "s\\x1b[2J" and life["error"] == "bad \\u202e name"
    assert len(path.read_bytes().splitlines()) == 2
    assert verify_log(path).ok


def test_host_structlog_configuration_cannot_drop_or_change_audit_events(tmp_path: Path) -> None:
    def drop_everything(logger: object, name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        raise structlog.DropEvent

    path = tmp_path / "a.jsonl"
    log = AuditLog(path)
    log.decision(CTX, capability="fs", op="read", resource="/a", resource_requested="a", decision=FakeDecision())
    try:
        structlog.configure(processors=[drop_everything], cache_logger_on_first_use=False)
        structlog.get_logger().info("dropped")  # the host's own logging is indeed dropped
        log.decision(CTX, capability="fs", op="read", resource="/b", resource_requested="b", decision=FakeDecision())
        after = AuditLog(tmp_path / "after.jsonl")  # created while the dropping config is active
        after.lifecycle("sandbox.started", CTX)
        after.close()
        with structlog.testing.capture_logs() as host_logs:
            log.decision(CTX, capability="fs", op="read", resource="/c", resource_requested="c",
                         decision=FakeDecision())
            late = AuditLog(tmp_path / "late.jsonl")  # created while capture_logs is active
            late.lifecycle("sandbox.started", CTX)
            late.close()
    finally:
        structlog.reset_defaults()
    assert host_logs == []
    events = read(log, path)
    assert [e["resource"] for e in events] == ["/a", "/b", "/c"]
    assert lines(tmp_path / "late.jsonl")[0]["event"] == "sandbox.started"
    assert lines(tmp_path / "after.jsonl")[0]["event"] == "sandbox.started"
    assert verify_log(path).ok


def test_primary_failure_is_fail_closed_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    log = AuditLog("/dev/full")  # every write fails with ENOSPC
    with pytest.raises(AuditWriteError) as info:
        log.decision(CTX, capability="fs", op="read", resource="/a", resource_requested="a", decision=FakeDecision())
    assert info.value.code == "ERR_AUDIT_WRITE" and "denied" in str(info.value)
    assert log.last_seq == 0  # nothing was committed to the chain
    notice = orjson.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert notice["event"] == "audit.sink_failed" and notice["sink"] == "primary"
    assert "OSError" in notice["error"]


def test_primary_failure_with_fail_open_logs_to_stderr_and_continues(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[dict[str, Any]] = []
    log = AuditLog("/dev/full", fail_closed=False, sinks=[seen.append])
    eid = log.decision(CTX, capability="fs", op="read", resource="/a", resource_requested="a",
                       decision=FakeDecision())
    assert log.last_seq == 1 and seen[0]["event_id"] == eid  # the chain advanced: the file shows a gap
    assert '"audit.sink_failed"' in capsys.readouterr().err


def test_raising_extra_sink_is_reported_and_never_changes_the_result(tmp_path: Path) -> None:
    calls: list[int] = []

    def broken(event: dict[str, Any]) -> None:
        calls.append(event["seq"])
        raise RuntimeError("sink down")

    good: list[dict[str, Any]] = []
    path = tmp_path / "a.jsonl"
    log = AuditLog(path, sinks=[broken, good.append])
    eid = log.decision(CTX, capability="fs", op="read", resource="/a", resource_requested="a",
                       decision=FakeDecision())
    events = read(log, path)
    assert events[0]["event_id"] == eid
    failure = events[1]
    assert failure["event"] == "audit.sink_failed" and failure["failed_seq"] == 1
    assert "RuntimeError: sink down" in failure["error"] and "broken" in failure["sink"]
    assert [e["event_id"] for e in good] == [e["event_id"] for e in events]
    assert calls == [1, 2]  # it was also offered the failure report, which failed without recursion
    assert verify_log(path).ok


def test_object_sink_gets_line_and_event_and_callable_gets_an_independent_copy(tmp_path: Path) -> None:
    mem = MemorySink()

    def mutate(event: dict[str, Any]) -> None:
        event["resource"] = "changed"

    log = AuditLog(tmp_path / "a.jsonl", sinks=[mutate, mem])
    log.decision(CTX, capability="fs", op="read", resource="/a", resource_requested="a", decision=FakeDecision())
    log.close()
    (ev,) = list(mem)
    assert ev["resource"] == "/a" and orjson.loads(mem.lines[0]) == ev


def test_bad_sink_and_bad_options_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        AuditLog(None, sinks=[42])  # type: ignore[list-item]
    with pytest.raises(ConfigError):
        AuditLog(None, checkpoint_every=0)
    with pytest.raises(ConfigError):
        AuditLog(None, hmac_key=b"short")
    with pytest.raises(AuditWriteError):
        AuditLog(tmp_path / "missing-dir" / "a.jsonl")


def test_stderr_mirror(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    buf = io.BytesIO()
    monkeypatch.setattr(sys, "stderr", io.TextIOWrapper(buf))
    log = AuditLog.null()
    mirrored = AuditLog(None, stderr=True)
    mirrored.lifecycle("sandbox.started", CTX)
    assert orjson.loads(buf.getvalue())["event"] == "sandbox.started"
    assert log.memory is not None and len(log.memory) == 0


def test_null_log_keeps_a_chain_in_memory() -> None:
    log = AuditLog.null(maxlen=3)
    for i in range(5):
        log.lifecycle("sandbox.started", CTX, n=i)
    assert log.memory is not None
    events = list(log.memory)
    assert [e["seq"] for e in events] == [3, 4, 5]
    assert events[1]["prev_hash"] == events[0]["hash"]


def test_closed_log_refuses_events_and_close_is_idempotent(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "a.jsonl")
    log.close()
    log.close()
    with pytest.raises(AuditWriteError):
        log.lifecycle("sandbox.started", CTX)


def test_reopening_a_log_continues_its_chain(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    with AuditLog(path) as first:
        first.lifecycle("sandbox.started", CTX)
        first.lifecycle("sandbox.stopped", CTX)
    with AuditLog(path) as second:
        second.lifecycle("sandbox.started", CTX)
    events = lines(path)
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert verify_log(path).ok


def test_logs_on_the_same_file_share_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    first = AuditLog(path, hmac_key=b"k" * 32, checkpoint_every=5)
    second = AuditLog(str(path), hmac_key=b"k" * 32, checkpoint_every=5, sinks=[])
    for i in range(6):
        (first if i % 2 else second).lifecycle("plugin.loaded", CTX, n=i)
    first.close()  # not the last writer: no final checkpoint, the file stays open for `second`
    second.lifecycle("plugin.loaded", CTX, n=6)
    with pytest.raises(AuditWriteError):
        first.lifecycle("plugin.loaded", CTX)
    with pytest.raises(ConfigError) as info:
        AuditLog(path, hmac_key=b"x" * 32, checkpoint_every=5)
    assert "already open" in str(info.value)
    second.close()
    events = lines(path)
    assert [e["seq"] for e in events] == list(range(1, 10))
    assert [e["final"] for e in events if e["event"] == "audit.checkpoint"] == [False, True]
    assert verify_log(path, key=b"k" * 32, expect_closed=True).ok
    with AuditLog(path, hmac_key=b"k" * 32, checkpoint_every=5) as reopened:  # after both closed: fresh stream
        reopened.lifecycle("sandbox.started", CTX)
    assert verify_log(path, key=b"k" * 32, expect_closed=True).ok


def test_checkpoints_every_n_and_on_close(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    log = AuditLog(path, hmac_key=b"k" * 32, checkpoint_every=3)
    for _ in range(7):
        log.lifecycle("sandbox.started", CTX)
    events = read(log, path)
    cps = [e for e in events if e["event"] == "audit.checkpoint"]
    assert [e["seq"] for e in cps] == [4, 8, 10]
    assert [e["final"] for e in cps] == [False, False, True]
    assert all(e["covers_seq"] == e["seq"] - 1 and e["signature"].startswith("hmac-sha256:") for e in cps)
    assert verify_log(path, key=b"k" * 32, expect_closed=True).ok


def test_concurrent_writers_produce_one_unbroken_chain(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    log = AuditLog(path, hmac_key=b"k" * 32, checkpoint_every=50)

    def work(n: int) -> None:
        for i in range(200):
            log.decision(CTX, capability="fs", op="read", resource=f"/t{n}/{i}", resource_requested=None,
                         decision=FakeDecision())

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.close()
    result = verify_log(path, key=b"k" * 32, expect_closed=True)
    assert result.ok, result.problem
    assert sum(1 for e in lines(path) if e["event"] == "permission.checked") == 800
