"""Glob patterns compiled once to regexes, and a sound test for "pattern A covers pattern B".

Path globs (matched on the resolved, canonical path):

* ``*`` matches any characters except ``/`` inside one segment, ``?`` one such character;
* ``**`` as a whole segment matches zero or more segments, so ``/data/**`` matches ``/data``
  itself and everything below it, and ``/a/**/b`` matches ``/a/b`` and ``/a/x/y/b``;
* everything else is literal (no character classes, no braces: fewer surprises).

Name globs (env names, args, hosts) use ``*`` for any run of characters and ``?`` for one.
The inclusion test is used to refuse escalation when a sub-context narrows a policy; it is
*sound* (never says "covered" wrongly) but not complete: when unsure it says "not covered".
"""

from __future__ import annotations

import re

from secure_exec.errors import ConfigError

_WILD = frozenset("*?")


def validate_path_glob(pattern: object, where: str) -> str:
    if not isinstance(pattern, str) or not pattern.startswith("/"):
        raise ConfigError(f"{where}: path pattern {pattern!r} must be an absolute path string")
    if "\x00" in pattern:
        raise ConfigError(f"{where}: path pattern contains a NUL byte")
    if pattern != "/":
        for seg in pattern[1:].split("/"):
            if seg in ("", ".", ".."):
                raise ConfigError(f"{where}: path pattern {pattern!r} has an empty, '.' or '..' segment")
            if "**" in seg and seg != "**":
                raise ConfigError(f"{where}: path pattern {pattern!r}: '**' must be a whole segment")
    return pattern


def _segment_regex(seg: str, star: str, one: str) -> str:
    out = []
    for ch in seg:
        out.append(star if ch == "*" else one if ch == "?" else re.escape(ch))
    return "".join(out)


def path_glob_regex(pattern: str) -> str:
    """Regex source (without anchors) for one validated path glob."""
    if pattern == "/":
        return "/"
    out = []
    for seg in pattern[1:].split("/"):
        out.append("(?:/.*)?" if seg == "**" else "/" + _segment_regex(seg, "[^/]*", "[^/]"))
    return "".join(out)


def literal_affixes(pattern: str) -> tuple[str, str]:
    """Literal prefix and suffix every match of a path glob has (a cheap pre-filter before the regex)."""
    first = min((i for i, ch in enumerate(pattern) if ch in _WILD), default=-1)
    if first < 0:
        return pattern, pattern
    prefix = pattern[:first]
    if pattern.startswith("**", first) and prefix.endswith("/"):
        prefix = prefix[:-1]  # "/data/**" also matches "/data"
    last = max(i for i, ch in enumerate(pattern) if ch in _WILD)
    return prefix, pattern[last + 1:]


def name_glob_regex(pattern: str) -> str:
    return _segment_regex(pattern, ".*", ".")


def compile_any(sources: list[str]) -> re.Pattern[str]:
    """One anchored alternation for several regex sources (one ``fullmatch`` per decision)."""
    return re.compile("|".join(f"(?:{s})" for s in sources), re.DOTALL)


def _segment_covers(parent: str, child: str) -> bool:
    if parent == child or parent == "*":
        return True
    if not _WILD & set(child):
        return re.fullmatch(_segment_regex(parent, ".*", "."), child, re.DOTALL) is not None
    if parent.endswith("*") and not _WILD & set(parent[:-1]):  # prefix* covers prefix...*
        return child.startswith(parent[:-1])
    return False


def name_glob_covers(parent: str, child: str) -> bool:
    """True only if every name ``child`` matches is matched by ``parent``."""
    return _segment_covers(parent, child)


def path_glob_covers(parent: str, child: str) -> bool:
    """True only if every path ``child`` matches is matched by ``parent`` (sound, not complete)."""
    p = [] if parent == "/" else parent[1:].split("/")
    c = [] if child == "/" else child[1:].split("/")
    if parent == "/":
        return child == "/"
    if child == "/":
        return all(s == "**" for s in p)

    def covers(ci: int, pi: int) -> bool:
        if pi == len(p):
            return ci == len(c)
        if p[pi] == "**":
            return covers(ci, pi + 1) or (ci < len(c) and covers(ci + 1, pi))
        if ci == len(c) or c[ci] == "**":
            return False
        return _segment_covers(p[pi], c[ci]) and covers(ci + 1, pi + 1)

    return covers(0, 0)
