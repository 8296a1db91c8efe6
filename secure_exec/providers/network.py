"""Outbound HTTP that cannot be pointed at the host's private network.

The policy's guard must see the IPs that will really be contacted, or DNS rebinding and redirects
walk around it. So this provider resolves each hostname ONCE through an injectable resolver, hands
ALL answers to the bridge's ``check(hostname, ips)`` (which raises ``EACCES`` to refuse), and then
connects to a checked IP itself, keeping the ``Host`` header and TLS SNI/certificate name set to the
original hostname. Redirects are followed here, one hop at a time, each hop resolved and checked
again. For ``fetch`` the first argument of ``check`` is the hop's URL (normalised host); for
``dns_lookup`` it is the hostname. ``trust_env=False``: proxy variables in the host's environment are never used.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx

from secure_exec.errors import GuestError
from secure_exec.providers.protocols import IpCheck
from secure_exec.providers.scope import RunScope, current_scope
from secure_exec.providers.types import Response

Resolver = Callable[[str, int], Sequence[str]]
"""``resolver(hostname, port) -> [ip, ...]``; raise ``OSError`` (or return nothing) when unknown."""

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
_DROP_REQUEST_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection", "upgrade",
                                   "keep-alive", "proxy-connection", "te", "trailer"})
_CROSS_ORIGIN_STRIP = frozenset({"authorization", "cookie", "proxy-authorization"})


def system_resolver(hostname: str, port: int) -> list[str]:
    """Default resolver: ``socket.getaddrinfo``, answers deduplicated in order."""
    out: list[str] = []
    for *_, addr in socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM):
        ip = str(addr[0])
        if ip not in out:
            out.append(ip)
    return out


def _ip_literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def _tls_failure(e: BaseException) -> str | None:
    """Node's code for a certificate failure anywhere in ``e``'s cause chain, else None."""
    cur: BaseException | None = e
    while cur is not None:
        if isinstance(cur, ssl.SSLCertVerificationError):
            msg = (cur.verify_message or str(cur)).lower()
            return "ERR_TLS_CERT_ALTNAME_INVALID" if "hostname" in msg else "UNABLE_TO_VERIFY_LEAF_SIGNATURE"
        cur = cur.__cause__ or cur.__context__
    return None


class _Abort:
    """Stops one fetch from another thread: shuts its sockets down (a blocked read returns at once).

    The sockets are caught through httpcore's ``trace`` hook as they connect, so even a server that
    accepts and then never answers (or trickles a byte at a time) cannot hold the fetch past its run.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._socks: list[socket.socket] = []
        self.aborted = False

    def trace(self, name: str, info: Mapping[str, Any]) -> None:
        if name != "connection.connect_tcp.complete":
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            self._socks.append(sock)
            late = self.aborted
        if late:
            _shut(sock)

    def __call__(self) -> None:
        with self._lock:
            self.aborted = True
            socks = list(self._socks)
        for sock in socks:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


def _budget(scope: RunScope | None, timeout: float, where: str) -> float:
    """The fetch's timeout cut to what is left of the run (ETIMEDOUT once the run's deadline passed)."""
    t = scope.bound(timeout) if scope is not None else timeout
    if t is None:
        return timeout
    if t <= 0:
        raise GuestError("ETIMEDOUT", f"request to {where} timed out (the run's time limit passed)",
                         syscall="connect")
    return t


