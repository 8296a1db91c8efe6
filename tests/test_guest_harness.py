"""Guest shim test harness + checks of the bundle itself (hidden primitives, no host calls at load,
no reliance on what QuickJS lacks, reproducible build, ESM wrappers of built-ins).

The shim runs in the machine's real ``node`` inside a bare ``node:vm`` context driven by
``secure_exec/runtime/guest/testing/fake_host.mjs`` (an in-memory fake of every bridge op), so these
tests need no wasm engine. Other ``test_guest_*`` files import ``run_guest``/``node_eval`` from here.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from secure_exec.errors import GuestError
from secure_exec.runtime.guest import BUNDLE_PATH, GUEST_DIR, esm_wrapper_source, is_builtin

FAKE_HOST = GUEST_DIR / "testing" / "fake_host.mjs"


def run_guest(source: str, **spec: Any) -> dict[str, Any]:
    """Run ``source`` as the CommonJS main module (or ``mode="script"``) against the fake host."""
    body = {"source": source, "mode": spec.pop("mode", "cjs"), **spec}
    proc = subprocess.run(
        ["node", str(FAKE_HOST)], input=json.dumps(body), capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, f"fake host crashed: {proc.stderr[-2000:]}"
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def guest_lines(source: str, **spec: Any) -> list[str]:
    """stdout lines of a guest run that must exit 0."""
    r = run_guest(source, **spec)
    assert r["exit"] == 0, f"exit {r['exit']}: {r['stderr']}"
    return list(r["stdout"].splitlines())


def node_eval(source: str) -> str:
    """The same snippet under real Node, for differential checks of pure modules."""
    proc = subprocess.run(["node", "-e", source], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_bundle_loads_without_any_host_call() -> None:
    # The bundle is evaluated at snapshot time, when no run-specific host state exists.
    r = run_guest("", mode="script")
    assert r["exit"] == 0
    assert r["ops"] == []


@pytest.mark.parametrize("contract", ["raw", "core"])
def test_raw_primitives_are_hidden_and_entry_points_fixed(contract: str) -> None:
    src = """
    const names = ['__se_hostcall', '__secure_exec_bridge', '__se_host_call'];
    console.log(names.map((n) => typeof globalThis[n]).join(','));
    console.log(Object.keys(globalThis).filter((k) => k.startsWith('__se')).length);
    const before = globalThis.__se_tick;
    try { globalThis.__se_tick = () => 0; } catch (e) { console.log('threw', e.constructor.name); }
    console.log(globalThis.__se_tick === before, typeof __se_settle, typeof __se_pending);
    """
    lines = guest_lines(src, contract=contract)
    assert lines[0] == "undefined,undefined,undefined"
    assert lines[1] == "0"  # entry points are not enumerable
    assert lines[-1] == "true function function"


def test_node_host_globals_are_not_visible() -> None:
    src = """
    console.log(typeof process.binding, typeof process.versions.v8, typeof Intl, typeof WebAssembly);
    console.log(typeof globalThis.require, require !== globalThis.require, typeof module, typeof exports);
    try { process.binding('fs'); } catch (e) { console.log(e.message); }
    """
    lines = guest_lines(src)
    assert lines[0] == "function undefined undefined undefined"
    assert lines[1] == "undefined true object object"  # as in Node: require is per module, not global
    assert lines[2] == "process.binding is not supported in sandbox"


def test_contract_core_async_settle_goes_through_engine_settle() -> None:
    # 00-core.js owns __se_settle; async ops must still resolve through it.
    src = """
    require('child_process').exec('echo hi', (err, out) => console.log(err, out));
    """
    lines = guest_lines(src, contract="core", commands={"/bin/sh": {"stdout": "hi"}})
    assert lines == ["null hi"]


def test_build_is_reproducible_and_small() -> None:
    proc = subprocess.run(
        ["node", str(GUEST_DIR / "build.mjs"), "--check"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert BUNDLE_PATH.stat().st_size < 400_000


def test_bundle_uses_no_node_builtins_or_intl_at_runtime() -> None:
    text = BUNDLE_PATH.read_text(encoding="utf-8")
    assert "Intl." not in text
    assert 'require("node:' not in text
    assert "process.binding(" not in text.replace("process.binding=", "")


def test_esm_wrapper_for_builtins() -> None:
    src = esm_wrapper_source("node:fs")
    assert 'globalThis.__se_builtin("fs")' in src
    assert "readFileSync = m.readFileSync" in src
    assert "export default m;" in src
    assert is_builtin("node:fs/promises") and is_builtin("net") and not is_builtin("lodash")
    assert "__se_builtin(\"net\")" in esm_wrapper_source("node:net")
    with pytest.raises(GuestError) as ei:
        esm_wrapper_source("node:nope")
    assert ei.value.code == "ERR_UNKNOWN_BUILTIN_MODULE"


def test_esm_wrapper_export_names_are_real_exports(tmp_path: Path) -> None:
    # Evaluate the generated wrapper's names against the guest's actual module objects.
    src = esm_wrapper_source("node:path")
    names = src.split("export const ", 1)[1].rstrip(";\n").split(", ")
    keys = [n.split(" = ")[0] for n in names]
    lines = guest_lines(f"const p = __se_builtin('path'); console.log({json.dumps(keys)}.every((k) => k in p));")
    assert lines == ["true"]
