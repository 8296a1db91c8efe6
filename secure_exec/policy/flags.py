"""Deno-like permission flags turned into rules (what the CLI's ``--allow-*`` options use).

Each flag is ``None`` (nothing), ``True`` (unscoped, like a bare ``--allow-read``) or a list:

* ``allow_read`` / ``allow_write``: absolute paths; each covers the path and everything below it.
  Read ops: read, readdir, stat, exists, readlink, import. Every other fs op (copy included, on
  both ends) needs write. Paths are literal: ``*``, ``?`` and ``\\`` in a folder name are escaped,
  so ``/srv/data-*`` grants that folder and never ``/srv/data-secret``.
* ``allow_import``: absolute paths the module loader may import from (op ``import`` only: the
  guest cannot ``readFileSync`` them).
* ``allow_net``: ``host``, ``host:port``, ``scheme://host:port``, ``*.domain`` or a CIDR.
* ``allow_env``: names or globs (``AWS_*``) for read and write; listing all names needs ``True``.
* ``allow_run``: absolute executables (the CLI resolves bare names on its PATH first).

``deny_*`` take the same values and become deny rules. Guards still apply; waive them by name.
``allow_all=True`` is ``True`` for every ``allow_*`` flag (``deny_*`` flags still apply).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from secure_exec.errors import ConfigError
from secure_exec.policy.engine import Policy
from secure_exec.policy.globs import escape_path
from secure_exec.policy.requests import FS_READ_OPS, FS_WRITE_OPS
from secure_exec.policy.rules import Rule

FlagValue = bool | Sequence[str] | None
_SOURCE = "config:flags"


def _items(flag: str, value: FlagValue) -> list[str] | None:
    """None: flag absent; []: unscoped; else the listed values."""
    if value is None or value is False:
        return None
    if value is True:
        return []
    if isinstance(value, str) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{flag}: must be True or a list of non-empty strings, got {value!r}")
    return list(value)


def _subtree(flag: str, path: str) -> str:
    if not path.startswith("/"):
        raise ConfigError(f"{flag}: {path!r} must be an absolute path")
    path = escape_path(path.rstrip("/"))
    return f"{path}/**" if path else "/**"


def _fs(flag: str, value: FlagValue, effect: str, ops: frozenset[str]) -> list[Rule]:
    items = _items(flag, value)
    if items is None:
        return []
    paths = [_subtree(flag, p) for p in items]
    return [Rule("fs", effect, id=f"flags:{flag}", ops=sorted(ops), paths=paths, source=_SOURCE)]


def _net(flag: str, value: FlagValue, effect: str) -> list[Rule]:
    items = _items(flag, value)
    if items is None:
        return []
    if not items:
        return [Rule("network", effect, id=f"flags:{flag}", source=_SOURCE)]
    cidrs = [i for i in items if "/" in i and "://" not in i]
    hosts = [i for i in items if i not in cidrs]
    out = []
    if hosts:
        out.append(Rule("network", effect, id=f"flags:{flag}", urls=hosts, source=_SOURCE))
    if cidrs:
        out.append(Rule("network", effect, id=f"flags:{flag}:cidr", cidrs=cidrs, source=_SOURCE))
    return out


def _env(flag: str, value: FlagValue, effect: str) -> list[Rule]:
    items = _items(flag, value)
    if items is None:
        return []
    if not items:
        return [Rule("env", effect, id=f"flags:{flag}", source=_SOURCE)]
    return [Rule("env", effect, id=f"flags:{flag}", ops=["read", "write"], names=items, source=_SOURCE)]


def _run(flag: str, value: FlagValue, effect: str) -> list[Rule]:
    items = _items(flag, value)
    if items is None:
        return []
    if not items:
        return [Rule("child_process", effect, id=f"flags:{flag}", source=_SOURCE)]
    for exe in items:
        if not exe.startswith("/"):
            raise ConfigError(f"{flag}: {exe!r} must be an absolute executable path")
    return [Rule("child_process", effect, id=f"flags:{flag}#{i}", executable=exe, source=_SOURCE)
            for i, exe in enumerate(items, 1)]


def policy_from_flags(
    *,
    allow_read: FlagValue = None,
    allow_write: FlagValue = None,
    allow_net: FlagValue = None,
    allow_env: FlagValue = None,
    allow_run: FlagValue = None,
    allow_import: FlagValue = None,
    allow_all: bool = False,
    deny_read: FlagValue = None,
    deny_write: FlagValue = None,
    deny_net: FlagValue = None,
    deny_env: FlagValue = None,
    deny_run: FlagValue = None,
    deny_import: FlagValue = None,
    permissions: Mapping[str, Callable[..., Any]] | None = None,
    waive: Sequence[str] = (),
    mode: str = "enforce",
    name: str = "flags",
) -> Policy:
    if allow_all:
        allow_read = allow_write = allow_net = allow_env = allow_run = True
    rules = [
        *_fs("deny_import", deny_import, "deny", frozenset({"import"})),
        *_fs("deny_read", deny_read, "deny", FS_READ_OPS),
        *_fs("deny_write", deny_write, "deny", FS_WRITE_OPS),
        *_net("deny_net", deny_net, "deny"),
        *_env("deny_env", deny_env, "deny"),
        *_run("deny_run", deny_run, "deny"),
        *_fs("allow_read", allow_read, "allow", FS_READ_OPS),
        *_fs("allow_write", allow_write, "allow", FS_WRITE_OPS),
        *_net("allow_net", allow_net, "allow"),
        *_env("allow_env", allow_env, "allow"),
        *_run("allow_run", allow_run, "allow"),
        *_fs("allow_import", allow_import, "allow", frozenset({"import"})),
    ]
    return Policy(permissions=permissions, rules=rules, waive=waive, mode=mode, name=name)


_FS_FLAG = {op: "--allow-read" for op in FS_READ_OPS} | {op: "--allow-write" for op in FS_WRITE_OPS}
_FS_FLAG["import"] = "--allow-import"
_CAP_FLAG = {"network": "--allow-net", "env": "--allow-env", "child_process": "--allow-run"}


def flag_for(capability: str, op: str | None, resource: str) -> str:
    """The command-line flag that would allow one access (what denial hints and escalation errors show)."""
    if capability == "fs":
        return f"{_FS_FLAG.get(op or '', '--allow-write')}={resource}"
    flag = _CAP_FLAG.get(capability, "--allow-" + capability)
    if capability == "env" and (op == "list" or not resource):
        return flag
    return f"{flag}={resource}" if resource else flag
