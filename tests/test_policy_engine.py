"""Resolution order, the seed's permissions API, misbehaving checks, audit mode, digest, narrowing."""

from __future__ import annotations

import pytest

from secure_exec.errors import ConfigError
from secure_exec.policy import (
    ChildProcessAccessRequest,
    Decision,
    EnvAccessRequest,
    FsAccessRequest,
    NetworkAccessRequest,
    Policy,
    Preset,
    Rule,
    allow_all,
    allow_all_child_process,
    allow_all_env,
    allow_all_fs,
    allow_all_network,
)

FS = FsAccessRequest("read", "/workspace/a.txt")
NET = NetworkAccessRequest("fetch", url="https://api.example.com/x", method="GET", hostname="api.example.com",
                           resolved_ips=("93.184.216.34",))
CHILD = ChildProcessAccessRequest("/usr/bin/node", ("x.js",), "/work", {"PATH": "/usr/bin"})
ENV = EnvAccessRequest("read", "HOME")
ALL = {"fs": FS, "network": NET, "child_process": CHILD, "env": ENV}


def test_nothing_configured_denies_every_domain() -> None:
    p = Policy()
    for cap, req in ALL.items():
        d = p.decide(req)
        got = (d.allow, d.decision, d.rule_id, d.rule_source, d.capability)
        assert got == (False, "deny", "default", "default", cap)


def test_seed_workspace_example() -> None:
    p = Policy(permissions={"fs": lambda req: Decision(allow=req.path.startswith("/workspace"))})
    assert p.decide(FsAccessRequest("write", "/workspace/message.txt")).allow
    d = p.decide(FsAccessRequest("read", "/secret.txt"))
    assert not d.allow and d.rule_id == "check:fs" and d.rule_source == "plugin_check"
    assert not p.decide(NET).allow  # a missing domain denies


def test_seed_function_checks_example() -> None:
    p = Policy(permissions={
        "fs": lambda req: Decision(req.op == "read"),
        "network": lambda req: Decision(not req.hostname.endswith(".internal")),
        "childProcess": lambda req: Decision(req.command in ("node", "python3")),
        "env": lambda req: Decision(req.key in ("PATH", "HOME")),
    })
    assert p.decide(FsAccessRequest("read", "/a")).allow
    assert not p.decide(FsAccessRequest("write", "/a")).allow
    assert p.decide(NetworkAccessRequest("dns", hostname="example.com")).allow
    assert not p.decide(NetworkAccessRequest("dns", hostname="db.internal")).allow
    assert p.decide(ChildProcessAccessRequest("node")).allow
    assert not p.decide(ChildProcessAccessRequest("bash")).allow
    assert p.decide(EnvAccessRequest("read", "HOME")).allow
    assert not p.decide(EnvAccessRequest("read", "AWS_SECRET_ACCESS_KEY")).allow


def test_decision_reason_is_reported() -> None:
    p = Policy(permissions={"fs": lambda req: Decision(False, "policy says no")})
    assert p.decide(FS).reason == "policy says no"


def test_presets_compose_like_object_spread() -> None:
    p = Policy(permissions={**allow_all_fs, **allow_all_network})
    assert p.decide(FS).allow and p.decide(NET).allow
    assert not p.decide(CHILD).allow and not p.decide(ENV).allow
    everything = Policy(permissions=allow_all)
    assert all(everything.decide(r).allow for r in ALL.values())
    assert set({**allow_all_child_process, **allow_all_env}) == {"child_process", "env"}
    # a later key overrides, like JS spread
    p2 = Policy(permissions={**allow_all, "env": lambda r: Decision(False)})
    assert p2.decide(FS).allow and not p2.decide(ENV).allow
    with pytest.raises(TypeError):
        allow_all["fs"] = lambda r: Decision(False)  # type: ignore[index]


class _Boom(Exception):
    def __str__(self) -> str:
        raise RuntimeError("even str() fails")


