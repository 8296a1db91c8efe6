"""The plugin host: manifests, grants, pinned digests, host functions, persistent state, asyncio."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

import secure_exec as se
from secure_exec.host.hostfns import HostFunctionError
from secure_exec.host.manifest import plugin_digest
from secure_exec.host.plugin import PluginError
from secure_exec.host.plugin_host import PluginHost
from secure_exec.policy import Rule

MAIN = """import host from "secure-exec:host";
import fs from "node:fs";
let n = 0;
export function count() { return ++n; }
export function lookup(k) { return host.functions.lookup(k); }
export async function slow(x) { return await host.functions.slow(x); }
export function notGranted() { try { return host.call("wipe_disk"); } catch (e) { return e.code; } }
export function failing() { try { return host.functions.broken(); } catch (e) { return [e.code, e.message]; } }
export function read(p) { return fs.readFileSync(p, "utf8"); }
export function boom() { throw new TypeError("bad input"); }
export function spin() { while (true) {} }
export function exit() { process.exit(4); }
export function deep() { return JSON.parse("[".repeat(100000)); }
"""

MANIFEST = """[plugin]
id = "demo.tool"
version = "1.2.3"
entry = "main.mjs"
host_functions = ["lookup", "slow", "broken"]

[[permissions]]
capability = "fs"
effect = "allow"
ops = ["read", "stat"]
paths = ["/data/**"]
"""


@pytest.fixture
def plugin_dir(tmp_path: Path) -> Path:
    d = tmp_path / "tool"
    d.mkdir()
    (d / "main.mjs").write_text(MAIN)
    (d / "secure-exec-plugin.toml").write_text(MANIFEST)
    return d


async def _slow(x: int) -> int:
    await asyncio.sleep(0.01)
    return x * 2


def _broken() -> None:
    raise RuntimeError("database password is hunter2")


FUNCS: dict[str, Any] = {"lookup": lambda k: {"key": k}, "slow": _slow, "broken": _broken, "wipe_disk": lambda: 1}
GRANT = se.Policy(rules=[Rule(capability="fs", effect="allow", paths=["/data/**", "/other/**"])], name="grant")


@pytest.fixture
def host() -> Any:
    with PluginHost() as h:
        yield h


@pytest.fixture
def fs() -> Any:
    m = se.create_in_memory_file_system()
    m.mkdir("/data", recursive=True)
    m.write_file("/data/a.txt", "A")
    m.mkdir("/other", recursive=True)
    m.write_file("/other/b.txt", "B")
    return m


def test_state_is_kept_across_many_calls(host: PluginHost, plugin_dir: Path, fs: Any) -> None:
    p = host.load_plugin(plugin_dir, policy=GRANT, host_functions=FUNCS, filesystem=fs)
    assert [p.call("count") for _ in range(500)][-1] == 500
    assert (p.id, p.version, p.digest) == ("demo.tool", "1.2.3", plugin_digest(plugin_dir))


def test_granted_host_functions_sync_and_async(host: PluginHost, plugin_dir: Path, fs: Any) -> None:
    p = host.load_plugin(plugin_dir, policy=GRANT, host_functions=FUNCS, filesystem=fs)
    assert p.call("lookup", "k1") == {"key": "k1"}
    assert p.call("slow", 21) == 42
    assert p.call("notGranted") == "EACCES"  # offered by the host, but not declared by the plugin
    code, message = p.call("failing")
    assert code == "ERR_HOST_FUNCTION" and "hunter2" not in message and "RuntimeError" not in message
    events = [e for e in host.audit_log.memory.events if e.get("capability") == "host_function"]  # type: ignore[union-attr]
    assert {(e["resource"], e["decision"]) for e in events} >= {("lookup", "allow"), ("wipe_disk", "deny")}


def test_host_function_error_with_code(host: PluginHost, plugin_dir: Path, fs: Any) -> None:
    def broken() -> None:
        raise HostFunctionError("E_QUOTA", "quota exceeded")

    p = host.load_plugin(plugin_dir, policy=GRANT, host_functions={**FUNCS, "broken": broken}, filesystem=fs)
    assert p.call("failing") == ["E_QUOTA", "E_QUOTA: quota exceeded"]


def test_missing_host_function_is_a_load_error(host: PluginHost, plugin_dir: Path) -> None:
    with pytest.raises(se.ConfigError, match="slow"):
        host.load_plugin(plugin_dir, policy=GRANT, host_functions={"lookup": FUNCS["lookup"]})


def test_plugin_gets_only_what_it_requested(host: PluginHost, plugin_dir: Path, fs: Any) -> None:
    p = host.load_plugin(plugin_dir, policy=GRANT, host_functions=FUNCS, filesystem=fs)
    assert p.call("read", "/data/a.txt") == "A"
    with pytest.raises(PluginError) as ei:
        p.call("read", "/other/b.txt")  # granted by the host, but the plugin did not ask for it
    assert ei.value.js_code == "EACCES"


def test_requesting_more_than_granted_is_refused_at_load(host: PluginHost, plugin_dir: Path) -> None:
    narrow = se.Policy(rules=[Rule(capability="fs", effect="allow", paths=["/data/sub/**"])])
    with pytest.raises(se.PermissionDenied, match=r"demo\.tool.*more than the host granted"):
        host.load_plugin(plugin_dir, policy=narrow, host_functions=FUNCS)
    assert any(e["event"] == "plugin.load_failed" for e in host.audit_log.memory.events)  # type: ignore[union-attr]


def test_approve_hook_can_grant_the_excess(plugin_dir: Path, fs: Any) -> None:
    class Approver:
        @se.hookimpl
        def secure_exec_approve_permission(self, plugin: Any, request: Any) -> bool | None:
            return plugin.id == "demo.tool" and request.capability == "fs"

    pm = se.create_plugin_manager(load_entrypoints=False)
    pm.register(Approver(), name="approver")
    with PluginHost(plugin_manager=pm) as h:
        p = h.load_plugin(plugin_dir, policy=se.Policy(name="empty"), host_functions=FUNCS, filesystem=fs)
        assert p.call("read", "/data/a.txt") == "A"


def test_audit_only_grant_records_the_excess(host: PluginHost, plugin_dir: Path, fs: Any) -> None:
    p = host.load_plugin(plugin_dir, policy=se.Policy(mode="audit"), host_functions=FUNCS, filesystem=fs)
    assert p.call("read", "/other/b.txt") == "B"
    evs = host.audit_log.memory.events  # type: ignore[union-attr]
    assert any(e["event"] == "permission.escalation" for e in evs)
    assert any(e.get("decision") == "deny" and e.get("enforced") is False for e in evs)


def test_modified_plugin_with_pinned_digest_is_refused(host: PluginHost, plugin_dir: Path, tmp_path: Path) -> None:
    pin = plugin_digest(plugin_dir)
    host.load_plugin(plugin_dir, policy=GRANT, host_functions=FUNCS, pinned_digest=pin).close()
    (plugin_dir / "main.mjs").write_text(MAIN + "\nexport const backdoor = 1;\n")
    with pytest.raises(se.PermissionDenied, match="pinned digest"):
        host.load_plugin(plugin_dir, policy=GRANT, host_functions=FUNCS, pinned_digest=pin)


def test_reload_refuses_a_plugin_changed_on_disk(host: PluginHost, plugin_dir: Path) -> None:
    p = host.load_plugin(plugin_dir, policy=GRANT, host_functions=FUNCS)
    (plugin_dir / "extra.js").write_text("// new file")
    with pytest.raises(se.ConfigError, match="changed on disk"):
        p.reload()


def test_errors_limits_and_recovery(host: PluginHost, plugin_dir: Path, fs: Any) -> None:
    p = host.load_plugin(plugin_dir, policy=GRANT, host_functions=FUNCS, filesystem=fs)
    p.call("count")
    with pytest.raises(PluginError) as ei:
        p.call("boom")
    assert (ei.value.name, ei.value.js_message) == ("TypeError", "bad input")
    t0 = time.monotonic()
    with pytest.raises(se.TimeLimitExceeded):
        p.call("spin", time_limit=0.2)
    assert time.monotonic() - t0 < 3
    assert p.call("count") == 2  # a time limit leaves the instance and its state usable
    with pytest.raises((se.EngineTrap, se.StackLimitExceeded, PluginError)):
        p.call("deep")
    assert p.call("lookup", "after") == {"key": "after"}  # usable again (reloaded if it trapped)
    with pytest.raises(PluginError, match=r"process\.exit"):
        p.call("exit")
    assert p.call("count") == 1  # process.exit reloads the plugin: state starts again
    with pytest.raises(PluginError) as ei:
        p.call("nope")
    assert ei.value.js_code == "ERR_PLUGIN_NO_FUNCTION"


def test_close_and_hooks(plugin_dir: Path) -> None:
    seen: list[str] = []

    class Watcher:
        @se.hookimpl
        def secure_exec_plugin_loaded(self, plugin: Any) -> None:
            seen.append(f"loaded {plugin.id}")

        @se.hookimpl
        def secure_exec_plugin_unloaded(self, plugin: Any) -> None:
            seen.append(f"unloaded {plugin.id}")

    pm = se.create_plugin_manager(load_entrypoints=False)
    pm.register(Watcher(), name="watcher")
    with PluginHost(plugin_manager=pm) as h:
        p = h.load_plugin(plugin_dir, policy=GRANT, host_functions=FUNCS)
        assert h.plugins == [p]
    assert seen == ["loaded demo.tool", "unloaded demo.tool"]
    with pytest.raises(se.SandboxClosed):
        p.call("count")


def test_asyncio_host_runs_100_calls_across_instances_without_blocking(host: PluginHost, plugin_dir: Path,
                                                                       tmp_path: Path) -> None:
    plugins = []
    for i in range(4):
        d = tmp_path / f"copy{i}"
        shutil.copytree(plugin_dir, d)
        plugins.append(host.load_plugin(d, policy=GRANT, host_functions=FUNCS))

    async def main() -> tuple[list[Any], int]:
        ticks = 0
        done = asyncio.Event()

        async def heartbeat() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.001)

        hb = asyncio.create_task(heartbeat())
        results = await asyncio.gather(*[plugins[i % 4].acall("slow", i) for i in range(100)])
        done.set()
        await hb
        return results, ticks

    results, ticks = asyncio.run(main())
    assert results == [i * 2 for i in range(100)]
    assert ticks > 10  # the event loop kept running while the plugins worked


def test_bad_manifests_name_the_problem(tmp_path: Path, host: PluginHost) -> None:
    d = tmp_path / "bad"
    d.mkdir()
    with pytest.raises(se.ConfigError, match="no manifest"):
        host.load_plugin(d)
    (d / "secure-exec-plugin.toml").write_text('[plugin]\nid = "Bad Id"\nversion = "1"\nentry = "x.js"\n')
    with pytest.raises(se.ConfigError, match="'id'"):
        host.load_plugin(d)
    (d / "secure-exec-plugin.toml").write_text('[plugin]\nid = "ok"\nversion = "1"\nentry = "../../etc/passwd"\n')
    with pytest.raises(se.ConfigError, match="'entry'"):
        host.load_plugin(d)
    (d / "x.mjs").write_text("export const a = 1;")
    (d / "secure-exec-plugin.toml").write_text(
        '[plugin]\nid = "ok"\nversion = "1"\nentry = "x.mjs"\n[[permissions]]\ncapability = "fs"\neffect = "maybe"\n')
    with pytest.raises(se.ConfigError, match="effect"):
        host.load_plugin(d)


def test_each_plugin_keeps_its_own_providers(host: PluginHost, plugin_dir: Path, tmp_path: Path) -> None:
    fs_a, fs_b = se.create_in_memory_file_system(), se.create_in_memory_file_system()
    for fs, text in ((fs_a, "from A"), (fs_b, "from B")):
        fs.mkdir("/data", recursive=True)
        fs.write_file("/data/a.txt", text)
    other = tmp_path / "other"
    shutil.copytree(plugin_dir, other)
    a = host.load_plugin(plugin_dir, policy=GRANT, host_functions=FUNCS, filesystem=fs_a)
    b = host.load_plugin(other, policy=GRANT, host_functions=FUNCS, filesystem=fs_b)
    a.reload()  # a new session of A after B registered its providers
    assert (a.call("read", "/data/a.txt"), b.call("read", "/data/a.txt")) == ("from A", "from B")
    plugins_before = len(host.pm.get_plugins())
    b.close()
    assert len(host.pm.get_plugins()) == plugins_before - 1  # closing unregisters its providers


def test_env_writes_do_not_leak_between_runs() -> None:
    rt = se.NodeRuntime(system_driver=se.create_node_driver(
        permissions=se.allow_all, process_config=se.ProcessConfig(env={"A": "1"})))
    out: list[se.StdioEvent] = []
    rt.exec('process.env.B = "2"; console.log(process.env.A, process.env.B)', on_stdio=out.append)
    rt.exec("console.log(process.env.A, process.env.B)", on_stdio=out.append)
    assert [e.data for e in out] == ["1 2\n", "1 undefined\n"]


# ----------------------------------------------------------------------------- exactly what it asked for

PROBE = """import fs from "node:fs";
export function read(p) { try { return fs.readFileSync(p, "utf8"); } catch (e) { return e.code; } }
export function env() { return process.env.SECRET ?? "absent"; }
"""
WIDE_GRANT = se.Policy(permissions=se.allow_all, name="wide")


def _probe(tmp_path: Path, manifest_extra: str = "", files: dict[str, str] | None = None) -> Path:
    d = tmp_path / "probe"
    d.mkdir()
    (d / "main.mjs").write_text(PROBE)
    for name, text in (files or {}).items():
        (d / name).parent.mkdir(parents=True, exist_ok=True)
        (d / name).write_text(text)
    (d / "secure-exec-plugin.toml").write_text('[plugin]\nid = "probe"\nversion = "1"\nentry = "main.mjs"\n'
                                               + manifest_extra)
    return d


NETWORK_ONLY = """[[permissions]]
capability = "network"
effect = "allow"
ops = ["fetch"]
urls = ["https://example.test"]
"""


@pytest.mark.parametrize("extra", ["", NETWORK_ONLY], ids=["requests-nothing", "requests-only-network"])
def test_capabilities_the_manifest_does_not_mention_are_denied(host: PluginHost, tmp_path: Path, fs: Any,
                                                               extra: str) -> None:
    p = host.load_plugin(_probe(tmp_path, extra), policy=WIDE_GRANT, filesystem=fs, env={"SECRET": "s3"})
    assert p.call("read", "/data/a.txt") == "EACCES"  # the host granted all fs; the plugin asked for none
    assert p.call("env") == "absent"


def test_hidden_files_are_neither_digested_nor_loadable(host: PluginHost, tmp_path: Path) -> None:
    d = _probe(tmp_path, files={".hidden.mjs": "export const x = 1;"})
    (d / "main.mjs").write_text(PROBE + "export async function hidden() {\n"
                                '  try { return (await import("./.hidden.mjs")).x; } catch (e) { return e.code; }\n}\n')
    p = host.load_plugin(d, policy=WIDE_GRANT, pinned_digest=plugin_digest(d))
    assert p.call("hidden") != 1
    (d / "secure-exec-plugin.toml").write_text('[plugin]\nid = "probe"\nversion = "1"\nentry = ".hidden.mjs"\n')
    with pytest.raises(se.ConfigError, match="hidden"):
        host.load_plugin(d, policy=WIDE_GRANT)


def test_a_file_changed_after_load_never_runs(host: PluginHost, tmp_path: Path) -> None:
    d = _probe(tmp_path, files={"lib.mjs": "export const who = 'original';"})
    (d / "main.mjs").write_text(PROBE + "export async function who() { return (await import('./lib.mjs')).who; }\n")
    p = host.load_plugin(d, policy=WIDE_GRANT, pinned_digest=plugin_digest(d))
    (d / "lib.mjs").write_text("export const who = 'swapped';")  # after load, before the first import
    assert p.call("who") == "original"


def test_plugin_calls_are_audited_with_a_call_id_on_every_access(tmp_path: Path, fs: Any) -> None:
    audit = se.AuditLog.null()
    extra = '[[permissions]]\ncapability = "fs"\neffect = "allow"\nops = ["read"]\npaths = ["/data/**"]\n'
    with PluginHost(audit_log=audit) as h:
        p = h.load_plugin(_probe(tmp_path, extra), policy=WIDE_GRANT, filesystem=fs)
        assert p.call("read", "/data/a.txt") == "A"
        assert p.call("read", "/data/a.txt") == "A"
        with pytest.raises(PluginError):
            p.call("missing")
    assert audit.memory is not None
    evs = [dict(e) for e in audit.memory.events]
    reads = [e for e in evs if e.get("capability") == "fs"]
    ids = [e["call_id"] for e in reads]
    assert reads and all(ids) and len(set(ids)) == 2  # every access names the call that made it
    failed = [e for e in evs if e["event"] == "plugin.call"]
    assert [(e["function"], e["status"]) for e in failed] == [("missing", "error")]
    assert failed[0]["call_id"] not in ids
