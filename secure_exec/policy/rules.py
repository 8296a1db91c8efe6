"""Structured allow/deny rules and named presets.

A rule applies to one capability and matches a request when EVERY criterion it sets matches
(unset criteria match anything); inside one criterion any listed pattern may match.

* fs: ``ops``, ``paths`` (globs on the resolved path, see ``globs``).
* network: ``ops``, ``urls`` (``scheme://host:port`` patterns, see ``netpattern``), ``cidrs``
  (on the resolved IPs and on an IP-literal host), ``methods``.
  Deny rules are "any": they match if ANY host/IP of the request matches. Allow rules are "all":
  every host (hostname and URL host) and every IP must match, and a rule with ``cidrs`` never
  allows a request that has no IP yet (a plain DNS lookup).
* env: ``ops``, ``names`` (globs like ``APP_*``). ``list`` matches only a rule without ``names``
  or with the bare ``*``, since it reveals every name.
* child_process: ``executable`` (an absolute path or absolute glob, compared with the request's
  resolved command; a relative command never matches), ``args`` (one pattern per argument, a final
  ``**`` matches any remaining arguments; unset means any arguments) and ``env`` (the variable
  names the child may get besides the safe base ``PATH``, ``HOME``, ``LANG``, ``LC_*``, ``TERM``,
  ``TZ``; globs allowed, but a name in a code-running family such as ``GIT_*`` or ``BASH_ENV``
  is allowed only when listed literally).
  Argument patterns of allow rules are path-aware: ``*`` and ``?`` never match ``/``, ``**``
  inside a pattern matches across ``/``, and no wildcard ever matches a ``..`` path component
  (``../x``, ``x/..``, ``--dir=..``), so ``src/*`` cannot be satisfied by ``src/../../etc``. Deny
  rules match loosely (``*`` matches anything) so they cannot be dodged the same way.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from secure_exec.errors import ConfigError
from secure_exec.policy.globs import (
    compile_any,
    literal_affixes,
    name_glob_covers,
    name_glob_regex,
    path_glob_covers,
    path_glob_regex,
    validate_path_glob,
)
from secure_exec.policy.guards import is_code_env, is_safe_env
from secure_exec.policy.netpattern import HostPattern, parse_host_pattern
from secure_exec.policy.requests import (
    ENV_OPS,
    FS_OPS,
    NET_OPS,
    AccessRequest,
    ChildProcessAccessRequest,
    EnvAccessRequest,
    FsAccessRequest,
    NetworkAccessRequest,
)

CAPABILITIES = ("fs", "network", "child_process", "env")
CAPABILITY_ALIASES = {"childProcess": "child_process", "child-process": "child_process", "net": "network"}
_OPS: dict[str, frozenset[str]] = {"fs": FS_OPS, "network": NET_OPS, "env": ENV_OPS, "child_process": frozenset()}
_FIELDS_BY_CAP = {
    "fs": {"paths"},
    "network": {"urls", "cidrs", "methods"},
    "env": {"names"},
    "child_process": {"executable", "args", "env"},
}
_ALL_FIELDS = {"paths", "urls", "cidrs", "methods", "names", "executable", "args", "env"}


def canonical_capability(cap: object, where: str) -> str:
    c = CAPABILITY_ALIASES.get(cap, cap) if isinstance(cap, str) else cap
    if c not in CAPABILITIES:
        raise ConfigError(f"{where}: unknown capability {cap!r}; expected one of {list(CAPABILITIES)}")
    return str(c)


def _always(request: Any) -> bool:
    return True


def _str_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _opt_str_tuple(value: Any) -> tuple[str, ...] | None:
    return None if value is None else _str_tuple(value)


@attrs.frozen
class Rule:
    """One allow or deny rule. ``id`` is given by the host or assigned by the policy."""

    capability: str
    effect: str
    id: str = ""
    ops: tuple[str, ...] | None = attrs.field(default=None, converter=_opt_str_tuple)
    paths: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    urls: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    cidrs: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    methods: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    names: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    executable: str | None = None
    args: tuple[str, ...] | None = attrs.field(default=None, converter=_opt_str_tuple)
    env: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    reason: str | None = None
    source: str = "host"
    # compiled once
    _path_re: re.Pattern[str] | None = attrs.field(init=False, default=None, eq=False, repr=False)
    _name_re: re.Pattern[str] | None = attrs.field(init=False, default=None, eq=False, repr=False)
    _exe_re: re.Pattern[str] | None = attrs.field(init=False, default=None, eq=False, repr=False)
    _arg_res: tuple[re.Pattern[str], ...] = attrs.field(init=False, default=(), eq=False, repr=False)
    _args_rest: bool = attrs.field(init=False, default=False, eq=False, repr=False)
    _env_re: re.Pattern[str] | None = attrs.field(init=False, default=None, eq=False, repr=False)
    _env_literal: frozenset[str] = attrs.field(init=False, default=frozenset(), eq=False, repr=False)
    _hosts: tuple[HostPattern, ...] = attrs.field(init=False, default=(), eq=False, repr=False)
    _nets: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = attrs.field(
        init=False, default=(), eq=False, repr=False)
    _opset: frozenset[str] | None = attrs.field(init=False, default=None, eq=False, repr=False)
    matcher: Callable[[Any], bool] = attrs.field(init=False, default=None, eq=False, repr=False)
    """``request -> bool`` specialised for this rule's capability (the engine's hot path)."""

    def __attrs_post_init__(self) -> None:
        where = f"rule {self.id or '(unnamed)'}"
        set_ = object.__setattr__
        cap = canonical_capability(self.capability, where)
        set_(self, "capability", cap)
        if self.effect not in ("allow", "deny"):
            raise ConfigError(f"{where}: effect must be 'allow' or 'deny', got {self.effect!r}")
        for f in ("id", "source"):
            if not isinstance(getattr(self, f), str):
                raise ConfigError(f"{where}: {f} must be a string")
        if self.reason is not None and not isinstance(self.reason, str):
            raise ConfigError(f"{where}: reason must be a string")
        for f in _ALL_FIELDS - _FIELDS_BY_CAP[cap]:
            if getattr(self, f) not in ((), None):
                raise ConfigError(f"{where}: '{f}' does not apply to capability {cap!r}")
        for f in ("ops", "paths", "urls", "cidrs", "methods", "names", "args", "env"):
            v = getattr(self, f)
            if v is not None and not all(isinstance(x, str) for x in v):
                raise ConfigError(f"{where}: {f} must be a list of strings")
        if self.ops is not None:
            if cap == "child_process":
                raise ConfigError(f"{where}: 'ops' does not apply to capability 'child_process'")
            bad = [o for o in self.ops if o not in _OPS[cap]]
            if bad:
                raise ConfigError(f"{where}: unknown {cap} op(s) {bad}; expected {sorted(_OPS[cap])}")
            set_(self, "_opset", frozenset(self.ops))
        if self.paths:
            set_(self, "_path_re", compile_any(
                [path_glob_regex(validate_path_glob(p, f"{where}.paths")) for p in self.paths]))
        if self.names:
            for n in self.names:
                if not n or "=" in n:
                    raise ConfigError(f"{where}: bad env name pattern {n!r}")
            set_(self, "_name_re", compile_any([name_glob_regex(n) for n in self.names]))
        if self.urls:
            set_(self, "_hosts", tuple(parse_host_pattern(u, f"{where}.urls") for u in self.urls))
        if self.cidrs:
            nets = []
            for c in self.cidrs:
                try:
                    nets.append(ipaddress.ip_network(c, strict=False))
                except ValueError:
                    raise ConfigError(f"{where}.cidrs: {c!r} is not a CIDR") from None
            set_(self, "_nets", tuple(nets))
        if self.methods:
            set_(self, "methods", tuple(m.upper() for m in self.methods))
        if self.executable is not None:
            set_(self, "_exe_re", compile_any(
                [path_glob_regex(validate_path_glob(self.executable, f"{where}.executable"))]))
        if self.args is not None:
            pats = list(self.args)
            if pats and pats[-1] == "**":
                set_(self, "_args_rest", True)
                pats.pop()
            if self.effect == "allow":
                set_(self, "_arg_res", tuple(re.compile(arg_glob_regex(a), re.DOTALL) for a in pats))
            else:
                set_(self, "_arg_res", tuple(re.compile(name_glob_regex(a), re.DOTALL) for a in pats))
        if self.env:
            for n in self.env:
                if not n or "=" in n or "\x00" in n:
                    raise ConfigError(f"{where}: bad env name pattern {n!r}")
                if self.effect == "allow" and _WILDCARDS & set(n):
                    raise ConfigError(f"{where}: env name {n!r} is a glob; an allow rule must write out every "
                                      "variable it passes to the child (a glob could pass one that makes a tool "
                                      "run code, e.g. TAR_OPTIONS or MAKEFILES)")
            set_(self, "_env_literal", frozenset(n for n in self.env if not _WILDCARDS & set(n)))
            set_(self, "_env_re", compile_any([name_glob_regex(n) for n in self.env]))
        set_(self, "matcher", self._fs_matcher() if cap == "fs" else self._generic_matcher())

    def _fs_matcher(self) -> Callable[[Any], bool]:
        opset, rx = self._opset, self._path_re
        if rx is None:
            if opset is None:
                return _always
            ops = opset

            def by_op(r: Any) -> bool:
                return r.op in ops

            return by_op
        ops2 = opset if opset is not None else FS_OPS
        # per pattern: literal prefix/suffix pre-filter, then the regex (most paths fail the filter)
        items = tuple((*literal_affixes(p), re.compile(path_glob_regex(p), re.DOTALL).fullmatch) for p in self.paths)
        if len(items) == 1:
            (pre, suf, full), = items

            def one_path(r: Any) -> bool:
                path = r.path
                return r.op in ops2 and path.startswith(pre) and path.endswith(suf) and full(path) is not None

            return one_path

        def any_path(r: Any) -> bool:
            if r.op not in ops2:
                return False
            path = r.path
            for pre, suf, full in items:
                if path.startswith(pre) and path.endswith(suf) and full(path) is not None:
                    return True
            return False

        return any_path

    def _generic_matcher(self) -> Callable[[Any], bool]:
        cap = self.capability
        slow = self._matches

        def generic(r: Any) -> bool:
            return r.capability == cap and slow(r)

        return generic

    # -- matching ---------------------------------------------------------------------------

    def matches(self, request: AccessRequest) -> bool:
        """Does this rule apply to ``request``? (Deny rules use "any", allow rules "all".)"""
        if getattr(request, "capability", None) != self.capability:
            return False
        return self.matcher(request)

    def _matches(self, request: AccessRequest) -> bool:
        if self._opset is not None and getattr(request, "op", None) not in self._opset:
            return False
        if isinstance(request, FsAccessRequest):
            return self._path_re is None or self._path_re.fullmatch(request.path) is not None
        if isinstance(request, NetworkAccessRequest):
            return self._match_net(request)
        if isinstance(request, EnvAccessRequest):
            if self._name_re is None:
                return True
            if request.op == "list":
                return "*" in self.names
            return self._name_re.fullmatch(request.key) is not None
        if isinstance(request, ChildProcessAccessRequest):
            return self._match_child(request)
        return False

    def _match_net(self, r: NetworkAccessRequest) -> bool:
        if self.methods and r.method not in self.methods:
            return False
        allow = self.effect == "allow"
        if self._hosts:
            dns = r.op == "dns"
            hit_all, hit_any = True, False
            for h in r.hosts:
                ok = False
                for p in self._hosts:
                    if p.matches(r.scheme, h, r.effective_port, dns=dns):
                        ok = True
                        break
                hit_all = hit_all and ok
                hit_any = hit_any or ok
            if not (hit_all if allow else hit_any):
                return False
        if self._nets:
            if not r.ips:
                return False
            in_all, in_any = True, False
            for ip in r.ips:
                inside = False
                for n in self._nets:
                    if ip.version == n.version and ip in n:
                        inside = True
                        break
                in_all = in_all and inside
                in_any = in_any or inside
            return in_all if allow else in_any
        return True

    def _match_child(self, r: ChildProcessAccessRequest) -> bool:
        if self._exe_re is not None and (not r.command.startswith("/") or self._exe_re.fullmatch(r.command) is None):
            return False
        allow = self.effect == "allow"
        if allow:
            if not all(self._env_allows(name) for name in r.env):
                return False
        elif self._env_re is not None and not any(self._env_re.fullmatch(name) for name in r.env):
            return False
        if self.args is None:
            return True
        n = len(self._arg_res)
        if len(r.args) < n or (len(r.args) > n and not self._args_rest):
            return False
        if not allow:
            return all(p.fullmatch(a) is not None for p, a in zip(self._arg_res, r.args, strict=False))
        for p, a in zip(self._arg_res, r.args, strict=False):
            m = p.fullmatch(a)
            if m is None or _wildcard_dotdot(a, m):
                return False
        return True

    def _env_allows(self, name: str) -> bool:
        """May an allow rule give the child variable ``name``? The safe base, or a name it writes out.

        Globs do not count: far more variables make tools run code than any list of families can
        hold (TAR_OPTIONS, ZIPOPT, MAKEFILES, ...), so only names a rule spells out pass."""
        return is_safe_env(name) or name in self._env_literal

    # -- narrowing ----------------------------------------------------------------------------

    def covers(self, other: Rule) -> bool:
        """Sound test: every request ``other`` matches, this rule matches too (same effect)."""
        if other.capability != self.capability:
            return False
        if self.ops is not None and (other.ops is None or not set(other.ops) <= set(self.ops)):
            return False

        def all_covered(mine: tuple[str, ...], theirs: tuple[str, ...], fn: Any) -> bool:
            return not mine or (bool(theirs) and all(any(fn(m, t) for m in mine) for t in theirs))

        cap = self.capability
        if cap == "fs":
            return all_covered(self.paths, other.paths, path_glob_covers)
        if cap == "env":
            return all_covered(self.names, other.names, name_glob_covers)
        if cap == "network":
            if self.methods and (not other.methods or not set(other.methods) <= set(self.methods)):
                return False
            if self._hosts and (not other._hosts or not all(
                    any(m.covers(t) for m in self._hosts) for t in other._hosts)):
                return False
            return not self._nets or (bool(other._nets) and all(
                any(t.version == m.version and t.subnet_of(m) for m in self._nets)  # type: ignore[arg-type]
                for t in other._nets))
        if self.executable is not None and (
                other.executable is None or not path_glob_covers(self.executable, other.executable)):
            return False
        for t in other.env:  # every name other lets through, this rule lets through too
            if t in self._env_literal:
                continue
            if not _WILDCARDS & set(t) and is_code_env(t):
                return False  # a code-running name needs the same literal entry here
            if not any(name_glob_covers(m, t) for m in self.env):
                return False
        return self.args is None or other.args == self.args

    def canonical(self) -> dict[str, Any]:
        """Stable dict for the policy digest."""
        return {
            "capability": self.capability, "effect": self.effect, "id": self.id,
            "ops": sorted(self.ops) if self.ops is not None else None,
            "paths": list(self.paths), "urls": list(self.urls), "cidrs": list(self.cidrs),
            "methods": list(self.methods), "names": list(self.names), "executable": self.executable,
            "args": list(self.args) if self.args is not None else None, "env": list(self.env),
            "reason": self.reason,
            "source": self.source,
        }


_WILDCARDS = frozenset("*?")


def arg_glob_regex(pattern: str) -> str:
    """Path-aware argument pattern: ``**`` any text, ``*`` any text but ``/``, ``?`` one char but ``/``;
    a pattern that starts with a wildcard does not match an argument that starts with ``-``.

    Every wildcard is a group so the matcher can check what it matched (see ``_wildcard_dotdot``).
    """
    # A pattern that starts with a wildcard never matches an option: "*" for a file name must not
    # be satisfied by "--to-command=id" (options are written out in the pattern, e.g. "--out=*").
    out: list[str] = ["(?!-)"] if pattern[:1] in ("*", "?") else []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**", i):
            out.append("(.*)")
            i += 2
            continue
        out.append("([^/]*)" if ch == "*" else "([^/])" if ch == "?" else re.escape(ch))
        i += 1
    return "".join(out)


_DOTDOT = re.compile(r"\.\.(?=/|$)|(?<=/)\.\.")  # a ".." ending a component, or starting one after "/"


def _wildcard_dotdot(arg: str, m: re.Match[str]) -> bool:
    """Did a wildcard match (part of) a ``..`` path component of ``arg``?"""
    if ".." not in arg:
        return False
    spans = [m.span(g) for g in range(1, (m.re.groups or 0) + 1) if m.span(g)[0] >= 0]
    for d in _DOTDOT.finditer(arg):
        a, b = d.span()
        if any(s < b and a < e for s, e in spans):
            return True
    return False


def _rule_tuple(value: Iterable[Rule]) -> tuple[Rule, ...]:
    return tuple(value)


@attrs.frozen
class Preset:
    """A named, reusable set of rules (from TOML, from code or from a hook)."""

    name: str
    rules: tuple[Rule, ...] = attrs.field(converter=_rule_tuple)
    description: str = ""
    source: str = "host"

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}", self.name):
            raise ConfigError(f"preset name {self.name!r} must be 1-64 letters, digits, '_', '.', ':' or '-'")
        for r in self.rules:
            if not isinstance(r, Rule):
                raise ConfigError(f"preset {self.name!r}: rules must be Rule objects, got {type(r).__name__}")


def label(items: Iterable[Rule | Preset], source: str) -> list[Rule | Preset]:
    """Re-label rules/presets with a source such as ``hook:<plugin>`` (for hook contributions)."""
    out: list[Rule | Preset] = []
    for it in items:
        if isinstance(it, Rule | Preset):
            out.append(attrs.evolve(it, source=source))
        else:
            raise ConfigError(f"{source}: contributed {type(it).__name__}, expected Rule or Preset")
    return out
