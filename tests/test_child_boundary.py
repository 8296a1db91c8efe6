"""Children that cannot become the host (issue 11, item 4), against the real ``git`` and ``bash``.

Every attack below is first shown to work when a rule deliberately lets it through (the control),
so a refusal in the other half of the test is the policy's doing, not a payload that never worked.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest

import secure_exec as se
from secure_exec.errors import ConfigError
from secure_exec.policy import ChildProcessAccessRequest, Policy, Rule
from secure_exec.policy.config import policy_from_toml
from secure_exec.policy.launchers import LauncherError, split_string, unwrap_once
from secure_exec.providers.hostfs import HostFileSystem

GIT = shutil.which("git")
BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(GIT is None or BASH is None, reason="needs real git and bash")


def real(name: str) -> str:
    found = shutil.which(name)
    assert found is not None, name
    return os.path.realpath(found)


def child_rule(exe: str, args: list[str] | None = None, env: list[str] | None = None, rid: str = "") -> Rule:
    extra = {"env": env} if env else {}
    return Rule("child_process", "allow", id=rid or f"run-{os.path.basename(exe)}", executable=real(exe),
                args=args, **extra)


FS_ALL = Rule("fs", "allow", id="fs-all", paths=["/**"])


def spawn(tmp_path: Path, rules: list[Rule], cmd: str, args: list[str], *, env: dict[str, str] | None = None,
          cwd: str | None = None, fs: Any = None, pre: str = "", process_env: dict[str, str] | None = None,
          permissions: Any = None, waive: tuple[str, ...] = (), fs_all: bool = True,
          ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run one spawnSync in a guest; (what the guest saw, the audit events). ``fs_all``: grant all of fs."""
    if fs_all and FS_ALL not in rules:
        rules = [FS_ALL, *rules]
    if fs is None:
        (tmp_path / "root").mkdir(exist_ok=True)
        fs = HostFileSystem(tmp_path / "root")
    opts: dict[str, Any] = {"encoding": "utf8"}
    if env is not None:
        opts["env"] = env
    if cwd is not None:
        opts["cwd"] = cwd
    code = (f"{pre}const r = require('child_process').spawnSync({orjson.dumps(cmd).decode()}, "
            f"{orjson.dumps(args).decode()}, {orjson.dumps(opts).decode()});\n"
            "console.log(JSON.stringify({status: r.status, error: r.error ? r.error.code : null, "
            "out: r.stdout, err: r.stderr}));")
    policy = (Policy(permissions=permissions, waive=list(waive)) if permissions is not None
              else Policy(rules=rules, waive=list(waive)))
    log_path = tmp_path / f"audit-{len(list(tmp_path.glob('audit-*')))}.jsonl"
    out: list[se.StdioEvent] = []
    with se.AuditLog(log_path) as log:
        rt = se.NodeRuntime(
            system_driver=se.create_node_driver(
                filesystem=fs, policy=policy, command_executor=se.create_command_executor(),
                process_config=se.ProcessConfig(env=process_env or {})),
            audit_log=log, on_stdio=out.append, plugin_id="child-test")
        r = rt.exec(code)
    assert r.code == 0, r.error_message
    text = "".join(e.data for e in out if e.channel == "stdout")
    events = [orjson.loads(line) for line in log_path.read_text().splitlines()]
    return orjson.loads(text.strip().splitlines()[-1]), events


