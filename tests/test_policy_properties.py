"""Property tests of the one resolution order: guards -> deny rules -> check -> allow rules -> deny."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secure_exec.errors import ConfigError
from secure_exec.policy import (
    Decision,
    FsAccessRequest,
    NetworkAccessRequest,
    Policy,
    Rule,
    allow_all,
    ip_guard,
    parse_ip_literal,
)

SEGMENTS = ["data", "proc", "sys", "dev", "a", "b", "x.csv", "k.key"]
FS_OPS = ["read", "write", "stat", "rm"]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

paths = st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=4).map(lambda s: "/" + "/".join(s))
glob_segment = st.sampled_from([*SEGMENTS, "*", "**", "*.csv"])
globs = st.lists(glob_segment, min_size=1, max_size=4).map(lambda s: "/" + "/".join(s))
requests = st.builds(FsAccessRequest, st.sampled_from(FS_OPS), paths)
rules = st.builds(
    lambda effect, ops, pats: Rule("fs", effect, ops=ops, paths=pats),
    st.sampled_from(["allow", "deny"]),
    st.none() | st.lists(st.sampled_from(FS_OPS), min_size=1, max_size=3, unique=True),
    st.lists(globs, min_size=0, max_size=2),
)


def _raise(r: Any) -> Decision:
    raise RuntimeError("boom")


CHECKS: dict[str, Callable[[Any], Any] | None] = {
    "none": None,
    "allow": lambda r: Decision(True),
    "deny": lambda r: Decision(False),
    "raise": _raise,
    "garbage": lambda r: "yes",
    "data-only": lambda r: Decision(r.path.startswith("/data")),
}
checks = st.sampled_from(sorted(CHECKS))
waivers = st.lists(st.sampled_from(["fs.proc", "fs.sys", "fs.dev"]), unique=True, max_size=3)


def _policy(rule_list: list[Rule], check: str, waive: list[str], mode: str = "enforce") -> Policy:
    fn = CHECKS[check]
    return Policy(permissions={"fs": fn} if fn is not None else None, rules=rule_list, waive=waive, mode=mode)


def _reference(req: FsAccessRequest, rule_list: list[Rule], check: str, waive: list[str]) -> str:
    """The documented order, written as plainly as possible."""
    top = req.path.split("/")[1]
    if top in ("proc", "sys", "dev") and f"fs.{top}" not in waive:
        return "deny"
    if any(r.effect == "deny" and r.matches(req) for r in rule_list):
        return "deny"
    fn = CHECKS[check]
    if fn is not None:
        try:
            out = fn(req)
        except Exception:
            return "deny"
        return "allow" if isinstance(out, Decision) and out.allow else "deny"
    if any(r.effect == "allow" and r.matches(req) for r in rule_list):
        return "allow"
    return "deny"


@SETTINGS
@given(req=requests, rule_list=st.lists(rules, max_size=4), check=checks, waive=waivers)
def test_decision_matches_the_documented_order(req: FsAccessRequest, rule_list: list[Rule], check: str,
                                               waive: list[str]) -> None:
    d = _policy(rule_list, check, waive).decide(req)
    assert d.decision == _reference(req, rule_list, check, waive)
    assert d.allow == (d.decision == "allow") and d.enforced


@SETTINGS
@given(suffix=st.lists(st.sampled_from(SEGMENTS), max_size=3), root=st.sampled_from(["proc", "sys", "dev"]),
       rule_list=st.lists(rules, max_size=4), check=checks, waive=waivers, op=st.sampled_from(FS_OPS))
def test_a_guard_always_wins_unless_waived(suffix: list[str], root: str, rule_list: list[Rule], check: str,
                                           waive: list[str], op: str) -> None:
    req = FsAccessRequest(op, "/" + "/".join([root, *suffix]))
    d = _policy([*rule_list, Rule("fs", "allow")], "allow" if check == "none" else check, waive).decide(req)
    if f"fs.{root}" in waive:
        assert d.rule_id != f"guard:fs.{root}"
    else:
        assert (d.allow, d.rule_id, d.rule_source) == (False, f"guard:fs.{root}", "guard")


@SETTINGS
@given(req=requests, rule_list=st.lists(rules, max_size=4), check=checks)
def test_a_matching_deny_rule_beats_any_check_and_allow(req: FsAccessRequest, rule_list: list[Rule],
                                                        check: str) -> None:
    deny = Rule("fs", "deny", id="the-deny", paths=[req.path])
    d = _policy([*rule_list, deny, Rule("fs", "allow")], check, ["fs.proc", "fs.sys", "fs.dev"]).decide(req)
    assert not d.allow and d.rule_id != "default" and not d.rule_id.startswith("check:")


@SETTINGS
@given(req=requests, waive=waivers)
def test_no_rule_and_no_check_denies(req: FsAccessRequest, waive: list[str]) -> None:
    d = Policy(waive=waive).decide(req)
    assert not d.allow and d.decision == "deny"


@SETTINGS
@given(req=requests, rule_list=st.lists(rules, max_size=4), check=checks, waive=waivers)
def test_audit_mode_computes_the_same_decision_but_never_denies(req: FsAccessRequest, rule_list: list[Rule],
                                                                check: str, waive: list[str]) -> None:
    enforce = _policy(rule_list, check, waive).decide(req)
    audit = _policy(rule_list, check, waive, mode="audit").decide(req)
    assert audit.allow and not audit.enforced
    assert (audit.decision, audit.rule_id, audit.reason) == (enforce.decision, enforce.rule_id, enforce.reason)


@SETTINGS
@given(reqs=st.lists(requests, min_size=1, max_size=6), parent_rules=st.lists(rules, max_size=4),
       parent_check=checks, child_rules=st.lists(rules, max_size=3), child_check=checks,
       waive=waivers, child_waive=st.none() | waivers)
def test_narrowing_never_grants_more(reqs: list[FsAccessRequest], parent_rules: list[Rule], parent_check: str,
                                     child_rules: list[Rule], child_check: str, waive: list[str],
                                     child_waive: list[str] | None) -> None:
    parent = _policy(parent_rules, parent_check, waive)
    fn = CHECKS[child_check]
    try:
        child = parent.narrow(permissions={"fs": fn} if fn else None, rules=child_rules, waive=child_waive)
    except ConfigError as e:
        assert "escalation" in str(e)
        return
    for req in reqs:
        if child.decide(req).allow:
            assert parent.decide(req).allow


@SETTINGS
@given(value=st.integers(0, 2**32 - 1))
def test_every_ipv4_spelling_is_the_same_address_and_guard(value: int) -> None:
    ip = ipaddress.IPv4Address(value)
    a, b, c, d = ip.packed
    spellings = [str(ip), str(value), hex(value), f"0{value:o}", f"{a}.{(b << 16) | (c << 8) | d}",
                 f"{a}.{b}.{(c << 8) | d}", f"{hex(a)}.{hex(b)}.{hex(c)}.{hex(d)}", f"0{a:o}.0{b:o}.0{c:o}.0{d:o}",
                 f"::ffff:{ip}", f"[::ffff:{ip}]"]
    for s in spellings:
        parsed = parse_ip_literal(s)
        assert parsed is not None, s
        assert ip_guard(parsed) == ip_guard(ip), s
    guard = ip_guard(ip)
    pol = Policy(permissions=allow_all)
    for s in spellings:
        decision = pol.decide(NetworkAccessRequest("connect", hostname=s, port=80))
        assert decision.allow == (guard is None)
        if guard is not None:
            assert decision.rule_id == f"guard:{guard}"


@SETTINGS
@given(value=st.integers(0, 2**32 - 1), prefix=st.sampled_from(["64:ff9b::", "::ffff:0:"]))
def test_embedded_ipv4_in_ipv6_inherits_the_guard(value: int, prefix: str) -> None:
    v4 = ipaddress.IPv4Address(value)
    v6 = ipaddress.IPv6Address(prefix + str(v4))
    g4 = ip_guard(v4)
    if g4 is not None:
        assert ip_guard(v6) == g4
    else:
        assert ip_guard(v6) is None
