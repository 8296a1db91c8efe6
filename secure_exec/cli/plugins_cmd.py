"""``secure-exec plugins [--json]``: the provider plugins installed, with their hooks (like ``llm plugins``)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from secure_exec.cli.common import EXIT_EPILOG, EXIT_OK, Output
from secure_exec.providers.builtin import BUILTIN_PLUGIN_NAME
from secure_exec.providers.manager import create_plugin_manager


def register(sub: Any) -> None:
    p = sub.add_parser(
        "plugins", help="list the installed provider plugins and the hooks they implement",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="List the capability-provider plugins (pluggy, entry-point group 'secure_exec') this "
                    "installation loads, honouring SECURE_EXEC_LOAD_PLUGINS and SECURE_EXEC_DISABLE_PLUGINS.",
        epilog=EXIT_EPILOG)
    p.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    p.add_argument("--all", action="store_true", help="include the built-in providers")
    p.set_defaults(func=cmd_plugins)


def installed_plugins(include_builtin: bool = False) -> list[dict[str, Any]]:
    pm = create_plugin_manager()
    out: list[dict[str, Any]] = []
    for name, plugin in sorted(pm.list_name_plugin(), key=lambda np: np[0]):
        if plugin is None or (name == BUILTIN_PLUGIN_NAME and not include_builtin):
            continue
        hooks = sorted(c.name for c in pm.get_hookcallers(plugin) or [])
        dist = pm.entrypoint_dists.get(name)
        out.append({"name": name, "hooks": hooks, "distribution": dist[0] if dist else None,
                    "version": dist[1] if dist else None, "builtin": name == BUILTIN_PLUGIN_NAME})
    return out


def cmd_plugins(ns: argparse.Namespace, out: Output) -> int:
    items = installed_plugins(ns.all)
    if ns.json:
        out.out(json.dumps(items, indent=2) + "\n")
        return EXIT_OK
    if not items:
        out.out("no provider plugins installed (the built-in providers are always there: --all)\n")
        return EXIT_OK
    for p in items:
        ver = f" ({p['distribution']} {p['version']})" if p["distribution"] else ""
        out.out(f"{p['name']}{ver}\n" + "".join(f"  {h}\n" for h in p["hooks"]))
    return EXIT_OK