def denial(events: list[dict[str, Any]]) -> dict[str, Any]:
    found = [e for e in events if e["event"] == "permission.checked" and e["decision"] == "deny"]
    assert found, [(e["event"], e.get("capability"), e.get("decision")) for e in events]
    return found[-1]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository at guest /repo (host tmp/root/repo)."""
    d = tmp_path / "root" / "repo"
    d.mkdir(parents=True)
    subprocess.run([real("git"), "init", "-q", str(d)], check=True, env={"PATH": "/usr/bin:/bin"})
    return d


# -- the environment ---------------------------------------------------------------------------------

def git_fsmonitor_env(marker: Path) -> dict[str, str]:
    return {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.fsmonitor",
            "GIT_CONFIG_VALUE_0": f"touch {marker}; false"}


def test_git_config_env_cannot_run_code_through_an_args_locked_rule(tmp_path: Path, repo: Path) -> None:
    marker = tmp_path / "pwned-git"
    rule = child_rule("git", ["status"])
    got, events = spawn(tmp_path, [FS_ALL, rule], "git", ["status"], env=git_fsmonitor_env(marker), cwd="/repo")
    assert got["error"] == "EACCES" and got["status"] is None
    assert not marker.exists()
    d = denial(events)
    assert d["capability"] == "child_process" and d["rule_id"] == "guard:child.env"
    assert "GIT_CONFIG_COUNT" in d["reason"] and d["resource"] == real("git")
    # control: the payload is real; a rule that names each variable literally lets it run
    named = child_rule("git", ["status"], env=["GIT_CONFIG_COUNT", "GIT_CONFIG_KEY_0", "GIT_CONFIG_VALUE_0"])
    got, _ = spawn(tmp_path, [FS_ALL, named], "git", ["status"], env=git_fsmonitor_env(marker), cwd="/repo")
    assert got["error"] is None and marker.exists()


def test_a_glob_does_not_name_a_code_running_variable(tmp_path: Path, repo: Path) -> None:
    marker = tmp_path / "pwned-glob"
    for env in (["GIT_*"], ["*"], ["GIT_CONFIG_*"]):
        with pytest.raises(ConfigError, match="glob"):  # refused when the rule is made, not silently inert
            child_rule("git", ["status"], env=env)
    got, events = spawn(tmp_path, [FS_ALL, child_rule("git", ["status"])], "git", ["status"],
                        env=git_fsmonitor_env(marker), cwd="/repo")
    assert got["error"] == "EACCES"
    assert denial(events)["rule_id"] == "guard:child.env"
    assert not marker.exists()


def test_variables_outside_any_known_family_need_a_written_out_name(tmp_path: Path) -> None:
    """Review finding: TAR_OPTIONS (tar --checkpoint-action=exec) was in no family list and ran a command."""
    marker = tmp_path / "pwned-tar"
    root = tmp_path / "root"
    root.mkdir()
    (root / "a").write_text("x")
    subprocess.run(["tar", "-cf", str(root / "a.tar"), "-C", str(root), "a"], check=True)
    evil = {"TAR_OPTIONS": f"--checkpoint=1 --checkpoint-action=exec=touch {marker}"}
    allow = {"fs": lambda r: se.Decision(allow=True), "child_process": lambda r: se.Decision(allow=True)}
    for kw in ({"rules": [child_rule("tar", ["-tf", "a.tar"])]}, {"rules": [], "permissions": allow}):
        got, events = spawn(tmp_path, kw.pop("rules"), "tar", ["-tf", "a.tar"], env=evil, cwd="/", **kw)
        assert got["error"] == "EACCES" and denial(events)["rule_id"] == "guard:child.env"
    assert not marker.exists()
    # a rule that writes the name out is the host's informed choice
    got, _ = spawn(tmp_path, [child_rule("tar", ["-tf", "a.tar"], env=["TAR_OPTIONS"])], "tar", ["-tf", "a.tar"],
                   env={"TAR_OPTIONS": "--verbose"}, cwd="/")
    assert got["error"] is None and "a" in got["out"]


def test_a_wildcard_argument_is_not_an_option(tmp_path: Path) -> None:
    """Review finding: args ["-xf", "a.tar", "*"] let "--to-command=id" through."""
    tar = real("tar")
    r = child_rule("tar", ["-xf", "a.tar", "*"])
    assert r.matches(ChildProcessAccessRequest(tar, ("-xf", "a.tar", "member.txt")))
    assert not r.matches(ChildProcessAccessRequest(tar, ("-xf", "a.tar", "--to-command=id")))
    assert child_rule("tar", ["-xf", "a.tar", "--to-command=*"]).matches(
        ChildProcessAccessRequest(tar, ("-xf", "a.tar", "--to-command=cat")))


def test_bash_env_and_exported_functions_are_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned-bash"
    attacks = [{"BASH_ENV": f"$(touch {marker})"}, {"ENV": f"$(touch {marker})"},
               {"BASH_FUNC_true%%": f"() {{ touch {marker}; }}"},
               {"SHELLOPTS": "xtrace", "PS4": f"$(touch {marker})"}]
    for env in attacks:
        got, events = spawn(tmp_path, [child_rule("bash", ["-c", "true"])], "bash", ["-c", "true"], env=env)
        assert got["error"] == "EACCES", env
        assert denial(events)["rule_id"] == "guard:child.env"
        assert not marker.exists()
    # controls: each payload really runs when a rule names its variables one by one
    for env in (attacks[0], attacks[2]):
        got, _ = spawn(tmp_path, [child_rule("bash", ["-c", "true"], env=list(env))], "bash", ["-c", "true"],
                       env=env)
        assert got["error"] is None and marker.exists(), env
        marker.unlink()


def test_function_checks_do_not_bypass_the_env_guard(tmp_path: Path) -> None:
    marker = tmp_path / "pwned-check"
    got, events = spawn(tmp_path, [], "bash", ["-c", "true"], env={"BASH_ENV": f"$(touch {marker})"},
                        permissions=se.allow_all)
    assert got["error"] == "EACCES" and not marker.exists()
    assert denial(events)["rule_id"] == "guard:child.env"


def test_only_the_safe_base_and_listed_names_reach_the_child(tmp_path: Path) -> None:
    printenv = real("printenv")
    base = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "TZ": "UTC"}
    got, _ = spawn(tmp_path, [child_rule("printenv")], "printenv", [], env=base)
    assert sorted(got["out"].split()) == sorted(f"{k}={v}" for k, v in base.items())
    got, events = spawn(tmp_path, [child_rule("printenv")], "printenv", [], env={**base, "APP_MODE": "x"})
    assert got["error"] == "EACCES" and denial(events)["rule_id"] == "guard:child.env"
    got, _ = spawn(tmp_path, [child_rule("printenv", env=["APP_MODE"])], "printenv", ["APP_MODE"],
                   env={**base, "APP_MODE": "x"})
    assert got["out"] == "x\n"
    with pytest.raises(ConfigError, match="glob"):  # a glob could pass TAR_OPTIONS, MAKEFILES, ...
        child_rule("printenv", env=["APP_*"])
    assert printenv.startswith("/")


def test_inherited_env_is_only_the_safe_base(tmp_path: Path) -> None:
    visible = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "GIT_DIR": "/elsewhere", "APP_TOKEN": "t"}
    got, _ = spawn(tmp_path, [child_rule("printenv"), Rule("env", "allow", id="env", names=["*"])],
                   "printenv", [], process_env=visible)
    assert got["error"] is None
    assert sorted(got["out"].split()) == ["LANG=C.UTF-8", "PATH=/usr/bin:/bin"]


# -- launchers ---------------------------------------------------------------------------------------

def test_env_dash_s_cannot_smuggle_variables(tmp_path: Path) -> None:
    marker = tmp_path / "pwned-env-s"
    rules = [child_rule("env", ["**"]), child_rule("bash", ["-c", "true"])]
    for args in ([f"-SBASH_ENV=$(touch {marker}) bash -c true"],
                 ["-S", f"BASH_ENV='$(touch {marker})' bash -c true"],
                 ["-SLD_PRELOAD=/nonexistent.so bash -c true"],
                 [f"BASH_ENV=$(touch {marker})", "bash", "-c", "true"],
                 ["-i", f"--split-str=BASH_ENV=$(touch {marker}) bash -c true"]):
        got, events = spawn(tmp_path, rules, "env", args)
        assert got["error"] == "EACCES", args
        d = denial(events)
        assert d["rule_id"] in ("guard:child.env", "guard:child.launcher"), (args, d)
        assert not marker.exists()


def test_launchers_are_decided_on_what_they_run(tmp_path: Path, repo: Path) -> None:
    git_status = [FS_ALL, child_rule("git", ["status"])]
    for cmd, args in (("env", ["git", "status"]), ("nice", ["-n", "5", "git", "status"]),
                      ("timeout", ["-s", "KILL", "30", "git", "status"]), ("nohup", ["git", "status"]),
                      ("setsid", ["git", "status"]), ("stdbuf", ["-oL", "env", "-i", "git", "status"])):
        got, events = spawn(tmp_path, git_status, cmd, args, cwd="/repo", env={"PATH": "/usr/bin:/bin"})
        assert got["error"] is None and got["status"] == 0 and "No commits yet" in got["out"], (cmd, got)
        checked = [e for e in events if e["event"] == "permission.checked" and e["capability"] == "child_process"]
        assert checked[-1]["resource"] == real("git") and checked[-1]["resource_requested"] == cmd
    # the launcher grants nothing by itself: `env bash ...` is decided as bash
    marker = tmp_path / "pwned-launcher"
    got, events = spawn(tmp_path, [child_rule("env", ["**"])], "env", ["bash", "-c", f"touch {marker}"])
    assert got["error"] == "EACCES" and not marker.exists()
    assert denial(events)["resource"] == real("bash")
    # ... and a launcher that is not resolved is refused, whatever rule names it
    got, events = spawn(tmp_path, [child_rule("xargs", ["**"])], "xargs", ["touch", str(marker)])
    assert got["error"] == "EACCES" and denial(events)["rule_id"] == "guard:child.launcher"
    got, events = spawn(tmp_path, git_status, "env", ["-C", "/", "git", "status"])
    assert got["error"] == "EACCES" and denial(events)["rule_id"] in ("guard:child.launcher", "guard:child.env")


def test_launcher_grammar() -> None:
    env = {"PATH": "/bin", "KEEP": "1"}
    i = unwrap_once("env", ["-i", "A=1", "git", "status"], env)
    assert (i.command, i.args, i.env) == ("git", ("status",), {"A": "1"})
    i = unwrap_once("env", ["-uKEEP", "-S", "B='x y' git  log -1"], env)
    assert (i.command, i.args, i.env) == ("git", ("log", "-1"), {"PATH": "/bin", "B": "x y"})
    i = unwrap_once("env", ["--unset", "PATH", "--", "A=b=c", "x"], env)
    assert (i.command, i.env) == ("x", {"KEEP": "1", "A": "b=c"})
    assert unwrap_once("timeout", ["-k", "1", "1.5m", "x"], {}).timeout_s == 90.0
    assert unwrap_once("nice", ["-10", "x", "-n"], {}).args == ("-n",)
    assert unwrap_once("stdbuf", ["-o", "L", "--error=0", "x"], {}).command == "x"
    assert split_string("a 'b c' \"d\"e") == ["a", "b c", "de"]
    for tool, args in (("env", ["-C", "/", "x"]), ("env", ["-S", "${HOME}/x"]), ("env", ["-S", "a\\ b"]),
                       ("env", ["A=1"]), ("env", ["--u", "x"]), ("timeout", ["soon", "x"]), ("nice", ["-q", "x"]),
                       ("nohup", []), ("xargs", ["x"])):
        with pytest.raises(LauncherError):
            unwrap_once(tool, args, {})


# -- the child's working directory -------------------------------------------------------------------

def test_child_runs_in_the_host_directory_of_its_cwd(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "work" / "sub").mkdir(parents=True)
    (root / "link").symlink_to("/work/sub")  # resolved in the guest's namespace
    rules = [FS_ALL, child_rule("pwd")]
    got, _ = spawn(tmp_path, rules, "pwd", [], cwd="/work")
    assert got["out"].strip() == str(root / "work")
    got, _ = spawn(tmp_path, rules, "pwd", [], cwd="sub", pre="process.chdir('/work');\n")
    assert got["out"].strip() == str(root / "work" / "sub")
    got, _ = spawn(tmp_path, rules, "pwd", [], pre="process.chdir('/link');\n")
    assert got["out"].strip() == str(root / "work" / "sub")
    got, _ = spawn(tmp_path, rules, "pwd", [], cwd="/../../..")
    assert got["out"].strip() == str(root)


def test_child_cwd_is_decided_by_the_fs_policy(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "work").mkdir(parents=True)
    (root / "private").mkdir()
    rules = [Rule("fs", "allow", id="work", paths=["/work/**"]), child_rule("pwd")]
    got, _ = spawn(tmp_path, rules, "pwd", [], cwd="/work", fs_all=False)
    assert got["out"].strip() == str(root / "work")
    got, events = spawn(tmp_path, rules, "pwd", [], cwd="/private", fs_all=False)
    assert got["error"] == "EACCES"
    d = denial(events)
    assert (d["capability"], d["op"], d["resource"]) == ("fs", "readdir", "/private")
    got, _ = spawn(tmp_path, [FS_ALL, child_rule("pwd")], "pwd", [], cwd="/missing")
    assert got["error"] == "ENOENT"


def test_virtual_filesystem_refuses_a_cwd_it_cannot_map(tmp_path: Path) -> None:
    memfs = se.create_in_memory_file_system()
    memfs.mkdir("/work", recursive=True)
    got, _ = spawn(tmp_path, [FS_ALL, child_rule("pwd")], "pwd", [], cwd="/work", fs=memfs)
    assert got["error"] == "ENOSYS"
    got, _ = spawn(tmp_path, [FS_ALL, child_rule("pwd")], "pwd", [], cwd="sub", fs=memfs, pre="process.chdir('/work');")
    assert got["error"] == "ENOSYS"
    # no cwd asked for: the executor's own work dir (the host's choice), whatever process.cwd() is
    got, _ = spawn(tmp_path, [FS_ALL, child_rule("pwd")], "pwd", [], fs=memfs, pre="process.chdir('/work');")
    assert got["error"] is None and got["out"].strip() == "/"


# -- argument patterns -------------------------------------------------------------------------------

def test_argument_patterns_cannot_be_satisfied_through_dotdot_or_slash(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "work" / "data").mkdir(parents=True)
    (root / "work" / "data" / "ok.txt").write_text("fine")
    (root / "work" / "secret.txt").write_text("SECRET")
    rules = [FS_ALL, child_rule("cat", ["data/*"])]
    got, _ = spawn(tmp_path, rules, "cat", ["data/ok.txt"], cwd="/work")
    assert got["out"] == "fine"
    for arg in ("data/../secret.txt", "data/..", f"data/{root}/work/secret.txt"):
        got, events = spawn(tmp_path, rules, "cat", [arg], cwd="/work")
        assert got["error"] == "EACCES" and "SECRET" not in (got["out"] or ""), arg
        assert denial(events)["rule_source"] == "default"
    got, _ = spawn(tmp_path, [FS_ALL, child_rule("cat", ["*"])], "cat", [str(root / "work" / "secret.txt")],
                   cwd="/work")
    assert got["error"] == "EACCES"


def test_argument_pattern_matching_rules() -> None:
    git = real("git")
    r = Rule("child_process", "allow", executable=git, args=["log", "*", "--", "src/**"])
    ok = ("log", "A..B", "--", "src/a/b.py")
    assert r.matches(ChildProcessAccessRequest(git, ok))
    for bad in (("log", "..", "--", "src/x"), ("log", "x", "--", "src/../../etc/passwd"),
                ("log", "--output=..", "--", "src/x"), ("log", "a/b", "--", "src/x"),
                ("log", "x/..", "--", "src/x")):
        assert not r.matches(ChildProcessAccessRequest(git, bad)), bad
    # deny rules match loosely: `*` still covers '/' and '..', so a deny cannot be dodged that way
    deny = Rule("child_process", "deny", executable=git, args=["*"])
    assert deny.matches(ChildProcessAccessRequest(git, ("../x/y",)))


# -- rules, files and narrowing ----------------------------------------------------------------------

def test_env_field_in_toml_and_narrowing(tmp_path: Path) -> None:
    git = real("git")
    f = tmp_path / "p.toml"
    f.write_text(f'[[rules]]\ncapability = "child_process"\neffect = "allow"\nexecutable = "{git}"\n'
                 'args = ["status"]\nenv = ["GIT_DIR", "APP_X"]\n')
    p = policy_from_toml(f)
    assert p.decide(ChildProcessAccessRequest(git, ("status",), None, {"GIT_DIR": "/r", "APP_X": "1"})).allow
    assert not p.decide(ChildProcessAccessRequest(git, ("status",), None, {"GIT_WORK_TREE": "/"})).allow
    assert not p.decide(ChildProcessAccessRequest(git, ("status",), None, {"OTHER": "1"})).allow
    f.write_text(f'[[rules]]\ncapability = "child_process"\neffect = "allow"\nexecutable = "{git}"\nenv = "X"\n')
    with pytest.raises(ConfigError, match="env"):
        policy_from_toml(f)
    # narrowing cannot add a code-running name the parent did not name literally
    parent = Policy(rules=[Rule("child_process", "allow", executable=git, env=["GIT_DIR2", "APP_X"])])
    with pytest.raises(ConfigError, match="escalation"):
        parent.narrow(rules=[Rule("child_process", "allow", executable=git, env=["GIT_DIR"])])
    parent.narrow(rules=[Rule("child_process", "allow", executable=git, env=["APP_X"])])
    with pytest.raises(ConfigError, match="does not apply"):
        Rule("fs", "allow", env=["X"])
    assert Rule("child_process", "allow", env=["A"]).canonical()["env"] == ["A"]


def test_a_named_variable_opens_the_guard_only_where_rules_decide() -> None:
    git, bash = real("git"), real("bash")
    named = Rule("child_process", "allow", executable=git, args=["status"], env=["GIT_DIR"])
    p = Policy(rules=[named, Rule("child_process", "allow", executable=bash)])
    assert p.decide(ChildProcessAccessRequest(git, ("status",), None, {"GIT_DIR": "/r"})).allow
    # the name is allowed for the rule that names it, not for another executable
    d = p.decide(ChildProcessAccessRequest(bash, ("-c", "true"), None, {"GIT_DIR": "/r"}))
    assert not d.allow and d.rule_source == "default"
    # with a function check deciding, allow rules are dead letters and do not open the guard
    mixed = Policy(permissions=se.allow_all, rules=[named])
    d = mixed.decide(ChildProcessAccessRequest(bash, ("-c", "true"), None, {"GIT_DIR": "/r"}))
    assert not d.allow and d.rule_id == "guard:child.env"
    # a narrowed layer inherits the parent's names only through its own literal entries
    child = p.narrow(rules=[Rule("child_process", "allow", executable=git, args=["status"])])
    assert not child.decide(ChildProcessAccessRequest(git, ("status",), None, {"GIT_DIR": "/r"})).allow
    assert p.waived == frozenset() and Policy(permissions=se.allow_all, waive=["child.env"]).decide(
        ChildProcessAccessRequest(bash, ("-c", "true"), None, {"BASH_ENV": "x"})).allow


def test_function_checks_see_the_resolved_cwd(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "work" / "sub").mkdir(parents=True)
    (root / "link").symlink_to("/work/sub")
    seen: list[str | None] = []

    def check(req: ChildProcessAccessRequest) -> se.Decision:
        seen.append(req.cwd)
        return se.Decision(req.cwd == "/work/sub")

    got, _ = spawn(tmp_path, [], "pwd", [], cwd="/link", permissions={**se.allow_all_fs, "child_process": check})
    assert seen == ["/work/sub"] and got["out"].strip() == str(root / "work" / "sub")


def test_a_background_job_left_in_the_childs_group_ends_with_it(tmp_path: Path) -> None:
    """Review finding: `sh -c 'sleep 41.5 &'` returned and left the sleep running in the child's group."""
    tag = f"{41 + (os.getpid() % 1000) / 1000:.3f}"
    got, _ = spawn(tmp_path, [child_rule("sh", ["-c", f"sleep {tag} >/dev/null 2>&1 </dev/null &"])], "sh",
                   ["-c", f"sleep {tag} >/dev/null 2>&1 </dev/null &"])
    assert got["error"] is None and got["status"] == 0
    left = subprocess.run(["pgrep", "-f", f"sleep {tag}"], capture_output=True, text=True)
    assert left.stdout.strip() == "", "the background sleep outlived the spawn"
