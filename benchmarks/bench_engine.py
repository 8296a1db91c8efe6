"""Engine micro-benchmarks: ours against quickjs-rs 0.2.6 (if installed). Prints medians; asserts nothing.

    .venv/bin/python benchmarks/bench_engine.py [--quick]

Targets (ours): cold start <= 0.3 ms, warm eval <= 30 us, host call <= 6 us, CPU loop <= 0.6x quickjs-rs,
RSS <= 0.5 MB per live sandbox.
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from secure_exec.engine import EngineLimits, JSInstance

CPU_LOOP = "(() => { let s=0; for (let i=0;i<3e6;i++) s+=i; return s })()"
HOST_LOOP = "for (let i = 0; i < {n}; i++) h('x'); 0"
BARE_LOOP = "for (let i = 0; i < {n}; i++) ; 0"


def median_us(fn: Callable[[], Any], n: int) -> float:
    samples = []
    for _ in range(n):
        t = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - t)
    return statistics.median(samples) / 1000


def smaps_kb() -> dict[str, int]:
    """Rss and Pss of this process in KB. Pss is the honest per-sandbox cost: pages of the shared
    copy-on-write snapshot image count in every sandbox's Rss but are divided among them in Pss."""
    out: dict[str, int] = {}
    with open("/proc/self/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0] in ("Rss:", "Pss:"):
                out[parts[0][:-1]] = int(parts[1])
    return out


class Ours:
    name = "secure_exec"

    def __init__(self) -> None:
        JSInstance().close()  # load and cache the module outside the timings

    def cold(self) -> None:
        js = JSInstance()
        js.eval_script("1+1")
        js.close()

    def make(self) -> Any:
        js = JSInstance(limits=EngineLimits(time_limit=60), host_call=lambda raw: (False, b'"pong"'))
        js.eval_privileged("(b) => { globalThis.h = b.hostCall }")
        return js

    def eval(self, js: Any, src: str) -> Any:
        return js.eval_script(src)

    def close(self, js: Any) -> None:
        js.close()


class QuickjsRs:
    name = "quickjs-rs"

    def __init__(self) -> None:
        from quickjs_rs import Runtime

        self.Runtime = Runtime
        self.cold()

    def cold(self) -> None:
        rt = self.Runtime()
        ctx = rt.new_context(timeout=5.0)
        ctx.eval("1+1")
        ctx.close()
        rt.close()

    def make(self) -> Any:
        rt = self.Runtime()
        ctx = rt.new_context(timeout=60.0)
        ctx.register("h", lambda s: "pong")
        return (rt, ctx)

    def eval(self, js: Any, src: str) -> Any:
        return js[1].eval(src)

    def close(self, js: Any) -> None:
        js[1].close()
        js[0].close()


def measure(e: Any, quick: bool) -> dict[str, float]:
    r: dict[str, float] = {}
    r["cold start (us)"] = median_us(e.cold, 50 if quick else 300)
    js = e.make()
    r["warm eval 1+1 (us)"] = median_us(lambda: e.eval(js, "1+1"), 500 if quick else 3000)
    n = 2000 if quick else 20000
    per = []
    for _ in range(3 if quick else 7):
        t = time.perf_counter_ns()
        e.eval(js, HOST_LOOP.format(n=n))
        t1 = time.perf_counter_ns()
        e.eval(js, BARE_LOOP.format(n=n))
        t2 = time.perf_counter_ns()
        per.append(((t1 - t) - (t2 - t1)) / n / 1000)
    r["host call round trip (us)"] = statistics.median(per)
    r["CPU loop 3e6 (ms)"] = median_us(lambda: e.eval(js, CPU_LOOP), 3 if quick else 7) / 1000
    e.close(js)
    gc.collect()
    before = smaps_kb()
    live = [e.make() for _ in range(50)]
    for x in live:
        e.eval(x, "1+1")
    after = smaps_kb()
    r["RSS per live sandbox (KB)"] = (after["Rss"] - before["Rss"]) / 50
    r["PSS per live sandbox (KB)"] = (after["Pss"] - before["Pss"]) / 50
    for x in live:
        e.close(x)
    return r


def thread_speedup(quick: bool) -> float:
    """CPU loop in one sandbox vs two sandboxes on two threads (the GIL is released while wasm runs)."""
    import threading

    def run() -> None:
        js = JSInstance(limits=EngineLimits(time_limit=60))
        js.eval_script(CPU_LOOP)
        js.close()

    def wall(nthreads: int) -> float:
        ts = [threading.Thread(target=run) for _ in range(nthreads)]
        t = time.perf_counter()
        for th in ts:
            th.start()
        for th in ts:
            th.join()
        return time.perf_counter() - t

    reps = 2 if quick else 5
    one = statistics.median(wall(1) for _ in range(reps))
    two = statistics.median(wall(2) for _ in range(reps))
    return 2 * one / two


TARGETS = {
    "cold start (us)": 300,
    "warm eval 1+1 (us)": 30,
    "host call round trip (us)": 6,
    "RSS per live sandbox (KB)": 512,
}


def main() -> None:
    quick = "--quick" in sys.argv
    fast = os.environ.get("SECURE_EXEC_ENGINE_SLOWPATH", "") in ("", "0")
    print(f"secure_exec engine benchmark ({'fast' if fast else 'public-API'} crossing path, medians)")
    ours = measure(Ours(), quick)
    theirs: dict[str, float] | None = None
    try:
        theirs = measure(QuickjsRs(), quick)
    except ImportError:
        print("quickjs-rs is not installed (pip install quickjs-rs==0.2.6): printing ours alone")
    print(f"{'metric':30} {'secure_exec':>12} {'quickjs-rs':>12} {'ratio':>8} {'target':>10}")
    for k, v in ours.items():
        other = f"{theirs[k]:12.2f}" if theirs else f"{'-':>12}"
        ratio = f"{v / theirs[k]:8.2f}" if theirs and theirs[k] else f"{'-':>8}"
        target = f"<= {TARGETS[k]}" if k in TARGETS else "<= 0.6x" if k.startswith("CPU") else ""
        print(f"{k:30} {v:12.2f} {other} {ratio} {target:>10}")
    print(f"two threads, two sandboxes, CPU loop: {thread_speedup(quick):.2f}x the throughput of one")


if __name__ == "__main__":
    main()
