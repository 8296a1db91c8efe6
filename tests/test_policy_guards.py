"""Always-on guards: fs pseudo-filesystems, every SSRF address class in every spelling, loader env."""

from __future__ import annotations

import ipaddress

import pytest

from secure_exec.errors import ConfigError
from secure_exec.policy import (
    GUARD_NAMES,
    ChildProcessAccessRequest,
    FsAccessRequest,
    NetworkAccessRequest,
    Policy,
    allow_all,
    embedded_ipv4,
    ip_guard,
    parse_ip_literal,
)

OPEN = Policy(permissions=allow_all)

SPELLINGS = [
    ("127.0.0.1", "127.0.0.1"),
    ("2130706433", "127.0.0.1"),
    ("0177.0.0.1", "127.0.0.1"),
    ("0x7f.1", "127.0.0.1"),
    ("0x7f.0.0.1", "127.0.0.1"),
    ("0x7f000001", "127.0.0.1"),
    ("0X7F000001", "127.0.0.1"),
    ("017700000001", "127.0.0.1"),
    ("127.1", "127.0.0.1"),
    ("127.0.1", "127.0.0.1"),
    ("127.0.0.1.", "127.0.0.1"),
    ("0", "0.0.0.0"),
    ("10.1", "10.0.0.1"),
    ("3232235521", "192.168.0.1"),
    ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
    ("[::1]", "::1"),
    ("::ffff:127.0.0.1", "::ffff:127.0.0.1"),
    ("[::ffff:7f00:1]", "::ffff:127.0.0.1"),
    ("fe80::1%eth0", "fe80::1"),
    ("127.0.0.1 x", "127.0.0.1"),
]


@pytest.mark.parametrize(("text", "expected"), SPELLINGS)
def test_parse_ip_literal_spellings(text: str, expected: str) -> None:
    assert parse_ip_literal(text) == ipaddress.ip_address(expected)


@pytest.mark.parametrize("text", ["example.com", "1e100.net", "256.0.0.1", "1.2.3.4.5", "0x", "0x.1",
                                  "08.0.0.1", "", "::g", "1.2.3.256", "4294967296", "-1", "1..2"])
def test_parse_ip_literal_rejects_names_and_garbage(text: str) -> None:
    assert parse_ip_literal(text) is None


ADDRESS_CLASSES = [
    ("127.0.0.1", "net.loopback"), ("127.255.0.9", "net.loopback"), ("::1", "net.loopback"),
    ("10.0.0.1", "net.private"), ("172.16.5.5", "net.private"), ("172.31.255.255", "net.private"),
    ("192.168.1.1", "net.private"), ("fc00::1", "net.private"), ("fd12:3456::1", "net.private"),
    ("169.254.1.1", "net.link_local"), ("fe80::1", "net.link_local"),
    ("100.64.0.1", "net.cgnat"), ("100.127.255.254", "net.cgnat"),
    ("0.0.0.0", "net.unspecified"), ("::", "net.unspecified"),
    ("224.0.0.1", "net.multicast"), ("239.255.255.250", "net.multicast"), ("ff02::1", "net.multicast"),
    ("169.254.169.254", "net.metadata"), ("fd00:ec2::254", "net.metadata"), ("100.100.100.200", "net.metadata"),
    ("168.63.129.16", "net.metadata"), ("169.254.170.2", "net.metadata"),
    ("255.255.255.255", "net.reserved"), ("192.0.2.1", "net.reserved"), ("2001:db8::1", "net.reserved"),
    # IPv4 embedded in IPv6
    ("::ffff:127.0.0.1", "net.loopback"), ("::ffff:169.254.169.254", "net.metadata"),
    ("::ffff:10.0.0.1", "net.private"), ("64:ff9b::7f00:1", "net.loopback"),
    ("64:ff9b::a9fe:a9fe", "net.metadata"), ("2002:7f00:1::", "net.loopback"),
    ("2002:a9fe:a9fe::1", "net.metadata"), ("::ffff:0:7f00:1", "net.loopback"), ("::127.0.0.1", "net.loopback"),
    ("64:ff9b:1::1", "net.private"),
]


