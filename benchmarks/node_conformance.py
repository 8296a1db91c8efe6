"""Node compatibility measured by Node's own tests: v22 ``test/parallel``, one fresh sandbox per test.

Not part of CI (a full run takes long). Node's test code is never committed here; fetch it once
into a cache folder outside the repository, then run:

    # 1. get a git copy of Node v22's tests (either repository works), e.g.
    #      git clone --filter=blob:none --no-checkout https://github.com/rivet-dev/secure-exec /tmp/se
    #    (secure-exec vendors Node v22.14.0 test/parallel + fixtures with a shimmed test/common), or
    #      git clone --depth 1 --branch v22.14.0 https://github.com/nodejs/node /tmp/node
    .venv/bin/python benchmarks/node_conformance.py extract /tmp/se/.git      # or /tmp/node/.git
    # 2. measure (per-module table as in issue 13; --modules fs,path,... for a subset)
    .venv/bin/python benchmarks/node_conformance.py run [--jobs 2] [--timeout 15] [--node]

The cache is ``$SECURE_EXEC_NODE_TESTS`` or ``~/.cache/secure_exec/node-v22-tests`` and holds
``parallel/``, ``common/``, ``fixtures/`` (and secure-exec's ``conformance-report.json`` when the tests
came from there, shown as a column). Each test runs in a new ``NodeRuntime`` with everything allowed
(``allow_all``; host files, child processes, network), the cache mounted read-only at ``/test``, a fresh
writable host directory as ``/`` (so ``/tmp/node-test`` is new for every test), cwd ``/test/parallel``
and an empty environment. A test passes only when it exits 0 and printed no "Mismatched ... function
calls" report (test/common's mustCall check, which a broken ``process.exit`` in an exit listener
would otherwise hide). ``--node`` also runs the same files with the machine's ``node`` for a column.
Results go to ``<cache>/results/<label>.json`` (per test: passed, exit code, first error line).
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = Path(os.environ.get("SECURE_EXEC_NODE_TESTS", Path.home() / ".cache/secure_exec/node-v22-tests"))
PREFIXES = ("packages/secure-exec/tests/node-conformance", "test")  # secure-exec's vendored copy, nodejs/node
PARTS = ("parallel", "common", "fixtures")
EXTRA = ("conformance-report.json",)
# The rows of issue 13's table (a module is the first dash-separated word after "test-").
TABLE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("fs", ("fs",)), ("path", ("path",)), ("buffer", ("buffer",)), ("events", ("events",)),
    ("util", ("util",)), ("url", ("url",)), ("timers", ("timers",)), ("assert", ("assert",)),
    ("stream / stream2 / stream3", ("stream", "stream2", "stream3")),
    ("child_process", ("child",)), ("crypto", ("crypto",)), ("process", ("process",)),
    ("module", ("module",)), ("os", ("os",)), ("querystring", ("querystring",)),
    ("string_decoder", ("string",)),
)
MISMATCH = re.compile(r"Mismatched .* function calls")


def module_of(filename: str) -> str:
    """secure-exec's grouping: test-fs-read.js -> fs, test-child-process-x.js -> child."""
    return filename.removeprefix("test-").removesuffix(".js").split("-")[0]


# ---------------------------------------------------------------------------------------- extract

