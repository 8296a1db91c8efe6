"""Strict manifests and malformed inputs: each gives one exact line on stderr and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from secure_exec.errors import ConfigError
from secure_exec.host.manifest import load_manifest
from tests.test_cli import REPO, cli

HEAD = '[plugin]\nid = "p"\nversion = "1.0.0"\nentry = "m.mjs"\n'
WHERE = "secure-exec-plugin.toml of plugin folder 'p'"


def _plugin(tmp_path: Path, manifest: str) -> Path:
    d = tmp_path / "p"
    d.mkdir(exist_ok=True)
    (d / "m.mjs").write_text("export function f() { return 1; }")
    (d / "secure-exec-plugin.toml").write_text(manifest)
    return d


CASES = [
    (HEAD + 'descripton = "x"\n',
     "plugin.descripton: unknown key (did you mean 'description'?); expected one of "
     "['description', 'entry', 'exports', 'host_functions', 'id', 'version']"),
    (HEAD.replace('"1.0.0"', '"banana"'), "'version' 'banana' must be a version number such as '1.0.0'"),
    (HEAD + '[[permission]]\ncapability = "fs"\n',
     "permission: unknown key (did you mean 'permissions'?); expected one of ['limits', 'permissions', 'plugin']"),
    (HEAD + "[limit]\ntime_limit = 1\n",
     "limit: unknown key (did you mean 'limits'?); expected one of ['limits', 'permissions', 'plugin']"),
    (HEAD + "[limits]\ntime_limt = 1\n",
     "limits.time_limt: unknown key (did you mean 'time_limit'?); expected one of ['memory_limit_mb', 'time_limit']"),
    (HEAD + '[[permissions]]\ncapability = "fs"\neffect = "allow"\npath = ["/x/**"]\n',
     "permissions[0].path: unknown rule key; expected one of ['args', 'capability', 'cidrs', 'effect', 'env', "
     "'executable', 'id', 'methods', 'names', 'ops', 'paths', 'reason', 'urls']"),
    (HEAD + "description = 3\n", "'description' must be a string"),
]


@pytest.mark.parametrize(("manifest", "message"), CASES)
def test_manifest_mistakes_are_rejected_with_exact_messages(tmp_path: Path, manifest: str, message: str) -> None:
    d = _plugin(tmp_path, manifest)
    with pytest.raises(ConfigError) as e:
        load_manifest(d)
    assert str(e.value) == f"{WHERE}: {message}"
    r = cli("plugin", "call", str(d), "f")
    assert (r.returncode, r.stderr) == (2, f"secure-exec: error: {WHERE}: {message}\n")


def test_valid_manifests_still_load(tmp_path: Path) -> None:
    for version in ("1", "1.2.3", "1.0.0-rc.1", "2.0a1"):
        m = load_manifest(_plugin(tmp_path, HEAD.replace('"1.0.0"', f'"{version}"')))
        assert m.version == version
    for name in ("hello", "toc-generator", "link-checker", "secret-reader"):
        load_manifest(REPO / "plugins" / name)


def test_malformed_policy_file(tmp_path: Path) -> None:
    pol = tmp_path / "p.toml"
    pol.write_text("[[rules]]\ncapability = 'fs'\neffect = 'allow'\npath = ['/x']\n")
    script = tmp_path / "s.js"
    script.write_text("1")
    r = cli("run", str(script), "--policy", str(pol))
    assert r.returncode == 2 and r.stderr.startswith("secure-exec: error: ") and "path" in r.stderr
    assert r.stderr.count("\n") == 1


def test_malformed_and_wrong_pinned_digest(tmp_path: Path) -> None:
    d = _plugin(tmp_path, HEAD)
    r = cli("plugin", "call", str(d), "f", "--pin", "sha256:xyz")
    assert (r.returncode, r.stderr) == (2, "secure-exec: error: --pin: 'sha256:xyz' is not a plugin digest; expected "
                                           "'sha256:' and 64 hex digits (print one with: secure-exec plugin digest "
                                           "DIR)\n")
    digest = cli("plugin", "digest", str(d)).stdout.strip()
    assert digest.startswith("sha256:") and len(digest) == 71
    r = cli("plugin", "call", str(d), "f", "--pin", digest, "--json")
    assert (r.returncode, r.stdout) == (0, "1\n"), r.stderr
    r = cli("plugin", "call", str(d), "f", "--pin", "sha256:" + "0" * 64)
    assert r.returncode == 2 and "does not match its pinned digest" in r.stderr


def test_plugin_diff_shows_the_capability_change(tmp_path: Path) -> None:
    old = _plugin(tmp_path, HEAD + '[[permissions]]\ncapability = "fs"\neffect = "allow"\nops = ["read"]\n'
                                   'paths = ["/docs/**"]\n')
    new = tmp_path / "new"
    new.mkdir()
    (new / "m.mjs").write_text("export function f() { return 2; }")
    (new / "secure-exec-plugin.toml").write_text(
        HEAD.replace('"1.0.0"', '"1.1.0"') + '[[permissions]]\ncapability = "fs"\neffect = "allow"\nops = ["read"]\n'
        'paths = ["/docs/**"]\n[[permissions]]\ncapability = "network"\neffect = "allow"\nurls = ["https://*"]\n'
        "[limits]\ntime_limit = 60\n")
    r = cli("plugin", "diff", str(old), str(new))
    assert r.returncode == 1, r.stderr
    assert r.stdout.splitlines() == [
        "p 1.0.0 -> p 1.1.0",
        "+ allow network (all ops) https://*",
        "+ limit time_limit=60",
        "- limit time_limit=default",
    ]
    same = cli("plugin", "diff", str(old), str(old))
    assert same.returncode == 0 and "(the same capabilities)" in same.stdout
    j = cli("plugin", "diff", str(old), str(new), "--json")
    assert '"added": [' in j.stdout and j.returncode == 1
