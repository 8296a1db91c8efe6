"""One owner of a run: one outcome per limit on every path, plugin exit/re-entry, internal entry points."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import secure_exec as se
from secure_exec.host.plugin import PluginError
from secure_exec.host.plugin_host import PluginHost
from tests.conftest import Run

SPIN_ESM = [
    pytest.param("while (true) {}\nexport const x = 1;", id="top-level"),
    pytest.param("await null;\nwhile (true) {}", id="after-top-level-await"),
    pytest.param("await new Promise((r) => setTimeout(r, 5));\nwhile (true) {}", id="after-a-timer"),
    pytest.param('const m = await import("/lib/spin.mjs");\nexport default m;', id="dynamic-import"),
]
OOM = 'const a = []; while (true) a.push("x".repeat(1e5) + a.length);'


def _limits(run: Run) -> list[str]:
    return [str(e.get("limit")) for e in run.events("limit.exceeded")]


@pytest.mark.parametrize("code", SPIN_ESM)
def test_es_module_stopped_by_the_time_limit_is_124_and_audited(make_run: Callable[..., Run], memfs: Any,
                                                                code: str) -> None:
    memfs.mkdir("/lib", recursive=True)
    memfs.write_file("/lib/spin.mjs", b"while (true) {}\nexport const y = 2;\n")
    run = make_run(se.allow_all, time_limit=0.4)
    t0 = time.monotonic()
    r = run.run(code, "/entry.mjs")
    assert (r.code, r.error_message) == (124, "CPU time limit exceeded")
    assert time.monotonic() - t0 < 3
    assert _limits(run) == ["time"]


@pytest.mark.parametrize("prefix", ["", "await null;\n"], ids=["module", "after-await"])
def test_es_module_out_of_memory_is_memory_limit_exceeded(make_run: Callable[..., Run], prefix: str) -> None:
    run = make_run(se.allow_all)
    run.runtime = se.NodeRuntime(system_driver=run.runtime.driver, audit_log=run.audit, memory_limit=16,
                                 time_limit=10)
    r = run.run(prefix + OOM, "/entry.mjs")
    assert r.code == 1
    assert r.error_message is not None and r.error_message.startswith("MemoryLimitExceeded")
    assert _limits(run) == ["memory"]


def test_hijacked_entry_state_cannot_break_or_forge_a_run(make_run: Callable[..., Run]) -> None:
    run = make_run(se.allow_all)
    r = run.run('Object.defineProperty(globalThis, "__se_entry_state", { value: () => "x" });\n'
                "export const y = 1;", "/entry.mjs")
    assert r.code == 1 and r.error_message is not None and "not configurable" in r.error_message
    r = run.run("globalThis.__se_entry_state = () => ({ ok: true, ns: { forged: 1 } });\n"
                "export const y = 1;", "/entry.mjs")
    assert r.code == 1 and r.exports is None
    r = run.run('Object.keys = () => ["forged"]; Object.defineProperty = () => {}; String = () => "s";\n'
                "export const y = 1;", "/entry.mjs")
    assert (r.code, r.exports) == (0, {"y": 1})


# ----------------------------------------------------------------------------- plugins

PLUGIN = """import host from "secure-exec:host";
let n = 0;
export function count() { return ++n; }
export function boom() { throw new TypeError("bad input"); }
export async function exitLater() { await null; process.exit(3); }
export async function exitTimer() { await new Promise((r) => setTimeout(r, 5)); process.exit(5); }
export function reenter() { return host.functions.again(); }
export function big() { const a = []; while (true) a.push("x".repeat(1e5) + a.length); }
export async function spinLater() { await new Promise((r) => setTimeout(r, 1)); while (true) {} }
"""
MANIFEST = """[plugin]
id = "owner.probe"
version = "1"
entry = "main.mjs"
host_functions = ["again"]
[limits]
memory_limit_mb = 16
"""


def _plugin(tmp_path: Path, source: str = PLUGIN, manifest: str = MANIFEST) -> Path:
    d = tmp_path / "probe"
    d.mkdir()
    (d / "main.mjs").write_text(source)
    (d / "secure-exec-plugin.toml").write_text(manifest)
    return d


@pytest.mark.parametrize("fn", ["exitLater", "exitTimer"])
def test_process_exit_in_a_plugin_call_reloads_at_once(tmp_path: Path, fn: str) -> None:
    with PluginHost() as h:
        p = h.load_plugin(_plugin(tmp_path), host_functions={"again": lambda: 0})
        assert p.call("count") == 1
        with pytest.raises(PluginError, match=r"process\.exit\(\d\); it was reloaded"):
            p.call(fn)
        assert p.call("count") == 1  # reloaded at once: the state started again
        with pytest.raises(PluginError) as ei:
            p.call("boom")
        assert (ei.value.name, ei.value.js_message) == ("TypeError", "bad input")  # no stale "reloaded" error


def test_plugin_limits_are_typed_and_audited_with_the_call_id(tmp_path: Path) -> None:
    audit = se.AuditLog.null()
    with PluginHost(audit_log=audit) as h:
        p = h.load_plugin(_plugin(tmp_path), host_functions={"again": lambda: 0})
        t0 = time.monotonic()
        with pytest.raises(se.TimeLimitExceeded):
            p.call("spinLater", time_limit=0.3)
        assert time.monotonic() - t0 < 3
        assert p.call("count") == 1  # a time limit leaves the instance usable, state kept
        with pytest.raises(se.MemoryLimitExceeded):
            p.call("big")
    assert audit.memory is not None
    evs = [dict(e) for e in audit.memory.events]
    lim = [e for e in evs if e["event"] == "limit.exceeded"]
    assert [e["limit"] for e in lim] == ["time", "memory"]
    assert all(e["call_id"] and e["function"] in ("big", "spinLater") for e in lim)
    calls = [e for e in evs if e["event"] == "plugin.call"]  # failed calls are on record with their call_id
    assert [(e["function"], e["status"]) for e in calls] == [("spinLater", "limit"), ("big", "limit")]
    assert len({e["call_id"] for e in calls}) == 2


def test_reentering_a_busy_plugin_from_its_host_function_raises_sandbox_busy(tmp_path: Path) -> None:
    seen: list[str] = []
    box: dict[str, Any] = {}

    def again() -> Any:
        try:
            return box["p"].call("count")
        except Exception as e:
            seen.append(type(e).__name__)
            raise

    with PluginHost() as h:
        p = box["p"] = h.load_plugin(_plugin(tmp_path), host_functions={"again": again})
        out: list[Any] = []

        def outer() -> None:
            try:
                out.append(p.call("reenter", time_limit=3))
            except Exception as e:
                out.append(e)

        t = threading.Thread(target=outer, daemon=True)
        t.start()
        t.join(6)
        assert not t.is_alive(), "the re-entrant call deadlocked"
        assert seen == ["SandboxBusy"]
        assert isinstance(out[0], PluginError) and "host function 'again' failed" in out[0].js_message
        assert p.call("count") == 1


HIJACK = """Object.defineProperty = () => { throw new Error("patched"); };
Promise.prototype.then = function () { throw new Error("patched then"); };
Reflect.apply = () => { throw new Error("patched apply"); };
Object.keys = () => ["forged"];
Array.prototype[Symbol.iterator] = function* () { yield "forged"; };
String = () => "forged";
globalThis.__se_plugin_invoke = () => ({ ok: true, value: "forged" });
export function add(a, b) { return a + b; }
export async function later(x) { return x * 2; }
export function fail() { throw { get name() { throw new Error("trap"); } }; }
"""


def test_plugin_that_patches_intrinsics_before_the_invoker_still_works(tmp_path: Path) -> None:
    manifest = '[plugin]\nid = "hijack"\nversion = "1"\nentry = "main.mjs"\n'
    with PluginHost() as h:
        p = h.load_plugin(_plugin(tmp_path, HIJACK, manifest))
        assert sorted(p.exports) == ["add", "fail", "later"]
        assert p.call("add", 2, 3) == 5
        assert p.call("later", 4) == 8
        with pytest.raises(PluginError):
            p.call("fail")
        with pytest.raises(PluginError) as ei:
            p.call("missing")
        assert ei.value.js_code == "ERR_PLUGIN_NO_FUNCTION"


@pytest.mark.parametrize("code", [
    'Object.defineProperty(globalThis, "__se_entry_state", { get() { throw 1; } }); export const a = 1;',
    "process.exitCode = 'abc'; export const a = 1;",
    "process.exitCode = NaN;",
    "export default { toJSON() { throw new Error('no'); } };",
    "export const big = 10n;",
    "const p = new Proxy({}, { get() { throw new Error('x'); } }); throw p;",
    "await { then(r) { r(new Proxy({}, { ownKeys() { throw 1; } })); } };",
])
def test_no_guest_input_raises_an_untyped_host_exception(make_run: Callable[..., Run], code: str) -> None:
    run = make_run(se.allow_all, time_limit=2)
    try:
        r = run.run(code, "/entry.mjs")
    except se.SecureExecError:
        return
    assert isinstance(r.code, int)


FORGED = 'const e = new Error("interrupted"); e.name = "InternalError"; throw e;'


def test_a_guest_cannot_forge_the_time_limit(make_run: Callable[..., Run], tmp_path: Path) -> None:
    """Review finding: throwing InternalError('interrupted') gave exit 124 and limit.exceeded after 1 ms."""
    run = make_run(se.allow_all, time_limit=5.0)
    for path in ("/x.mjs", "/x.js"):
        r = run.run(FORGED, path)
        assert r.code == 1 and "interrupted" in (r.error_message or ""), (path, r)
    assert _limits(run) == []
    plugin = _plugin(tmp_path, "export function forge() { " + FORGED + " }\n",
                     MANIFEST.replace('host_functions = ["again"]\n', ""))
    with PluginHost() as host:
        p = host.load_plugin(plugin, policy=se.Policy(name="none"))
        with pytest.raises(PluginError) as ei:
            p.call("forge")
        assert not isinstance(ei.value, se.TimeLimitExceeded)


def test_a_pinned_plugin_runs_only_its_verified_files_whatever_the_spelling(tmp_path: Path) -> None:
    """Review finding: require(), file:// URLs and '//plugin/...' reached files changed after load or hidden."""
    from secure_exec.host.manifest import plugin_digest

    plugin = tmp_path / "plugin"
    plugin.mkdir()
    (plugin / "secure-exec-plugin.toml").write_text(
        '[plugin]\nid = "p"\nversion = "1"\nentry = "main.mjs"\n\n'
        '[[permissions]]\ncapability = "fs"\neffect = "allow"\nops = ["import"]\npaths = ["/plugin/**"]\n')
    (plugin / "main.mjs").write_text(
        'import { createRequire } from "node:module";\n'
        'export const viaRequire = () => createRequire(import.meta.url)("./h.cjs");\n'
        'export const viaFileUrl = async () => (await import("file:///plugin/h.mjs")).v;\n'
        'export const viaDoubleSlash = async () => {\n'
        '  try { return (await import("//plugin/.hidden.mjs")).v } catch (e) { return e.code } };\n')
    (plugin / "h.cjs").write_text('module.exports = "original";')
    (plugin / "h.mjs").write_text('export const v = "original";')
    (plugin / ".hidden.mjs").write_text('export const v = "hidden";')
    pin = plugin_digest(plugin)
    host_fs = se.HostFileSystem(tmp_path)
    try:
        with PluginHost() as host:
            p = host.load_plugin(plugin, pinned_digest=pin, filesystem=host_fs,
                                 policy=se.Policy(rules=[se.Rule("fs", "allow", paths=["/**"])]))
            (plugin / "h.cjs").write_text('module.exports = "CHANGED AFTER LOAD";')
            (plugin / "h.mjs").write_text('export const v = "CHANGED AFTER LOAD";')
            assert p.call("viaRequire") == "original"
            assert p.call("viaFileUrl") == "original"
            assert p.call("viaDoubleSlash") == "ERR_MODULE_NOT_FOUND"
    finally:
        host_fs.close_all()


