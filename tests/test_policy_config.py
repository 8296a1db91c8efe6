"""TOML policy files and preset libraries, and Deno-like flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from secure_exec.errors import ConfigError
from secure_exec.policy import (
    ChildProcessAccessRequest,
    EnvAccessRequest,
    FsAccessRequest,
    NetworkAccessRequest,
    Policy,
    load_presets_toml,
    rule_from_mapping,
)

POLICY_TOML = """
name = "ci"
waive = ["net.loopback"]
use = ["read-data", "lib-env"]

[[rules]]
capability = "network"
effect = "allow"
urls = ["https://api.example.com"]

[[rules]]
capability = "fs"
effect = "deny"
id = "no-keys"
paths = ["/data/**/*.key"]
reason = "keys stay on the host"

[presets.read-data]
description = "read the data folder"
rules = [{ capability = "fs", effect = "allow", ops = ["read", "stat"], paths = ["/data/**"] }]

[presets.unused]
rules = [{ capability = "fs", effect = "allow" }]
"""

LIB_TOML = """
[presets.lib-env]
[[presets.lib-env.rules]]
capability = "env"
effect = "allow"
names = ["APP_*"]
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_policy_from_toml(tmp_path: Path) -> None:
    lib = load_presets_toml(_write(tmp_path, "lib.toml", LIB_TOML))
    p = Policy.from_toml(_write(tmp_path, "ci.toml", POLICY_TOML), library=lib)
    assert p.name == "ci" and p.waived == {"net.loopback"}
    d = p.decide(FsAccessRequest("read", "/data/x.csv"))
    assert (d.allow, d.rule_id, d.rule_source) == (True, "preset:read-data#1", "preset:read-data")
    d = p.decide(FsAccessRequest("read", "/data/a/b.key"))
    got = (d.allow, d.rule_id, d.rule_source, d.reason)
    assert got == (False, "no-keys", "config:ci.toml", "keys stay on the host")
    assert not p.decide(FsAccessRequest("write", "/data/x.csv")).allow  # "unused" preset not active
    d = p.decide(NetworkAccessRequest("fetch", url="https://api.example.com/v1", method="GET"))
    assert (d.allow, d.rule_id) == (True, "config:ci.toml#1")
    assert p.decide(EnvAccessRequest("read", "APP_X")).rule_source == "preset:lib-env"
    assert p.digest == Policy.from_toml(tmp_path / "ci.toml", library=lib).digest


def test_without_use_every_preset_in_the_file_is_active(tmp_path: Path) -> None:
    text = POLICY_TOML.replace('use = ["read-data", "lib-env"]\n', "")
    p = Policy.from_toml(_write(tmp_path, "all.toml", text))
    assert p.decide(FsAccessRequest("write", "/data/x.csv")).rule_id == "preset:unused#1"


def test_keyword_overrides(tmp_path: Path) -> None:
    p = Policy.from_toml(_write(tmp_path, "m.toml", 'mode = "enforce"\n'), mode="audit", name="x")
    assert p.mode == "audit" and p.name == "x"


@pytest.mark.parametrize(("text", "key"), [
    ("name = [", "invalid TOML"),
    ("bogus = 1", "bogus: unknown key"),
    ("mode = 3", "mode: must be a string"),
    ('mode = "loose"', "mode must be one of"),
    ('waive = ["net.everything"]', "net.everything"),
    ("waive = 1", "waive: must be a list"),
    ('use = ["nope"]', "use: unknown preset 'nope'"),
    ("rules = 5", "rules: must be an array"),
    ('[[rules]]\ncapability = "fs"', "rules[0].effect: missing"),
    ('[[rules]]\ncapability = "fs"\neffect = "allow"\npaths = "/data"', "rules[0].paths: must be a list of strings"),
    ('[[rules]]\ncapability = "fs"\neffect = "allow"\npath = ["/data"]', "rules[0].path: unknown rule key"),
    ('[[rules]]\ncapability = "disk"\neffect = "allow"', "rules[0]: rule (unnamed): unknown capability 'disk'"),
    ('[[rules]]\ncapability = "fs"\neffect = "allow"\npaths = ["data"]', "rules[0]"),
    ("[presets.p]\nrules = 1", "presets.p.rules: must be an array"),
    ('[presets.p]\nrules = [{ capability = "env", effect = "allow", names = [1] }]', "presets.p.rules[0].names"),
    ("[presets.p]\nextra = 1", "presets.p.extra: unknown key"),
    ('[presets."bad name"]\nrules = []', "presets.bad name"),
])
def test_malformed_policy_files_name_file_and_key(tmp_path: Path, text: str, key: str) -> None:
    path = _write(tmp_path, "bad.toml", text)
    with pytest.raises(ConfigError) as ei:
        Policy.from_toml(path)
    assert str(path) in str(ei.value) and key in str(ei.value)


