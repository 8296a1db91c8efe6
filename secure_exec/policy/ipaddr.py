"""IP literals in every spelling a resolver accepts, and the address classes the guards block.

SSRF filters are bypassed by spelling: ``2130706433``, ``0177.0.0.1``, ``0x7f.1``, ``127.1`` all
reach 127.0.0.1 through ``inet_aton``/``getaddrinfo``, and IPv6 forms embed IPv4 addresses
(``::ffff:127.0.0.1``, NAT64 ``64:ff9b::7f00:1``, 6to4, Teredo). ``parse_ip_literal`` reads all
of them; ``ip_guard`` classifies an address, looking through every embedding. The network
provider reuses both.
"""

from __future__ import annotations

import functools
import ipaddress
import unicodedata
from urllib.parse import unquote

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# Most specific first: the first match names the guard (metadata before link-local, ...).
_V4_TABLE: tuple[tuple[ipaddress.IPv4Network, str], ...] = tuple((_V4(n), g) for n, g in (
    ("169.254.169.254/32", "net.metadata"),   # AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle
    ("169.254.169.253/32", "net.metadata"),   # AWS VPC DNS
    ("169.254.170.2/32", "net.metadata"),     # AWS ECS task metadata
    ("169.254.170.23/32", "net.metadata"),    # AWS EKS pod identity
    ("100.100.100.200/32", "net.metadata"),   # Alibaba Cloud
    ("168.63.129.16/32", "net.metadata"),     # Azure wireserver
    ("0.0.0.0/8", "net.unspecified"),
    ("127.0.0.0/8", "net.loopback"),
    ("10.0.0.0/8", "net.private"),
    ("172.16.0.0/12", "net.private"),
    ("192.168.0.0/16", "net.private"),
    ("169.254.0.0/16", "net.link_local"),
    ("100.64.0.0/10", "net.cgnat"),
    ("224.0.0.0/4", "net.multicast"),
    ("240.0.0.0/4", "net.reserved"),          # includes 255.255.255.255
    ("192.0.0.0/24", "net.reserved"),
    ("192.0.2.0/24", "net.reserved"),
    ("192.88.99.0/24", "net.reserved"),
    ("198.18.0.0/15", "net.reserved"),
    ("198.51.100.0/24", "net.reserved"),
    ("203.0.113.0/24", "net.reserved"),
))
_V6_TABLE: tuple[tuple[ipaddress.IPv6Network, str], ...] = tuple((_V6(n), g) for n, g in (
    ("fd00:ec2::254/128", "net.metadata"),    # AWS IMDS over IPv6
    ("fd00:ec2::23/128", "net.metadata"),     # AWS EKS pod identity over IPv6
    ("::/128", "net.unspecified"),
    ("::1/128", "net.loopback"),
    ("fc00::/7", "net.private"),
    ("fec0::/10", "net.private"),             # deprecated site-local
    ("64:ff9b:1::/48", "net.private"),        # local-use NAT64 (RFC 8215)
    ("fe80::/10", "net.link_local"),
    ("ff00::/8", "net.multicast"),
    ("2001:db8::/32", "net.reserved"),
    ("100::/64", "net.reserved"),
    ("2001:2::/48", "net.reserved"),
    ("2001:10::/28", "net.reserved"),
))
_V4_RANGES = tuple((int(n.network_address), int(n.broadcast_address), g) for n, g in _V4_TABLE)
_V6_RANGES = tuple((int(n.network_address), int(n.broadcast_address), g) for n, g in _V6_TABLE)

NET_GUARDS = frozenset({g for _, g in _V4_TABLE} | {g for _, g in _V6_TABLE})

_MAPPED = (int(_V6("::ffff:0:0/96").network_address), 96)        # IPv4-mapped
_TRANSLATED = (int(_V6("::ffff:0:0:0/96").network_address), 96)  # SIIT IPv4-translated
_NAT64 = (int(_V6("64:ff9b::/96").network_address), 96)          # well-known NAT64 prefix
_COMPAT = (0, 96)                                                # deprecated IPv4-compatible ::a.b.c.d
_6TO4 = _V6("2002::/16")
_TEREDO = _V6("2001::/32")

# Host names that always mean loopback (RFC 6761) or a metadata service, whatever DNS says.
_LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
_METADATA_NAMES = ("metadata.google.internal", "metadata", "instance-data", "instance-data.ec2.internal",
                   "metadata.azure.internal", "metadata.tencentyun.com")


def normalize_host(host: str) -> str:
    """Lower-case, without IPv6 brackets, zone id or one trailing dot (how resolvers see it)."""
    h = host.strip().lower()
    if h.startswith("[") and h.endswith("]"):
        h = h[1:-1]
    if "%" in h and ":" in h:
        h = h.split("%", 1)[0]
    if h.endswith(".") and len(h) > 1:
        h = h[:-1]
    return h


