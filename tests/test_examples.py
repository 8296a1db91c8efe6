"""The documented examples run and print what the docs say they print."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_host_app_example_loads_granted_plugins_and_refuses_the_rest() -> None:
    r = subprocess.run([sys.executable, str(REPO / "docs" / "examples" / "host_app.py")], capture_output=True,
                       text=True, timeout=120, check=True)
    out = r.stdout
    assert "[host] loaded toc-generator" in out and "[host] loaded hello" in out
    assert "not loading secret-reader" in out and "not loading link-checker" in out
    assert "[host] hello: hello, host app" in out
    assert "'output': '/out/TOC.md'" in out


def test_demo_runs_and_every_secret_attempt_is_denied() -> None:
    r = subprocess.run([sys.executable, str(REPO / "scripts" / "demo.py")], capture_output=True, text=True,
                       timeout=300, check=False)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "LEAKED" not in r.stdout and "sk-live" not in r.stdout
    assert "allowed http://127.0.0.1:" in r.stdout
    for refused in ("http://10.1.2.3/admin  EACCES", "http://169.254.169.254/latest/meta-data/  EACCES",
                    "http://localhost:9/  EACCES"):
        assert "refused " + refused in r.stdout
    assert "policy demo-grant mode=enforce" in r.stdout and "[docs-ro]" in r.stdout  # the policy in force
    assert "stopped exit code 124" in r.stdout and "runaway  time" in r.stdout  # a limit event in the report
    assert "decision    deny" in r.stdout and "rule        default" in r.stdout  # audit explain
    assert "OK: " in r.stdout and "closed cleanly" in r.stdout  # audit verify
    assert "Decisions per plugin" in r.stdout  # audit report
