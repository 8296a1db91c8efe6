"""`secure-exec policy lint`: over-broad, shadowed, dead and (with a log) unused rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from secure_exec.audit import AuditContext, AuditLog
from secure_exec.cli import main as cli_main
from secure_exec.policy import Policy
from secure_exec.policy.lint import lint

POLICY = """
[[rules]]
id = "work"
capability = "fs"
effect = "allow"
ops = ["read", "stat"]
paths = ["/work/**"]

[[rules]]
id = "work-file"
capability = "fs"
effect = "allow"
ops = ["read"]
paths = ["/work/a.txt"]

[[rules]]
id = "everything"
capability = "fs"
effect = "allow"
paths = ["/**"]

[[rules]]
id = "no-secrets"
capability = "fs"
effect = "deny"
paths = ["/secrets/**"]

[[rules]]
id = "shell"
capability = "child_process"
effect = "allow"
executable = "/bin/bash"

[[rules]]
id = "git-status"
capability = "child_process"
effect = "allow"
executable = "/usr/bin/git"
args = ["status"]

[[rules]]
id = "all-env"
capability = "env"
effect = "allow"
names = ["*"]

[[rules]]
id = "any-host"
capability = "network"
effect = "allow"
urls = ["https://*"]
"""

DEAD = """
[[rules]]
id = "no-secrets"
capability = "fs"
effect = "deny"
paths = ["/secrets/**"]

[[rules]]
id = "secret-file"
capability = "fs"
effect = "allow"
ops = ["read"]
paths = ["/secrets/key"]

[[rules]]
id = "proc"
capability = "fs"
effect = "allow"
ops = ["read"]
paths = ["/proc/self/environ"]

[[rules]]
id = "data"
capability = "fs"
effect = "allow"
ops = ["read"]
paths = ["/data/in.txt"]
"""


def _policy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text)
    return path


def test_over_broad_and_shadowed(tmp_path: Path) -> None:
    found = {(f.kind, f.rule_id) for f in lint(Policy.from_toml(_policy(tmp_path, POLICY)))}
    assert found == {
        ("shadowed", "work-file"),  # /work/** already allows read of /work/a.txt, first match wins
        ("over-broad", "everything"),
        ("over-broad", "shell"),
        ("over-broad", "all-env"),
        ("over-broad", "any-host"),
    }


def test_dead_rules_and_unused_rules_from_a_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _policy(tmp_path, DEAD)
    found = {(f.kind, f.rule_id): f.message for f in lint(Policy.from_toml(path))}
    assert set(found) == {("dead", "secret-file"), ("dead", "proc")}
    assert "no-secrets" in found[("dead", "secret-file")]
    assert "guard:" in found[("dead", "proc")]  # refused by an always-on guard, whatever the rule says
    log_path = tmp_path / "audit.jsonl"

    class Allow:
        decision = "allow"
        rule_id = "data"

    with AuditLog(log_path) as log:
        log.decision(AuditContext(session_id="s"), capability="fs", op="read", resource="/data/in.txt",
                     resource_requested=None, decision=Allow())
    assert cli_main.main(["policy", "lint", str(path), "--log", str(log_path), "--json"]) == 1
    out = capsys.readouterr().out
    assert '"kind": "unused", "rule_id": "no-secrets"' in out and '"rule_id": "data"' not in out


def test_a_clean_policy_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _policy(tmp_path, '[[rules]]\nid = "r"\ncapability = "fs"\neffect = "allow"\nops = ["read"]\n'
                             'paths = ["/data/**"]\n')
    assert cli_main.main(["policy", "lint", str(path)]) == 0
    assert "no findings" in capsys.readouterr().out
