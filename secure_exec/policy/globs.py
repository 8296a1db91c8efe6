"""Glob patterns compiled once to regexes, and a sound test for "pattern A covers pattern B".

Path globs (matched on the resolved, canonical path):

* ``*`` matches any characters except ``/`` inside one segment, ``?`` one such character;
* ``**`` as a whole segment matches zero or more segments, so ``/data/**`` matches ``/data``
  itself and everything below it, and ``/a/**/b`` matches ``/a/b`` and ``/a/x/y/b``;
* ``\\`` escapes the next character: ``\\*``, ``\\?`` and ``\\\\`` are a literal ``*``, ``?`` and
  ``\\`` (``escape_path`` turns any real path into the glob matching exactly that path);
* everything else is literal (no character classes, no braces: fewer surprises).

Name globs (env names, args, hosts) use ``*`` for any run of characters and ``?`` for one.
The inclusion test is used to refuse escalation when a sub-context narrows a policy; it is
*sound* (never says "covered" wrongly) but not complete: when unsure it says "not covered".
"""

from __future__ import annotations

import itertools
import re

from secure_exec.errors import ConfigError

_WILD = frozenset("*?")
_ESCAPABLE = frozenset("*?\\")


def escape_path(path: str) -> str:
    """The path glob that matches exactly ``path`` (``*``, ``?`` and ``\\`` made literal)."""
    return "".join("\\" + ch if ch in _ESCAPABLE else ch for ch in path)


def _tokens(seg: str, escapes: bool) -> list[tuple[bool, str]]:
    """``(is_wildcard, char)`` for each character of a segment; ``\\x`` is a literal ``x``."""
    out: list[tuple[bool, str]] = []
    i = 0
    while i < len(seg):
        ch = seg[i]
        if escapes and ch == "\\" and i + 1 < len(seg):
            out.append((False, seg[i + 1]))
            i += 2
            continue
        out.append((ch in _WILD, ch))
        i += 1
    return out


def _has_wild(seg: str, escapes: bool = True) -> bool:
    return any(w for w, _ in _tokens(seg, escapes))


def _unescape(text: str) -> str:
    return "".join(ch for _, ch in _tokens(text, True))


def validate_path_glob(pattern: object, where: str) -> str:
    if not isinstance(pattern, str) or not pattern.startswith("/"):
        raise ConfigError(f"{where}: path pattern {pattern!r} must be an absolute path string")
    if "\x00" in pattern:
        raise ConfigError(f"{where}: path pattern contains a NUL byte")
    if pattern != "/":
        for seg in pattern[1:].split("/"):
            if seg in ("", ".", ".."):
                raise ConfigError(f"{where}: path pattern {pattern!r} has an empty, '.' or '..' segment")
            if seg.endswith("\\") and (len(seg) - len(seg.rstrip("\\"))) % 2:
                raise ConfigError(f"{where}: path pattern {pattern!r}: a segment ends with a lone '\\'")
            toks = _tokens(seg, True)
            stars = [w and c == "*" for w, c in toks]
            if seg != "**" and any(a and b for a, b in itertools.pairwise(stars)):
                raise ConfigError(f"{where}: path pattern {pattern!r}: '**' must be a whole segment")
    return pattern


def _segment_regex(seg: str, star: str, one: str, escapes: bool = False) -> str:
    out = []
    for wild, ch in _tokens(seg, escapes):
        out.append(star if wild and ch == "*" else one if wild else re.escape(ch))
    return "".join(out)


def path_glob_regex(pattern: str) -> str:
    """Regex source (without anchors) for one validated path glob."""
    if pattern == "/":
        return "/"
    out = []
    for seg in pattern[1:].split("/"):
        out.append("(?:/.*)?" if seg == "**" else "/" + _segment_regex(seg, "[^/]*", "[^/]", True))
    return "".join(out)


def literal_affixes(pattern: str) -> tuple[str, str]:
    """Literal prefix and suffix every match of a path glob has (a cheap pre-filter before the regex)."""
    toks = _tokens(pattern, True)
    wild = [i for i, (w, _) in enumerate(toks) if w]
    text = "".join(ch for _, ch in toks)
    if not wild:
        return text, text
    first, last = wild[0], wild[-1]
    prefix = text[:first]
    if first + 1 < len(toks) and toks[first + 1] == (True, "*") and prefix.endswith("/"):
        prefix = prefix[:-1]  # "/data/**" also matches "/data"
    return prefix, text[last + 1:]


def name_glob_regex(pattern: str) -> str:
    return _segment_regex(pattern, ".*", ".")


def compile_any(sources: list[str]) -> re.Pattern[str]:
    """One anchored alternation for several regex sources (one ``fullmatch`` per decision)."""
    return re.compile("|".join(f"(?:{s})" for s in sources), re.DOTALL)


def _segment_covers(parent: str, child: str, escapes: bool = False) -> bool:
    if parent == child or parent == "*":
        return True
    if not _has_wild(child, escapes):
        literal = _unescape(child) if escapes else child
        return re.fullmatch(_segment_regex(parent, ".*", ".", escapes), literal, re.DOTALL) is not None
    if parent.endswith("*") and not _has_wild(parent[:-1], escapes) and not (escapes and parent.endswith("\\*")):
        return child.startswith(parent[:-1])  # prefix* covers prefix...*
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
        return _segment_covers(p[pi], c[ci], True) and covers(ci + 1, pi + 1)

    return covers(0, 0)
