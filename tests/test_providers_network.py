"""Network provider: resolve once, check every IP, pin the connection, re-check each redirect hop.

A local resolver stub maps test hostnames to 127.0.0.1 / 169.254.169.254, and a threaded
http.server on 127.0.0.1 counts the connections it accepts, so "refused" means no TCP handshake.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from secure_exec.errors import GuestError
from secure_exec.providers.network import HttpNetworkProvider
from secure_exec.providers.protocols import NetworkProvider

BLOCKED = [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("169.254.169.254/32")]


def host_of(where: str) -> str:
    """``check`` gets the hop URL for fetch and the bare hostname for DNS."""
    return httpx.URL(where).host if "://" in where else where


def strict_check(hostname: str, ips: Sequence[str]) -> None:
    """What the policy guard does: refuse if ANY resolved address is loopback or metadata."""
    for ip in ips:
        if any(ipaddress.ip_address(ip) in net for net in BLOCKED):
            raise GuestError("EACCES", f"EACCES: permission denied, connect {hostname} ({ip})")


def waived_check(waived: str) -> Any:
    """Like strict_check, but the host waived the guard for one hostname (the test server)."""
    def check(where: str, ips: Sequence[str]) -> None:
        if host_of(where) != waived:
            strict_check(where, ips)
    return check


class Server(ThreadingHTTPServer):
    daemon_threads = True
    connections = 0
    seen: list[dict[str, str]]

    def get_request(self) -> Any:
        conn = super().get_request()
        self.connections += 1
        return conn


class Handler(BaseHTTPRequestHandler):
    server: Server

    def log_message(self, *a: Any) -> None:
        pass

    def _reply(self, code: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.server.seen.append({"path": self.path, "method": "GET", **{k.lower(): v for k, v in self.headers.items()}})
        port = self.server.server_address[1]
        if self.path == "/hello":
            self._reply(200, b"hello " + self.headers["Host"].encode(), {"X-Test": "1"})
        elif self.path == "/big":
            self._reply(200, b"x" * 5000)
        elif self.path == "/to-metadata":
            self._reply(302, headers={"Location": "http://metadata.test/latest/meta-data/"})
        elif self.path == "/to-internal":
            self._reply(307, headers={"Location": f"http://internal.test:{port}/hello"})
        elif self.path == "/to-self":
            self._reply(302, headers={"Location": "/hello"})
        elif self.path == "/to-other-origin":
            self._reply(302, headers={"Location": f"http://other.test:{port}/hello"})
        elif self.path == "/loop":
            self._reply(302, headers={"Location": "/loop"})
        else:
            self._reply(404, b"not found")

    def do_POST(self) -> None:
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        self.server.seen.append({"path": self.path, "method": "POST", "body": body.decode()})
        if self.path == "/see-other":
            self._reply(303, headers={"Location": "/hello"})
        else:
            self._reply(201, b"got " + body)


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server(("127.0.0.1", 0), Handler)
    srv.seen = []
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


class StubResolver:
    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if host not in self.table:
            raise OSError("no such host")
        return self.table[host]


def provider(table: dict[str, list[str]], **kw: Any) -> tuple[HttpNetworkProvider, StubResolver]:
    r = StubResolver(table)
    return HttpNetworkProvider(resolver=r, **kw), r


def test_fetch_pins_checked_ip_and_keeps_host(server: Server) -> None:
    port = server.server_address[1]
    net, res = provider({"api.test": ["127.0.0.1"]})
    assert isinstance(net, NetworkProvider)
    checked: list[tuple[str, list[str]]] = []
    r = net.fetch(f"http://api.test:{port}/hello", check=lambda h, ips: checked.append((h, list(ips))))
    assert r.status == 200 and r.status_text == "OK"
    assert r.body == f"hello api.test:{port}".encode()
    assert ("x-test", "1") in r.headers
    assert r.url == f"http://api.test:{port}/hello" and not r.redirected
    assert checked == [(f"http://api.test:{port}/hello", ["127.0.0.1"])]
    assert res.calls == ["api.test"]


def test_hostname_resolving_to_loopback_is_refused_before_connect(server: Server) -> None:
    port = server.server_address[1]
    net, _ = provider({"allowed.test": ["127.0.0.1"]})
    with pytest.raises(GuestError) as ei:
        net.fetch(f"http://allowed.test:{port}/hello", check=strict_check)
    assert ei.value.code == "EACCES"
    assert server.connections == 0


def test_every_answer_is_checked_rebinding(server: Server) -> None:
    port = server.server_address[1]
    net, _ = provider({"rebind.test": ["203.0.113.7", "127.0.0.1"]})
    with pytest.raises(GuestError) as ei:
        net.fetch(f"http://rebind.test:{port}/hello", check=strict_check)
    assert ei.value.code == "EACCES" and "127.0.0.1" in ei.value.message
    assert server.connections == 0


def test_metadata_ip_literal_refused() -> None:
    net, res = provider({})
    with pytest.raises(GuestError) as ei:
        net.fetch("http://169.254.169.254/latest/meta-data/", check=strict_check)
    assert ei.value.code == "EACCES" and res.calls == []


def test_redirect_to_metadata_is_refused(server: Server) -> None:
    port = server.server_address[1]
    net, res = provider({"allowed.test": ["127.0.0.1"], "metadata.test": ["169.254.169.254"]})
    with pytest.raises(GuestError) as ei:
        net.fetch(f"http://allowed.test:{port}/to-metadata", check=waived_check("allowed.test"))
    assert ei.value.code == "EACCES"
    assert res.calls == ["allowed.test", "metadata.test"]


def test_redirect_to_private_host_is_refused(server: Server) -> None:
    port = server.server_address[1]
    net, _ = provider({"allowed.test": ["127.0.0.1"], "internal.test": ["127.0.0.1"]})
    with pytest.raises(GuestError) as ei:
        net.fetch(f"http://allowed.test:{port}/to-internal", check=waived_check("allowed.test"))
    assert ei.value.code == "EACCES"
    assert [s["path"] for s in server.seen] == ["/to-internal"]


def test_same_origin_redirect_followed_and_rechecked(server: Server) -> None:
    port = server.server_address[1]
    net, res = provider({"allowed.test": ["127.0.0.1"]})
    hops: list[str] = []
    r = net.fetch(f"http://allowed.test:{port}/to-self", check=lambda w, ips: hops.append(w))
    assert r.status == 200 and r.redirected and r.url.endswith("/hello")
    assert res.calls == ["allowed.test", "allowed.test"]
    assert hops == [f"http://allowed.test:{port}/to-self", f"http://allowed.test:{port}/hello"]


def test_cross_origin_redirect_strips_credentials(server: Server) -> None:
    port = server.server_address[1]
    net, _ = provider({"allowed.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
    r = net.fetch(f"http://allowed.test:{port}/to-other-origin",
                  headers={"Authorization": "Bearer s3cret", "X-Keep": "yes"}, check=lambda h, ips: None)
    assert r.status == 200
    first, second = server.seen
    assert first["authorization"] == "Bearer s3cret"
    assert "authorization" not in second and second["x-keep"] == "yes"
    assert second["host"] == f"other.test:{port}"


def test_303_turns_post_into_get(server: Server) -> None:
    port = server.server_address[1]
    net, _ = provider({"a.test": ["127.0.0.1"]})
    r = net.fetch(f"http://a.test:{port}/see-other", "POST", {"content-type": "text/plain"}, b"payload",
                  check=lambda h, ips: None)
    assert r.status == 200
    assert [s["method"] for s in server.seen] == ["POST", "GET"]


def test_redirect_cap(server: Server) -> None:
    port = server.server_address[1]
    net, _ = provider({"a.test": ["127.0.0.1"]}, max_redirects=3)
    with pytest.raises(GuestError) as ei:
        net.fetch(f"http://a.test:{port}/loop", check=lambda h, ips: None)
    assert ei.value.code == "ERR_TOO_MANY_REDIRECTS"
    assert len(server.seen) == 4


def test_body_cap(server: Server) -> None:
    port = server.server_address[1]
    net, _ = provider({"a.test": ["127.0.0.1"]}, max_body_bytes=4096)
    with pytest.raises(GuestError) as ei:
        net.fetch(f"http://a.test:{port}/big", check=lambda h, ips: None)
    assert ei.value.code == "ERR_PAYLOAD_TOO_LARGE"
    ok, _ = provider({"a.test": ["127.0.0.1"]}, max_body_bytes=5000)
    assert len(ok.fetch(f"http://a.test:{port}/big", check=lambda h, ips: None).body) == 5000


def test_post_body_and_errors(server: Server) -> None:
    port = server.server_address[1]
    net, _ = provider({"a.test": ["127.0.0.1"]})
    r = net.fetch(f"http://a.test:{port}/echo", "POST", None, b"data", check=lambda h, ips: None)
    assert (r.status, r.body) == (201, b"got data")
    with pytest.raises(GuestError) as ei:
        net.fetch("http://unknown.test/", check=lambda h, ips: None)
    assert ei.value.code == "ENOTFOUND"
    with pytest.raises(GuestError) as ei:
        net.fetch("file:///etc/passwd", check=lambda h, ips: None)
    assert ei.value.code == "ERR_INVALID_URL"
    with pytest.raises(GuestError) as ei:
        net.fetch(f"http://a.test:{port}/x", "GE T", check=lambda h, ips: None)
    assert ei.value.code == "ERR_INVALID_ARG_VALUE"


def test_connection_refused() -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    net, _ = provider({"a.test": ["127.0.0.1"]})
    with pytest.raises(GuestError) as ei:
        net.fetch(f"http://a.test:{port}/", check=lambda h, ips: None)
    assert ei.value.code == "ECONNREFUSED"


def test_dns_lookup_checks_all_answers() -> None:
    net, _ = provider({"two.test": ["198.51.100.1", "2001:db8::1"], "meta.test": ["169.254.169.254"]})
    seen: list[list[str]] = []
    assert net.dns_lookup("two.test", check=lambda h, ips: seen.append(list(ips))) == ["198.51.100.1", "2001:db8::1"]
    assert seen == [["198.51.100.1", "2001:db8::1"]]
    with pytest.raises(GuestError) as ei:
        net.dns_lookup("meta.test", check=strict_check)
    assert ei.value.code == "EACCES"
    with pytest.raises(GuestError) as ei:
        net.dns_lookup("nope.test", check=strict_check)
    assert ei.value.code == "ENOTFOUND"


def _make_cert(tmp: Any, hostname: str) -> tuple[str, str]:
    """A self-signed certificate for ``hostname`` (SAN), made with the openssl CLI."""
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not available")
    key, crt = str(tmp / "key.pem"), str(tmp / "crt.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                    "-days", "1", "-subj", f"/CN={hostname}", "-addext", f"subjectAltName=DNS:{hostname}"],
                   check=True, capture_output=True)
    return key, crt


def test_https_pinned_ip_keeps_sni_and_certificate_name(tmp_path: Any) -> None:
    import ssl

    key, crt = _make_cert(tmp_path, "secure.test")
    srv = Server(("127.0.0.1", 0), Handler)
    srv.seen = []
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    sni: list[str | None] = []
    ctx.sni_callback = lambda sock, name, c: sni.append(name)  # type: ignore[assignment,misc,return-value]
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    port = srv.server_address[1]
    try:
        net = HttpNetworkProvider(resolver=StubResolver({"secure.test": ["127.0.0.1"],
                                                         "other.test": ["127.0.0.1"]}), verify=crt)
        r = net.fetch(f"https://secure.test:{port}/hello", check=lambda h, ips: None)
        assert r.status == 200 and r.body == f"hello secure.test:{port}".encode()
        assert sni == ["secure.test"]
        # a hostname the certificate does not cover fails verification even though the IP is the same
        with pytest.raises(GuestError) as ei:
            net.fetch(f"https://other.test:{port}/hello", check=lambda h, ips: None)
        assert ei.value.code == "ERR_TLS_CERT_ALTNAME_INVALID"
        # and a certificate nobody vouches for is refused by the default trust store
        strict = HttpNetworkProvider(resolver=StubResolver({"secure.test": ["127.0.0.1"]}))
        with pytest.raises(GuestError) as ei:
            strict.fetch(f"https://secure.test:{port}/hello", check=lambda h, ips: None)
        assert ei.value.code == "UNABLE_TO_VERIFY_LEAF_SIGNATURE"
    finally:
        srv.shutdown()
        srv.server_close()


def test_trailing_dot_and_case_are_one_spelling(server: Server) -> None:
    port = server.server_address[1]
    net, res = provider({"api.test": ["127.0.0.1"]})
    checked: list[str] = []
    r = net.fetch(f"http://API.test.:{port}/hello", check=lambda h, ips: checked.append(h))
    assert r.status == 200 and checked == [f"http://api.test:{port}/hello"] and res.calls == ["api.test"]
    assert net.dns_lookup("Api.Test.", check=lambda h, ips: checked.append(h)) == ["127.0.0.1"]
    assert checked[-1] == "api.test"


def test_hop_url_given_to_check_has_no_credentials(server: Server) -> None:
    port = server.server_address[1]
    net, _ = provider({"api.test": ["127.0.0.1"]})
    seen: list[str] = []
    net.fetch(f"http://user:pw@api.test:{port}/hello#frag", check=lambda w, ips: seen.append(w))
    assert seen == [f"http://api.test:{port}/hello"]
