"""Access requests the policy decides, and the seed's ``Decision`` a function check returns.

The field names follow the original secure-exec ``permissions`` API so its checks translate
one-to-one. Requests validate themselves on construction: a malformed request is a bug in the
caller (the bridge or a provider), and it must fail loudly with ``ConfigError`` instead of being
silently matched against rules it was never meant for. Derived values the policy needs on every
decision (parsed IPs, URL host/port) are computed once here, so ``decide()`` allocates nothing.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

import attrs

from secure_exec.errors import ConfigError
from secure_exec.policy.ipaddr import IPAddress, host_candidates, host_name_guard, ip_guard, parse_ip_literal

FS_OPS = frozenset({
    "read", "write", "mkdir", "readdir", "stat", "rm", "rename", "exists", "symlink", "readlink",
    "link", "chmod", "chown", "utimes", "truncate", "copy", "import",
})
# ``import`` is the module loader's own decision (like Deno's --allow-import): a grant of ``read``
# covers it, but a grant of ``import`` alone never lets the guest ``readFileSync`` a file.
FS_READ_OPS = frozenset({"read", "readdir", "stat", "exists", "readlink", "import"})
FS_WRITE_OPS = FS_OPS - FS_READ_OPS
NET_OPS = frozenset({"fetch", "http", "dns", "connect", "listen"})
ENV_OPS = frozenset({"read", "write", "list"})
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def _op(kind: str, op: object, allowed: frozenset[str]) -> str:
    if not isinstance(op, str) or op not in allowed:
        raise ConfigError(f"{kind}: unknown op {op!r}; expected one of {sorted(allowed)}")
    return op


def _canonical_path(kind: str, field: str, value: object) -> str:
    """Resolved paths must be canonical, or a glob like ``/data/**`` would match ``/data/../etc``."""
    if not isinstance(value, str) or not value.startswith("/"):
        raise ConfigError(f"{kind}.{field}: must be an absolute path string, got {value!r}")
    if "\x00" in value:
        raise ConfigError(f"{kind}.{field}: contains a NUL byte")
    if value != "/" and ("//" in value or "/./" in value or "/../" in value
                         or value.endswith(("/", "/.", "/.."))):
        raise ConfigError(f"{kind}.{field}: {value!r} is not canonical (empty, '.' or '..' component)")
    return value


_AUTHORITY = re.compile(r"[^:/?#]*://([^/\\?#]*)")


def _whatwg_host(url: str) -> str | None:
    """Host as a WHATWG URL parser reads it (authority ends at / \\ ? #; userinfo before the last @)."""
    m = _AUTHORITY.match(url)
    if m is None:
        return None
    rest = m.group(1).rsplit("@", 1)[-1]
    if rest.startswith("["):
        return rest[1:rest.find("]")] if "]" in rest else None
    return rest.split(":", 1)[0] or None


def _str_tuple(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise ConfigError("resolved_ips: must be a sequence of IP strings, not one string")
    return tuple(value)


@attrs.frozen
class Decision:
    """What a function check returns (the seed's ``{allow, reason?}``)."""

    allow: bool
    reason: str | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.allow, bool):
            raise ConfigError(f"Decision.allow must be a bool, got {type(self.allow).__name__}")
        if self.reason is not None and not isinstance(self.reason, str):
            raise ConfigError(f"Decision.reason must be a str or None, got {type(self.reason).__name__}")


@attrs.frozen
class FsAccessRequest:
    """One filesystem access. ``path`` is the RESOLVED path that will really be opened.

    Two-path ops (rename, link, symlink, copy) are checked as two requests, one per end; ``dest``
    is informational (audit) and also guarded.
    """

    capability: ClassVar[str] = "fs"
    op: str
    path: str
    requested: str | None = None
    dest: str | None = None

    def __attrs_post_init__(self) -> None:
        _op("FsAccessRequest.op", self.op, FS_OPS)
        _canonical_path("FsAccessRequest", "path", self.path)
        if self.dest is not None:
            _canonical_path("FsAccessRequest", "dest", self.dest)
        if self.requested is not None and not isinstance(self.requested, str):
            raise ConfigError("FsAccessRequest.requested: must be a str or None")

    @property
    def resource(self) -> str:
        return self.path


@attrs.frozen
class NetworkAccessRequest:
    """One network access; ``resolved_ips`` are the addresses that will really be contacted."""

    capability: ClassVar[str] = "network"
    op: str
    url: str | None = None
    method: str | None = None
    hostname: str | None = None
    port: int | None = None
    resolved_ips: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    # Derived once (hot path): normalised hosts (hostname and URL host), parsed IPs, scheme, port.
    scheme: str | None = attrs.field(init=False, default=None, eq=False, repr=False)
    hosts: tuple[str, ...] = attrs.field(init=False, default=(), eq=False, repr=False)
    ips: tuple[IPAddress, ...] = attrs.field(init=False, default=(), eq=False, repr=False)
    effective_port: int | None = attrs.field(init=False, default=None, eq=False, repr=False)
    # (what, guard name) for every host name and IP that a guard classifies: computed once here
    guard_hits: tuple[tuple[str, str], ...] = attrs.field(init=False, default=(), eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        k = "NetworkAccessRequest"
        _op(f"{k}.op", self.op, NET_OPS)
        hosts: list[str] = []
        scheme: str | None = None
        port = self.port
        if port is not None and (not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535):
            raise ConfigError(f"{k}.port: must be an integer 0..65535, got {port!r}")
        if self.url is not None:
            if not isinstance(self.url, str):
                raise ConfigError(f"{k}.url: must be a str")
            try:
                parts = urlsplit(self.url)
                url_port = parts.port
            except ValueError as e:
                raise ConfigError(f"{k}.url: {self.url!r} is not a valid URL: {e}") from None
            if not parts.scheme or not parts.hostname:
                raise ConfigError(f"{k}.url: {self.url!r} has no scheme or host")
            scheme = parts.scheme.lower()
            hosts.extend(host_candidates(parts.hostname))
            # WHATWG parsers end the authority at a backslash too ("http://127.0.0.1\\@x/"):
            # check the host such a client would see as well
            alt = _whatwg_host(self.url)
            if alt:
                hosts.extend(h for h in host_candidates(alt) if h not in hosts)
            if port is None:
                port = url_port if url_port is not None else _DEFAULT_PORTS.get(scheme)
        elif self.op in ("connect", "listen"):
            scheme = "tcp"
        if self.hostname is not None:
            if not isinstance(self.hostname, str) or not self.hostname:
                raise ConfigError(f"{k}.hostname: must be a non-empty str")
            hosts.extend(h for h in host_candidates(self.hostname) if h not in hosts)
        if not hosts:
            raise ConfigError(f"{k}: needs a url or a hostname")
        if self.method is not None and not isinstance(self.method, str):
            raise ConfigError(f"{k}.method: must be a str or None")
        ips: list[IPAddress] = []
        for raw in self.resolved_ips:
            if not isinstance(raw, str):
                raise ConfigError(f"{k}.resolved_ips: {raw!r} is not a string")
            try:
                ip = ipaddress.ip_address(raw.split("%", 1)[0])
            except ValueError:
                raise ConfigError(f"{k}.resolved_ips: {raw!r} is not an IP address") from None
            if ip not in ips:
                ips.append(ip)
        for h in hosts:  # an IP literal host in any spelling is checked like a resolved IP
            lit = parse_ip_literal(h)
            if lit is not None and lit not in ips:
                ips.append(lit)
        if self.method is not None:
            object.__setattr__(self, "method", self.method.upper())
        object.__setattr__(self, "scheme", scheme)
        object.__setattr__(self, "hosts", tuple(hosts))
        object.__setattr__(self, "ips", tuple(ips))
        object.__setattr__(self, "effective_port", port)
        hits = [(f"host {h!r}", g) for h in hosts if (g := host_name_guard(h)) is not None]
        hits += [(f"address {ip}", g) for ip in ips if (g := ip_guard(ip)) is not None]
        object.__setattr__(self, "guard_hits", tuple(hits))

    @property
    def resource(self) -> str:
        if self.url:
            return self.url
        return f"{self.hosts[0]}:{self.effective_port}" if self.effective_port is not None else self.hosts[0]


class FrozenEnv(Mapping[str, str]):
    """An immutable, hashable str->str mapping for a child's environment."""

    __slots__ = ("_d", "_h")

    def __init__(self, data: Mapping[str, str] | None = None) -> None:
        d = dict(data or {})
        for key, val in d.items():
            if not isinstance(key, str) or not key or "=" in key or "\x00" in key:
                raise ConfigError(f"ChildProcessAccessRequest.env: invalid variable name {key!r}")
            if not isinstance(val, str) or "\x00" in val:
                raise ConfigError(f"ChildProcessAccessRequest.env[{key!r}]: value must be a str without NUL")
        self._d = d
        self._h: int | None = None

    def __getitem__(self, key: str) -> str:
        return self._d[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __hash__(self) -> int:
        if self._h is None:
            self._h = hash(frozenset(self._d.items()))
        return self._h

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self._d) == dict(other)

    def __repr__(self) -> str:
        return f"FrozenEnv({sorted(self._d)!r})"  # names only: values may be secrets


def _frozen_env(value: Any) -> FrozenEnv:
    if isinstance(value, FrozenEnv):
        return value
    if value is None:
        return FrozenEnv()
    if not isinstance(value, Mapping):
        raise ConfigError("ChildProcessAccessRequest.env: must be a mapping")
    return FrozenEnv(value)


def _args(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not all(isinstance(a, str) for a in value):
        raise ConfigError("ChildProcessAccessRequest.args: must be a sequence of strings")
    return tuple(value)


@attrs.frozen
class ChildProcessAccessRequest:
    """One spawn. ``command`` should be the resolved absolute executable that will really run."""

    capability: ClassVar[str] = "child_process"
    command: str
    args: tuple[str, ...] = attrs.field(default=(), converter=_args)
    cwd: str | None = None
    env: FrozenEnv = attrs.field(factory=FrozenEnv, converter=_frozen_env)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.command, str) or not self.command or "\x00" in self.command:
            raise ConfigError(f"ChildProcessAccessRequest.command: must be a non-empty str, got {self.command!r}")
        if self.cwd is not None and not isinstance(self.cwd, str):
            raise ConfigError("ChildProcessAccessRequest.cwd: must be a str or None")

    @property
    def resource(self) -> str:
        return self.command


@attrs.frozen
class EnvAccessRequest:
    """One environment access. ``list`` asks for all names; its ``key`` is ignored ("" by convention)."""

    capability: ClassVar[str] = "env"
    op: str
    key: str = ""
    value: str | None = attrs.field(default=None, repr=False)

    def __attrs_post_init__(self) -> None:
        _op("EnvAccessRequest.op", self.op, ENV_OPS)
        if not isinstance(self.key, str) or (self.op != "list" and not self.key):
            raise ConfigError(f"EnvAccessRequest.key: must be a non-empty str for op {self.op!r}")

    @property
    def resource(self) -> str:
        return self.key


AccessRequest = FsAccessRequest | NetworkAccessRequest | ChildProcessAccessRequest | EnvAccessRequest
