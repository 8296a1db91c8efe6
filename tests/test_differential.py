"""Differential tests: every script in tests/differential/ must print the same stdout and exit with the
same code inside the sandbox (everything allowed) as under the real Node.js v20.

Why a cache: CI machines may lack ``node``, so Node's results live in ``tests/differential/expected.json``
(regenerate with ``python tests/test_differential.py --regen``). Each entry records the SHA-256 of its
script, so a stale cache fails even without node; when node is present the cache is also re-checked
against a fresh run.

Why floors: some Node behaviour is out of scope (see docs/node-differences.md), so per-module pass
rates are asserted against ``tests/differential/floors.json`` instead of demanding 100 %. Scripts listed
in ``tests/differential/known_differences.json`` are strict xfails: when one starts passing the suite
fails until the entry is removed, so the list cannot go stale.

Command line (run from the repository root):
  python tests/test_differential.py --regen          rebuild expected.json with the local node
  python tests/test_differential.py --report         run the sandbox side, print per-module pass rates
  python tests/test_differential.py --update-floors  as --report, then write the rates as new floors
  python tests/test_differential.py --check-node     re-run every script under node, compare with the cache
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs
import pytest

CORPUS_DIR = Path(__file__).resolve().parent / "differential"
EXPECTED_FILE = CORPUS_DIR / "expected.json"
FLOORS_FILE = CORPUS_DIR / "floors.json"
KNOWN_FILE = CORPUS_DIR / "known_differences.json"

# The environment both sides see; the corpus prints DIFF_VAR to prove env plumbing works.
DIFF_ENV = {"DIFF_VAR": "hello"}
SANDBOX_CWD = "/work"
NODE_TIMEOUT_S = 10
SANDBOX_TIME_LIMIT_S = 10

# Public API names the sandbox side needs (the lead's integration contract).
REQUIRED_API = (
    "create_in_memory_file_system",
    "NodeRuntime",
    "create_node_driver",
    "allow_all",
    "create_command_executor",
    "ProcessConfig",
    "create_node_runtime_driver_factory",
)


@attrs.frozen
class Outcome:
    """What one side produced for one script: exit code and stdout (stderr is deliberately ignored,
    since error messages and stack traces legitimately differ between V8 and QuickJS)."""

    code: int | None
    stdout: str
    error: str = ""  # set when the run itself failed (host exception, timeout); never equal across sides
    detail: str = attrs.field(default="", eq=False)  # stderr / error message: shown in diffs, never compared

    def same_as(self, other: Outcome) -> bool:
        return not self.error and not other.error and (self.code, self.stdout) == (other.code, other.stdout)


# ----------------------------------------------------------------------------------------------- corpus


def corpus_scripts() -> list[str]:
    """Script ids ("module/name.js"), sorted; the directory name is the module they count towards."""
    found = [p for p in CORPUS_DIR.glob("*/*") if p.suffix in (".js", ".mjs") and p.is_file()]
    return sorted(str(p.relative_to(CORPUS_DIR)) for p in found)


def module_of(script_id: str) -> str:
    return script_id.split("/", 1)[0]


def script_digest(script_id: str) -> str:
    return hashlib.sha256((CORPUS_DIR / script_id).read_bytes()).hexdigest()


def load_json(path: Path, default: Any) -> Any:
    if not path.exists():
        return default
    return json.loads(path.read_text(encoding="utf-8"))


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


# ----------------------------------------------------------------------------------------------- node side


def node_binary() -> str | None:
    return shutil.which("node")


def node_version(node: str) -> str:
    return subprocess.run([node, "--version"], capture_output=True, text=True, timeout=NODE_TIMEOUT_S).stdout.strip()


def run_node(node: str, script_id: str) -> Outcome:
    """Run one script under real node in a fresh empty cwd with only PATH and DIFF_VAR set."""
    with tempfile.TemporaryDirectory(prefix="diff-node-") as cwd:
        try:
            proc = subprocess.run(
                [node, str(CORPUS_DIR / script_id)],
                cwd=cwd,
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **DIFF_ENV},
                capture_output=True,
                timeout=NODE_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            return Outcome(None, "", error=f"node timed out after {NODE_TIMEOUT_S}s")
    return Outcome(proc.returncode, proc.stdout.decode("utf-8", errors="replace"))


def run_node_all(node: str, script_ids: Iterable[str]) -> dict[str, Outcome]:
    ids = list(script_ids)
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(ids, pool.map(lambda s: run_node(node, s), ids), strict=True))


def regenerate_expected() -> None:
    """Rebuild expected.json; refuse to record a script whose node output is not reproducible."""
    node = node_binary()
    if node is None:
        raise SystemExit("--regen needs `node` on PATH")
    ids = corpus_scripts()
    first, second = run_node_all(node, ids), run_node_all(node, ids)
    unstable = [s for s in ids if (first[s].code, first[s].stdout) != (second[s].code, second[s].stdout)]
    broken = [s for s in ids if first[s].error]
    if unstable or broken:
        raise SystemExit(f"not recorded: nondeterministic {unstable}, failed to run {broken}")
    results = {s: {"code": first[s].code, "stdout": first[s].stdout, "sha256": script_digest(s)} for s in ids}
    write_json(EXPECTED_FILE, {"node_version": node_version(node), "results": results})
    print(f"wrote {len(ids)} results from node {node_version(node)} to {EXPECTED_FILE}")


def expected_outcome(script_id: str) -> Outcome:
    entry = load_json(EXPECTED_FILE, {"results": {}})["results"].get(script_id)
    if entry is None:
        raise AssertionError(f"{script_id}: no entry in {EXPECTED_FILE.name}; run tests/test_differential.py --regen")
    return Outcome(entry["code"], entry["stdout"])


# ----------------------------------------------------------------------------------------------- sandbox side


def secure_exec_api() -> Any:
    """The public API, or an AssertionError naming what is missing (fail loudly, never skip)."""
    se = importlib.import_module("secure_exec")
    missing = [name for name in REQUIRED_API if not hasattr(se, name)]
    if missing:
        raise AssertionError(
            "differential runner needs the public secure_exec API, missing: " + ", ".join(missing)
        )
    return se


def run_sandbox(script_id: str) -> Outcome:
    """Run one script in a fresh sandbox: in-memory fs with cwd /work, allow-all, real command executor."""
    se = secure_exec_api()
    file_path = f"{SANDBOX_CWD}/{Path(script_id).name}"
    fs = se.create_in_memory_file_system()
    fs.mkdir(SANDBOX_CWD, recursive=True)
    out: list[str] = []
    err: list[str] = []

    def on_stdio(ev: Any) -> None:
        (out if ev.channel == "stdout" else err).append(ev.data)

    rt = se.NodeRuntime(
        system_driver=se.create_node_driver(
            filesystem=fs,
            permissions=se.allow_all,
            command_executor=se.create_command_executor(),
            process_config=se.ProcessConfig(cwd=SANDBOX_CWD, env=dict(DIFF_ENV), argv=["node", file_path]),
        ),
        runtime_driver_factory=se.create_node_runtime_driver_factory(),
        time_limit=SANDBOX_TIME_LIMIT_S,
    )
    try:
        source = (CORPUS_DIR / script_id).read_text(encoding="utf-8")
        try:
            res = rt.exec(source, file_path=file_path, on_stdio=on_stdio)
        except Exception as exc:
            return Outcome(None, "".join(out), error=f"{type(exc).__name__}: {exc}", detail="".join(err))
        message = getattr(res, "error_message", "") or ""
        return Outcome(res.code, "".join(out), detail=f"{message}\n{''.join(err)}".strip())
    finally:
        for closer in ("dispose", "close"):
            if callable(getattr(rt, closer, None)):
                getattr(rt, closer)()
                break


_SANDBOX_CACHE: dict[str, Outcome] = {}


def sandbox_outcome(script_id: str) -> Outcome:
    """Each script runs in the sandbox once per session; the per-script tests and the summary share it."""
    if script_id not in _SANDBOX_CACHE:
        try:
            _SANDBOX_CACHE[script_id] = run_sandbox(script_id)
        except AssertionError:
            raise
        except Exception as exc:  # a crash while setting up the runtime is a failed script, not a crashed run
            _SANDBOX_CACHE[script_id] = Outcome(None, "", error="".join(traceback.format_exception_only(exc)))
    return _SANDBOX_CACHE[script_id]


# ----------------------------------------------------------------------------------------------- rates


def per_module_rates(passed: dict[str, bool]) -> dict[str, tuple[int, int]]:
    """module -> (passed, total)."""
    rates: dict[str, tuple[int, int]] = {}
    for script_id, ok in passed.items():
        p, t = rates.get(module_of(script_id), (0, 0))
        rates[module_of(script_id)] = (p + int(ok), t + 1)
    return dict(sorted(rates.items()))


def format_rates(rates: dict[str, tuple[int, int]]) -> str:
    """A plain table the lead can paste into a note."""
    lines = ["module            passed/total   rate"]
    for module, (p, t) in rates.items():
        lines.append(f"{module:<17} {p:>6}/{t:<6} {100.0 * p / t:6.1f} %")
    tp, tt = sum(p for p, _ in rates.values()), sum(t for _, t in rates.values())
    lines.append(f"{'TOTAL':<17} {tp:>6}/{tt:<6} {100.0 * tp / max(tt, 1):6.1f} %")
    return "\n".join(lines)


def diff_text(script_id: str, want: Outcome, got: Outcome) -> str:
    parts = [f"{script_id}: sandbox differs from node"]
    if got.error:
        parts.append(f"  sandbox run failed: {got.error.strip()}")
    if want.code != got.code:
        parts.append(f"  exit code: node {want.code}, sandbox {got.code}")
    if want.stdout != got.stdout:
        parts.append(f"  node stdout:    {want.stdout!r}\n  sandbox stdout: {got.stdout!r}")
    if got.detail:
        parts.append(f"  sandbox stderr (not compared): {got.detail[:300]!r}")
    return "\n".join(parts)


def measure_all() -> dict[str, bool]:
    return {s: sandbox_outcome(s).same_as(expected_outcome(s)) for s in corpus_scripts()}


# ----------------------------------------------------------------------------------------------- tests

SCRIPTS = corpus_scripts()
KNOWN: dict[str, str] = load_json(KNOWN_FILE, {})


def test_corpus_is_large_enough() -> None:
    assert len(SCRIPTS) >= 170, f"corpus has only {len(SCRIPTS)} scripts"
    for script_id in SCRIPTS:
        head = (CORPUS_DIR / script_id).read_text(encoding="utf-8").splitlines()[0]
        assert head.startswith(f"// {module_of(script_id)}: "), f"{script_id}: header comment missing: {head!r}"


def test_runner_failed_runs_never_count_as_matches() -> None:
    """A sandbox run that raised (timeout, host error) must fail even if stdout and code happen to agree."""
    ok = Outcome(0, "x\n")
    assert ok.same_as(Outcome(0, "x\n", detail="stderr differs, ignored"))
    assert not ok.same_as(Outcome(0, "x\n", error="TimeLimitExceeded"))
    assert not ok.same_as(Outcome(1, "x\n")) and not ok.same_as(Outcome(0, "x"))


def test_runner_rates_are_per_module() -> None:
    rates = per_module_rates({"fs/a.js": True, "fs/b.js": False, "path/c.js": True})
    assert rates == {"fs": (1, 2), "path": (1, 1)}
    table = format_rates(rates)
    assert "fs                     1/2        50.0 %" in table and table.splitlines()[-1].split()[1] == "2/3"
    assert node_sample(["fs/a.js", "fs/b.js", "path/c.js"]) == ["fs/a.js", "path/c.js"]


def test_expected_cache_matches_scripts() -> None:
    """Every script has a cached node result recorded from its current content, and nothing else does."""
    results = load_json(EXPECTED_FILE, {"results": {}})["results"]
    missing = [s for s in SCRIPTS if s not in results]
    stale = [s for s in SCRIPTS if s in results and results[s]["sha256"] != script_digest(s)]
    extra = sorted(set(results) - set(SCRIPTS))
    assert not (missing or stale or extra), (
        f"expected.json out of date (missing {missing}, stale {stale}, extra {extra}); "
        "run python tests/test_differential.py --regen"
    )


def test_known_differences_name_real_scripts() -> None:
    unknown = sorted(set(KNOWN) - set(SCRIPTS))
    assert not unknown, f"known_differences.json names scripts that do not exist: {unknown}"
    assert all(isinstance(r, str) and r.strip() for r in KNOWN.values()), "every known difference needs a reason"


def node_sample(script_ids: list[str]) -> list[str]:
    """One script per module: enough to notice a changed node behaving differently, cheap enough for
    every test run (a full re-run is ``--check-node``; script edits are caught by the hashes above)."""
    firsts: dict[str, str] = {}
    for script_id in script_ids:
        firsts.setdefault(module_of(script_id), script_id)
    return sorted(firsts.values())


def stale_against_node(node: str, script_ids: list[str]) -> list[str]:
    fresh = run_node_all(node, script_ids)
    return [s for s in script_ids if not fresh[s].same_as(expected_outcome(s))]


@pytest.mark.skipif(node_binary() is None, reason="node is not installed; the committed cache is used instead")
def test_expected_cache_is_current_with_node() -> None:
    node = node_binary()
    assert node is not None
    recorded = load_json(EXPECTED_FILE, {"node_version": ""})["node_version"]
    assert recorded.split(".")[0] == node_version(node).split(".")[0], (
        f"cache recorded with node {recorded}, local node is {node_version(node)}"
    )
    changed = stale_against_node(node, node_sample(SCRIPTS))
    assert not changed, f"node output differs from expected.json for {changed}; run --regen"


def _param(script_id: str) -> Any:
    if script_id in KNOWN:
        reason = f"{KNOWN[script_id]} [known difference: delete its entry in {KNOWN_FILE.name} once fixed]"
        return pytest.param(script_id, marks=pytest.mark.xfail(reason=reason, strict=True))
    return script_id


@pytest.mark.parametrize("script_id", [_param(s) for s in SCRIPTS])
def test_sandbox_matches_node(script_id: str) -> None:
    want, got = expected_outcome(script_id), sandbox_outcome(script_id)
    assert got.same_as(want), diff_text(script_id, want, got)


def test_pass_rate_floors() -> None:
    """Per-module pass rates must not drop below the recorded floors; every module needs a floor."""
    rates = per_module_rates(measure_all())
    print("\n" + format_rates(rates))
    floors: dict[str, float] = load_json(FLOORS_FILE, {})
    unfloored = sorted(m for m in rates if m not in floors)
    assert not unfloored, (
        f"no pass-rate floor recorded for {unfloored}; run python tests/test_differential.py --update-floors\n"
        + format_rates(rates)
    )
    below = {m: (100.0 * p / t, floors[m]) for m, (p, t) in rates.items() if 100.0 * p / t < floors[m]}
    assert not below, f"pass rate below floor (rate %, floor %): {below}\n" + format_rates(rates)


# ----------------------------------------------------------------------------------------------- CLI


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--regen", action="store_true", help="rebuild expected.json with the local node")
    group.add_argument("--report", action="store_true", help="print per-module pass rates of the sandbox")
    group.add_argument("--update-floors", action="store_true", help="report, then record the rates as floors")
    group.add_argument("--check-node", action="store_true", help="re-run every script under node against the cache")
    parser.add_argument("--failures", action="store_true", help="with --report: print each differing script")
    args = parser.parse_args(argv)
    if args.regen:
        regenerate_expected()
        return 0
    if args.check_node:
        node = node_binary()
        if node is None:
            raise SystemExit("--check-node needs `node` on PATH")
        changed = stale_against_node(node, corpus_scripts())
        print(f"{len(changed)} scripts differ from expected.json: {changed}" if changed else "expected.json is current")
        return 1 if changed else 0
    passed = measure_all()
    if args.failures:
        for s, ok in passed.items():
            if not ok:
                print(diff_text(s, expected_outcome(s), sandbox_outcome(s)))
    rates = per_module_rates(passed)
    print(format_rates(rates))
    if args.update_floors:
        # Floors are rounded down to whole percent so tiny float noise never fails the suite.
        write_json(FLOORS_FILE, {m: float(int(100.0 * p / t)) for m, (p, t) in rates.items()})
        print(f"floors written to {FLOORS_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