def test_missing_file_and_bad_library(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        Policy.from_toml(tmp_path / "none.toml")
    with pytest.raises(ConfigError, match="rules: unknown key"):
        load_presets_toml(_write(tmp_path, "lib.toml", "rules = []"))


def test_rule_from_mapping_for_manifests_and_hooks() -> None:
    r = rule_from_mapping({"capability": "childProcess", "effect": "allow", "executable": "/usr/bin/git"},
                          "manifest permissions[0]", source="hook:acme")
    assert r.capability == "child_process" and r.source == "hook:acme"
    with pytest.raises(ConfigError, match="manifest permissions"):
        rule_from_mapping(["fs"], "manifest permissions[1]")


# -- flags -------------------------------------------------------------------------------------

def test_from_flags() -> None:
    p = Policy.from_flags(allow_read=["/data"], allow_write=["/data/out"], allow_net=["api.example.com:443",
                          "93.184.216.0/24"], allow_env=["APP_*"], allow_run=["/usr/bin/git"],
                          deny_read=["/data/secret"])
    assert p.decide(FsAccessRequest("read", "/data")).allow
    assert p.decide(FsAccessRequest("readdir", "/data/x")).allow
    assert not p.decide(FsAccessRequest("write", "/data/x")).allow
    assert p.decide(FsAccessRequest("write", "/data/out/r.txt")).allow
    assert not p.decide(FsAccessRequest("read", "/data/secret/k")).allow
    assert not p.decide(FsAccessRequest("read", "/database")).allow
    assert p.decide(NetworkAccessRequest("connect", hostname="api.example.com", port=443,
                                         resolved_ips=("1.1.1.1",))).allow
    assert not p.decide(NetworkAccessRequest("connect", hostname="api.example.com", port=80)).allow
    assert p.decide(NetworkAccessRequest("connect", hostname="93.184.216.34", port=80)).allow
    assert p.decide(EnvAccessRequest("read", "APP_X")).allow
    assert not p.decide(EnvAccessRequest("list")).allow
    assert p.decide(ChildProcessAccessRequest("/usr/bin/git", ("status",))).allow
    assert not p.decide(ChildProcessAccessRequest("/usr/bin/ssh")).allow


def test_from_flags_unscoped_and_errors() -> None:
    p = Policy.from_flags(allow_read=True, allow_env=True)
    assert p.decide(FsAccessRequest("read", "/anything")).allow
    assert not p.decide(FsAccessRequest("read", "/proc/self/environ")).allow  # guards still apply
    assert p.decide(EnvAccessRequest("list")).allow
    with pytest.raises(ConfigError, match="allow_read: 'data' must be an absolute path"):
        Policy.from_flags(allow_read=["data"])
    with pytest.raises(ConfigError, match="allow_run: 'git' must be an absolute"):
        Policy.from_flags(allow_run=["git"])
    with pytest.raises(ConfigError, match="allow_net"):
        Policy.from_flags(allow_net="api.example.com")  # type: ignore[arg-type]


def test_hook_contributions_are_labelled_and_validated() -> None:
    from secure_exec.policy import Preset, Rule, hook_contributions

    rules, presets = hook_contributions("acme", [
        Rule("fs", "deny", paths=["/workspace/secret/**"]),
        {"capability": "env", "effect": "allow", "names": ["ACME_*"]},
        Preset("acme-read", (Rule("fs", "allow", paths=["/workspace/**"]),)),
    ])
    p = Policy(rules=rules, presets=presets)
    d = p.decide(FsAccessRequest("read", "/workspace/secret/k"))
    assert (d.allow, d.rule_id, d.rule_source) == (False, "hook:acme#1", "hook:acme")
    d = p.decide(FsAccessRequest("read", "/workspace/a"))
    assert (d.allow, d.rule_id, d.rule_source) == (True, "preset:acme-read#1", "hook:acme")
    assert p.decide(EnvAccessRequest("read", "ACME_X")).rule_id == "hook:acme#2"
    assert hook_contributions("acme", None) == ([], [])
    with pytest.raises(ConfigError, match=r"hook:bad\[0\]"):
        hook_contributions("bad", ["rule-a"])
    with pytest.raises(ConfigError, match="hook:bad"):
        hook_contributions("bad", "fs")
    with pytest.raises(ConfigError, match=r"hook:bad\[0\]\.paths"):
        hook_contributions("bad", [{"capability": "fs", "effect": "allow", "paths": "/x"}])
