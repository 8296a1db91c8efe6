"""``secure-exec run`` and ``secure-exec plugin call``: run JS under Deno-like permission flags.

The guest sees the host's filesystem through ``HostFileSystem`` (so ``--allow-read ./docs`` means
the real folder), but only what the flags or the ``--policy`` file allow, and never ``/proc``,
``/sys`` or ``/dev`` (guards). The entry file's folder is readable so its own imports load. The
guest's stdout/stderr pass through; the exit code is the guest's. A run with denials ends with a
one-line summary on stderr saying how many and where to look.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import pluggy

from secure_exec.audit import AuditLog
from secure_exec.errors import ConfigError, SecureExecError
from secure_exec.host.manifest import MANIFEST_NAME, load_manifest
from secure_exec.host.plugin_host import PluginHost
from secure_exec.policy import Policy, Rule
from secure_exec.providers.hostfs import HostFileSystem
from secure_exec.providers.manager import create_plugin_manager
from secure_exec.runtime.config import ProcessConfig, StdioEvent
from secure_exec.runtime.drivers import create_command_executor, create_node_driver, hook_audit_sinks, hook_presets
from secure_exec.runtime.node_runtime import NodeRuntime


def _add_policy_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--allow-read", action="append", default=[], metavar="PATH", help="allow reading PATH (recursive)")
    p.add_argument("--allow-write", action="append", default=[], metavar="PATH", help="allow writing PATH (recursive)")
    p.add_argument("--allow-net", action="append", default=[], metavar="HOST[:PORT]", help="allow network to HOST")
    p.add_argument("--allow-env", action="append", default=[], metavar="NAME", help="allow env var NAME (globs ok)")
    p.add_argument("--allow-run", action="append", default=[], metavar="CMD", help="allow running CMD")
    p.add_argument("--policy", metavar="FILE", help="a policy TOML file (see docs/policy.md)")
    p.add_argument("--audit-log", metavar="FILE", help="append the audit log (JSON lines) to FILE")
    p.add_argument("--audit-only", action="store_true", help="record what would be denied, deny nothing")
    p.add_argument("--time-limit", type=float, default=30.0, metavar="S", help="wall-clock limit in seconds")
    p.add_argument("--memory-limit", type=int, default=128, metavar="MB", help="memory limit in MB")


def register(sub: Any) -> None:
    run = sub.add_parser("run", help="run a JS file or plugin folder in the sandbox")
    run.add_argument("target", metavar="FILE_OR_PLUGIN")
    _add_policy_flags(run)
    run.epilog = "Arguments for the script go after '--': secure-exec run app.js --allow-read data -- a b"
    run.set_defaults(func=cmd_run)
    plugin = sub.add_parser("plugin", help="work with plugins")
    psub = plugin.add_subparsers(dest="plugin_command", metavar="SUBCOMMAND", required=True)
    call = psub.add_parser("call", help="load a plugin and call one exported function")
    call.add_argument("plugin", metavar="PLUGIN_DIR")
    call.add_argument("function")
    call.add_argument("--args", default="[]", metavar="JSON", help="a JSON array of arguments (or one value)")
    _add_policy_flags(call)
    call.set_defaults(func=cmd_plugin_call)


def _abs(p: str) -> str:
    return os.path.realpath(os.path.abspath(p))


def _policy(ns: argparse.Namespace, extra: list[Rule], pm: pluggy.PluginManager) -> Policy:
    mode = "audit" if ns.audit_only else "enforce"
    if ns.policy:
        library = hook_presets(pm)
        base = Policy.from_toml(ns.policy, library=library, **({"mode": mode} if ns.audit_only else {}))
    else:
        base = Policy(name="cli", mode=mode)
    flags = Policy.from_flags(
        allow_read=[_abs(p) for p in ns.allow_read] or None, allow_write=[_abs(p) for p in ns.allow_write] or None,
        allow_net=ns.allow_net or None, allow_env=ns.allow_env or None, allow_run=ns.allow_run or None,
    )
    return base.extend(rules=[r for _, _, r in flags.rules] + extra)


class _DenialCounter:
    def __init__(self) -> None:
        self.denied = 0

    def __call__(self, event: dict[str, Any]) -> None:
        if event.get("event") == "permission.checked" and event.get("decision") == "deny":
            self.denied += 1


def _audit(ns: argparse.Namespace, counter: _DenialCounter, pm: pluggy.PluginManager) -> AuditLog:
    sinks: list[Any] = [counter, *hook_audit_sinks(pm)]
    return AuditLog(ns.audit_log, sinks=sinks) if ns.audit_log else AuditLog(None, sinks=sinks)


def _stdio(ev: StdioEvent) -> None:
    stream = sys.stdout if ev.channel == "stdout" else sys.stderr
    stream.write(ev.data)
    stream.flush()


def _summary(counter: _DenialCounter, ns: argparse.Namespace) -> None:
    if counter.denied:
        where = f"secure-exec audit report {ns.audit_log}" if ns.audit_log else "rerun with --audit-log FILE"
        verb = "would have been denied (audit-only)" if ns.audit_only else "denied"
        print(f"secure-exec: {counter.denied} operation(s) {verb}; see: {where}", file=sys.stderr)


def cmd_run(ns: argparse.Namespace) -> int:
    target = Path(ns.target)
    counter = _DenialCounter()
    try:
        if target.is_dir():
            m = load_manifest(target)
            entry, plugin_id = m.root / m.entry, m.id
        else:
            entry, plugin_id = target.resolve(), target.stem
        source = entry.read_text("utf-8")
        entry_dir = str(entry.parent)
        read_entry = Rule(capability="fs", effect="allow", id="cli:entry-folder", ops=["read", "stat", "exists"],
                          paths=[entry_dir + "/**", entry_dir], reason="the entry file's own folder (its imports)")
        pm = create_plugin_manager()
        policy = _policy(ns, [read_entry], pm)
        args = list(getattr(ns, "script_args", []))
        driver = create_node_driver(
            filesystem=HostFileSystem("/"), command_executor=create_command_executor(), policy=policy,
            process_config=ProcessConfig(argv=("node", str(entry), *args), cwd=_abs(os.getcwd()),
                                         env={k: v for k, v in os.environ.items() if k in set(ns.allow_env)}),
            plugin_manager=pm,
        )
        with _audit(ns, counter, pm) as log:
            rt = NodeRuntime(system_driver=driver, memory_limit=ns.memory_limit, time_limit=ns.time_limit,
                             on_stdio=_stdio, audit_log=log, plugin_id=plugin_id)
            result = rt.run(source, str(entry)) if entry.suffix == ".mjs" else rt.exec(source, file_path=str(entry))
    except (SecureExecError, OSError) as e:
        print(f"secure-exec: {getattr(e, 'code', 'ERR')}: {e}", file=sys.stderr)
        return 2
    if result.error_message and result.code != 0:
        print(f"secure-exec: exit {result.code}: {result.error_message}", file=sys.stderr)
    _summary(counter, ns)
    return result.code


def cmd_plugin_call(ns: argparse.Namespace) -> int:
    counter = _DenialCounter()
    try:
        try:
            args = json.loads(ns.args)
        except json.JSONDecodeError as e:
            raise ConfigError(f"--args is not valid JSON: {e}") from None
        if not (Path(ns.plugin) / MANIFEST_NAME).is_file():
            raise ConfigError(f"{ns.plugin}: not a plugin folder (no {MANIFEST_NAME})")
        pm = create_plugin_manager()
        policy = _policy(ns, [], pm)
        with _audit(ns, counter, pm) as log, PluginHost(plugin_manager=pm, audit_log=log, on_stdio=_stdio) as host:
            plugin = host.load_plugin(ns.plugin, policy=policy, filesystem=HostFileSystem("/"),
                                      command_executor=create_command_executor(), time_limit=ns.time_limit,
                                      memory_limit_mb=ns.memory_limit)
            value = plugin.call(ns.function, *(args if isinstance(args, list) else [args]))
    except SecureExecError as e:
        print(f"secure-exec: {e.code}: {e}", file=sys.stderr)
        _summary(counter, ns)
        return 1
    except OSError as e:
        print(f"secure-exec: {e}", file=sys.stderr)
        return 2
    print(json.dumps(value, indent=2, sort_keys=True))
    _summary(counter, ns)
    return 0
