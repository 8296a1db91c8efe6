"""Always-on guards: denials that sit above every rule and check, waivable only by name.

They encode escapes that are never what a plugin author meant: host pseudo-filesystems, SSRF to
loopback/private/metadata addresses (on every resolved IP and on IP-literal hosts in any
spelling), and loader-injection variables in a child's environment.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from secure_exec.errors import ConfigError
from secure_exec.policy.ipaddr import NET_GUARDS
from secure_exec.policy.requests import ChildProcessAccessRequest, FsAccessRequest, NetworkAccessRequest

FS_GUARDS = {"fs.proc": "/proc", "fs.sys": "/sys", "fs.dev": "/dev"}
CHILD_GUARDS = frozenset({"child.env"})
GUARD_NAMES = frozenset(FS_GUARDS) | NET_GUARDS | CHILD_GUARDS

_LOADER_PREFIXES = ("LD_", "DYLD_")
_LOADER_NAMES = frozenset({"NODE_OPTIONS"})


def validate_waivers(names: Iterable[object], where: str = "waive") -> frozenset[str]:
    """Waivers must name known guards exactly: a typo must not silently keep (or drop) a guard."""
    items = list(names) if not isinstance(names, str) else None
    if items is None or not all(isinstance(n, str) for n in items):
        raise ConfigError(f"{where}: must be a list of guard names")
    bad = sorted(set(map(str, items)) - GUARD_NAMES)
    if bad:
        raise ConfigError(f"{where}: unknown guard(s) {bad}; known: {sorted(GUARD_NAMES)}")
    return frozenset(map(str, items))


_FS_GUARD_RE = re.compile(r"/(proc|sys|dev)(?:/|$)")


def _fs_guard(path: str, waived: frozenset[str]) -> str | None:
    m = _FS_GUARD_RE.match(path)
    if m is None:
        return None
    name = "fs." + m.group(1)
    return None if name in waived else name


def _is_loader_var(name: str) -> bool:
    up = name.upper()
    return up.startswith(_LOADER_PREFIXES) or up in _LOADER_NAMES


_FS_REASONS = {g: f"{root} is a host pseudo-filesystem" for g, root in FS_GUARDS.items()}
GuardHit = tuple[str, str]  # (guard name, reason)


def fs_guard(request: FsAccessRequest, waived: frozenset[str]) -> GuardHit | None:
    g = _fs_guard(request.path, waived)
    if g is None and request.dest is not None:
        g = _fs_guard(request.dest, waived)
    return None if g is None else (g, _FS_REASONS[g])


def _what(guard: str) -> str:
    return guard.split(".", 1)[1].replace("_", "-")


def net_guard(request: NetworkAccessRequest, waived: frozenset[str]) -> GuardHit | None:
    for what, g in request.guard_hits:  # classified once when the request was built
        if g not in waived:
            suffix = " by definition" if what.startswith("host") else ""
            return g, f"{what} is {_what(g)}{suffix}"
    return None


def child_guard(request: ChildProcessAccessRequest, waived: frozenset[str]) -> GuardHit | None:
    if "child.env" in waived:
        return None
    for name in request.env:
        if _is_loader_var(name):
            return "child.env", f"environment variable {name} can inject code into the child"
    # `env LD_PRELOAD=... cmd` sets the variable through argv instead
    if request.command.rsplit("/", 1)[-1] == "env":
        for a in request.args:
            if "=" in a and _is_loader_var(a.split("=", 1)[0]):
                return "child.env", f"argument {a.split('=', 1)[0]}=... can inject code into the child"
    return None


def no_guard(request: object, waived: frozenset[str]) -> GuardHit | None:
    return None


GUARDS_BY_CAPABILITY: dict[str, Callable[[Any, frozenset[str]], GuardHit | None]] = {
    "fs": fs_guard, "network": net_guard, "child_process": child_guard, "env": no_guard,
}


def check_guards(request: object, waived: frozenset[str]) -> GuardHit | None:
    """``(guard_name, reason)`` of the first guard ``request`` trips, or ``None``."""
    fn = GUARDS_BY_CAPABILITY.get(getattr(request, "capability", ""))
    return None if fn is None else fn(request, waived)
