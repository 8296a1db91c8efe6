"""``secure-exec policy lint``: over-broad, shadowed and dead rules, and rules a log never used.

Modelled on IAM Access Analyzer's policy checks and Cedar's validator, but conservative: a finding
is reported only when it is certain for the rule as written.

* **over-broad**: an allow rule granting a whole filesystem tree from ``/`` (or ``/home``,
  ``/root``, ``/etc``), every op of a directory tree, any host (``*``), every environment
  variable (``*``), or an interpreter or shell with any arguments (it runs arbitrary code);
* **shadowed**: a rule with a literal resource that an *earlier* rule of the same effect already
  matches for every op it names (allow rules decide first-match, so it never decides; a repeated
  deny is redundant);
* **dead**: an allow rule whose every literal resource is refused anyway, by a deny rule or a
  guard, for every op it names;
* **unused** (with a log): a rule that decided nothing in the recorded log (``rule_id`` of the
  ``permission.checked`` events, aggregated repeats included).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from secure_exec.policy.engine import Policy
from secure_exec.policy.requests import (
    FS_OPS,
    ChildProcessAccessRequest,
    EnvAccessRequest,
    FsAccessRequest,
)
from secure_exec.policy.rules import Rule

_GLOB = frozenset("*?[{")
_BROAD_TREES = ("/", "/home", "/root", "/etc", "/usr", "/var")
_INTERPRETERS = frozenset({
    "sh", "bash", "dash", "zsh", "ksh", "fish", "env", "python", "python3", "node", "deno", "bun", "perl", "ruby",
    "php", "lua", "osascript", "pwsh", "powershell", "cmd", "busybox",
})


@attrs.frozen
class Finding:
    kind: str  # over-broad | shadowed | dead | unused
    rule_id: str
    message: str


def _literal(pattern: str) -> bool:
    return not any(ch in _GLOB for ch in pattern)


def _ops(rule: Rule, universe: frozenset[str]) -> list[str]:
    return sorted(rule.ops) if rule.ops is not None else sorted(universe)


def _requests(rule: Rule) -> list[tuple[str, Any]] | None:
    """(resource, request) for every literal resource x op of ``rule``; None if any is a pattern."""
    out: list[tuple[str, Any]] = []
    if rule.capability == "fs":
        if not rule.paths or not all(_literal(p) for p in rule.paths):
            return None
        for path in rule.paths:
            for op in _ops(rule, FS_OPS):
                out.append((path, FsAccessRequest(op, path)))
    elif rule.capability == "env":
        if not rule.names or not all(_literal(n) for n in rule.names):
            return None
        for name in rule.names:
            for op in _ops(rule, frozenset({"read", "write"})):
                out.append((name, EnvAccessRequest(op, name)))
    elif rule.capability == "network":
        return None  # URL, CIDR and method combinations: not decided here
    elif rule.capability == "child_process":
        if rule.executable is None or not _literal(rule.executable) or rule.args is not None:
            return None
        out.append((rule.executable, ChildProcessAccessRequest(rule.executable)))
    else:
        return None
    return out


def _over_broad(rule: Rule) -> str | None:
    if rule.effect != "allow":
        return None
    if rule.capability == "fs":
        for p in rule.paths:
            base = p.rstrip("*").rstrip("/") or "/"
            if p in ("*", "**") or (not _literal(p) and base in _BROAD_TREES):
                return f"grants {p!r}: a whole system tree"
        if rule.ops is None and any(p.endswith("**") for p in rule.paths):
            return "grants every op (write, rm, chmod, ...) on a directory tree; list the ops it needs"
    if rule.capability == "network":
        for u in rule.urls:
            host = u.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
            if host in ("*", "**", "*.*"):
                return f"grants {u!r}: any host"
        if "0.0.0.0/0" in rule.cidrs or "::/0" in rule.cidrs:
            return "grants every address"
    if rule.capability == "env" and any(n in ("*", "**") for n in rule.names):
        return "grants every environment variable (secrets included)"
    if rule.capability == "child_process" and rule.executable is not None:
        name = os.path.basename(rule.executable.rstrip("*")) or rule.executable
        if rule.executable in ("*", "**"):
            return "grants running any executable"
        if name.rstrip("0123456789.") in _INTERPRETERS and rule.args is None:
            return f"grants {rule.executable!r} with any arguments: it runs arbitrary code"
    return None


def lint(policy: Policy, log_events: Iterable[Mapping[str, Any]] | None = None) -> list[Finding]:
    rules = list(policy.rules)
    findings: list[Finding] = []
    for index, (rid, _source, rule) in enumerate(rules):
        why = _over_broad(rule)
        if why is not None:
            findings.append(Finding("over-broad", rid, why))
        requests = _requests(rule)
        if requests is None or rule.capability not in ("fs", "env", "child_process"):
            continue
        for earlier_id, _s, earlier in rules[:index]:
            if earlier.capability == rule.capability and earlier.effect == rule.effect and all(
                earlier.matcher(req) for _, req in requests
            ):
                verb = "never decides: allow rules are first-match" if rule.effect == "allow" else "is redundant"
                why = f"{earlier_id} already matches everything it names; it {verb}"
                findings.append(Finding("shadowed", rid, why))
                break
        else:
            if rule.effect == "allow":
                decisions = [policy.decide(req) for _, req in requests]
                if all(d.decision == "deny" and d.rule_id != rid for d in decisions):
                    by = sorted({d.rule_id for d in decisions})
                    why = f"everything it allows is refused anyway (by {', '.join(by)})"
                    findings.append(Finding("dead", rid, why))
    if log_events is not None:
        used: Counter[str] = Counter()
        for ev in log_events:
            if ev.get("event") == "permission.checked":
                used[str(ev.get("rule_id", ""))] += 1
            elif ev.get("event") == "audit.aggregated" and ev.get("of_event") == "permission.checked":
                used[str(ev.get("rule_id", ""))] += 1
        for rid, _source, _rule in rules:
            if not used[rid]:
                findings.append(Finding("unused", rid, "decided nothing in the log"))
    return findings