@pytest.mark.parametrize(("ip", "guard"), ADDRESS_CLASSES)
def test_ip_guard_classes(ip: str, guard: str) -> None:
    assert ip_guard(ipaddress.ip_address(ip)) == guard


@pytest.mark.parametrize("ip", ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700::1111", "::ffff:8.8.8.8",
                                "64:ff9b::808:808", "100.128.0.1", "172.32.0.1", "11.0.0.1"])
def test_public_addresses_pass(ip: str) -> None:
    assert ip_guard(ipaddress.ip_address(ip)) is None
    d = OPEN.decide(NetworkAccessRequest("connect", hostname="svc.example", port=443, resolved_ips=(ip,)))
    assert d.allow and d.rule_id == "check:network"


def test_teredo_embedding_is_unwrapped() -> None:
    # Teredo client 127.0.0.1 is stored as ~127.0.0.1 = 0x80ff fffe in the low 32 bits
    teredo = ipaddress.IPv6Address("2001:0:4136:e378:8000:63bf:80ff:fffe")
    assert embedded_ipv4(teredo) == ipaddress.IPv4Address("127.0.0.1")
    assert ip_guard(teredo) == "net.loopback"


@pytest.mark.parametrize(("text", "_ip"), SPELLINGS[:11])
def test_hostname_literal_spellings_are_denied(text: str, _ip: str) -> None:
    d = OPEN.decide(NetworkAccessRequest("connect", hostname=text, port=80))
    assert not d.allow and d.rule_id == "guard:net.loopback" and d.rule_source == "guard"


@pytest.mark.parametrize("url", ["http://2130706433/", "http://0x7f.1:8080/x", "http://[::ffff:127.0.0.1]/",
                                 "http://user@127.1/", "http://169.254.169.254/latest/meta-data/",
                                 "http://[fd00:ec2::254]/"])
def test_url_host_literal_is_guarded_even_if_hostname_field_is_public(url: str) -> None:
    d = OPEN.decide(NetworkAccessRequest("fetch", url=url, method="GET", hostname="public.example",
                                         resolved_ips=("93.184.216.34",)))
    assert not d.allow and d.rule_id.startswith("guard:net.")


def test_every_resolved_ip_is_checked_not_just_the_first() -> None:
    req = NetworkAccessRequest("fetch", url="https://rebind.example/", hostname="rebind.example",
                               resolved_ips=("93.184.216.34", "2606:4700::1", "127.0.0.1"))
    d = OPEN.decide(req)
    assert not d.allow and d.rule_id == "guard:net.loopback" and "127.0.0.1" in d.reason


@pytest.mark.parametrize(("host", "guard"), [("localhost", "net.loopback"), ("LOCALHOST.", "net.loopback"),
                                              ("app.localhost", "net.loopback"),
                                              ("metadata.google.internal", "net.metadata")])
def test_special_host_names_are_guarded_before_dns(host: str, guard: str) -> None:
    d = OPEN.decide(NetworkAccessRequest("dns", hostname=host))
    assert not d.allow and d.rule_id == f"guard:{guard}"


def test_waiving_one_guard_keeps_the_others() -> None:
    p = Policy(permissions=allow_all, waive=["net.loopback"])
    assert p.decide(NetworkAccessRequest("connect", hostname="127.0.0.1", port=8080)).allow
    assert p.decide(NetworkAccessRequest("connect", hostname="::ffff:127.0.0.1", port=8080)).allow
    d = p.decide(NetworkAccessRequest("connect", hostname="10.0.0.5", port=8080))
    assert not d.allow and d.rule_id == "guard:net.private"
    # metadata is its own guard: waiving link-local does not open it
    p2 = Policy(permissions=allow_all, waive=["net.link_local"])
    assert p2.decide(NetworkAccessRequest("connect", hostname="169.254.1.1", port=80)).allow
    meta = NetworkAccessRequest("connect", hostname="169.254.169.254", port=80)
    assert p2.decide(meta).rule_id == "guard:net.metadata"


@pytest.mark.parametrize(("path", "guard"), [("/proc", "fs.proc"), ("/proc/self/environ", "fs.proc"),
                                              ("/sys/kernel", "fs.sys"), ("/dev/mem", "fs.dev"), ("/dev", "fs.dev")])
