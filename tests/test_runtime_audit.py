"""Every gated op writes one decision event with the right fields, and no secret reaches the log."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import secure_exec as se
from secure_exec.policy import Rule


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[int]:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv.server_address[1]
    srv.shutdown()


SCRIPT = """
const fs = require("fs"), cp = require("child_process");
const out = [];
fs.writeFileSync("/work/a.txt", "FILE-CONTENT-SECRET");
try { fs.readFileSync("/etc/shadow") } catch (e) { out.push(e.code) }
out.push(process.env.API_TOKEN === undefined ? "absent" : "leak");
out.push(process.env.VISIBLE);
const ok = cp.spawnSync("echo", ["hi"]); out.push(ok.stdout.toString().trim());
const no = cp.spawnSync("ls", ["/"]); out.push(no.error && no.error.code);
fetch("http://127.0.0.1:PORT/up", {method: "POST", body: "BODY-SECRET", headers: {authorization: "Bearer AUTH-SECRET"}})
  .then(r => r.text()).then(t => { out.push(t);
    return fetch("http://169.254.169.254/latest/meta-data/") })
  .catch(e => out.push(e.code)).then(() => console.log(out.join(",")));
"""


def test_one_decision_event_per_op_and_no_secrets(tmp_path: Path, server: int) -> None:
    memfs = se.create_in_memory_file_system()
    memfs.mkdir("/work", recursive=True)
    memfs.mkdir("/etc", recursive=True)
    memfs.write_file("/etc/shadow", "root:x")
    policy = se.Policy(rules=[
        Rule(capability="fs", effect="allow", id="work", paths=["/work/**"]),
        Rule(capability="env", effect="allow", id="visible", names=["VISIBLE"]),
        Rule(capability="child_process", effect="allow", id="echo", executable="/usr/bin/echo"),
        Rule(capability="network", effect="allow", id="local", urls=[f"http://127.0.0.1:{server}"]),
    ], waive=["net.loopback"])
    log_path = tmp_path / "audit.jsonl"
    out: list[se.StdioEvent] = []
    with se.AuditLog(log_path) as log:
        rt = se.NodeRuntime(
            system_driver=se.create_node_driver(
                filesystem=memfs, policy=policy, command_executor=se.create_command_executor(),
                process_config=se.ProcessConfig(env={"API_TOKEN": "ENV-SECRET", "VISIBLE": "yes"})),
            audit_log=log, on_stdio=out.append, plugin_id="auditee")
        r = rt.exec(SCRIPT.replace("PORT", str(server)))
    assert r.code == 0, r.error_message
    assert "".join(e.data for e in out) == "EACCES,absent,yes,hi,EACCES,ok,EACCES\n"
    text = log_path.read_text()
    for secret in ("FILE-CONTENT-SECRET", "ENV-SECRET", "BODY-SECRET", "AUTH-SECRET", "root:x"):
        assert secret not in text
    import orjson

    events = [orjson.loads(line) for line in text.splitlines()]
    checked = [e for e in events if e["event"] == "permission.checked"]

    def one(cap: str, resource: str, decision: str) -> dict[str, Any]:
        found = [e for e in checked if e["capability"] == cap and e["resource"] == resource
                 and e["decision"] == decision]
        assert found, (cap, resource, decision, [(e["capability"], e["resource"], e["decision"]) for e in checked])
        return found[0]

    e = one("fs", "/work/a.txt", "allow")
    assert (e["op"], e["rule_id"], e["plugin_id"], e["enforced"]) == ("write", "work", "auditee", True)
    assert e["policy_digest"] == policy.digest and e["seq"] >= 1 and e["hash"].startswith("sha256:")
    e = one("fs", "/etc/shadow", "deny")
    assert e["rule_source"] == "default"
    one("env", "API_TOKEN", "deny")
    one("env", "VISIBLE", "allow")
    assert one("child_process", "/usr/bin/echo", "allow")["op"] == "spawn"
    one("child_process", "/usr/bin/ls", "deny")
    net = [e for e in checked if e["capability"] == "network" and e["decision"] == "allow"]
    assert any(e.get("resolved_ips") == ["127.0.0.1"] for e in net)
    meta = one("network", "http://169.254.169.254:80", "deny")
    assert meta["rule_source"] == "guard"
    completed = [e for e in events if e["event"] == "capability.completed"]
    assert any(e["op"] == "write" and e["status"] == "ok" and e["bytes_in"] == 19 for e in completed)
    assert {"sandbox.started", "sandbox.stopped"} <= {e["event"] for e in events}


def test_audit_only_mode_records_but_does_not_enforce(tmp_path: Path) -> None:
    memfs = se.create_in_memory_file_system()
    memfs.write_file("/data.txt", "x")
    log = se.AuditLog.null()
    rt = se.NodeRuntime(system_driver=se.create_node_driver(filesystem=memfs, policy=se.Policy(mode="audit")),
                        audit_log=log)
    out: list[se.StdioEvent] = []
    assert rt.exec('console.log(require("fs").readFileSync("/data.txt", "utf8"))', on_stdio=out.append).code == 0
    assert out[0].data == "x\n"
    assert log.memory is not None
    e = next(e for e in log.memory.events if e["event"] == "permission.checked")
    assert (e["decision"], e["enforced"]) == ("deny", False)


def test_failing_audit_sink_fails_closed(tmp_path: Path) -> None:
    memfs = se.create_in_memory_file_system()
    memfs.write_file("/data.txt", "x")
    log = se.AuditLog(tmp_path / "audit.jsonl")
    rt = se.NodeRuntime(system_driver=se.create_node_driver(filesystem=memfs, permissions=se.allow_all),
                        audit_log=log)
    real_write = log._primary.write

    def failing(line: bytes, event: Any) -> None:  # the disk fills up once the run has started
        if event.get("event") == "permission.checked":
            raise OSError(28, "No space left on device")
        real_write(line, event)

    log._primary.write = failing  # type: ignore[method-assign]
    out: list[se.StdioEvent] = []
    code = 'try { require("fs").readFileSync("/data.txt"); console.log("read") } catch (e) { console.log(e.code) }'
    r = rt.exec(code, on_stdio=out.append)
    assert r.code == 0 and out[0].data == "EACCES\n"
    log._primary.write = _boom  # type: ignore[method-assign]  # now nothing can be written at all
    with pytest.raises(se.AuditWriteError):
        rt.exec("1")


def _boom(*a: Any, **k: Any) -> None:
    raise OSError(28, "No space left on device")
