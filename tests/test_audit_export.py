"""OCSF mapping and the OpenTelemetry logs sink (OTLP received on loopback)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from secure_exec.audit import AuditContext, AuditLog
from secure_exec.audit.ocsf import to_ocsf

CTX = AuditContext(session_id="s-9", plugin_id="acme.p", plugin_digest="sha256:abc")


class Deny:
    decision = "deny"
    reason = "no rule allows it"
    rule_id = "default"
    policy_digest = "sha256:pol"


class Allow:
    decision = "allow"
    reason = "rule work"
    rule_id = "work"


def _events(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "a.jsonl"
    with AuditLog(path, aggregate_window=None) as log:
        log.decision(CTX, capability="fs", op="read", resource="/etc/shadow", resource_requested=None,
                     decision=Deny(), op_id="o-1")
        log.decision(CTX, capability="fs", op="write", resource="/work/a", resource_requested=None,
                     decision=Allow(), op_id="o-2")
        log.outcome(CTX, capability="fs", op="write", resource="/work/a", status="ok", error_code=None,
                    duration_ms=1.5, bytes_in=3, op_id="o-2")
        log.decision(CTX, capability="network", op="fetch", resource="https://api.example.test:443",
                     resource_requested="https://api.example.test/x", decision=Allow(), resolved_ips=["192.0.2.7"])
        log.outcome(CTX, capability="network", op="fetch", resource="https://api.example.test:443",
                    status="error", error_code="ECONNREFUSED", duration_ms=2.0)
        log.decision(CTX, capability="child_process", op="spawn", resource="/usr/bin/git", resource_requested="git",
                     decision=Deny())
        log.decision(CTX, capability="env", op="read", resource="HOME", resource_requested=None, decision=Allow())
        log.lifecycle("sandbox.started", CTX, file_path="/app/main.js")
    return [orjson.loads(x) for x in path.read_bytes().splitlines()]


def test_ocsf_mapping_of_every_class(tmp_path: Path) -> None:
    events = _events(tmp_path)
    ocsf = [to_ocsf(e) for e in events]
    shadow, write, written, connect, traffic, spawn, env, started = ocsf
    assert (shadow["class_uid"], shadow["activity_id"], shadow["type_uid"]) == (1001, 2, 100102)
    assert shadow["disposition_id"] == 2 and shadow["severity_id"] == 3 and shadow["file"]["path"] == "/etc/shadow"
    assert shadow["policy"] == {"name": "default", "uid": "sha256:pol", "desc": "no rule allows it"}
    assert shadow["metadata"]["uid"] == events[0]["event_id"] and shadow["metadata"]["version"] == "1.1.0"
    assert shadow["actor"] == {"app_name": "acme.p", "app_uid": "sha256:abc", "session": {"uid": "s-9"}}
    assert shadow["unmapped"]["hash"] == events[0]["hash"]  # still tied to the verified line
    assert isinstance(shadow["time"], int) and shadow["time"] > 1_700_000_000_000
    assert (write["activity_id"], write["disposition_id"]) == (3, 1)
    assert (written["status_id"], written["duration"]) == (1, 1)
    assert (connect["class_uid"], connect["activity_id"]) == (4001, 1)
    assert connect["dst_endpoint"] == {"hostname": "api.example.test", "port": 443, "ip": "192.0.2.7"}
    assert (traffic["activity_id"], traffic["status_id"], traffic["status_code"]) == (4, 2, "ECONNREFUSED")
    assert (spawn["class_uid"], spawn["activity_id"], spawn["disposition_id"]) == (1007, 1, 2)
    assert spawn["process"]["file"]["path"] == "/usr/bin/git"
    assert (env["class_uid"], env["activity_id"], env["api"]["operation"]) == (6003, 2, "env.read")
    assert (started["class_uid"], started["activity_id"]) == (6003, 99)
    assert started["api"]["operation"] == "sandbox.started"


@pytest.fixture
def collector() -> Iterator[tuple[int, list[Any]]]:
    proto = pytest.importorskip("opentelemetry.proto.collector.logs.v1.logs_service_pb2")
    received: list[Any] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            request = proto.ExportLogsServiceRequest()
            request.ParseFromString(body)
            received.append((self.path, request))
            self.send_response(200)
            self.send_header("content-type", "application/x-protobuf")
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv.server_address[1], received
    srv.shutdown()


def _any(value: Any) -> Any:
    kind = value.WhichOneof("value")
    if kind == "kvlist_value":
        return {kv.key: _any(kv.value) for kv in value.kvlist_value.values}
    if kind == "array_value":
        return [_any(v) for v in value.array_value.values]
    return getattr(value, kind)


def test_otlp_export_with_trace_correlation(tmp_path: Path, collector: tuple[int, list[Any]]) -> None:
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
    from opentelemetry.sdk.trace import TracerProvider

    from secure_exec.audit.otel import OpenTelemetrySink

    port, received = collector
    provider = LoggerProvider()
    provider.add_log_record_processor(SimpleLogRecordProcessor(OTLPLogExporter(endpoint=f"http://127.0.0.1:{port}/v1/logs")))
    tracer = TracerProvider().get_tracer("host-app")
    with tracer.start_as_current_span("handle-request") as span, \
            AuditLog(tmp_path / "a.jsonl", sinks=[OpenTelemetrySink(provider)], aggregate_window=None) as log:
        log.decision(CTX, capability="fs", op="read", resource="/etc/shadow", resource_requested=None,
                     decision=Deny(), op_id="o-1")
        trace_id = span.get_span_context().trace_id
        span_id = span.get_span_context().span_id
    provider.shutdown()
    records = [r for _, req in received for rl in req.resource_logs for sl in rl.scope_logs for r in sl.log_records]
    assert {path for path, _ in received} == {"/v1/logs"}
    denial = next(r for r in records if r.event_name == "permission.checked")
    assert int.from_bytes(denial.trace_id, "big") == trace_id and int.from_bytes(denial.span_id, "big") == span_id
    assert denial.severity_text == "WARN"
    attrs = {kv.key: _any(kv.value) for kv in denial.attributes}
    line = orjson.loads((tmp_path / "a.jsonl").read_bytes().splitlines()[0])
    assert attrs["secure_exec.event_id"] == line["event_id"] and attrs["secure_exec.hash"] == line["hash"]
    assert attrs["secure_exec.decision"] == "deny" and attrs["ocsf.class_uid"] == 1001
    body = _any(denial.body)
    assert body["class_uid"] == 1001 and body["disposition_id"] == 2 and body["file"]["path"] == "/etc/shadow"
    assert denial.time_unix_nano // 1000 % 1_000_000 == int(line["ts"][20:26])  # the event's own time


WHATIF_SCRIPT = """
const fs = require("fs");
for (let i = 0; i < 30; i++) fs.statSync("/work/in.txt");
for (let i = 0; i < 3; i++) fs.writeFileSync("/work/out.txt", "x");
const v = [process.env.SET_NO_RULE, process.env.VISIBLE, process.env.NEVER_SET];
try { fs.readFileSync("/etc/passwd") } catch (e) {}
console.log("ok");
"""


def test_what_if_replays_the_log_against_a_candidate_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import secure_exec as se
    from secure_exec.cli import audit_cmd
    from secure_exec.policy import Rule

    memfs = se.create_in_memory_file_system()
    memfs.mkdir("/work", recursive=True)
    memfs.mkdir("/etc", recursive=True)
    memfs.write_file("/work/in.txt", "hello")
    memfs.write_file("/etc/passwd", "root")
    current = se.Policy(rules=[
        Rule(capability="fs", effect="allow", id="work", paths=["/work/**"]),
        Rule(capability="env", effect="allow", id="visible", names=["VISIBLE"]),
    ])
    log_path = tmp_path / "audit.jsonl"
    with AuditLog(log_path) as log:
        rt = se.NodeRuntime(system_driver=se.create_node_driver(
            filesystem=memfs, policy=current,
            process_config=se.ProcessConfig(env={"SET_NO_RULE": "x", "VISIBLE": "y"})), audit_log=log, plugin_id="p1")
        assert rt.exec(WHATIF_SCRIPT).code == 0
    candidate = tmp_path / "candidate.toml"
    candidate.write_text(
        '[[rules]]\ncapability = "fs"\neffect = "allow"\nops = ["stat", "read"]\npaths = ["/work/**"]\n\n'
        '[[rules]]\ncapability = "env"\neffect = "allow"\nnames = ["VISIBLE", "SET_NO_RULE"]\n'
    )
    assert audit_cmd.main(["what-if", str(log_path), "--policy", str(candidate), "--format", "jsonl"]) == 0
    rows = [orjson.loads(x) for x in capsys.readouterr().out.splitlines()]
    by = {(r["capability"], r["resource"], r["old"], r["new"]): r["count"] for r in rows}
    assert by == {("fs", "/work/out.txt", "allow", "deny"): 3, ("env", "SET_NO_RULE", "deny", "allow"): 1}, rows
    # Same log, a candidate that denies the stats too: the 30 stats (29 of them aggregated) all count.
    strict = tmp_path / "strict.toml"
    strict.write_text('[[rules]]\ncapability = "fs"\neffect = "allow"\nops = ["write"]\npaths = ["/work/**"]\n')
    assert audit_cmd.main(["what-if", str(log_path), "--policy", str(strict)]) == 0
    out = capsys.readouterr().out
    assert "30     p1      fs          stat  /work/in.txt" in out.replace("  ", "  "), out
    assert "allowed -> denied" in out