def test_fs_guards(path: str, guard: str) -> None:
    d = OPEN.decide(FsAccessRequest("read", path))
    assert not d.allow and d.rule_id == f"guard:{guard}"
    assert Policy(permissions=allow_all, waive=[guard]).decide(FsAccessRequest("read", path)).allow


@pytest.mark.parametrize("path", ["/process", "/system/x", "/devices", "/data/proc", "/home/dev"])
def test_fs_guards_match_whole_components_only(path: str) -> None:
    assert OPEN.decide(FsAccessRequest("read", path)).allow


def test_fs_guard_checks_dest_too() -> None:
    d = OPEN.decide(FsAccessRequest("rename", "/work/a", dest="/proc/self/mem"))
    assert not d.allow and d.rule_id == "guard:fs.proc"


@pytest.mark.parametrize("env", [{"LD_PRELOAD": "/tmp/x.so"}, {"LD_LIBRARY_PATH": "/tmp"},
                                 {"DYLD_INSERT_LIBRARIES": "/x"}, {"NODE_OPTIONS": "--require /x.js"},
                                 {"ld_preload": "/tmp/x.so"}])
def test_child_loader_env_denies_spawn(env: dict[str, str]) -> None:
    d = OPEN.decide(ChildProcessAccessRequest("/usr/bin/git", ("status",), "/work", env))
    assert not d.allow and d.rule_id == "guard:child.env"
    assert Policy(permissions=allow_all, waive=["child.env"]).decide(
        ChildProcessAccessRequest("/usr/bin/git", ("status",), "/work", env)).allow


def test_child_env_via_env_command_args_is_denied() -> None:
    d = OPEN.decide(ChildProcessAccessRequest("/usr/bin/env", ("LD_PRELOAD=/tmp/x.so", "/bin/true"), None, {}))
    assert not d.allow and d.rule_id == "guard:child.env"
    # env itself is a launcher (guard child.launcher); the runtime resolves it to what it runs
    d = OPEN.decide(ChildProcessAccessRequest("/usr/bin/env", ("FOO=1", "/bin/true"), None, {}))
    assert not d.allow and d.rule_id == "guard:child.launcher"
    assert Policy(permissions=allow_all, waive=["child.launcher"]).decide(
        ChildProcessAccessRequest("/usr/bin/env", ("FOO=1", "/bin/true"), None, {})).allow


def test_guards_win_over_allow_all_and_allow_rules() -> None:
    from secure_exec.policy import Rule
    p = Policy(permissions=allow_all, rules=[Rule("fs", "allow", paths=["/**"])])
    assert not p.decide(FsAccessRequest("read", "/proc/1/maps")).allow
    p2 = Policy(rules=[Rule("network", "allow", cidrs=["0.0.0.0/0"])])
    assert p2.decide(NetworkAccessRequest("connect", hostname="127.0.0.1", port=1)).rule_id == "guard:net.loopback"


def test_unknown_waiver_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"net\.lopback"):
        Policy(waive=["net.lopback"])
    with pytest.raises(ConfigError, match="list of guard names"):
        Policy(waive="net.loopback")  # type: ignore[arg-type]
    assert {"fs.proc", "net.metadata", "net.cgnat", "child.env"} <= GUARD_NAMES


@pytest.mark.parametrize("url", ["http://127.0.0.1\\@public.example/", "http://%31%32%37.0.0.1/",
                                 "http://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54/",
                                 "http://127\u30020\u30020\u30021/", "http://0x7f.1\\.public.example/"])
def test_parser_differential_hosts_are_guarded(url: str) -> None:
    d = OPEN.decide(NetworkAccessRequest("fetch", url=url, method="GET", resolved_ips=("93.184.216.34",)))
    assert not d.allow and d.rule_id == "guard:net.loopback"


def test_parser_differential_hosts_must_all_match_an_allow_rule() -> None:
    from secure_exec.policy import Rule
    p = Policy(rules=[Rule("network", "allow", urls=["public.example"])])
    d = p.decide(NetworkAccessRequest("fetch", url="http://8.8.8.8\\@public.example/", method="GET"))
    assert not d.allow
    assert p.decide(NetworkAccessRequest("fetch", url="http://public.example/", method="GET")).allow
