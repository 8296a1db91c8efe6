"""``env``-style launchers resolved to the program they really run.

``env FOO=1 git status``, ``nice -n 5 git status``, ``timeout 10 git status``, ``nohup``, ``setsid``
and ``stdbuf`` run another program named by their arguments, so a rule for the launcher would allow
everything and a guard that looked only at the launcher's own environment would miss
``env -S"LD_PRELOAD=/x.so cmd"``. The runtime therefore parses these launchers (the GNU coreutils /
util-linux grammars, including ``env -S``), asks the policy about the inner program with the
environment it would really get, and runs that program **directly** (the launcher itself is not
run, so what was parsed here is exactly what runs). Anything this module cannot parse for certain
(``env -C``, signal options, ``${VAR}`` in ``-S``, abbreviations that are ambiguous, ...) raises
``LauncherError``; other launchers (``xargs``, ``sudo``, ``chroot``, ``strace``, ...) are never
unwrapped and are refused by the ``child.launcher`` guard.

What is dropped by running the inner program directly: ``nice``'s priority, ``nohup``'s SIGHUP
handling, ``setsid`` (every child already gets its own session), ``stdbuf``'s buffering. A
``timeout`` duration becomes the spawn's timeout (the smaller of the two wins).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import attrs

UNWRAPPED = frozenset({"env", "nice", "nohup", "setsid", "timeout", "stdbuf"})
MAX_DEPTH = 8


class LauncherError(Exception):
    """The launcher's arguments cannot be resolved for certain (the spawn is refused)."""


@attrs.frozen
class Inner:
    """What a launcher runs: a command (a name or path, still to be resolved), its args, its env."""

    command: str
    args: tuple[str, ...]
    env: dict[str, str]
    timeout_s: float | None = None


def _long(arg: str, names: Sequence[str]) -> tuple[str, str | None]:
    """GNU getopt_long: ``--name[=value]`` with unambiguous abbreviations."""
    name, eq, value = arg[2:].partition("=")
    hits = [n for n in names if n == name] or [n for n in names if n.startswith(name)]
    if len(hits) != 1 or not name:
        raise LauncherError(f"unknown or ambiguous option {arg.split('=', 1)[0]!r}")
    return hits[0], (value if eq else None)


# -- env -S -----------------------------------------------------------------------------------------

_S_SAFE = re.compile(r"[^\\$#]*")


def split_string(s: str) -> list[str]:
    """``env -S`` splitting for the unambiguous subset: whitespace, '...' and "..." quotes.

    Backslash escapes, ``${VAR}`` expansion and ``#`` comments are refused rather than guessed.
    """
    if _S_SAFE.fullmatch(s) is None:
        raise LauncherError("env -S with '\\', '$' or '#' is not supported; pass the arguments separately")
    out: list[str] = []
    cur: list[str] = []
    have = False
    i, n = 0, len(s)
    while i < n:
        ch = s[i]
        if ch in " \t\n\v\f\r":
            if have:
                out.append("".join(cur))
                cur, have = [], False
            i += 1
        elif ch in "'\"":
            j = s.find(ch, i + 1)
            if j < 0:
                raise LauncherError("env -S: unterminated quote")
            cur.append(s[i + 1:j])
            have = True
            i = j + 1
        else:
            cur.append(ch)
            have = True
            i += 1
    if have:
        out.append("".join(cur))
    return out


_ENV_LONG = ("ignore-environment", "null", "unset", "chdir", "split-string", "block-signal", "default-signal",
             "ignore-signal", "list-signal-handling", "debug", "help", "version")


