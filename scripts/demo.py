"""The main demo: three untrusted plugins do real work on real files under one host policy.

* toc-generator builds a table of contents of this project's docs/ folder (read-only mount) and
  writes it to demo-out/root/out/TOC.md;
* link-checker checks the links of a Markdown file: the one to a local test server is allowed, the
  ones to the cloud metadata address, a private address and another loopback port are refused
  before any connection is made;
* secret-reader tries to read a secret (via ``..``, via a symlink, via /proc, via env, via curl)
  and is refused every time;
* a runaway script is stopped by the time limit.

The policy in force is printed first; every outcome is labelled ``allowed`` or ``refused`` (and
``LEAKED`` would mark a failure of the sandbox). Every decision goes to demo-out/audit.jsonl, which
is then verified and summarised with ``secure-exec audit``, and one denial is tied to its rule
with ``secure-exec audit explain``. Run it with ``bash scripts/demo.sh``.
"""

from __future__ import annotations

import http.server
import json
import shutil
import sys
import threading
from pathlib import Path
from typing import Any

import secure_exec as se
from secure_exec.cli.common import describe_policy
from secure_exec.cli.main import main as cli
from secure_exec.policy import Rule
from secure_exec.providers.hostfs import Mount

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "demo-out"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html><title>local docs server</title>ok</html>"
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _prepare(port: int) -> Path:
    shutil.rmtree(OUT, ignore_errors=True)
    root = OUT / "root"
    for d in ("workspace", "secrets", "input", "out"):
        (root / d).mkdir(parents=True)
    (root / "workspace" / "notes.md").write_text("# Notes\nNothing to see here.\n")
    (root / "secrets" / "api-key.txt").write_text("sk-live-THIS-MUST-NEVER-LEAK\n")
    (root / "input" / "links.md").write_text(
        "# Links\n"
        f"- [local docs server](http://127.0.0.1:{port}/index.html)\n"
        "- [cloud metadata](http://169.254.169.254/latest/meta-data/)\n"
        "- [intranet admin](http://10.1.2.3/admin)\n"
        "- [another local service](http://localhost:9/)\n"
    )
    return root


def _banner(text: str) -> None:
    print(f"\n=== {text}", flush=True)


def _label(allowed: bool) -> str:
    return "allowed" if allowed else "refused"


def _first_denial(audit_path: Path, plugin_id: str) -> str:
    for line in audit_path.read_text().splitlines():
        ev = json.loads(line)
        if ev.get("event") == "permission.checked" and ev.get("decision") == "deny" and ev["plugin_id"] == plugin_id:
            return str(ev["event_id"])
    raise SystemExit(f"demo: no denial of {plugin_id} in {audit_path}")


def main() -> int:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    root = _prepare(port)
    audit_path = OUT / "audit.jsonl"

    # The host's grant. Rules and guards are structured; the one function check shows how a host
    # adds its own logic: loopback is reachable only on the demo server's port.
    def network_check(req: se.NetworkAccessRequest) -> se.Decision:
        local = req.hostname in ("127.0.0.1", "localhost")
        return se.Decision(allow=not local or req.port == port, reason="only the demo server on loopback")

    grant = se.Policy(
        name="demo-grant",
        permissions={"network": network_check},
        rules=[
            Rule(capability="fs", effect="allow", id="docs-ro", ops=["read", "readdir", "stat", "exists"],
                 paths=["/docs/**", "/input/**", "/workspace/**"]),
            Rule(capability="fs", effect="allow", id="out-rw", paths=["/out/**"]),
            Rule(capability="network", effect="allow", id="web", ops=["fetch", "dns"],
                 urls=["http://*", "https://*"]),
        ],
        waive=["net.loopback"],
    )
    _banner("the host's policy in force (every plugin is narrowed to its manifest within it)")
    print("\n".join(describe_policy(grant)))
    print(f"  check network: loopback only on the demo server's port {port}")
    fs = se.HostFileSystem(root, mounts={"/docs": Mount(str(REPO / "docs"), read_only=True)})
    commands = se.create_command_executor()

    with se.AuditLog(audit_path, checkpoint_every=50, hmac_key=b"demo-key-for-checkpoints") as log, \
            se.PluginHost(audit_log=log) as host:
        common: dict[str, Any] = {"policy": grant, "filesystem": fs, "command_executor": commands}

        _banner("toc-generator: table of contents of docs/")
        toc = host.load_plugin(REPO / "plugins" / "toc-generator", **common)
        print(json.dumps(toc.call("run", {"docs": "/docs", "output": "/out/TOC.md"})))
        print((root / "out" / "TOC.md").read_text().splitlines()[0], "... written to", root / "out" / "TOC.md")

        _banner("link-checker: private, metadata and unlisted loopback addresses are refused")
        links = host.load_plugin(REPO / "plugins" / "link-checker", **common)
        for r in links.call("run", {"docs": "/input"})["results"]:
            print(f"  {_label(bool(r.get('status')))} {r['url']}  {r.get('status') or r.get('error')}")

        _banner("secret-reader: every attempt to reach the secret is denied")
        spy = host.load_plugin(REPO / "plugins" / "secret-reader", **common)
        report = spy.call("run", {"workspace": "/workspace"})
        for a in report["attempts"]:
            expected = a["name"] == "read workspace"  # the one access its grant covers
            label = "LEAKED " if a["leaked"] and not expected else _label(expected)
            print(f"  {label} {a['name']}: {a.get('code') or a.get('value')}")
        leaked = report["leaked"]

        _banner("a runaway script: `while (true) {}` under a 0.3 s time limit")
        runaway = se.NodeRuntime(system_driver=se.create_node_driver(), time_limit=0.3, audit_log=log,
                                 plugin_id="runaway")
        r = runaway.exec("while (true) {}")
        runaway.dispose()
        print(f"  {'stopped' if r.code == 124 else 'LEAKED '} exit code {r.code}: {r.error_message}")
    server.shutdown()

    _banner(f"secure-exec audit verify {audit_path.relative_to(REPO)}")
    ok = cli(["audit", "verify", str(audit_path)])
    _banner(f"secure-exec audit report {audit_path.relative_to(REPO)}")
    cli(["audit", "report", str(audit_path)])
    denial = _first_denial(audit_path, "secret-reader")
    _banner(f"secure-exec audit explain {audit_path.relative_to(REPO)} {denial[:12]}   (why was it refused?)")
    sys.stdout.flush()
    cli(["audit", "explain", str(audit_path), denial[:12]])
    if leaked or ok != 0:
        print("demo FAILED: a secret leaked or the audit log does not verify", file=sys.stderr)
        return 1
    print("\ndemo ok: the plugins did their work; every denied attempt is in the audit log above")
    return 0


if __name__ == "__main__":
    sys.exit(main())
