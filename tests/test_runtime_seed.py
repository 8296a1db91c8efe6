"""The seed's API end to end: the permissions example, presets, exit codes, stdio, exports."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import secure_exec as se
from tests.conftest import Run

REPO = Path(__file__).resolve().parent.parent


def test_seed_permissions_example_prints_ok_true() -> None:
    out = subprocess.run([sys.executable, str(REPO / "docs" / "examples" / "permissions.py")],
                         capture_output=True, text=True, timeout=60, check=True)
    result = json.loads(out.stdout)
    assert result == {
        "ok": True, "message": "hello from permissions", "blocked": True,
        "summary": "filesystem access was allowed for /workspace and denied for /secret.txt",
    }


SEED_ENTRY = """
import fs from "node:fs";
fs.mkdirSync("/workspace", { recursive: true });
fs.writeFileSync("/workspace/message.txt", "hello from permissions");
let blocked = false;
try { fs.readFileSync("/secret.txt", "utf8"); } catch (error) { blocked = error && error.code === "EACCES"; }
export const message = fs.readFileSync("/workspace/message.txt", "utf8");
export { blocked };
"""


def test_seed_example_in_process(make_run: Callable[..., Run], memfs: Any) -> None:
    memfs.write_file("/secret.txt", "top secret")
    r = make_run({"fs": lambda req: se.Decision(allow=req.path.startswith("/workspace"))}).run(SEED_ENTRY)
    assert r.code == 0 and r.exports == {"message": "hello from permissions", "blocked": True}


def test_missing_domain_denies(make_run: Callable[..., Run]) -> None:
    r = make_run({"env": lambda req: se.Decision(allow=True)}).exec(
        'try { require("fs").writeFileSync("/a", "x"); console.log("wrote") } catch (e) { console.log(e.code) }')
    assert r.code == 0


def test_presets_compose_like_object_spread(make_run: Callable[..., Run]) -> None:
    perms = {**se.allow_all_fs, **se.allow_all_env}
    run = make_run(perms, process_config=se.ProcessConfig(env={"HOME": "/home/u"}))
    r = run.exec('const fs=require("fs"); fs.writeFileSync("/f.txt","1"); console.log(fs.readFileSync("/f.txt","utf8"),'
                 ' process.env.HOME);'
                 'fetch("http://127.0.0.1:9/").then(()=>console.log("net?"), e => console.log("net", e.code))')
    assert r.code == 0
    assert run.stdout == "1 /home/u\nnet EACCES\n"


def test_allow_all_preset_and_override_last_wins(make_run: Callable[..., Run]) -> None:
    perms = {**se.allow_all, "fs": lambda req: se.Decision(allow=False, reason="no files")}
    run = make_run(perms)
    run.exec('try { require("fs").readdirSync("/") } catch (e) { console.log(e.code, e.syscall) }')
    assert run.stdout == "EACCES scandir\n"
    denied = [e for e in run.events("permission.checked") if e["decision"] == "deny"]
    assert denied and denied[0]["reason"] == "no files" and denied[0]["rule_source"] == "plugin_check"


@pytest.mark.parametrize(
    "code, exit_code, message",
    [
        ("1 + 1", 0, None),
        ('throw new TypeError("oops")', 1, "TypeError: oops"),
        ('throw new Error("plain")', 1, "plain"),
        ("process.exit(7)", 7, None),
        ("process.exitCode = 5", 5, None),
        ('setTimeout(() => process.exit(3), 5); console.log("waiting")', 3, None),
    ],
)
def test_exit_codes(make_run: Callable[..., Run], code: str, exit_code: int, message: str | None) -> None:
    r = make_run(se.allow_all).exec(code)
    assert (r.code, r.error_message) == (exit_code, message)


def test_time_limit_exits_124_and_runtime_stays_usable(make_run: Callable[..., Run]) -> None:
    run = make_run(se.allow_all, time_limit=0.3)
    r = run.exec("while (true) {}")
    assert (r.code, r.error_message) == (124, "CPU time limit exceeded")
    assert any(e.get("limit") == "time" for e in run.events("limit.exceeded"))
    r = run.exec("setInterval(() => {}, 10)")  # a run that never ends by itself hits the limit too
    assert r.code == 124
    assert run.exec('console.log("again")').code == 0 and run.stdout.endswith("again\n")


def test_output_only_through_on_stdio_and_dropped_without_hook(memfs: Any) -> None:
    rt = se.NodeRuntime(system_driver=se.create_node_driver(filesystem=memfs, permissions=se.allow_all))
    r = rt.exec('for (let i = 0; i < 1000; i++) console.log("x".repeat(1000))')
    assert r == se.ExecResult(0, None)
    got: list[se.StdioEvent] = []
    r = rt.exec('console.log("out"); console.error("err"); process.stdout.write("raw")', on_stdio=got.append)
    assert [(e.channel, e.data) for e in got] == [("stdout", "out\n"), ("stderr", "err\n"), ("stdout", "raw")]


def test_exports_esm_and_commonjs(make_run: Callable[..., Run]) -> None:
    run = make_run(se.allow_all)
    assert run.run("export default 42; export const msg = 'hi';").exports == {"default": 42, "msg": "hi"}
    assert run.run("module.exports = { a: [1, 2], b: null };", "/main.cjs").exports == {"a": [1, 2], "b": None}


def test_esm_imports_go_through_the_fs_policy(make_run: Callable[..., Run], memfs: Any) -> None:
    memfs.mkdir("/app/lib", recursive=True)
    memfs.write_file("/app/lib/util.mjs", "export const twice = (x) => x * 2;")
    memfs.mkdir("/other", recursive=True)
    memfs.write_file("/other/evil.mjs", "export const x = 1;")
    run = make_run({"fs": lambda req: se.Decision(allow=req.path.startswith("/app"))})
    r = run.run('import { twice } from "./lib/util.mjs"; export const v = twice(21);', "/app/main.mjs")
    assert (r.code, r.exports) == (0, {"v": 42})
    r = run.run('import { x } from "../other/evil.mjs"; export const v = x;', "/app/main.mjs")
    assert r.code == 1 and "EACCES" in (r.error_message or "")


def test_unsupported_module_message(make_run: Callable[..., Run]) -> None:
    run = make_run(se.allow_all)
    run.exec('try { require("net") } catch (e) { console.log(e.message) }')
    assert run.stdout == "net is not supported in sandbox\n"


def test_enosys_when_not_configured_vs_eacces_when_denied(make_run: Callable[..., Run]) -> None:
    run = make_run(se.allow_all)  # no command executor registered
    run.exec('const r = require("child_process").spawnSync("echo", ["x"]); console.log(r.error.code)')
    run2 = make_run({}, command_executor=se.create_command_executor())
    run2.exec('const r = require("child_process").spawnSync("echo", ["x"]); console.log(r.error.code)')
    assert (run.stdout, run2.stdout) == ("ENOSYS\n", "EACCES\n")


def test_dispose_and_context_manager(memfs: Any) -> None:
    with se.NodeRuntime(system_driver=se.create_node_driver(filesystem=memfs)) as rt:
        assert rt.exec("1").code == 0
    with pytest.raises(se.SandboxClosed):
        rt.exec("1")


def test_bad_host_input_is_a_typed_error(memfs: Any) -> None:
    with pytest.raises(se.ConfigError):
        se.NodeRuntime(memory_limit=0)
    with pytest.raises(se.ConfigError):
        se.create_node_driver(permissions=se.allow_all, policy=se.Policy())
    rt = se.NodeRuntime(system_driver=se.create_node_driver(filesystem=memfs))
    with pytest.raises(se.ConfigError):
        rt.run("1", "relative.mjs")