_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})


@functools.lru_cache(maxsize=4096)
def _host_candidates(host: str) -> tuple[str, ...]:
    return tuple(_compute_candidates(host))


def host_candidates(host: str) -> list[str]:
    """See ``_compute_candidates``; cached, returns a fresh list."""
    return list(_host_candidates(host))


def _compute_candidates(host: str) -> list[str]:
    """Every host a lenient client could derive from ``host``: as given, percent-decoded, and
    NFKC/IDNA-dot folded (``%31%32%37.0.0.1``, full-width ``ｌｏｃａｌｈｏｓｔ``, ``127。0。0。1``).

    Guards and deny rules check all of them; allow rules must match all of them.
    """
    first = normalize_host(host)
    out = [first]
    h = first
    if "%" in h:
        h = normalize_host(unquote(h))
    if not h.isascii():
        h = normalize_host(unicodedata.normalize("NFKC", h).translate(_DOTS))
    if h != first and h:
        out.append(h)
    return out


def _inet_aton_part(part: str) -> int | None:
    if not part:
        return None
    try:
        if part[:2] in ("0x", "0X"):
            return int(part[2:], 16) if part[2:] else None
        if len(part) > 1 and part[0] == "0":
            return int(part[1:], 8)
        return int(part, 10) if part.isdigit() else None
    except ValueError:
        return None


def _parse_inet_aton(h: str) -> ipaddress.IPv4Address | None:
    """BSD ``inet_aton``: 1-4 parts in decimal, octal (0...) or hex (0x...); the last fills the rest."""
    parts = h.split(".")
    if not 1 <= len(parts) <= 4 or not all(c.isalnum() or c == "." for c in h):
        return None
    nums: list[int] = []
    for p in parts:
        n = _inet_aton_part(p)
        if n is None:
            return None
        nums.append(n)
    last_bits = 8 * (5 - len(nums))
    if any(n > 255 for n in nums[:-1]) or nums[-1] >= 1 << last_bits:
        return None
    value = 0
    for n in nums[:-1]:
        value = (value << 8) | n
    value = (value << last_bits) | nums[-1]
    return ipaddress.IPv4Address(value)


@functools.lru_cache(maxsize=4096)
def parse_ip_literal(host: str) -> IPAddress | None:
    """The IP address ``host`` denotes if it is an IP literal in any spelling, else ``None``.

    Accepts dotted quads, ``inet_aton`` forms (``2130706433``, ``0177.0.0.1``, ``0x7f.1``,
    ``127.1``), IPv6 with or without brackets and zone ids, and one trailing dot. Where resolvers
    disagree (a trailing dot, trailing junk after a space) it errs towards "this is an IP", so the
    guards see it.
    """
    if not isinstance(host, str) or not host or len(host) > 253:
        return None
    h = normalize_host(host)
    if ":" in h:
        try:
            return ipaddress.IPv6Address(h)
        except ValueError:
            return None
    try:
        return ipaddress.IPv4Address(h)
    except ValueError:
        pass
    # old glibc inet_aton stops at the first space ("127.0.0.1 x" is 127.0.0.1): be as lenient
    return _parse_inet_aton(h.split(None, 1)[0] if h.split() else h)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, translated, NAT64, compat, 6to4, Teredo)."""
    v = int(ip)
    for prefix, plen in (_MAPPED, _TRANSLATED, _NAT64):
        if v >> (128 - plen) == prefix >> (128 - plen):
            return ipaddress.IPv4Address(v & 0xFFFFFFFF)
    if v >> 32 == 0 and v > 1:  # ::a.b.c.d (but not :: or ::1)
        return ipaddress.IPv4Address(v & 0xFFFFFFFF)
    if ip in _6TO4:
        return ip.sixtofour
    if ip in _TEREDO:
        t = ip.teredo
        return t[1] if t else None
    return None


def _lookup(value: int, table: tuple[tuple[int, int, str], ...]) -> str | None:
    for lo, hi, guard in table:
        if lo <= value <= hi:
            return guard
    return None


@functools.lru_cache(maxsize=8192)
def ip_guard(ip: IPAddress) -> str | None:
    """Name of the guard that blocks ``ip`` (e.g. ``"net.loopback"``), or ``None`` if public."""
    if isinstance(ip, ipaddress.IPv4Address):
        return _lookup(int(ip), _V4_RANGES)
    inner = embedded_ipv4(ip)
    if inner is not None:
        g = _lookup(int(inner), _V4_RANGES)
        if g is not None:
            return g
    return _lookup(int(ip), _V6_RANGES)


def host_name_guard(host: str) -> str | None:
    """Guard for names that are loopback or metadata by definition, before any DNS answer."""
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return "net.loopback"
    if host in _METADATA_NAMES:
        return "net.metadata"
    return None