def _env(args: Sequence[str], env: Mapping[str, str]) -> Inner:
    rest = list(args)
    out = dict(env)
    i = 0
    while i < len(rest):
        a = rest[i]
        if a == "--":
            i += 1
            break
        if a == "-":  # a lone '-' means -i
            out.clear()
            i += 1
            continue
        if not a.startswith("-") or a == "-":
            break
        if a.startswith("--"):
            name, value = _long(a, _ENV_LONG)
            if name == "ignore-environment":
                out.clear()
            elif name in ("debug", "null"):
                pass
            elif name in ("unset", "split-string"):
                if value is None:
                    if i + 1 >= len(rest):
                        raise LauncherError(f"env --{name} needs a value")
                    value = rest[i + 1]
                    i += 1
                if name == "unset":
                    out.pop(value, None)
                else:
                    rest[i + 1:i + 1] = split_string(value)
            else:
                raise LauncherError(f"env --{name} is not supported")
            i += 1
            continue
        j = 1
        consumed_next = False
        while j < len(a):
            c = a[j]
            if c == "i":
                out.clear()
            elif c in "0v":
                pass
            elif c in "uS":
                value = a[j + 1:]
                if not value:
                    if i + 1 >= len(rest):
                        raise LauncherError(f"env -{c} needs a value")
                    value = rest[i + 1]
                    consumed_next = True
                if c == "u":
                    out.pop(value, None)
                else:
                    rest[i + 1 + int(consumed_next):i + 1 + int(consumed_next)] = split_string(value)
                break
            else:
                raise LauncherError(f"env -{c} is not supported")
            j += 1
        i += 2 if consumed_next else 1
    while i < len(rest) and "=" in rest[i]:
        name, _, value = rest[i].partition("=")
        if not name or "\x00" in name:
            raise LauncherError("env: invalid variable name")
        out[name] = value
        i += 1
    if i >= len(rest):
        raise LauncherError("env without a command")
    return Inner(rest[i], tuple(rest[i + 1:]), out)


def env_assignments(args: Sequence[str]) -> list[str] | None:
    """Every variable name an ``env`` command line sets (``None``: it cannot be told for certain)."""
    try:
        return list(_env(args, {}).env)
    except LauncherError:
        return None


# -- nice, nohup, setsid, stdbuf, timeout -----------------------------------------------------------

_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)([smhd]?)")
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def _options(args: Sequence[str], short_flags: str, short_valued: str, long_flags: Sequence[str],
             long_valued: Sequence[str], tool: str) -> tuple[dict[str, str], list[str]]:
    """getopt_long with a leading '+': options until the first non-option; returns (valued, rest)."""
    valued: dict[str, str] = {}
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            return valued, list(args[i + 1:])
        if not a.startswith("-") or a == "-":
            break
        if a.startswith("--"):
            name, value = _long(a, (*long_flags, *long_valued))
            if name in long_valued:
                if value is None:
                    if i + 1 >= len(args):
                        raise LauncherError(f"{tool} --{name} needs a value")
                    value = args[i + 1]
                    i += 1
                valued[name] = value
            elif value is not None:
                raise LauncherError(f"{tool} --{name} takes no value")
            i += 1
            continue
        j = 1
        step = 1
        while j < len(a):
            c = a[j]
            if c in short_valued:
                value = a[j + 1:]
                if not value:
                    if i + 1 >= len(args):
                        raise LauncherError(f"{tool} -{c} needs a value")
                    value = args[i + 1]
                    step = 2
                valued[c] = value
                break
            if c not in short_flags:
                raise LauncherError(f"{tool} -{c} is not supported")
            j += 1
        i += step
    return valued, list(args[i:])


def _parse_duration(text: str) -> float:
    m = _DURATION.fullmatch(text)
    if m is None:
        raise LauncherError(f"timeout: invalid duration {text[:32]!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


def _simple(tool: str, args: Sequence[str], env: Mapping[str, str]) -> Inner:
    timeout_s: float | None = None
    if tool == "nice":
        rest = list(args)
        if rest and re.fullmatch(r"-\d+", rest[0]):  # legacy `nice -10 cmd`
            rest = rest[1:]
        else:
            _, rest = _options(rest, "", "n", (), ("adjustment",), tool)
    elif tool == "nohup":
        _, rest = _options(args, "", "", (), (), tool)
    elif tool == "setsid":
        _, rest = _options(args, "cfw", "", ("ctty", "fork", "wait"), (), tool)
    elif tool == "stdbuf":
        _, rest = _options(args, "", "ioe", (), ("input", "output", "error"), tool)
    else:  # timeout
        _, rest = _options(args, "v", "sk", ("verbose", "foreground", "preserve-status"),
                           ("signal", "kill-after"), tool)
        if not rest:
            raise LauncherError("timeout needs a duration")
        timeout_s = _parse_duration(rest.pop(0)) or None
    if not rest:
        raise LauncherError(f"{tool} without a command")
    return Inner(rest[0], tuple(rest[1:]), dict(env), timeout_s)


def unwrap_once(tool: str, args: Sequence[str], env: Mapping[str, str]) -> Inner:
    """What launcher ``tool`` (one of ``UNWRAPPED``) would run with ``args`` and ``env``."""
    if tool == "env":
        return _env(args, env)
    if tool in UNWRAPPED:
        return _simple(tool, args, env)
    raise LauncherError(f"{tool} is not a launcher this runtime resolves")
