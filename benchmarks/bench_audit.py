"""Audit log cost per event. Prints numbers; asserts nothing (timing belongs here, not in tests).

Run: .venv/bin/python benchmarks/bench_audit.py [--events N] [--rounds R]

Reports the median over R rounds of N events each, in microseconds per event, for:
  core          canonical render (orjson) + sha256 chain hash + one write(2) per line: the floor
  decision      AuditLog.decision() to a JSON-lines file: the bridge's real per-operation cost
  decision+cp   the same with HMAC checkpoints every 1000 events
  outcome       AuditLog.outcome() to a file
  null          AuditLog.null().decision(): chained, kept in memory, no file
  fsync         decision() with fsync=True (durable per line; disk bound)
  verify        verify_log() per event
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import attrs

from secure_exec.audit import GENESIS_HASH, AuditContext, AuditLog, canonical_json, chain_hash
from secure_exec.audit.chain import splice_hash
from secure_exec.audit.verify import verify_log


@attrs.frozen
class Decision:
    decision: str = "allow"
    enforced: bool = True
    reason: str = "preset read-data grants /srv/data/in/**"
    rule_id: str = "preset:read-data#1"
    rule_source: str = "preset"
    policy_digest: str = "sha256:" + "9e" * 32


CTX = AuditContext(session_id="s-7a2", plugin_id="acme.thumbnailer", plugin_version="1.4.0",
                   plugin_digest="sha256:" + "ab" * 32, call_id="c-91")
DECISION = Decision()


def per_event(fn: Callable[[int], None], n: int, rounds: int) -> tuple[float, float]:
    """Medians over rounds of (CPU time, wall time) for n events / n, in microseconds.

    CPU time (user + system, so the write(2) counts) is the headline: on a shared 2-core machine
    wall time mostly measures the other processes.
    """
    cpu, wall = [], []
    for _ in range(rounds):
        c0, t0 = time.process_time(), time.perf_counter()
        fn(n)
        cpu.append((time.process_time() - c0) / n * 1e6)
        wall.append((time.perf_counter() - t0) / n * 1e6)
    return statistics.median(cpu), statistics.median(wall)


def decisions(log: AuditLog) -> Callable[[int], None]:
    def run(n: int) -> None:
        for _ in range(n):
            log.decision(CTX, capability="fs", op="read", resource="/srv/data/in/cat.png",
                         resource_requested="../in/cat.png", decision=DECISION, op_id="o-3")
    return run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    n, rounds = args.events, args.rounds
    results: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "audit.jsonl"

        # core: what one event fundamentally costs (no structlog, no field assembly)
        sample = AuditLog.null()
        decisions(sample)(1)
        assert sample.memory is not None
        event = dict(next(iter(sample.memory)))
        event.pop("hash")
        fd = os.open(Path(tmp) / "core.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

        def core(count: int) -> None:
            prev = GENESIS_HASH
            for i in range(count):
                event["seq"] = i
                event["prev_hash"] = prev
                canonical = canonical_json(event)
                prev = chain_hash(prev, canonical)
                os.write(fd, splice_hash(canonical, prev))

        results["core"] = per_event(core, n, rounds)
        os.close(fd)

        log = AuditLog(path)
        results["decision"] = per_event(decisions(log), n, rounds)

        def outcomes(count: int) -> None:
            for _ in range(count):
                log.outcome(CTX, capability="fs", op="read", resource="/srv/data/in/cat.png", status="ok",
                            error_code=None, duration_ms=0.42, bytes_out=4096, op_id="o-3")

        results["outcome"] = per_event(outcomes, n, rounds)
        log.close()

        keyed = AuditLog(Path(tmp) / "keyed.jsonl", hmac_key=b"k" * 32, checkpoint_every=1000)
        results["decision+cp"] = per_event(decisions(keyed), n, rounds)
        keyed.close()

        results["null"] = per_event(decisions(AuditLog.null()), n, rounds)

        durable = AuditLog(Path(tmp) / "fsync.jsonl", fsync=True)
        results["fsync"] = per_event(decisions(durable), max(n // 50, 50), 3)
        durable.close()

        total = sum(1 for _ in open(path, "rb"))
        c0, t0 = time.process_time(), time.perf_counter()
        assert verify_log(path).ok
        results["verify"] = ((time.process_time() - c0) / total * 1e6, (time.perf_counter() - t0) / total * 1e6)

    print(f"audit benchmark: {n} events x {rounds} rounds, median us/event (python {sys.version.split()[0]})")
    print(f"  {'':12s} {'cpu':>8s} {'wall':>8s}")
    for name, (cpu, wall) in results.items():
        print(f"  {name:12s} {cpu:8.2f} {wall:8.2f}")


if __name__ == "__main__":
    main()