@pytest.mark.parametrize(("check", "fragment"), [
    (lambda r: 1 / 0, "ZeroDivisionError"),
    (lambda r: True, "returned bool, not a Decision"),
    (lambda r: None, "returned NoneType, not a Decision"),
    (lambda r: {"allow": True}, "returned dict, not a Decision"),
    (lambda r: Decision("yes"), "ConfigError"),  # type: ignore[arg-type]
    (lambda r: (_ for _ in ()).throw(_Boom()), "unprintable"),
    (lambda r: (_ for _ in ()).throw(RecursionError("deep")), "RecursionError"),
])
def test_misbehaving_checks_deny_with_a_reason(check: object, fragment: str) -> None:
    p = Policy(permissions={"fs": check}, rules=[Rule("fs", "allow")])  # type: ignore[dict-item]
    d = p.decide(FS)
    assert not d.allow and d.rule_id == "check:fs" and fragment in d.reason


def test_forged_decision_with_non_bool_allow_denies() -> None:
    forged = Decision(True)
    object.__setattr__(forged, "allow", 1)
    d = Policy(permissions={"fs": lambda r: forged}).decide(FS)
    assert not d.allow and "not a bool" in d.reason


def test_huge_reason_is_truncated() -> None:
    d = Policy(permissions={"fs": lambda r: Decision(False, "x" * 100_000)}).decide(FS)
    assert not d.allow and len(d.reason) < 400


def test_resolution_order_table() -> None:
    deny = Rule("fs", "deny", id="no-secret", paths=["/workspace/secret/**"])
    allow = Rule("fs", "allow", id="ws", paths=["/workspace/**"])
    # deny rule beats a check's allow
    p = Policy(permissions=allow_all_fs, rules=[deny, allow])
    d = p.decide(FsAccessRequest("read", "/workspace/secret/k"))
    assert (d.allow, d.rule_id, d.rule_source) == (False, "no-secret", "host")
    # a check's deny is final: the allow rule is not consulted
    p = Policy(permissions={"fs": lambda r: Decision(False)}, rules=[allow])
    assert p.decide(FsAccessRequest("read", "/workspace/a")).rule_id == "check:fs"
    # a check's allow is final too (allow rules are not needed)
    p = Policy(permissions={"fs": lambda r: Decision(True)}, rules=[allow])
    assert p.decide(FsAccessRequest("read", "/elsewhere")).allow
    # no check: allow rules, then default
    p = Policy(rules=[allow])
    assert p.decide(FsAccessRequest("read", "/workspace/a")).rule_id == "ws"
    assert p.decide(FsAccessRequest("read", "/workspacex")).rule_id == "default"


def test_audit_mode_reports_but_does_not_deny() -> None:
    p = Policy(mode="audit")
    d = p.decide(FS)
    assert (d.allow, d.decision, d.enforced, d.rule_id) == (True, "deny", False, "default")
    g = p.decide(FsAccessRequest("read", "/proc/self/environ"))
    assert (g.allow, g.decision, g.rule_id) == (True, "deny", "guard:fs.proc")
    ok = Policy(mode="audit", permissions=allow_all).decide(FS)
    assert (ok.allow, ok.decision, ok.enforced) == (True, "allow", False)
    with pytest.raises(ConfigError, match="mode"):
        Policy(mode="permissive")


def test_digest_is_stable_and_changes_with_the_policy() -> None:
    def fs_check(r: FsAccessRequest) -> Decision:
        return Decision(True)

    a = Policy(permissions={"fs": fs_check}, rules=[Rule("env", "allow", names=["APP_*"])])
    b = Policy(permissions={"fs": fs_check}, rules=[Rule("env", "allow", names=["APP_*"])])
    assert a.digest == b.digest and a.digest.startswith("sha256:")
    assert a.decide(FS).policy_digest == a.digest
    variants = [
        Policy(permissions={"fs": fs_check}, rules=[Rule("env", "allow", names=["APP_X*"])]),
        Policy(permissions={"fs": fs_check}, rules=[Rule("env", "allow", names=["APP_*"])], mode="audit"),
        Policy(permissions={"fs": fs_check}, rules=[Rule("env", "allow", names=["APP_*"])], waive=["fs.dev"]),
        Policy(rules=[Rule("env", "allow", names=["APP_*"])]),
        Policy(permissions={"fs": fs_check}, rules=[Rule("env", "deny", names=["APP_*"])]),
    ]
    assert len({a.digest, *(v.digest for v in variants)}) == 1 + len(variants)


