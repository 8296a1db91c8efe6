"""The original's symlink and hard-link bypasses, and other path escapes, fail here.

Policy: fs allowed only under /workspace (the seed's check). Measured on secure-exec 0.2.1: both
link tricks leak /secret.txt. Here the policy sees the resolved path, and both ends of two-path ops.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import secure_exec as se
from tests.conftest import Run

WORKSPACE_ONLY = {"fs": lambda req: se.Decision(allow=req.path.startswith("/workspace"))}


@pytest.fixture
def run(make_run: Callable[..., Run], memfs: Any) -> Run:
    memfs.write_file("/secret.txt", "top secret")
    memfs.mkdir("/workspace", recursive=True)
    memfs.write_file("/workspace/ok.txt", "fine")
    return make_run(WORKSPACE_ONLY)


def attempt(run: Run, body: str) -> str:
    r = run.exec(f'const fs = require("fs"); try {{ {body}; console.log("LEAK") }} '
                 f'catch (e) {{ console.log(e.code) }}')
    assert r.code == 0, r.error_message
    out = run.stdout.strip().splitlines()[-1]
    return out


def test_symlink_created_by_guest_is_refused(run: Run, memfs: Any) -> None:
    assert attempt(run, 'fs.symlinkSync("/secret.txt", "/workspace/s")') == "EACCES"
    assert not memfs.exists("/workspace/s")


def test_relative_symlink_target_is_resolved_too(run: Run) -> None:
    assert attempt(run, 'fs.symlinkSync("../secret.txt", "/workspace/s")') == "EACCES"


def test_reading_through_a_preexisting_symlink_is_refused(run: Run, memfs: Any) -> None:
    memfs.symlink("/secret.txt", "/workspace/planted")
    assert attempt(run, 'fs.readFileSync("/workspace/planted", "utf8")') == "EACCES"
    denied = [e for e in run.events("permission.checked") if e["decision"] == "deny"]
    assert denied[-1]["resource"] == "/secret.txt"
    assert denied[-1]["resource_requested"] == "/workspace/planted"


def test_symlinked_directory_is_resolved(run: Run, memfs: Any) -> None:
    memfs.symlink("/", "/workspace/root")
    assert attempt(run, 'fs.readFileSync("/workspace/root/secret.txt", "utf8")') == "EACCES"


def test_hard_link_to_outside_file_is_refused(run: Run, memfs: Any) -> None:
    assert attempt(run, 'fs.linkSync("/secret.txt", "/workspace/h")') == "EACCES"
    assert not memfs.exists("/workspace/h")


@pytest.mark.parametrize("body", [
    'fs.renameSync("/secret.txt", "/workspace/moved.txt")',
    'fs.renameSync("/workspace/ok.txt", "/stolen.txt")',
    'fs.copyFileSync("/secret.txt", "/workspace/copy.txt")',
    'fs.copyFileSync("/workspace/ok.txt", "/outside.txt")',
    'fs.readFileSync("/workspace/../secret.txt", "utf8")',
    'process.chdir("/workspace"); fs.readFileSync("../secret.txt", "utf8")',
    'fs.readFileSync("/secret.txt", "utf8")',
    'fs.openSync("/secret.txt", "r")',
    'fs.readdirSync("/")',
])
def test_two_path_and_traversal_escapes(run: Run, memfs: Any, body: str) -> None:
    assert attempt(run, body) == "EACCES"
    assert memfs.read_file("/secret.txt") == b"top secret"
    assert not memfs.exists("/workspace/moved.txt") and not memfs.exists("/workspace/copy.txt")


@pytest.mark.parametrize("body, code", [
    ('fs.readFileSync("/workspace/ok.txt\\u0000/../../secret.txt")', "ERR_INVALID_ARG_VALUE"),
    ('fs.readFileSync("/workspace/" + "a".repeat(300))', "ENAMETOOLONG"),
    ('fs.readFileSync("/workspace/" + "a/".repeat(3000))', "ENAMETOOLONG"),
])
def test_nul_bytes_and_overlong_paths(run: Run, body: str, code: str) -> None:
    assert attempt(run, body) == code


def test_allowed_paths_still_work(run: Run) -> None:
    r = run.exec('const fs = require("fs"); fs.symlinkSync("/workspace/ok.txt", "/workspace/link");'
                 'console.log(fs.readFileSync("/workspace/link", "utf8"), fs.realpathSync("/workspace/link"))')
    assert r.code == 0 and run.stdout == "fine /workspace/ok.txt\n"


def test_host_fs_guards_proc_sys_dev(make_run: Callable[..., Run], tmp_path: Any) -> None:
    run = make_run(se.allow_all, fs=se.HostFileSystem("/"))
    for p in ("/proc/self/environ", "/sys/kernel/hostname", "/dev/zero"):
        assert attempt(run, f'fs.readFileSync("{p}")') == "EACCES"
