"""The full path, measured: cold start through the public API, an audited, policy-checked
fs.readFileSync, and persistent plugin calls.

Prints medians and ratios against quickjs-rs measured in the same run (its bare host call, and a
JS function call from Python), so numbers from a noisy machine stay comparable.

    .venv/bin/python benchmarks/bench_runtime.py [--quick]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import secure_exec as se
from secure_exec.engine.instance import JSInstance
from secure_exec.host.plugin_host import PluginHost

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import median_us

READ_LOOP = """const fs = require("fs"); const t0 = Date.now();
for (let i = 0; i < {n}; i++) fs.readFileSync("/data/small.txt", "utf8");"""
ENV_LOOP = "for (let i = 0; i < {n}; i++) process.env.LANG;"
BARE_LOOP = "for (let i = 0; i < {n}; i++) String(i);"

PLUGIN_MAIN = """let calls = 0;
export function render(args) { calls++; return { ok: true, calls, title: args.title.toUpperCase() }; }
"""
PLUGIN_TOML = '[plugin]\nid = "bench"\nversion = "1.0.0"\nentry = "main.mjs"\n'


def per_op_us(run: Callable[[str], Any], body: str, n: int, reps: int) -> float:
    """Median over reps of (loop with the op - same loop without it) / n."""
    per = []
    for _ in range(reps):
        t0 = time.perf_counter_ns()
        run(body.format(n=n))
        t1 = time.perf_counter_ns()
        run(BARE_LOOP.format(n=n))
        t2 = time.perf_counter_ns()
        per.append(((t1 - t0) - (t2 - t1)) / n / 1000)
    return statistics.median(per)


def cold_start() -> None:
    """What a host pays for one fresh sandbox through the public API: new runtime + first run."""
    rt = se.NodeRuntime()
    rt.run("export const x = 1;")
    rt.dispose()


def engine_cold_start() -> None:
    """The engine alone (a fresh instance from the snapshot and one eval), for the ratio."""
    js = JSInstance()
    js.eval_script("1+1")
    js.close()


def ours(quick: bool, tmp: Path) -> dict[str, float]:
    fs = se.create_in_memory_file_system()
    fs.mkdir("/data", recursive=True)
    fs.write_file("/data/small.txt", "hello world, a small file\n")
    policy = se.Policy(permissions={"fs": lambda r: se.Decision(allow=r.path.startswith("/data")),
                                    "env": lambda r: se.Decision(allow=r.key == "LANG")})
    r: dict[str, float] = {}
    n, reps = (2000, 3) if quick else (10000, 7)
    for _ in range(20):
        cold_start()
    r["cold start: new runtime + first run (us)"] = median_us(cold_start, 200 if quick else 1000)
    r["engine alone: new instance + eval (us)"] = median_us(engine_cold_start, 200 if quick else 1000)
    with se.AuditLog(tmp / "audit.jsonl") as log:
        rt = se.NodeRuntime(system_driver=se.create_node_driver(
            filesystem=fs, policy=policy, process_config=se.ProcessConfig(env={"LANG": "C.UTF-8"})),
            audit_log=log, time_limit=600)
        r["audited fs.readFileSync (us)"] = per_op_us(lambda src: rt.exec(src), READ_LOOP, n, reps)
        r["audited process.env read (us)"] = per_op_us(lambda src: rt.exec(src), ENV_LOOP, n, reps)
    plugin = tmp / "plugin"
    plugin.mkdir()
    (plugin / "main.mjs").write_text(PLUGIN_MAIN)
    (plugin / "secure-exec-plugin.toml").write_text(PLUGIN_TOML)
    with PluginHost() as host:
        p = host.load_plugin(plugin)
        arg = {"title": "hello"}
        for _ in range(200):
            p.call("render", arg)
        r["plugin.call small object (us)"] = median_us(lambda: p.call("render", arg), 2000 if quick else 20000)
        r["plugin load (ms)"] = median_us(lambda: host.load_plugin(plugin).close(), 30 if quick else 200) / 1000
    return r


def peer(quick: bool) -> dict[str, float] | None:
    try:
        from quickjs_rs import Runtime
    except ImportError:
        return None
    rt = Runtime()
    ctx = rt.new_context(timeout=600.0)
    ctx.register("h", lambda s: "pong")
    n, reps = (2000, 3) if quick else (10000, 7)
    r: dict[str, float] = {}

    def cold() -> None:
        rt2 = Runtime()
        c = rt2.new_context()
        c.eval("1+1")
        c.close()
        rt2.close()

    r["cold start: new runtime + context + eval (us)"] = median_us(cold, 200 if quick else 1000)
    r["bare host call (us)"] = per_op_us(ctx.eval, "for (let i = 0; i < {n}; i++) h('x');", n, reps)
    ctx.eval("globalThis.render = (a) => ({ ok: true, title: a.title.toUpperCase() }); 0")
    r["call JS function from Python (us)"] = median_us(lambda: ctx.eval('render({title: "hello"})'),
                                                       2000 if quick else 20000)
    ctx.close()
    rt.close()
    return r


def main() -> None:
    quick = "--quick" in sys.argv
    with tempfile.TemporaryDirectory() as d:
        mine = ours(quick, Path(d))
    theirs = peer(quick)
    print("secure_exec runtime benchmark (medians; lower is better)")
    for k, v in mine.items():
        print(f"  {k:<40} {v:10.2f}")
    cold = mine["cold start: new runtime + first run (us)"]
    engine = mine["engine alone: new instance + eval (us)"]
    print(f"  cold start / engine alone                   {cold / engine:10.3f}")
    if theirs is None:
        print("quickjs-rs is not installed (pip install quickjs-rs==0.2.6): no peer figures")
        return
    print("quickjs-rs 0.2.6, same run")
    for k, v in theirs.items():
        print(f"  {k:<40} {v:10.2f}")
    print("ratios (ours / quickjs-rs)")
    their_cold = theirs["cold start: new runtime + context + eval (us)"]
    print(f"  cold start / their cold start               {cold / their_cold:10.3f}")
    ratio = mine["audited fs.readFileSync (us)"] / theirs["bare host call (us)"]
    print(f"  audited fs read / their bare host call     {ratio:10.3f}")
    print(f"  plugin.call / their JS call from Python     "
          f"{mine['plugin.call small object (us)'] / theirs['call JS function from Python (us)']:10.3f}")
    print("targets: cold start <= 300 us, audited fs read <= 10 us, plugin.call <= 30 us, plugin load <= 2 ms")


if __name__ == "__main__":
    main()
