"""``net.fetch.start`` and ``dns.lookup``: network through the provider, decided on resolved IPs.

The policy sees each request twice: once before any DNS query (so a refused host is not even
looked up), and once per connection hop with every address the name resolved to, just before the
provider connects to one of exactly those addresses. A redirect is a new hop and is checked again.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from secure_exec.bridge.dispatch import Dispatcher
from secure_exec.errors import GuestError
from secure_exec.policy.requests import NetworkAccessRequest
from secure_exec.providers.protocols import NetworkProvider
from secure_exec.runtime.session import Session

MAX_BODY = 16 * 2**20
MAX_HEADERS = 200


def _parse_url(url: Any) -> tuple[str, str, int]:
    if not isinstance(url, str) or len(url) > 8192:
        raise GuestError("ERR_INVALID_URL", "Invalid URL", name="TypeError")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise GuestError("ERR_INVALID_URL", f"Invalid URL: {url[:200]}", name="TypeError") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise GuestError("ERR_INVALID_URL", f"only http and https URLs are supported: {url[:200]}", name="TypeError")
    return scheme, parts.hostname, port if port is not None else (443 if scheme == "https" else 80)


class _HopCheck:
    """The provider's ``check(where, ips)``: ``where`` is the hop's URL (HTTP) or a hostname (DNS)."""

    def __init__(self, s: Session, op: str, method: str | None, requested: str) -> None:
        self.s, self.op, self.method, self.requested = s, op, method, requested

    def __call__(self, where: str, ips: Sequence[str]) -> None:
        if "://" in where:
            scheme, host, port = _parse_url(where)
            req = NetworkAccessRequest(self.op, url=where, method=self.method, hostname=host, port=port,
                                       resolved_ips=tuple(ips))
            resource = f"{scheme}://{host}:{port}"
        else:
            req = NetworkAccessRequest(self.op, hostname=where, resolved_ips=tuple(ips))
            resource = f"dns://{where}"
        self.s.gate.authorize(req, capability="network", op=self.op, resource=resource, requested=self.requested,
                              syscall="connect" if self.op == "fetch" else "getaddrinfo", guest_path=self.requested,
                              resolved_ips=tuple(ips))


def _net(s: Session, syscall: str, what: str) -> NetworkProvider:
    if s.providers.network is None:
        raise s.not_configured("network", syscall, what)
    return s.providers.network


def _headers(raw: Any) -> dict[str, str]:
    pairs = raw.items() if isinstance(raw, dict) else raw or []
    out: dict[str, str] = {}
    for n, item in enumerate(pairs):
        if n >= MAX_HEADERS or not isinstance(item, list | tuple) or len(item) != 2:
            raise GuestError("ERR_INVALID_ARG_VALUE", "headers must be [name, value] pairs (at most 200)",
                             name="TypeError")
        k, v = item
        if not isinstance(k, str) or not isinstance(v, str) or any(c in k + v for c in "\r\n\x00"):
            raise GuestError("ERR_INVALID_HTTP_TOKEN", "invalid header name or value", name="TypeError")
        out[k] = f"{out[k]}, {v}" if k in out else v
    return out


def fetch_start(s: Session, a: dict[str, Any]) -> Any:
    op_id = a.get("id")
    if not isinstance(op_id, int) or isinstance(op_id, bool):
        raise GuestError("ERR_INVALID_ARG_TYPE", "net.fetch.start needs an integer id", name="TypeError")
    url, method = a.get("url"), str(a.get("method") or "GET").upper()
    scheme, host, port = _parse_url(url)
    assert isinstance(url, str)
    headers = _headers(a.get("headers"))
    body: bytes | None = None
    if a.get("body_b64") is not None:
        try:
            body = base64.b64decode(str(a["body_b64"]), validate=True)
        except (binascii.Error, ValueError):
            raise GuestError("ERR_INVALID_ARG_VALUE", "body is not valid base64", name="TypeError") from None
        if len(body) > MAX_BODY:
            raise GuestError("ERR_HTTP_BODY_TOO_LARGE", f"request body over {MAX_BODY} bytes")
    net = _net(s, "connect", url)
    check = _HopCheck(s, "fetch", method, url)
    pre = NetworkAccessRequest("fetch", url=url, method=method, hostname=host, port=port)
    resource = f"{scheme}://{host}:{port}"

    def work() -> Any:
        with s.gate.operation(pre, capability="network", op="fetch", resource=resource, requested=url,
                              syscall="connect", guest_path=url) as rec:
            rec.bytes_in = len(body or b"")
            r = net.fetch(url, method, headers, body, check=check)
            rec.bytes_out = len(r.body)
        return {"status": r.status, "statusText": r.status_text, "headers": [list(h) for h in r.headers],
                "body_b64": base64.b64encode(r.body).decode(), "url": r.url, "redirected": r.redirected}

    s.start_async(op_id, work)
    return {"id": op_id}


def dns_lookup(s: Session, a: dict[str, Any]) -> Any:
    hostname = a.get("hostname")
    if not isinstance(hostname, str) or not hostname or len(hostname) > 253:
        raise GuestError("ERR_INVALID_ARG_TYPE", 'The "hostname" argument must be of type string', name="TypeError")
    family = a.get("family", 0)
    net = _net(s, "getaddrinfo", hostname)
    pre = NetworkAccessRequest("dns", hostname=hostname)
    with s.gate.operation(pre, capability="network", op="dns", resource=f"dns://{hostname}", requested=hostname,
                          syscall="getaddrinfo", guest_path=hostname):
        ips = net.dns_lookup(hostname, check=_HopCheck(s, "dns", None, hostname))
    out = []
    for ip in ips:
        fam = ipaddress.ip_address(ip).version
        if family in (0, None, fam):
            out.append({"address": ip, "family": fam})
    return {"addresses": out}


def register(d: Dispatcher[Session]) -> None:
    d.register("net.fetch.start", fetch_start, capability="network")
    d.register("dns.lookup", dns_lookup, capability="network")