def test_rule_ids_and_sources() -> None:
    preset = Preset("read-data", (Rule("fs", "deny", paths=["/data/secret/**"]),
                                  Rule("fs", "allow", ops=["read"], paths=["/data/**"])))
    hook = Preset("from-hook", (Rule("env", "allow", names=["APP_*"]),), source="hook:acme")
    p = Policy(presets=[preset, hook], rules=[Rule("network", "allow", urls=["api.example.com"], source="hook:acme")])
    d = p.decide(FsAccessRequest("read", "/data/x.csv"))
    assert (d.rule_id, d.rule_source) == ("preset:read-data#2", "preset:read-data")
    d = p.decide(FsAccessRequest("read", "/data/secret/k"))
    assert (d.allow, d.rule_id) == (False, "preset:read-data#1")
    d = p.decide(EnvAccessRequest("read", "APP_MODE"))
    assert (d.rule_id, d.rule_source) == ("preset:from-hook#1", "hook:acme")
    assert p.decide(NET).rule_id == "hook:acme#1"
    with pytest.raises(ConfigError, match="given twice"):
        Policy(presets=[preset, preset])
    with pytest.raises(ConfigError, match="duplicate rule id"):
        Policy(rules=[Rule("fs", "allow", id="x"), Rule("env", "allow", id="x")])


def test_extend_adds_hook_contributions() -> None:
    from secure_exec.policy import label
    base = Policy(permissions=allow_all_fs)
    extra = label([Rule("fs", "deny", paths=["/workspace/**"])], "hook:guardian")
    p = base.extend(rules=[r for r in extra if isinstance(r, Rule)])
    d = p.decide(FS)
    assert (d.allow, d.rule_source, d.rule_id) == (False, "hook:guardian", "hook:guardian#1")
    assert p.digest != base.digest and base.decide(FS).allow
    with pytest.raises(ConfigError, match="expected Rule or Preset"):
        label(["not a rule"], "hook:x")  # type: ignore[list-item]


def test_bad_inputs_are_config_errors_naming_the_culprit() -> None:
    with pytest.raises(ConfigError, match="'filesystem'"):
        Policy(permissions={"filesystem": lambda r: Decision(True)})
    with pytest.raises(ConfigError, match="callable"):
        Policy(permissions={"fs": "yes"})  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match="alias"):
        Policy(permissions={"childProcess": lambda r: Decision(True), "child_process": lambda r: Decision(False)})
    with pytest.raises(ConfigError, match="Rule"):
        Policy(rules=["fs:/data"])  # type: ignore[list-item]
    with pytest.raises(ConfigError, match="access request"):
        Policy().decide("/etc/passwd")  # type: ignore[arg-type]


# -- narrowing ---------------------------------------------------------------------------------

BASE = Policy(rules=[Rule("fs", "allow", id="ws", paths=["/workspace/**"]),
                     Rule("env", "allow", id="app", names=["APP_*"])], waive=["net.loopback"], name="host")


