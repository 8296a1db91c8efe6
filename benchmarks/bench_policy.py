"""Median cost of one policy decision (guards + deny rules + function check + allow rules).

Run: .venv/bin/python benchmarks/bench_policy.py   (prints numbers; asserts nothing)
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from secure_exec.policy import (
    Decision,
    EnvAccessRequest,
    FsAccessRequest,
    NetworkAccessRequest,
    Policy,
    Preset,
    Rule,
)

BATCH = 2000
ROUNDS = 51


def median_us(fn: Callable[[], object], clock: Callable[[], float]) -> float:
    samples = []
    for _ in range(ROUNDS):
        t0 = clock()
        for _ in range(BATCH):
            fn()
        samples.append((clock() - t0) / BATCH * 1e6)
    return statistics.median(samples)


def main() -> None:
    preset = Preset("read-data", (
        Rule("fs", "deny", paths=["/data/secret/**", "/data/**/*.key"]),
        Rule("fs", "allow", ops=["read", "stat"], paths=["/data/**"]),
        Rule("network", "deny", urls=["*.internal"]),
        Rule("network", "allow", urls=["https://api.example.com:443"]),
        Rule("env", "allow", names=["APP_*"], ops=["read"]),
    ))
    with_check = Policy(
        permissions={"fs": lambda r: Decision(r.path.startswith("/data"))},
        presets=[preset],
    )
    rules_only = Policy(presets=[preset])
    fs_req = FsAccessRequest("read", "/data/reports/2026/q3.csv")
    net_req = NetworkAccessRequest("fetch", url="https://api.example.com/v1/x", method="GET",
                                   hostname="api.example.com", resolved_ips=("93.184.216.34",))
    env_req = EnvAccessRequest("read", "APP_MODE")
    cases = {
        "fs: guard + 2 deny rules + function check": lambda: with_check.decide(fs_req),
        "fs: guard + 2 deny rules + allow rule": lambda: rules_only.decide(fs_req),
        "network: guards on host+IP + deny + allow": lambda: rules_only.decide(net_req),
        "env: allow glob": lambda: rules_only.decide(env_req),
        "request construction (fs)": lambda: FsAccessRequest("read", "/data/reports/2026/q3.csv"),
        "request construction (network, 1 IP)": lambda: NetworkAccessRequest(
            "fetch", url="https://api.example.com/v1/x", method="GET", hostname="api.example.com",
            resolved_ips=("93.184.216.34",)),
    }
    loop = median_us(lambda: None, time.thread_time)
    print(f"(per-call loop overhead {loop:.2f} us, included below; thread CPU time = robust on a busy machine)")
    for label, fn in cases.items():
        cpu = median_us(fn, time.thread_time)
        wall = median_us(fn, time.perf_counter)
        print(f"{label:48s} median {cpu:6.2f} us CPU   {wall:6.2f} us wall")


if __name__ == "__main__":
    main()
