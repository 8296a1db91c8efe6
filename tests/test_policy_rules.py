"""Structured rules: path globs, host/port/scheme patterns, CIDRs, env globs, executables; requests."""

from __future__ import annotations

import pytest

from secure_exec.errors import ConfigError
from secure_exec.policy import (
    ChildProcessAccessRequest,
    EnvAccessRequest,
    FsAccessRequest,
    NetworkAccessRequest,
    Policy,
    Rule,
)
from secure_exec.policy.globs import path_glob_covers


@pytest.mark.parametrize(("pattern", "path", "hit"), [
    ("/data/**", "/data", True),
    ("/data/**", "/data/a/b/c", True),
    ("/data/**", "/database", False),
    ("/data/*", "/data/a", True),
    ("/data/*", "/data/a/b", False),
    ("/data/*.csv", "/data/x.csv", True),
    ("/data/*.csv", "/data/sub/x.csv", False),
    ("/data/**/*.csv", "/data/x.csv", True),
    ("/data/**/*.csv", "/data/a/b/x.csv", True),
    ("/data/**/*.csv", "/data/a/b/x.csvx", False),
    ("/a/**/b", "/a/b", True),
    ("/a/**/b", "/a/x/y/b", True),
    ("/a/**/b", "/a/xb", False),
    ("/file?.txt", "/file1.txt", True),
    ("/file?.txt", "/file/.txt", False),
    ("/", "/", True),
    ("/", "/x", False),
    ("/**", "/anything/at/all", True),
    ("/a+b(c)", "/a+b(c)", True),
    ("/a+b(c)", "/aab(c)", False),
])
def test_path_globs(pattern: str, path: str, hit: bool) -> None:
    assert Rule("fs", "allow", paths=[pattern]).matches(FsAccessRequest("read", path)) is hit


@pytest.mark.parametrize("bad", ["data/**", "/data/../etc", "/data//x", "/a/**b", "/./x", ""])
def test_bad_path_globs(bad: str) -> None:
    with pytest.raises(ConfigError, match="path pattern"):
        Rule("fs", "allow", paths=[bad])


def test_ops_filter() -> None:
    r = Rule("fs", "allow", ops=["read", "stat"], paths=["/data/**"])
    assert r.matches(FsAccessRequest("stat", "/data/x"))
    assert not r.matches(FsAccessRequest("write", "/data/x"))
    assert not r.matches(EnvAccessRequest("read", "X"))  # another capability never matches
    with pytest.raises(ConfigError, match="'delete'"):
        Rule("fs", "allow", ops=["delete"])


def _net(url: str | None = None, host: str | None = None, port: int | None = None, op: str = "fetch",
         method: str | None = "GET", ips: tuple[str, ...] = ()) -> NetworkAccessRequest:
    return NetworkAccessRequest(op, url=url, method=method, hostname=host, port=port, resolved_ips=ips)


@pytest.mark.parametrize(("pattern", "req", "hit"), [
    ("api.example.com", _net("https://api.example.com/x"), True),
    ("api.example.com", _net("https://API.Example.com./x"), True),
    ("api.example.com", _net("https://evil.com/?api.example.com"), False),
    ("https://api.example.com", _net("http://api.example.com/"), False),
    ("https://api.example.com:443", _net("https://api.example.com/"), True),
    ("https://api.example.com:8443", _net("https://api.example.com/"), False),
    ("api.example.com:*", _net("http://api.example.com:9999/"), True),
    ("*.example.com", _net("https://a.b.example.com/"), True),
    ("*.example.com", _net("https://example.com/"), False),
    ("*.example.com", _net("https://badexample.com/"), False),
    ("*", _net("https://anything.test/"), True),
    ("*://api.example.com:443", _net("wss://api.example.com/"), True),
    ("tcp://db.example.com:5432", _net(host="db.example.com", port=5432, op="connect", method=None), True),
    ("db.example.com:5432", _net(host="db.example.com", port=5433, op="connect", method=None), False),
    ("https://db.example.com:443", _net(host="db.example.com", op="dns", method=None), True),
    ("93.184.216.34", _net("http://1572395042/"), True),
    ("[2606:4700::1]:443", _net("https://[2606:4700::1]/"), True),
])
def test_host_patterns(pattern: str, req: NetworkAccessRequest, hit: bool) -> None:
    assert Rule("network", "allow", urls=[pattern]).matches(req) is hit