def test_narrow_can_only_remove_rights() -> None:
    child = BASE.narrow(rules=[Rule("fs", "deny", paths=["/workspace/private/**"])])
    assert child.decide(FsAccessRequest("read", "/workspace/a")).allow  # inherits the parent's allow
    assert not child.decide(FsAccessRequest("read", "/workspace/private/k")).allow
    assert not child.decide(FsAccessRequest("read", "/etc/passwd")).allow  # parent's deny is final
    sub = BASE.narrow(rules=[Rule("fs", "allow", paths=["/workspace/sub/**"])])
    assert sub.decide(FsAccessRequest("read", "/workspace/sub/x")).allow
    assert not sub.decide(FsAccessRequest("read", "/workspace/other")).allow
    # child checks are ANDed with the parent
    chk = BASE.narrow(permissions=allow_all)
    assert not chk.decide(FsAccessRequest("read", "/etc/passwd")).allow
    assert chk.decide(FsAccessRequest("read", "/workspace/a")).allow
    assert chk.digest != BASE.digest and chk.parent is BASE


@pytest.mark.parametrize(("kw", "fragment"), [
    ({"rules": [Rule("fs", "allow", paths=["/etc/**"])]}, "wider"),
    ({"rules": [Rule("fs", "allow", paths=["/**"])]}, "wider"),
    ({"rules": [Rule("fs", "allow")]}, "wider"),
    ({"rules": [Rule("env", "allow", names=["*"])]}, "wider"),
    ({"rules": [Rule("network", "allow", urls=["*"])]}, "does not allow at all"),
    ({"presets": [Preset("p", (Rule("child_process", "allow", executable="/bin/sh"),))]}, "does not allow at all"),
    ({"waive": ["net.loopback", "net.metadata"]}, "net.metadata"),
    ({"mode": "audit"}, "enforce to audit"),
])
def test_narrow_refuses_escalation(kw: dict[str, object], fragment: str) -> None:
    with pytest.raises(ConfigError, match="escalation") as ei:
        BASE.narrow(**kw)  # type: ignore[arg-type]
    assert fragment in str(ei.value)


def test_narrow_waivers_default_to_parent_and_can_be_dropped() -> None:
    loop = NetworkAccessRequest("connect", hostname="127.0.0.1", port=80)
    parent = Policy(permissions=allow_all, waive=["net.loopback"])
    assert parent.narrow().decide(loop).allow
    assert not parent.narrow(waive=[]).decide(loop).allow


def test_narrow_of_narrow_keeps_every_layer() -> None:
    a = BASE.narrow(rules=[Rule("fs", "allow", paths=["/workspace/a/**"])])
    b = a.narrow(rules=[Rule("fs", "deny", paths=["/workspace/a/tmp/**"])])
    assert b.decide(FsAccessRequest("read", "/workspace/a/x")).allow
    assert not b.decide(FsAccessRequest("read", "/workspace/a/tmp/x")).allow
    assert not b.decide(FsAccessRequest("read", "/workspace/b")).allow
    with pytest.raises(ConfigError, match="escalation"):
        a.narrow(rules=[Rule("fs", "allow", paths=["/workspace/**"])])
    ext = a.extend(rules=[Rule("fs", "deny", paths=["/workspace/a/x"])])
    assert not ext.decide(FsAccessRequest("read", "/workspace/a/x")).allow
    with pytest.raises(ConfigError, match="escalation"):
        a.extend(rules=[Rule("fs", "allow", paths=["/etc/**"])])


def test_decision_subclass_with_raising_property_denies() -> None:
    class Broken(Decision):
        @property  # type: ignore[misc]
        def allow(self) -> bool:  # type: ignore[override]
            raise RuntimeError("nope")

    broken = Broken.__new__(Broken)
    d = Policy(permissions={"fs": lambda r: broken}).decide(FS)
    assert not d.allow and "broken Decision" in d.reason


def test_describe_and_rules_expose_the_canonical_policy() -> None:
    p = Policy(rules=[Rule("fs", "allow", paths=["/w/**"])], waive=["fs.dev"], name="x")
    desc = p.describe()
    assert desc["name"] == "x" and desc["waive"] == ["fs.dev"] and desc["rules"][0]["id"] == "host#1"
    assert [(rid, src) for rid, src, _ in p.rules] == [("host#1", "host")]
