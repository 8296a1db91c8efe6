"""``secure-exec policy lint POLICY.toml [--log LOG]``: over-broad, shadowed, dead and unused rules."""

from __future__ import annotations

import argparse
import json
from typing import Any

from secure_exec.audit.review import ReadStats, display, format_table, read_events
from secure_exec.audit.verify import log_files
from secure_exec.cli.common import EXIT_EPILOG, CLIError, Output
from secure_exec.policy import Policy
from secure_exec.policy.lint import lint


def register(sub: Any) -> None:
    p = sub.add_parser("policy", help="check a policy file", description="Check a policy file.",
                       epilog=EXIT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    psub = p.add_subparsers(dest="policy_command", metavar="COMMAND", required=True)
    lint_p = psub.add_parser(
        "lint", help="report over-broad, shadowed and dead rules (and, with --log, rules a log never used)",
        description="Exit 0 when there is nothing to report, 1 when there are findings.", epilog=EXIT_EPILOG)
    lint_p.add_argument("policy", metavar="POLICY_TOML")
    lint_p.add_argument("--log", metavar="LOG", help="an audit log (file, directory or glob): also list unused rules")
    lint_p.add_argument("--json", action="store_true", help="one JSON object per finding")
    lint_p.set_defaults(func=cmd_lint)


def cmd_lint(ns: argparse.Namespace, out: Output) -> int:
    policy = Policy.from_toml(ns.policy)
    events = None
    if ns.log is not None:
        files = log_files(ns.log)
        if not files:
            raise CLIError(f"audit log {ns.log!r} does not exist")
        stats = ReadStats()
        events = [ev for f in files for ev in read_events(f, stats)]
    findings = lint(policy, events)
    if ns.json:
        for f in findings:
            out.out(json.dumps({"kind": f.kind, "rule_id": f.rule_id, "message": f.message}, ensure_ascii=True) + "\n")
    elif findings:
        out.out(format_table([[f.kind, f.rule_id, f.message] for f in findings], ("kind", "rule", "finding"), 100)
                + "\n")
    else:
        out.out(f"{display(ns.policy, 200)}: no findings ({len(policy.rules)} rule(s))\n")
    return 1 if findings else 0