class _SlowFs:
    """A provider that blocks before it walks: its decision comes late, after the call that asked ended."""

    def __init__(self, inner: Any, delay: float) -> None:
        self._inner, self._delay = inner, delay

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def read_file(self, path: str, *, check: Any = None) -> bytes:
        time.sleep(self._delay)
        return bytes(self._inner.read_file(path, check=check))


def test_late_events_of_abandoned_work_keep_their_calls_id(tmp_path: Path) -> None:
    """Review finding: the decision of work abandoned by call a was written with call b's call_id."""
    fs = se.create_in_memory_file_system()
    fs.write_file("/data.txt", "x")
    plugin = _plugin(tmp_path, 'import fs from "node:fs";\n'
                               'export function read() { return fs.readFileSync("/data.txt", "utf8"); }\n'
                               'export function busy() { const t = Date.now(); while (Date.now() - t < 1500) {} }\n',
                     MANIFEST.replace('host_functions = ["again"]\n', "") +
                     '\n[[permissions]]\ncapability = "fs"\neffect = "allow"\nops = ["read"]\npaths = ["/**"]\n')
    audit = se.AuditLog.null()
    with PluginHost(audit_log=audit) as h:
        p = h.load_plugin(plugin, filesystem=_SlowFs(fs, 0.8),  # type: ignore[arg-type]
                          policy=se.Policy(rules=[se.Rule("fs", "allow", paths=["/**"])]))
        with pytest.raises(se.TimeLimitExceeded):
            p.call("read", time_limit=0.3)  # abandoned while the provider sleeps
        p.call("busy", time_limit=5)  # the abandoned read decides while this call runs
    assert audit.memory is not None
    evs = [dict(e) for e in audit.memory.events]
    reads = [e for e in evs if e["event"] == "permission.checked" and e.get("resource") == "/data.txt"]
    limit = next(e for e in evs if e["event"] == "limit.exceeded")
    assert reads and all(e["call_id"] == limit["call_id"] for e in reads), (reads, limit)
