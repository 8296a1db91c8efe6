"""`secure-exec audit query/report` on a large rotated log set: DuckDB vs the Python scan vs jq.

Run: .venv/bin/python benchmarks/bench_audit_query.py [--dir D] [--gb 1.0]

Generates (once, into --dir) a rotated log set of about --gb gigabytes written by AuditLog itself
(decisions, outcomes, denials, lifecycle events of 40 plugins; rotation every 128 MiB), then times
one query (the denials of one plugin), the report, and the same query with jq. Prints seconds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from secure_exec.audit import AuditContext, AuditLog

NL = b"\n"


class _Dec:
    def __init__(self, word: str) -> None:
        self.decision, self.reason, self.rule_id = word, "no rule or check allows this fs access", "default"
        self.rule_source, self.policy_digest = "default", "sha256:" + "ab" * 32


def generate(d: Path, gb: float) -> None:
    d.mkdir(parents=True, exist_ok=True)
    path = d / "audit.jsonl"
    target = int(gb * 1024**3)
    ctxs = [AuditContext(session_id=f"s-{i}", plugin_id=f"plugin-{i}", plugin_version="1.0.0",
                         plugin_digest="sha256:" + f"{i:02d}" * 32, call_id="c-1") for i in range(40)]
    allow, deny = _Dec("allow"), _Dec("deny")
    written = 0
    i = 0
    with AuditLog(path, rotate_bytes=128 * 1024**2, aggregate_window=None, checkpoint_every=10_000) as log:
        while written < target:
            ctx = ctxs[i % 40]
            res = f"/srv/data/{i % 5000}/file-{i % 977}.json"
            log.decision(ctx, capability="fs", op="read", resource=res, resource_requested=res, decision=allow,
                         op_id=f"o-{i}")
            log.outcome(ctx, capability="fs", op="read", resource=res, status="ok", error_code=None,
                        duration_ms=0.05, bytes_out=4096, op_id=f"o-{i}")
            if i % 10 == 0:
                log.decision(ctx, capability="fs", op="read", resource=f"/etc/secret-{i % 13}", resource_requested=None,
                             decision=deny, op_id=f"d-{i}")
            i += 1
            if i % 20_000 == 0:
                written = sum(f.stat().st_size for f in d.iterdir())
                print(f"  generated {written / 1024**2:.0f} MiB", file=sys.stderr)


def timed(argv: list[str], **kw: object) -> tuple[float, bytes]:
    t0 = time.perf_counter()
    out = subprocess.run(argv, capture_output=True, check=True, **kw).stdout  # type: ignore[call-overload]
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default="/tmp/secure-exec-audit-bench")
    ap.add_argument("--gb", type=float, default=1.0)
    ap.add_argument("--skip-python", action="store_true")
    ns = ap.parse_args()
    d = Path(ns.dir)
    if not d.exists() or sum(f.stat().st_size for f in d.iterdir()) < ns.gb * 1024**3 * 0.95:
        shutil.rmtree(d, ignore_errors=True)
        generate(d, ns.gb)
    files = sorted(str(f) for f in d.iterdir())
    size = sum(os.path.getsize(f) for f in files)
    lines = sum(1 for f in files for _ in open(f, "rb"))
    print(f"log set: {len(files)} files, {size / 1024**3:.2f} GiB, {lines:,} events")
    cli = [sys.executable, "-m", "secure_exec.cli.audit_cmd"]
    query = ["--plugin", "plugin-10", "--decision", "deny"]
    results: dict[str, bytes] = {}
    engines = ["duckdb"] if ns.skip_python else ["duckdb", "python"]
    for engine in engines:
        t, out = timed([*cli, "query", str(d), *query, "--engine", engine])
        results[engine] = out
        print(f"query  --engine {engine:6s} {t:7.2f} s  ({out.count(NL)} matches)")
        t, _ = timed([*cli, "report", str(d), "--engine", engine])
        print(f"report --engine {engine:6s} {t:7.2f} s")
    if shutil.which("jq"):
        t, out = timed(["jq", "-c", 'select(.plugin_id == "plugin-10" and .decision == "deny")', *files])
        print(f"jq (same query)          {t:7.2f} s  ({out.count(NL)} matches)")


if __name__ == "__main__":
    main()
