"""``secure-exec run`` and ``secure-exec plugin call``: run JS under Deno-style permission flags.

The guest sees the host's filesystem through ``HostFileSystem`` (so ``--allow-read ./docs`` means
the real folder), but only what the flags or the ``--policy`` file allow, and never ``/proc``,
``/sys`` or ``/dev`` (guards). The module loader may import from the entry file's folder (op
``import`` only: the guest cannot ``readFileSync`` its siblings without ``--allow-read``). The
guest's stdout/stderr pass through, stdin is passed on when the guest reads it, and the exit code
is the guest's. A run with denials ends with hints on stderr: what was refused and which flag
would grant it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from secure_exec.audit import AuditLog
from secure_exec.cli.common import (
    EXIT_EPILOG,
    EXIT_GUEST,
    EXIT_OK,
    EXIT_PIPE,
    CLIError,
    DenialCounter,
    LazyStdin,
    Output,
    abs_path,
    add_permission_flags,
    build_policy,
    describe_policy,
    guest_env,
    note,
)
from secure_exec.errors import ConfigError, PermissionDenied
from secure_exec.host.manifest import MANIFEST_NAME, PluginManifest, load_manifest, plugin_digest
from secure_exec.host.plugin_host import PluginHost
from secure_exec.policy import Policy, Rule
from secure_exec.policy.config import rule_from_mapping
from secure_exec.policy.globs import escape_path
from secure_exec.providers.hostfs import HostFileSystem
from secure_exec.providers.manager import create_plugin_manager
from secure_exec.runtime.config import ProcessConfig, StdioEvent
from secure_exec.runtime.drivers import create_command_executor, create_node_driver, hook_audit_sinks, hook_presets
from secure_exec.runtime.modules import looks_like_esm
from secure_exec.runtime.node_runtime import TIMEOUT_EXIT, NodeRuntime

_FMT = argparse.RawDescriptionHelpFormatter
_DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")


def register(sub: Any) -> None:
    run = sub.add_parser(
        "run", help="run a JS file, a plugin folder, or a script read from stdin (-)", formatter_class=_FMT,
        description="Run a JS file (.js/.cjs script or .mjs module), a plugin folder's entry, or '-' (the script "
                    "from stdin) in the sandbox. Nothing outside the sandbox is reachable unless a flag grants it.",
        epilog="examples:\n  secure-exec run app.js --allow-read=./data --allow-net=api.example.com\n"
               "  secure-exec run app.js --allow-read data -- a b     (arguments for the script after '--')\n"
               "  echo 'console.log(1)' | secure-exec run -\n\n"
               "A flag without '=' takes the next word as its value when it is not a flag: write\n"
               "--allow-read=PATH, or put FILE first, to avoid ambiguity.\n\n" + EXIT_EPILOG)
    run.add_argument("target", metavar="FILE", nargs="?",
                     help="a script, a plugin folder, or - to read the script from stdin")
    add_permission_flags(run)
    run.add_argument("--dry-run", action="store_true",
                     help="print the policy in force (rules in decision order, resolved paths) and exit")
    run.set_defaults(func=cmd_run)
    plugin = sub.add_parser("plugin", help="work with plugin folders", formatter_class=_FMT, epilog=EXIT_EPILOG)
    psub = plugin.add_subparsers(dest="plugin_command", metavar="SUBCOMMAND", required=True)
    call = psub.add_parser(
        "call", help="load a plugin and call one exported function", formatter_class=_FMT,
        description="Load a plugin under a grant built from the flags and call one exported function. Only the "
                    "JSON result is printed on stdout (the plugin's own output goes to stderr; see --stdio).",
        epilog="examples:\n  secure-exec plugin call plugins/hello greet --args '\"you\"' | jq .\n"
               "  secure-exec plugin call plugins/toc-generator run --args '{\"docs\": \"/docs\", \"output\": "
               "\"/out/TOC.md\"}' --allow-read=/docs,/out --allow-write=/out\n\n"
               + EXIT_EPILOG)
    call.add_argument("plugin", metavar="PLUGIN_DIR", help="a folder with a secure-exec-plugin.toml")
    call.add_argument("function", help="the exported function to call")
    call.add_argument("--args", default="[]", metavar="JSON",
                      help="a JSON array of arguments, or one JSON value (default: %(default)s)")
    call.add_argument("--stdio", choices=("stderr", "stdout", "null"), default="stderr",
                      help="where the plugin's console output goes (default: %(default)s)")
    call.add_argument("--json", action="store_true", help="print the result as one compact JSON line")
    call.add_argument("--pin", metavar="DIGEST", help="refuse the plugin unless its digest is DIGEST (sha256:<hex>)")
    add_permission_flags(call)
    call.set_defaults(func=cmd_plugin_call)
    dig = psub.add_parser("digest", help="print a plugin folder's digest (what --pin and pinned_digest take)",
                          formatter_class=_FMT, epilog=EXIT_EPILOG)
    dig.add_argument("plugin", metavar="PLUGIN_DIR")
    dig.set_defaults(func=cmd_plugin_digest)
    diff = psub.add_parser(
        "diff", help="the capability change between two versions of a plugin (before an upgrade)",
        formatter_class=_FMT,
        description="Compare what two versions of a plugin request: permissions, host functions, limits and "
                    "exports. Lines starting with + are new in NEW, - are gone. Exit code 0: the same "
                    "capabilities; 1: they differ (as diff(1)); 2: a folder or manifest is invalid.")
    diff.add_argument("old", metavar="OLD_DIR")
    diff.add_argument("new", metavar="NEW_DIR")
    diff.add_argument("--json", action="store_true", help="print {added, removed, ...} as JSON")
    diff.set_defaults(func=cmd_plugin_diff)


def _audit(ns: argparse.Namespace, counter: DenialCounter, pm: Any) -> AuditLog:
    sinks: list[Any] = [counter, *hook_audit_sinks(pm)]
    sign_key = getattr(ns, "audit_sign_key", None)
    if sign_key and not ns.audit_log:
        raise ConfigError("--audit-sign-key needs --audit-log FILE", code="ERR_USAGE")
    if not ns.audit_log:
        return AuditLog(None, sinks=sinks)
    # Checkpoints every 1000 events and a final one at close, so `audit verify --expect-closed` can
    # tell a cleanly closed CLI log from a truncated one (signed when --audit-sign-key is given).
    return AuditLog(ns.audit_log, sinks=sinks, sign_key=sign_key, checkpoint_every=1000)


def _stdio(out: Output, mode: str = "pass") -> Any:
    def on_stdio(ev: StdioEvent) -> None:
        if mode == "null":
            return
        if ev.channel == "stdout" and mode in ("pass", "stdout"):
            out.guest_stdout(ev.data)
        elif not out.stdout_closed:  # after | head closed stdout, the guest's EPIPE error is not news
            out.err(ev.data)
    return on_stdio


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CLIError(f"{where}: not UTF-8 text (invalid byte 0x{data[e.start]:02x} at offset {e.start})") from None


def _entry(ns: argparse.Namespace) -> tuple[Path, str, str, list[Rule]]:
    """(entry path, source, plugin id, extra rules) for ``run``'s target."""
    if ns.target == "-":
        source = _decode(sys.stdin.buffer.read(), "<stdin>")
        entry = Path(abs_path(os.getcwd())) / ("[stdin].mjs" if looks_like_esm(source) else "[stdin].js")
        return entry, source, "stdin", []
    target = Path(ns.target)
    if target.is_dir():
        m = load_manifest(target)
        entry, plugin_id = m.root / m.entry, m.id
    elif target.is_file():
        entry, plugin_id = target.resolve(), target.stem
    else:
        raise CLIError(f"{ns.target}: no such file or plugin folder")
    try:
        source = _decode(entry.read_bytes(), str(ns.target))
    except OSError as e:
        raise CLIError(f"{ns.target}: cannot read: {e.strerror or e}") from None
    folder = escape_path(str(entry.parent).rstrip("/"))
    # Code only: an "import" grant on a whole folder (often a home or downloads folder) must not
    # load data files as JSON modules, nor run .env-style files whose syntax errors echo secrets.
    code = [f"{folder}/**/*.{ext}" for ext in ENTRY_FOLDER_EXTENSIONS]
    imports = Rule(capability="fs", effect="allow", id="cli:entry-folder", ops=["import"],
                   paths=[*code, f"{folder}/**/package.json", f"{folder}/**/node_modules/**"],
                   reason="the module loader may import code from the entry file's folder (no readFileSync, "
                          "no data files outside node_modules)")
    return entry, source, plugin_id, [imports]


