"""A host application with a plugin system: discover JS plugins, grant policies from a config file,
load them, call them, and keep an audit log.

    .venv/bin/python docs/examples/host_app.py [PLUGINS_DIR] [CONFIG]
"""

from __future__ import annotations

import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import secure_exec as se
from secure_exec.host.manifest import MANIFEST_NAME, load_manifest
from secure_exec.host.plugin_host import PluginHost
from secure_exec.policy import rule_from_mapping
from secure_exec.providers.hostfs import Mount

HERE = Path(__file__).resolve().parent


class HostHooks:
    """This application's pluggy hooks: log loads, approve nothing beyond the config."""

    @se.hookimpl
    def secure_exec_plugin_loaded(self, plugin: Any) -> None:
        print(f"[host] loaded {plugin.id} {plugin.version} ({plugin.digest[:19]}...) exports={list(plugin.exports)}")

    @se.hookimpl
    def secure_exec_approve_permission(self, plugin: Any, request: Any) -> bool | None:
        print(f"[host] {plugin.id} asks for more than its grant ({request.capability}); refusing")
        return None


def grants(config: Path) -> dict[str, se.Policy]:
    data = tomllib.loads(config.read_text())
    out = {}
    for pid, table in data.get("plugins", {}).items():
        rules = [rule_from_mapping(r, f"{config.name}: plugins.{pid}.rules[{i}]", source=f"config:{config.name}")
                 for i, r in enumerate(table.get("rules", []))]
        out[pid] = se.Policy(rules=rules, name=f"grant:{pid}")
    return out


def main(plugins_dir: Path, config: Path) -> int:
    granted = grants(config)
    pm = se.create_plugin_manager()
    pm.register(HostHooks(), name="example-host")
    work = Path(tempfile.mkdtemp(prefix="host-app-"))
    (work / "out").mkdir()
    fs = se.HostFileSystem(work, mounts={"/docs": Mount(str(HERE.parent), read_only=True)})
    with se.AuditLog(work / "audit.jsonl") as log, PluginHost(plugin_manager=pm, audit_log=log) as host:
        loaded = {}
        for folder in sorted(p.parent for p in plugins_dir.glob(f"*/{MANIFEST_NAME}")):
            pid = load_manifest(folder).id
            try:
                loaded[pid] = host.load_plugin(folder, policy=granted.get(pid, se.Policy(name="none")), filesystem=fs)
            except se.PermissionDenied as e:
                print(f"[host] not loading {pid}: {e}")
        if "toc-generator" in loaded:
            print("[host] toc:", loaded["toc-generator"].call("run", {"docs": "/docs", "output": "/out/TOC.md"}))
        if "hello" in loaded:
            print("[host] hello:", loaded["hello"].call("greet", "host app"))
    print(f"[host] audit log: {work / 'audit.jsonl'}")
    return 0


if __name__ == "__main__":
    repo = HERE.parent.parent
    plugins = Path(sys.argv[1]) if len(sys.argv) > 1 else repo / "plugins"
    cfg = Path(sys.argv[2]) if len(sys.argv) > 2 else HERE / "host_app.toml"
    sys.exit(main(plugins, cfg))