def extract(git_dir: str, ref: str, cache: Path) -> None:
    """Copy test/{parallel,common,fixtures} of ``ref`` out of a (possibly partial) git dir into ``cache``."""
    def git(*args: str, inp: bytes | None = None) -> bytes:
        return subprocess.run(["git", f"--git-dir={git_dir}", *args], input=inp, check=True,
                              capture_output=True).stdout

    prefix = next((p for p in PREFIXES if git("ls-tree", ref, p + "/parallel/").strip()), None)
    if prefix is None:
        sys.exit(f"no test/parallel under {PREFIXES} at {ref} in {git_dir}")
    listing = git("ls-tree", "-r", ref, *(f"{prefix}/{p}" for p in PARTS + EXTRA)).decode()
    blobs = [line.split("\t", 1) for line in listing.splitlines() if " blob " in line.split("\t", 1)[0]]
    check = git("cat-file", "--batch-check", inp="".join(m.split()[2] + "\n" for m, _ in blobs).encode())
    missing = [path for (_, path), line in zip(blobs, check.decode().splitlines(), strict=True)
               if line.endswith(" missing")]
    tmp = cache.with_name(cache.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    spec = [f"{prefix}/{p}" for p in PARTS + EXTRA if any(x.startswith(f"{prefix}/{p}") for _, x in blobs)]
    archive = git("archive", "--format=tar", ref, "--", *spec, *(f":(exclude){m}" for m in missing))
    subprocess.run(["tar", "-x", "-C", str(tmp), f"--strip-components={prefix.count('/') + 1}"], input=archive,
                   check=True)
    shutil.rmtree(cache, ignore_errors=True)
    tmp.rename(cache)
    n = sum(1 for f in (cache / "parallel").iterdir() if f.name.startswith("test-") and f.suffix == ".js")
    print(f"extracted {n} tests from {git_dir} ({ref}:{prefix}) into {cache}"
          + (f"; {len(missing)} blobs absent from the copy: {', '.join(missing)}" if missing else ""))


# ---------------------------------------------------------------------------------------- run

def _first_error(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for ln in lines:
        if MISMATCH.search(ln) or re.match(r"^(\w*Error|AssertionError|Uncaught|\w+ is not supported)", ln) \
                or "ERR_" in ln or "is not a function" in ln or "not supported" in ln:
            return ln[:240]
    return (lines[-1] if lines else "")[:240]


def run_sandbox(test: str, cache: str, timeout: float, memory: int, commands: bool) -> dict[str, Any]:
    import secure_exec as se
    from secure_exec.providers.hostfs import Mount

    out: list[str] = []
    with tempfile.TemporaryDirectory(prefix="se-node-test-") as root:
        os.makedirs(os.path.join(root, "tmp", "node-test"))
        fs = se.HostFileSystem(root, mounts={"/test": Mount(cache, read_only=True)})
        driver = se.create_node_driver(
            filesystem=fs, permissions=se.allow_all, network=se.HttpNetworkProvider(),
            command_executor=se.create_command_executor() if commands else None,
            process_config=se.ProcessConfig(cwd="/test/parallel", env={}),
        )
        t0 = time.monotonic()
        try:
            with se.NodeRuntime(system_driver=driver, time_limit=timeout, memory_limit=memory,
                                on_stdio=lambda ev: out.append(ev.data)) as rt:
                code = Path(cache, "parallel", test).read_text(encoding="utf-8", errors="replace")
                r = rt.exec(code, file_path=f"/test/parallel/{test}", cwd="/test/parallel", env={})
                exit_code, err = r.code, r.error_message or ""
        except Exception as e:
            exit_code, err = -1, f"host: {type(e).__name__}: {e}"
        finally:
            fs.close_all()
    text = "".join(out) + "\n" + err
    passed = exit_code == 0 and not MISMATCH.search(text)
    return {"test": test, "passed": passed, "code": exit_code, "ms": round((time.monotonic() - t0) * 1000),
            "error": "" if passed else _first_error(text)}


def run_node(test: str, cache: str, timeout: float) -> dict[str, Any]:
    t0 = time.monotonic()
    try:
        p = subprocess.run(["node", test], cwd=os.path.join(cache, "parallel"), capture_output=True,
                           timeout=timeout, env={"PATH": os.environ.get("PATH", "")}, check=False)
        code, text = p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        code, text = 124, "timeout"
    passed = code == 0 and not MISMATCH.search(text)
    return {"test": test, "passed": passed, "code": code, "ms": round((time.monotonic() - t0) * 1000),
            "error": "" if passed else _first_error(text)}


def select(cache: Path, modules: list[str] | None, pattern: str | None) -> list[str]:
    tests = sorted(f.name for f in (cache / "parallel").iterdir() if f.name.startswith("test-") and f.suffix == ".js")
    if modules:
        want = {m for row, mods in TABLE if row in modules or set(mods) & set(modules) for m in mods} | set(modules)
        tests = [t for t in tests if module_of(t) in want]
    if pattern:
        tests = [t for t in tests if re.search(pattern, t)]
    return tests


def _one(job: tuple[str, str, bool, float, int, bool]) -> dict[str, Any]:
    test, cache, node, timeout, memory, commands = job
    try:
        return run_node(test, cache, timeout) if node else run_sandbox(test, cache, timeout, memory, commands)
    except Exception as e:
        return {"test": test, "passed": False, "code": -1, "ms": 0, "error": f"worker: {type(e).__name__}: {e}"}


def run_all(tests: list[str], cache: Path, args: argparse.Namespace, node: bool) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    t0 = time.monotonic()
    jobs = [(t, str(cache), node, args.timeout, args.memory, not args.no_commands) for t in tests]
    with multiprocessing.get_context("fork").Pool(args.jobs, maxtasksperchild=20) as pool:
        for i, r in enumerate(pool.imap_unordered(_one, jobs), 1):
            results[r["test"]] = r
            if args.verbose:
                print(f"{'PASS' if r['passed'] else 'FAIL'} {r['test']} ({r['ms']} ms) {r['error']}", flush=True)
            elif i % 100 == 0:
                print(f"  {'node' if node else 'sandbox'}: {i}/{len(tests)} in {time.monotonic() - t0:.0f} s",
                      file=sys.stderr, flush=True)
    return results


def secure_exec_counts(cache: Path) -> dict[str, int]:
    p = cache / "conformance-report.json"
    if not p.exists():
        return {}
    mods = json.loads(p.read_text())["modules"]
    return {m: int(v["pass"]) - int(v.get("vacuousPass", 0)) for m, v in mods.items()}


def table(tests: list[str], ours: dict[str, dict[str, Any]], node: dict[str, dict[str, Any]] | None,
          se_counts: dict[str, int]) -> str:
    by_mod: dict[str, list[str]] = collections.defaultdict(list)
    for t in tests:
        by_mod[module_of(t)].append(t)
    head = "| module | tests | secure-exec passes | ours |" + (" real node |" if node else "")
    lines = [head, "|---|---|---|---|" + ("---|" if node else "")]

    def row(label: str, names: list[str], se_n: int | None) -> None:
        n_ours = sum(1 for t in names if ours.get(t, {}).get("passed"))
        cells = [label, str(len(names)), "" if se_n is None else str(se_n), str(n_ours)]
        if node:
            cells.append(str(sum(1 for t in names if node.get(t, {}).get("passed"))))
        lines.append("| " + " | ".join(cells) + " |")

    for label, mods in TABLE:
        names = [t for m in mods for t in by_mod.get(m, [])]
        if names:
            row(label, names, sum(se_counts.get(m, 0) for m in mods) if se_counts else None)
    row("**selected tests**", tests, None)
    return "\n".join(lines)


def causes(ours: dict[str, dict[str, Any]], top: int) -> str:
    norm = collections.Counter()
    for r in ours.values():
        if not r["passed"]:
            e = re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "…", r["error"])[:110]
            norm[e] += 1
    return "\n".join(f"{n:5d}  {e}" for e, n in norm.most_common(top))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    ex = sub.add_parser("extract", help="copy Node's tests out of a git dir into the cache")
    ex.add_argument("git_dir")
    ex.add_argument("--ref", default="HEAD")
    ex.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    rn = sub.add_parser("run", help="run the tests and print the per-module table")
    rn.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    rn.add_argument("--modules", help="comma-separated modules (fs,path,stream,...); default: every test")
    rn.add_argument("--pattern", help="regex on the test file name")
    rn.add_argument("--jobs", type=int, default=2)
    rn.add_argument("--timeout", type=float, default=15.0, help="seconds per test")
    rn.add_argument("--memory", type=int, default=512, help="sandbox memory limit in MB")
    rn.add_argument("--no-commands", action="store_true", help="no child processes on the host")
    rn.add_argument("--node", action="store_true", help="also run each test with the machine's node")
    rn.add_argument("--label", default=time.strftime("%Y%m%dT%H%M%S"))
    rn.add_argument("--causes", type=int, default=25, help="print the N most common first error lines")
    rn.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    if a.cmd == "extract":
        extract(a.git_dir, a.ref, a.cache.expanduser())
        return
    cache = a.cache.expanduser()
    if not (cache / "parallel").is_dir():
        sys.exit(f"no tests in {cache}: run `{Path(__file__).name} extract <git dir>` first (see --help)")
    tests = select(cache, a.modules.split(",") if a.modules else None, a.pattern)
    t0 = time.monotonic()
    ours = run_all(tests, cache, a, node=False)
    node = run_all(tests, cache, a, node=True) if a.node else None
    out = cache / "results" / f"{a.label}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"ours": ours, "node": node}, indent=1, sort_keys=True))
    print(table(tests, ours, node, secure_exec_counts(cache)))
    print(f"\n{len(tests)} tests in {time.monotonic() - t0:.0f} s; results in {out}")
    if a.causes:
        print("\nmost common first error lines of failing tests (ours):\n" + causes(ours, a.causes))


if __name__ == "__main__":
    main()