ENTRY_FOLDER_EXTENSIONS = ("js", "mjs", "cjs")
"""What ``secure-exec run FILE`` lets the loader import from FILE's folder without ``--allow-read``."""


def _missing_target(ns: argparse.Namespace) -> CLIError:
    """``run --allow-read app.js``: argparse gave app.js to the flag; say so instead of "FILE is required"."""
    for dest, values in sorted(vars(ns).items()):
        if dest.startswith(("allow_", "deny_")) and isinstance(values, list):
            for v in values:
                if isinstance(v, str) and "," not in v and Path(v).is_file():
                    flag = "--" + dest.replace("_", "-")
                    return CLIError(f"missing FILE: {flag} took {v!r} as its value (a flag without '=' takes the "
                                    f"next word); put the file first: secure-exec run {v} {flag} ...")
    return CLIError("missing FILE: the script to run, a plugin folder, or - for stdin")


def cmd_run(ns: argparse.Namespace, out: Output) -> int:
    if ns.target is None:
        raise _missing_target(ns)
    counter = DenialCounter()
    entry, source, plugin_id, extra = _entry(ns)
    pm = create_plugin_manager()
    executor = create_command_executor()
    policy = build_policy(ns, extra, executor=executor, library=hook_presets(pm) if ns.policy else None)
    if ns.dry_run:
        out.out("\n".join(describe_policy(policy)) + "\n")
        return EXIT_OK
    driver = create_node_driver(
        filesystem=HostFileSystem("/"), command_executor=executor, policy=policy,
        process_config=ProcessConfig(argv=("node", str(entry), *ns.script_args), cwd=abs_path(os.getcwd()),
                                     env=guest_env(ns)),
        plugin_manager=pm,
    )
    stdin = b"" if ns.target == "-" else LazyStdin(0)
    with _audit(ns, counter, pm) as log:
        rt = NodeRuntime(system_driver=driver, memory_limit=ns.memory_limit, time_limit=ns.time_limit,
                         on_stdio=_stdio(out), audit_log=log, plugin_id=plugin_id)
        try:
            if entry.suffix == ".mjs":
                r = rt.run(source, str(entry))
                code, message = r.code, r.error_message
            else:
                e = rt.exec(source, file_path=str(entry), stdin=stdin)
                code, message = e.code, e.error_message
        finally:
            rt.dispose()
    if out.stdout_closed:
        return EXIT_PIPE
    if code == TIMEOUT_EXIT:
        note(f"time limit of {ns.time_limit:g} s exceeded (--time-limit)", out)
    elif message and code != 0:
        note(f"exit {code}: {message}", out)
    counter.summary(ns, out)
    return code


