"""``scheme://host:port`` patterns for network rules.

Forms: ``host``, ``host:port``, ``scheme://host``, ``scheme://host:port``, with IPv6 in brackets.
``host`` is an exact name, ``*`` (any host), ``*.example.com`` (any subdomain at any depth, NOT
``example.com`` itself), or an IP literal in any spelling (compared as an address). A missing
port or ``*`` means any port; a missing scheme or ``*`` means any scheme. DNS lookups (op
``dns``) ignore scheme and port: resolving a name is allowed if some pattern names that host.
"""

from __future__ import annotations

import attrs

from secure_exec.errors import ConfigError
from secure_exec.policy.ipaddr import IPAddress, normalize_host, parse_ip_literal


@attrs.frozen
class HostPattern:
    scheme: str | None  # None: any
    host: str           # "*", "*.suffix", a name, or a canonical IP string
    port: int | None    # None: any
    ip: IPAddress | None = attrs.field(default=None, eq=False)

    def matches_host(self, host: str) -> bool:
        if self.host == "*":
            return True
        if self.ip is not None:
            return parse_ip_literal(host) == self.ip
        if self.host.startswith("*."):
            return host.endswith(self.host[1:])
        return host == self.host

    def matches(self, scheme: str | None, host: str, port: int | None, *, dns: bool) -> bool:
        if not self.matches_host(host):
            return False
        if dns:
            return True
        if self.scheme is not None and scheme != self.scheme:
            return False
        return self.port is None or port == self.port

    def covers(self, other: HostPattern) -> bool:
        """Sound test: every (scheme, host, port) ``other`` matches, ``self`` matches too."""
        if self.scheme is not None and other.scheme != self.scheme:
            return False
        if self.port is not None and other.port != self.port:
            return False
        if self.host == "*":
            return True
        if other.host == "*":
            return False
        if self.host.startswith("*."):
            return other.host.endswith(self.host[1:])
        return other.host == self.host and not other.host.startswith("*.")


def parse_host_pattern(text: object, where: str) -> HostPattern:
    """Parse one pattern; a malformed one raises ``ConfigError`` naming it."""
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"{where}: network pattern {text!r} must be a non-empty string")
    rest = text.strip()
    scheme: str | None = None
    if "://" in rest:
        scheme, rest = rest.split("://", 1)
        scheme = scheme.lower()
        if not scheme or (scheme != "*" and not scheme.replace("+", "").replace("-", "").isalnum()):
            raise ConfigError(f"{where}: bad scheme in network pattern {text!r}")
        if scheme == "*":
            scheme = None
    if "/" in rest or "@" in rest or "?" in rest or "#" in rest:
        raise ConfigError(f"{where}: network pattern {text!r} may only have scheme, host and port")
    port_text: str | None = None
    if rest.startswith("["):
        end = rest.find("]")
        if end < 0:
            raise ConfigError(f"{where}: unclosed '[' in network pattern {text!r}")
        host, after = rest[1:end], rest[end + 1:]
        if after:
            if not after.startswith(":"):
                raise ConfigError(f"{where}: junk after ']' in network pattern {text!r}")
            port_text = after[1:]
    elif rest.count(":") == 1:
        host, port_text = rest.split(":")
    elif ":" in rest:
        host = rest  # bare IPv6
    else:
        host = rest
    port: int | None = None
    if port_text is not None and port_text != "*":
        if not port_text.isdigit() or not 0 < int(port_text) <= 65535:
            raise ConfigError(f"{where}: bad port {port_text!r} in network pattern {text!r}")
        port = int(port_text)
    host = normalize_host(host)
    if not host:
        raise ConfigError(f"{where}: empty host in network pattern {text!r}")
    ip = parse_ip_literal(host)
    if ip is not None:
        return HostPattern(scheme, str(ip), port, ip)
    if host != "*":
        body = host[2:] if host.startswith("*.") else host
        if not body or "*" in body or not all(c.isalnum() or c in "-._" for c in body):
            raise ConfigError(f"{where}: bad host {host!r} in network pattern {text!r} "
                              "(use a name, '*', '*.domain' or an IP)")
    return HostPattern(scheme, host, port)