@pytest.mark.parametrize("bad", ["https://a.com/path", "a.com:0", "a.com:99999", "*a.com", "a.*.com", "[::1",
                                 "user@a.com", "", "ht tp://a.com"])
def test_bad_host_patterns(bad: str) -> None:
    with pytest.raises(ConfigError, match="network pattern"):
        Rule("network", "allow", urls=[bad])


def test_allow_needs_all_hosts_deny_needs_any() -> None:
    # hostname field and URL host disagree: allow must match both, deny either
    req = _net("https://api.example.com/", host="other.example.org")
    assert not Rule("network", "allow", urls=["api.example.com"]).matches(req)
    assert Rule("network", "allow", urls=["api.example.com", "*.example.org"]).matches(req)
    assert Rule("network", "deny", urls=["other.example.org"]).matches(req)


def test_cidrs_on_resolved_ips() -> None:
    allow = Rule("network", "allow", cidrs=["93.184.216.0/24"])
    assert allow.matches(_net("https://x.test/", ips=("93.184.216.34",)))
    assert not allow.matches(_net("https://x.test/", ips=("93.184.216.34", "8.8.8.8")))  # all must be inside
    assert not allow.matches(_net(host="x.test", op="dns", method=None))  # no IP yet: cannot allow
    deny = Rule("network", "deny", cidrs=["8.8.8.0/24", "2001:4860::/32"])
    assert deny.matches(_net("https://x.test/", ips=("93.184.216.34", "8.8.8.8")))
    assert deny.matches(_net("https://x.test/", ips=("2001:4860::8888",)))
    assert not deny.matches(_net("https://x.test/", ips=("1.1.1.1",)))
    with pytest.raises(ConfigError, match="not a CIDR"):
        Rule("network", "deny", cidrs=["10.0.0.0/33"])


def test_methods() -> None:
    r = Rule("network", "allow", urls=["api.example.com"], methods=["get", "HEAD"])
    assert r.matches(_net("https://api.example.com/", method="get"))
    assert not r.matches(_net("https://api.example.com/", method="POST"))
    assert not r.matches(_net(host="api.example.com", port=443, op="connect", method=None))


def test_env_globs() -> None:
    r = Rule("env", "allow", names=["APP_*", "HOME"], ops=["read"])
    assert r.matches(EnvAccessRequest("read", "APP_MODE"))
    assert r.matches(EnvAccessRequest("read", "HOME"))
    assert not r.matches(EnvAccessRequest("read", "HOMEPATH"))
    assert not r.matches(EnvAccessRequest("read", "XAPP_MODE"))
    assert not r.matches(EnvAccessRequest("write", "APP_MODE"))
    lst = EnvAccessRequest("list")
    assert not Rule("env", "allow", names=["APP_*"]).matches(lst)
    assert Rule("env", "allow", names=["*"]).matches(lst)
    assert Rule("env", "allow").matches(lst)


def test_executables_and_args() -> None:
    r = Rule("child_process", "allow", executable="/usr/bin/git", args=["status", "**"])
    assert r.matches(ChildProcessAccessRequest("/usr/bin/git", ("status",)))
    assert r.matches(ChildProcessAccessRequest("/usr/bin/git", ("status", "--short")))
    assert not r.matches(ChildProcessAccessRequest("/usr/bin/git", ("push",)))
    assert not r.matches(ChildProcessAccessRequest("/usr/bin/git", ()))
    assert not r.matches(ChildProcessAccessRequest("git", ("status",)))  # relative never matches
    exact = Rule("child_process", "allow", executable="/usr/bin/*", args=["-c", "print(*)"])
    assert exact.matches(ChildProcessAccessRequest("/usr/bin/python3", ("-c", "print(1)")))
    assert not exact.matches(ChildProcessAccessRequest("/usr/bin/python3", ("-c", "print(1)", "x")))
    assert not exact.matches(ChildProcessAccessRequest("/usr/local/bin/python3", ("-c", "print(1)")))
    with pytest.raises(ConfigError, match="absolute"):
        Rule("child_process", "allow", executable="git")


