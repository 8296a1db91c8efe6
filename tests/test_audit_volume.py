"""Volume control: repeated allowed reads are counted, not logged one by one; denials never are;
unset env variables no rule covers are recorded as absent, not as denials."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson
import pytest

import secure_exec as se
from secure_exec.audit import AuditContext, AuditLog
from secure_exec.audit.review import build_report
from secure_exec.audit.verify import verify_log
from secure_exec.errors import ConfigError
from secure_exec.policy import Rule

CTX = AuditContext(session_id="s-1", plugin_id="acme.p")


def _run(tmp_path: Path, code: str, policy: se.Policy, **log_kw: Any) -> list[dict[str, Any]]:
    memfs = se.create_in_memory_file_system()
    memfs.mkdir("/work", recursive=True)
    memfs.write_file("/work/in.txt", "hello")
    path = tmp_path / "audit.jsonl"
    with AuditLog(path, **log_kw) as log:
        rt = se.NodeRuntime(
            system_driver=se.create_node_driver(
                filesystem=memfs, policy=policy,
                process_config=se.ProcessConfig(env={"SET_NO_RULE": "x", "VISIBLE": "yes"})),
            audit_log=log, plugin_id="looper")
        out: list[se.StdioEvent] = []
        r = rt.exec(code, on_stdio=out.append)
    assert r.code == 0, (r.error_message, out)
    assert verify_log(path).ok
    return [orjson.loads(x) for x in path.read_bytes().splitlines()]


LOOP = """
const fs = require("fs");
let n = 0;
for (let i = 0; i < 2000; i++) { if (fs.existsSync("/work/in.txt")) n++ }
for (let i = 0; i < 300; i++) { fs.existsSync("/secret") }
for (let i = 0; i < 20; i++) { fs.writeFileSync("/work/out.txt", "x" + i) }
console.log(n);
"""
POLICY = se.Policy(rules=[Rule(capability="fs", effect="allow", id="work", paths=["/work/**"])])


def _checked(events: list[dict[str, Any]], **match: Any) -> list[dict[str, Any]]:
    return [e for e in events if e["event"] == "permission.checked" and all(e.get(k) == v for k, v in match.items())]


def test_repeated_allowed_reads_are_counted_and_denials_and_writes_are_not(tmp_path: Path) -> None:
    events = _run(tmp_path, LOOP, POLICY)
    allowed = _checked(events, resource="/work/in.txt", decision="allow")
    summaries = [e for e in events if e["event"] == "audit.aggregated" and e["of_event"] == "permission.checked"
                 and e["resource"] == "/work/in.txt"]
    assert len(allowed) >= 1 and summaries
    assert len(allowed) + sum(e["repeats"] for e in summaries) == 2000  # every read is accounted for
    assert len(allowed) < 50  # and the log did not get 2000 lines for them
    assert summaries[0]["first_event_id"] == allowed[0]["event_id"]
    outcome_summaries = [e for e in events if e["event"] == "audit.aggregated"
                         and e["of_event"] == "capability.completed" and e["resource"] == "/work/in.txt"]
    outcomes = [e for e in events if e["event"] == "capability.completed" and e["resource"] == "/work/in.txt"]
    assert len(outcomes) + sum(e["repeats"] for e in outcome_summaries) == 2000
    assert len(_checked(events, resource="/secret", decision="deny")) == 300  # never aggregated
    assert len(_checked(events, resource="/work/out.txt", op="write")) == 20  # never aggregated
    report = build_report(events)
    row = next(line.split() for line in report.splitlines() if line.startswith("looper"))
    assert row[1:3] == [str(2000 + 20), "300"]  # the report counts the repeats

    plain = _run(tmp_path / "off", LOOP, POLICY, aggregate_window=None) if (tmp_path / "off").mkdir() is None else []
    assert len(_checked(plain, resource="/work/in.txt", decision="allow")) == 2000
    assert not [e for e in plain if e["event"] == "audit.aggregated"]
    size_on, size_off = (tmp_path / "audit.jsonl").stat().st_size, (tmp_path / "off" / "audit.jsonl").stat().st_size
    assert size_on * 4 < size_off, (size_on, size_off)


def test_absent_env_variables_are_not_denials(tmp_path: Path) -> None:
    policy = se.Policy(rules=[
        Rule(capability="env", effect="allow", id="visible", names=["VISIBLE"]),
        Rule(capability="env", effect="deny", id="no-home", names=["UNSET_BUT_RULED"]),
    ])
    code = """
    const seen = [];
    for (let i = 0; i < 42; i++) seen.push(process.env.YAML_UNSET_THING);
    seen.push(process.env.SET_NO_RULE, process.env.UNSET_BUT_RULED, process.env.VISIBLE);
    console.log(JSON.stringify(seen.slice(-4)));
    """
    events = _run(tmp_path, code, policy)
    absent = _checked(events, resource="YAML_UNSET_THING")
    assert absent and all(e["decision"] == "absent" and e["rule_source"] == "default" for e in absent)
    repeats = sum(e["repeats"] for e in events if e["event"] == "audit.aggregated"
                  and e.get("resource") == "YAML_UNSET_THING")
    assert len(absent) + repeats == 42
    assert [e["decision"] for e in _checked(events, resource="SET_NO_RULE")] == ["deny"]  # set: a real denial
    assert [e["decision"] for e in _checked(events, resource="UNSET_BUT_RULED")] == ["deny"]  # a rule spoke
    assert [e["decision"] for e in _checked(events, resource="VISIBLE")] == ["allow"]
    report = build_report(events)
    assert "YAML_UNSET_THING" not in report.split("denied resources")[1]
    row = next(line.split() for line in report.splitlines() if line.startswith("looper"))
    assert row[1:6] == ["1", "2", "0", "42", "0"]  # allow, deny, audit-deny, absent, errors


class _Allow:
    decision = "allow"
    rule_id = "r1"


def test_summary_follows_the_window_and_close(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    log = AuditLog(path, aggregate_window=0.05)
    for i in range(5):
        log.decision(CTX, capability="fs", op="read", resource="/a", resource_requested=None, decision=_Allow(),
                     op_id=f"o-{i}")
    time.sleep(0.08)
    log.lifecycle("sandbox.stopped", CTX)  # the next event after the window brings the summary
    names = [e["event"] for e in map(orjson.loads, path.read_bytes().splitlines())]
    assert names == ["permission.checked", "audit.aggregated", "sandbox.stopped"]
    for i in range(3):
        log.decision(CTX, capability="fs", op="read", resource="/a", resource_requested=None, decision=_Allow(),
                     op_id=f"p-{i}")
    log.close()
    events = [orjson.loads(x) for x in path.read_bytes().splitlines()]
    assert [e["event"] for e in events][-2:] == ["permission.checked", "audit.aggregated"]
    assert events[-1]["repeats"] == 2 and events[-1]["last_op_id"] == "p-2"
    assert events[1]["repeats"] == 4
    with pytest.raises(ConfigError):
        AuditLog(None, aggregate_ops={"network": ["fetch"]})
    with pytest.raises(ConfigError):
        AuditLog(None, aggregate_window=-1)


FLOOD = """
const fs = require("fs");
const codes = {};
for (let i = 0; i < COUNT; i++) {
  try { fs.statSync("/work/missing-" + i) } catch (e) { codes[e.code] = (codes[e.code] || 0) + 1 }
}
console.log(JSON.stringify(codes));
"""


def _flood(log: AuditLog, n: int, plugin: str) -> tuple[dict[str, int], float]:
    memfs = se.create_in_memory_file_system()
    memfs.mkdir("/work", recursive=True)
    rt = se.NodeRuntime(system_driver=se.create_node_driver(filesystem=memfs, policy=POLICY), audit_log=log,
                        plugin_id=plugin)
    out: list[se.StdioEvent] = []
    t0 = time.perf_counter()
    r = rt.exec(FLOOD.replace("COUNT", str(n)), on_stdio=out.append)
    assert r.code == 0, r.error_message
    return orjson.loads(out[0].data), time.perf_counter() - t0


def test_a_flooding_guest_is_delayed_not_the_host(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    with AuditLog(path, budget_events_per_s=400) as log:
        codes, slow = _flood(log, 800, "flooder")  # 800 decisions + 800 outcomes at 400 events/s
        other, fast = _flood(log, 50, "quiet")  # another session: its own budget
    assert codes == {"ENOENT": 800} and other == {"ENOENT": 50}  # delayed, none refused
    assert slow > 2.0, slow  # ~1600 events at 400/s after a burst of 400
    assert fast < slow / 4, (fast, slow)
    events = [orjson.loads(x) for x in path.read_bytes().splitlines()]
    assert len([e for e in events if e["event"] == "permission.checked" and e["plugin_id"] == "flooder"]) == 800
    assert verify_log(path).ok


def test_refusals_under_the_budget_are_counted_never_silent(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    with AuditLog(path, budget_events_per_s=100, budget_max_delay=0.0) as log:
        codes, _ = _flood(log, 600, "flooder")
    events = [orjson.loads(x) for x in path.read_bytes().splitlines()]
    decided = [e for e in events if e["event"] == "permission.checked" and e["resource"].startswith("/work/missing")]
    throttled = [e for e in events if e["event"] == "audit.throttled"]
    refused = sum(e["refused"] for e in throttled)
    assert refused > 100 and throttled[0]["plugin_id"] == "flooder"
    assert codes.get("EACCES") == refused  # the guest saw each refusal as an error
    assert len(decided) + refused == 600  # every operation is either logged or counted
    assert verify_log(path).ok
    with pytest.raises(ConfigError):
        AuditLog(None, budget_events_per_s=0)


def test_the_budget_is_on_by_default_and_forgets_finished_sessions() -> None:
    """Issue 12: throttling is off only on request; a host running many sandboxes keeps no bucket per dead one."""
    from secure_exec.audit.budget import DEFAULT_EVENTS_PER_S, MAX_IDLE_BUCKETS, Budget

    log = AuditLog(None)
    assert log._budget is not None and log._budget.events_per_s == DEFAULT_EVENTS_PER_S
    assert AuditLog(None, budget_events_per_s=None, budget_bytes_per_s=None)._budget is None  # on request
    b = Budget(1000.0, None)
    for i in range(MAX_IDLE_BUCKETS * 3):
        b.admit(f"s{i}")
        time.sleep(0) if i % 512 else time.sleep(0.002)  # sessions end; their buckets refill
    assert len(b._buckets) <= MAX_IDLE_BUCKETS + 1