class HttpNetworkProvider:
    """A ``NetworkProvider`` on httpx with per-hop DNS checks, IP pinning and body caps."""

    def __init__(self, *, resolver: Resolver = system_resolver, max_redirects: int = 20,
                 max_body_bytes: int = 16 * 2**20, timeout_s: float = 30.0,
                 verify: bool | str = True) -> None:
        self._resolver = resolver
        self.max_redirects = max_redirects
        self.max_body_bytes = max_body_bytes
        self.timeout_s = timeout_s
        # One TLS context for every request, built on first use: building one costs ~15-20 ms (CA
        # bundle load), which every sandbox would otherwise pay at creation even if it never
        # fetches. A fresh client per hop keeps pinned connections from being reused across hosts.
        self._verify_setting = verify
        self._tls: ssl.SSLContext | bool | None = None

    @property
    def _verify(self) -> ssl.SSLContext | bool:
        if self._tls is None:
            v = self._verify_setting
            self._tls = False if v is False else ssl.create_default_context(cafile=v if isinstance(v, str) else None)
        return self._tls

    # ---- DNS ---------------------------------------------------------------------------------

    def _resolve(self, hostname: str, port: int) -> list[str]:
        literal = _ip_literal(hostname)
        if literal is not None:
            return [literal]
        try:
            answers = [str(ipaddress.ip_address(ip)) for ip in self._resolver(hostname, port)]
        except (OSError, ValueError, UnicodeError):
            answers = []
        if not answers:
            raise GuestError("ENOTFOUND", f"getaddrinfo ENOTFOUND {hostname}", syscall="getaddrinfo",
                             hostname=hostname)
        return answers

    def dns_lookup(self, hostname: str, *, check: IpCheck) -> list[str]:
        if not isinstance(hostname, str) or not hostname.rstrip(".") or len(hostname) > 254 or "\x00" in hostname:
            raise GuestError("ERR_INVALID_ARG_VALUE", f"invalid hostname {str(hostname)[:64]!r}", name="TypeError")
        hostname = hostname.rstrip(".").lower()
        ips = self._resolve(hostname, 0)
        check(hostname, ips)
        return ips

    # ---- HTTP --------------------------------------------------------------------------------

    def _parse(self, url: str | httpx.URL) -> httpx.URL:
        try:
            u = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError):
            raise GuestError("ERR_INVALID_URL", f"Invalid URL: {str(url)[:200]}", name="TypeError") from None
        if u.scheme not in ("http", "https") or not u.host.rstrip("."):
            raise GuestError("ERR_INVALID_URL", f"unsupported URL (only http and https): {str(url)[:200]}",
                             name="TypeError")
        if u.host.endswith("."):
            # "evil.test." is "evil.test": one spelling, so a deny rule on the name cannot be dodged
            u = u.copy_with(host=u.host.rstrip("."))
        return u

    def fetch(self, url: str, method: str = "GET", headers: Mapping[str, str] | None = None,
              body: bytes | None = None, *, check: IpCheck) -> Response:
        cur = self._parse(url)
        method = (method or "GET").upper()
        if not method.isalpha() or len(method) > 16:
            raise GuestError("ERR_INVALID_ARG_VALUE", f"invalid HTTP method {method[:16]!r}", name="TypeError")
        hdrs = {str(k).lower(): str(v) for k, v in (headers or {}).items()
                if str(k).lower() not in _DROP_REQUEST_HEADERS}
        # The body cap counts decoded bytes; asking for no compression keeps one gzip chunk from
        # inflating to many megabytes before the cap can look at it.
        hdrs.setdefault("accept-encoding", "identity")
        origin = (cur.scheme, cur.host, cur.port)
        redirected = False
        scope = current_scope()
        abort = _Abort()
        tracked = scope.track(abort) if scope is not None else None
        try:
            return self._hops(cur, method, hdrs, body, check, origin, redirected, scope, abort)
        finally:
            if scope is not None and tracked is not None:
                scope.untrack(tracked)

    def _hops(self, cur: httpx.URL, method: str, hdrs: dict[str, str], body: bytes | None, check: IpCheck,
              origin: tuple[str, str, int | None], redirected: bool, scope: RunScope | None,
              abort: _Abort) -> Response:
        for _hop in range(self.max_redirects + 1):
            resp = self._one_hop(cur, method, hdrs, body, check, scope, abort)
            location = resp.headers.get("location")
            if resp.status_code not in REDIRECT_CODES or location is None:
                return self._finish(resp, cur, redirected, scope)
            resp.close()
            nxt = self._parse(cur.join(location))
            if resp.status_code == 303 or (resp.status_code in (301, 302) and method == "POST"):
                method = "GET" if method != "HEAD" else method
                body = None
                hdrs.pop("content-type", None)
            if (nxt.scheme, nxt.host, nxt.port) != origin:
                for h in _CROSS_ORIGIN_STRIP:
                    hdrs.pop(h, None)
            cur, redirected = nxt, True
        raise GuestError("ERR_TOO_MANY_REDIRECTS", f"more than {self.max_redirects} redirects, last to {cur}")

    def _one_hop(self, url: httpx.URL, method: str, hdrs: dict[str, str], body: bytes | None,
                 check: IpCheck, scope: RunScope | None = None, abort: _Abort | None = None) -> httpx.Response:
        host = url.host
        port = url.port or (443 if url.scheme == "https" else 80)
        ips = self._resolve(host, port)
        # every answer, before any connection, with this hop's full URL (a redirect may change scheme or
        # port, not just the host); raises GuestError(EACCES) to refuse
        check(str(url.copy_with(userinfo=b"", fragment=None)), ips)  # no credentials into policy/audit
        last: GuestError | None = None
        for ip in ips:
            pinned = url.copy_with(host=ip)
            req_headers = {**hdrs, "host": url.netloc.decode("ascii")}
            client = httpx.Client(trust_env=False, follow_redirects=False, verify=self._verify,
                                  timeout=_budget(scope, self.timeout_s, f"{host}:{port}"))
            ext: dict[str, Any] = {"sni_hostname": host}
            if abort is not None:
                ext["trace"] = abort.trace
            try:
                req = client.build_request(method, pinned, headers=req_headers, content=body, extensions=ext)
                resp = client.send(req, stream=True)
            except httpx.ConnectError as e:
                client.close()
                tls = _tls_failure(e)
                if tls is not None:
                    raise GuestError(tls, f"{tls}: TLS certificate of {host} was not accepted") from None
                code = "ECONNREFUSED" if "refused" in str(e).lower() else "EHOSTUNREACH"
                last = GuestError(code, f"connect {code} {host}:{port}", syscall="connect", address=ip, port=port)
                continue
            except httpx.TimeoutException:
                client.close()
                raise GuestError("ETIMEDOUT", f"request to {host}:{port} timed out", syscall="connect") from None
            except httpx.HTTPError as e:
                client.close()
                raise GuestError("ECONNRESET", f"request to {host}:{port} failed: {type(e).__name__}") from None
            resp.extensions["secure_exec_client"] = client
            return resp
        assert last is not None
        raise last

    def _finish(self, resp: httpx.Response, url: httpx.URL, redirected: bool,
                scope: RunScope | None = None) -> Response:
        client = resp.extensions.get("secure_exec_client")
        try:
            declared = resp.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
                raise self._too_large(url)
            chunks: list[bytes] = []
            total = 0
            for chunk in resp.iter_bytes():
                if scope is not None and scope.remaining() == 0.0:
                    raise GuestError("ETIMEDOUT", f"reading the response from {url.host} timed out "
                                     "(the run's time limit passed)")
                total += len(chunk)
                if total > self.max_body_bytes:
                    raise self._too_large(url)
                chunks.append(chunk)
            return Response(resp.status_code, resp.reason_phrase, tuple(resp.headers.multi_items()),
                            b"".join(chunks), str(url), redirected)
        except httpx.TimeoutException:
            raise GuestError("ETIMEDOUT", f"reading the response from {url.host} timed out") from None
        except httpx.HTTPError as e:
            raise GuestError("ECONNRESET", f"reading the response from {url.host} failed: {type(e).__name__}") from None
        finally:
            resp.close()
            if isinstance(client, httpx.Client):
                client.close()

    def _too_large(self, url: httpx.URL) -> GuestError:
        return GuestError("ERR_PAYLOAD_TOO_LARGE",
                          f"response body from {url.host} exceeds the limit of {self.max_body_bytes} bytes")