# -- plugin call ------------------------------------------------------------------------------------

def _suggest_flags(rule: Rule) -> list[str]:
    """The flags that would grant one manifest permission (what an escalation error shows)."""
    from secure_exec.policy.requests import FS_READ_OPS

    def plain(p: str) -> str:
        p = p[:-3] if p.endswith("/**") else p
        return p.replace("\\*", "*").replace("\\?", "?").replace("\\\\", "\\") or "/"

    if rule.capability == "fs":
        ops = set(rule.ops or ())
        kinds = (["--allow-read"] if not rule.ops or ops & FS_READ_OPS else []) + \
                (["--allow-write"] if not rule.ops or ops - FS_READ_OPS else [])
        paths = [plain(p) for p in rule.paths]
        return [f"{k}={','.join(paths)}" if paths else k for k in kinds]
    if rule.capability == "network":
        hosts = list(rule.urls) + list(rule.cidrs)
        return ["--allow-net=" + ",".join(hosts) if hosts else "--allow-net"]
    if rule.capability == "env":
        return ["--allow-env=" + ",".join(rule.names) if rule.names else "--allow-env"]
    return ["--allow-run=" + rule.executable if rule.executable else "--allow-run"]


def _describe_rule(rule: Rule) -> str:
    what = list(rule.paths or rule.urls or rule.cidrs or rule.names or ())
    if rule.executable:
        what.append(rule.executable)
    ops = ",".join(rule.ops) if rule.ops else "(all ops)"
    return f"{rule.capability} {ops} {' '.join(what) or '(everything)'}"


def escalation_message(m: PluginManifest, grant: Policy) -> str:
    """Which manifest permissions the grant does not cover, and the flags that would grant them."""
    lines = [f"plugin {m.id!r} requests more than the flags grant:"]
    for i, table in enumerate(m.requested_rules):
        try:
            rule = rule_from_mapping(table, f"permissions[{i}]", source="manifest")
        except ConfigError:
            continue
        try:
            grant.narrow(rules=[rule])
        except ConfigError:
            lines.append(f"  permissions[{i}]: {_describe_rule(rule)}: grant with {' '.join(_suggest_flags(rule))}")
    return "\n".join(lines)