def test_fields_must_fit_the_capability() -> None:
    with pytest.raises(ConfigError, match="'paths' does not apply"):
        Rule("env", "allow", paths=["/x"])
    with pytest.raises(ConfigError, match="'ops' does not apply"):
        Rule("child_process", "allow", ops=["read"])
    with pytest.raises(ConfigError, match="unknown capability 'disk'"):
        Rule("disk", "allow")
    with pytest.raises(ConfigError, match="effect"):
        Rule("fs", "maybe")
    assert Rule("childProcess", "allow").capability == "child_process"


@pytest.mark.parametrize(("parent", "child", "covered"), [
    ("/data/**", "/data/sub/**", True),
    ("/data/**", "/data", True),
    ("/data/**", "/data/*.csv", True),
    ("/data/*", "/data/**", False),
    ("/data/*", "/data/a/b", False),
    ("/data/*.csv", "/data/x.csv", True),
    ("/data/*.csv", "/data/*", False),
    ("/**", "/anything/**", True),
    ("/data/**", "/datax/**", False),
    ("/a/**/z", "/a/b/c/z", True),
])
def test_path_glob_covers_is_sound(parent: str, child: str, covered: bool) -> None:
    assert path_glob_covers(parent, child) is covered


# -- requests --------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["relative/x", "/a/../b", "/a/./b", "/a//b", "/a/", "/a\x00b"])
def test_fs_request_requires_canonical_absolute_paths(path: str) -> None:
    with pytest.raises(ConfigError, match="FsAccessRequest"):
        FsAccessRequest("read", path)


def test_request_ops_are_validated() -> None:
    with pytest.raises(ConfigError, match="'delete'"):
        FsAccessRequest("delete", "/x")
    with pytest.raises(ConfigError, match="'ping'"):
        NetworkAccessRequest("ping", hostname="x")
    with pytest.raises(ConfigError, match="'unset'"):
        EnvAccessRequest("unset", "X")
    with pytest.raises(ConfigError, match="resolved_ips"):
        NetworkAccessRequest("connect", hostname="x", port=1, resolved_ips=("not-an-ip",))
    with pytest.raises(ConfigError, match="port"):
        NetworkAccessRequest("connect", hostname="x", port=70000)
    with pytest.raises(ConfigError, match="url or a hostname"):
        NetworkAccessRequest("connect")
    with pytest.raises(ConfigError, match="not a valid URL"):
        NetworkAccessRequest("fetch", url="http://x:notaport/")
    with pytest.raises(ConfigError, match="invalid variable name"):
        ChildProcessAccessRequest("/bin/true", (), None, {"A=B": "1"})
    with pytest.raises(ConfigError, match="args"):
        ChildProcessAccessRequest("/bin/true", "-la")  # type: ignore[arg-type]


def test_requests_are_hashable_values() -> None:
    a = ChildProcessAccessRequest("/bin/true", ["x"], "/w", {"PATH": "/bin"})
    b = ChildProcessAccessRequest("/bin/true", ("x",), "/w", {"PATH": "/bin"})
    assert a == b and hash(a) == hash(b) and a.args == ("x",)
    assert "PATH" in repr(a.env) and "/bin" not in repr(a.env)  # values may be secrets
    n = NetworkAccessRequest("fetch", url="HTTPS://Api.Example.com/x", method="get", hostname="api.example.com")
    assert n.scheme == "https" and n.effective_port == 443 and n.method == "GET" and n.hosts == ("api.example.com",)


def test_policy_accepts_rule_lists_through_presets_and_rules() -> None:
    p = Policy(rules=[Rule("fs", "allow", paths=["/data/**"]), Rule("fs", "deny", paths=["/data/k"])])
    assert p.decide(FsAccessRequest("read", "/data/x")).allow
    assert not p.decide(FsAccessRequest("read", "/data/k")).allow
