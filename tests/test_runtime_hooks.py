"""Policy contributions from pluggy hooks reach the runtime's decisions, labelled with the hook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import secure_exec as se
from secure_exec.policy import Preset, Rule
from secure_exec.runtime.drivers import hook_presets


class Contributor:
    @se.hookimpl
    def secure_exec_policy_rules(self, context: Any) -> list[Any]:
        return [{"capability": "fs", "effect": "deny", "id": "no-keys", "paths": ["/keys/**"]}]

    @se.hookimpl
    def secure_exec_presets(self) -> list[Any]:
        return [Preset(name="read-data", rules=(Rule(capability="fs", effect="allow", ops=["read"],
                                                     paths=["/data/**"]),))]


def test_hook_rules_apply_and_are_labelled() -> None:
    pm = se.create_plugin_manager(load_entrypoints=False)
    pm.register(Contributor(), name="keyguard")
    fs = se.create_in_memory_file_system()
    fs.mkdir("/keys", recursive=True)
    fs.write_file("/keys/k", "secret")
    log = se.AuditLog.null()
    rt = se.NodeRuntime(system_driver=se.create_node_driver(filesystem=fs, permissions=se.allow_all,
                                                           plugin_manager=pm), audit_log=log)
    out: list[se.StdioEvent] = []
    rt.exec('try { require("fs").readFileSync("/keys/k") } catch (e) { console.log(e.code) }', on_stdio=out.append)
    assert out[0].data == "EACCES\n"
    assert log.memory is not None
    d = next(e for e in log.memory.events if e["event"] == "permission.checked")
    assert (d["rule_id"], d["rule_source"]) == ("no-keys", "hook:keyguard")


def test_hook_presets_are_a_library_not_a_grant(tmp_path: Path) -> None:
    pm = se.create_plugin_manager(load_entrypoints=False)
    pm.register(Contributor(), name="presets")
    lib = hook_presets(pm)
    assert set(lib) == {"read-data"} and lib["read-data"].source == "hook:presets"
    toml = tmp_path / "policy.toml"
    toml.write_text('use = ["read-data"]\n')
    policy = se.Policy.from_toml(toml, library=lib)
    assert policy.decide(se.FsAccessRequest("read", "/data/x")).allow
    assert not se.Policy().decide(se.FsAccessRequest("read", "/data/x")).allow


def test_garbage_from_a_hook_names_it() -> None:
    class Bad:
        @se.hookimpl
        def secure_exec_policy_rules(self, context: Any) -> Any:
            return [42]

    pm = se.create_plugin_manager(load_entrypoints=False)
    pm.register(Bad(), name="broken-plugin")
    with pytest.raises(se.ConfigError, match="broken-plugin"):
        se.create_node_driver(permissions=se.allow_all, plugin_manager=pm)


def test_plugin_policy_gets_hook_rules_once(tmp_path: Path) -> None:
    from secure_exec.host.plugin_host import PluginHost

    d = tmp_path / "p"
    d.mkdir()
    (d / "main.mjs").write_text('import fs from "node:fs";\n'
                                'export function read(p) { try { return fs.readFileSync(p, "utf8") } '
                                'catch (e) { return e.code } }\n')
    (d / "secure-exec-plugin.toml").write_text(
        '[plugin]\nid = "reader"\nversion = "1"\nentry = "main.mjs"\n'
        '[[permissions]]\ncapability = "fs"\neffect = "allow"\npaths = ["/keys/**", "/data/**"]\n')
    pm = se.create_plugin_manager(load_entrypoints=False)
    pm.register(Contributor(), name="keyguard")
    fs = se.create_in_memory_file_system()
    for f in ("/keys/k", "/data/d"):
        fs.mkdir(f.rsplit("/", 1)[0], recursive=True)
        fs.write_file(f, "x")
    grant = se.Policy(rules=[Rule(capability="fs", effect="allow", paths=["/keys/**", "/data/**"])])
    with PluginHost(plugin_manager=pm) as host:
        p = host.load_plugin(d, policy=grant, filesystem=fs)
        assert (p.call("read", "/keys/k"), p.call("read", "/data/d")) == ("EACCES", "x")
        policy = p.runtime.driver.policy
        assert policy.parent is not None
        own = [rid for rid, _, _ in policy.rules]
        inherited = [rid for rid, _, _ in policy.parent.rules]
        assert "no-keys" not in own and inherited.count("no-keys") == 1