def cmd_plugin_call(ns: argparse.Namespace, out: Output) -> int:
    counter = DenialCounter()
    try:
        args = json.loads(ns.args)
    except json.JSONDecodeError as e:
        raise CLIError(f"--args is not valid JSON: {e}") from None
    if not (Path(ns.plugin) / MANIFEST_NAME).is_file():
        raise CLIError(f"{ns.plugin}: not a plugin folder (no {MANIFEST_NAME})")
    m = load_manifest(ns.plugin)
    if ns.pin is not None and not _DIGEST_RE.match(ns.pin):
        raise CLIError(f"--pin: {ns.pin!r} is not a plugin digest; expected 'sha256:' and 64 hex digits "
                       "(print one with: secure-exec plugin digest DIR)")
    pm = create_plugin_manager()
    executor = create_command_executor()
    policy = build_policy(ns, [], executor=executor, library=hook_presets(pm) if ns.policy else None)
    with _audit(ns, counter, pm) as log, \
            PluginHost(plugin_manager=pm, audit_log=log, on_stdio=_stdio(out, ns.stdio)) as host:
        try:
            plugin = host.load_plugin(ns.plugin, policy=policy, filesystem=HostFileSystem("/"),
                                      command_executor=executor, time_limit=ns.time_limit,
                                      memory_limit_mb=ns.memory_limit, env=guest_env(ns), pinned_digest=ns.pin)
        except PermissionDenied as e:
            if "requests more than the host granted" in str(e):
                raise CLIError(escalation_message(m, policy)) from None
            if "pinned digest" in str(e):
                raise CLIError(str(e)) from None
            raise
        try:
            value = plugin.call(ns.function, *(args if isinstance(args, list) else [args]))
        finally:
            counter.summary(ns, out)
    text = json.dumps(value, separators=(",", ":"), sort_keys=True) if ns.json else \
        json.dumps(value, indent=2, sort_keys=True)
    out.out(text + "\n")
    return EXIT_OK


def cmd_plugin_digest(ns: argparse.Namespace, out: Output) -> int:
    m = load_manifest(ns.plugin)
    out.out(plugin_digest(m.root) + "\n")
    return EXIT_OK


def _capabilities(m: PluginManifest) -> list[str]:
    """One line per thing the plugin can ask for, comparable across versions (rule ids ignored)."""
    out = []
    for i, table in enumerate(m.requested_rules):
        rule = rule_from_mapping(table, f"permissions[{i}]", source="manifest")
        extra = f" args={','.join(rule.args)}" if rule.args is not None else ""
        out.append(f"{rule.effect} {_describe_rule(rule)}{extra}")
    out += [f"host function {f}" for f in m.host_functions]
    tl, mm = m.limits.time_limit, m.limits.memory_limit_mb
    out += [f"limit time_limit={'default' if tl is None else f'{tl:g}'}",
            f"limit memory_limit_mb={'default' if mm is None else mm}"]
    return sorted(set(out))


def cmd_plugin_diff(ns: argparse.Namespace, out: Output) -> int:
    old, new = load_manifest(ns.old), load_manifest(ns.new)
    a, b = _capabilities(old), _capabilities(new)
    added, removed = [x for x in b if x not in a], [x for x in a if x not in b]
    exports = {"added": sorted(set(new.exports) - set(old.exports)),
               "removed": sorted(set(old.exports) - set(new.exports))}
    if ns.json:
        out.out(json.dumps({"old": {"id": old.id, "version": old.version, "digest": plugin_digest(old.root)},
                            "new": {"id": new.id, "version": new.version, "digest": plugin_digest(new.root)},
                            "added": added, "removed": removed, "exports": exports}, indent=2) + "\n")
    else:
        lines = [f"{old.id} {old.version} -> {new.id} {new.version}"]
        if old.id != new.id:
            lines.append(f"! the plugin id changed: {old.id!r} -> {new.id!r}")
        lines += [f"+ {x}" for x in added] + [f"- {x}" for x in removed]
        lines += [f"+ export {x}" for x in exports["added"]] + [f"- export {x}" for x in exports["removed"]]
        if not (added or removed):
            lines.append("  (the same capabilities)")
        out.out("\n".join(lines) + "\n")
    return EXIT_GUEST if added or removed else EXIT_OK


__all__ = ["EXIT_GUEST", "cmd_plugin_call", "cmd_run", "register"]
