"""The filesystem boundary: every op is decided on the object it acts on, on every provider.

Each class here was an escape on the main branch before the provider contract (issue 10): the
policy decided on one path string and the provider then acted on something else -- a link's
target, the path stored at ``open()``, a second walk. Every test runs on the in-memory, the host
(a real directory) and the SQLite filesystem, and checks the outside file itself, not only the
error code.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import secure_exec as se
from secure_exec.policy.rules import Rule
from tests.conftest import Run

sqlitefs = pytest.importorskip("secure_exec_sqlitefs")

WORKSPACE_ONLY = {"fs": lambda req: se.Decision(allow=req.path.startswith("/workspace"))}


@pytest.fixture
def anyfs(each_fs: Any) -> Any:
    each_fs.write_file("/secret.txt", "top secret")
    each_fs.mkdir("/workspace")
    each_fs.write_file("/workspace/p", "payload")
    each_fs.write_file("/workspace/f", "a file of mine")
    return each_fs


def _run(anyfs: Any, permissions: Any = None, **kw: Any) -> Run:
    return Run(anyfs, WORKSPACE_ONLY if permissions is None and "policy" not in kw else permissions, **kw)


def last(run: Run, body: str) -> str:
    """Run ``body`` in a try block; the last line printed is the error code or LEAK."""
    r = run.exec(f'const fs = require("fs"); try {{ {body}; console.log("LEAK") }} '
                 f'catch (e) {{ console.log(e.code) }}')
    assert r.code == 0, r.error_message
    return run.stdout.strip().splitlines()[-1]


# ---- links on both ends of two-path ops ----------------------------------------------------------

@pytest.mark.parametrize("body", [
    'fs.copyFileSync("/workspace/p", "/workspace/L")',
    'fs.cpSync("/workspace/p", "/workspace/L")',
    'fs.writeFileSync("/workspace/L", "payload")',
    'fs.appendFileSync("/workspace/L", "payload")',
    'fs.truncateSync("/workspace/L", 0)',
    'const fd = fs.openSync("/workspace/L", "r+"); fs.writeSync(fd, "payload")',
])
def test_write_through_a_planted_link_is_decided_on_its_target(anyfs: Any, body: str) -> None:
    anyfs.symlink("/secret.txt", "/workspace/L")  # a link that already exists in the workspace
    run = _run(anyfs)
    assert last(run, body) == "EACCES"
    assert anyfs.read_file("/secret.txt") == b"top secret"
    denied = [e for e in run.events("permission.checked") if e["decision"] == "deny"]
    assert denied[-1]["resource"] == "/secret.txt"


def test_promises_copy_file_through_a_link(anyfs: Any) -> None:
    anyfs.symlink("/secret.txt", "/workspace/L")
    run = _run(anyfs)
    r = run.exec('require("fs").promises.copyFile("/workspace/p", "/workspace/L")'
                 '.then(() => console.log("LEAK"), e => console.log(e.code))')
    assert r.code == 0 and run.stdout.strip() == "EACCES"
    assert anyfs.read_file("/secret.txt") == b"top secret"


def test_a_link_whose_target_folds_inside_but_resolves_outside(anyfs: Any) -> None:
    """``a/up/../secret.txt`` folds lexically into the workspace but the walk leaves it."""
    run = _run(anyfs)
    out = last(run, 'fs.mkdirSync("/workspace/a"); fs.symlinkSync("..", "/workspace/a/up");'
                    'fs.symlinkSync("a/up/../secret.txt", "/workspace/L");'
                    'fs.copyFileSync("/workspace/p", "/workspace/L")')
    assert out == "EACCES"
    assert anyfs.read_file("/secret.txt") == b"top secret"


def test_copy_source_through_a_link_is_decided_on_its_target(anyfs: Any) -> None:
    anyfs.symlink("/secret.txt", "/workspace/L")
    run = _run(anyfs)
    assert last(run, 'fs.copyFileSync("/workspace/L", "/workspace/copy")') == "EACCES"
    assert not anyfs.exists("/workspace/copy")


# ---- descriptors act on the descriptor ----------------------------------------------------------

@pytest.mark.parametrize("op", ["ftruncateSync(fd, 0)", "writeSync(fd, 'x', 0)"])
def test_descriptor_ops_after_the_path_was_swapped(anyfs: Any, op: str) -> None:
    anyfs.symlink("/secret.txt", "/workspace/planted")
    run = _run(anyfs)
    r = run.exec('const fs = require("fs"); const fd = fs.openSync("/workspace/f", "r+");'
                 'fs.unlinkSync("/workspace/f"); fs.renameSync("/workspace/planted", "/workspace/f");'
                 f'fs.{op}; console.log(fs.fstatSync(fd).size); fs.closeSync(fd)')
    assert r.code == 0, r.error_message
    assert anyfs.read_file("/secret.txt") == b"top secret"
    assert run.stdout.strip() in ("0", str(len("a file of mine")))  # the descriptor's own file
    assert int(run.stdout.strip()) != len("top secret")


def test_descriptor_ops_are_audited_under_the_open(anyfs: Any) -> None:
    run = _run(anyfs)
    r = run.exec('const fs = require("fs"); const fd = fs.openSync("/workspace/f", "r+");'
                 'fs.ftruncateSync(fd, 1); fs.fstatSync(fd); fs.writeSync(fd, "y"); fs.closeSync(fd)')
    assert r.code == 0, r.error_message
    opened = [e for e in run.events("permission.checked") if e["resource"] == "/workspace/f"]
    op_ids = {e["op_id"] for e in opened}  # the open's decisions; its descriptor ops come under one of them
    done = [e for e in run.events() if e.get("op_id") in op_ids and e["event"] != "permission.checked"]
    assert {e["op"] for e in done} >= {"truncate", "stat", "write"}
    assert all(e["resource"] == "/workspace/f" for e in done)


def test_descriptors_are_closed_when_the_run_ends(tmp_path: Path) -> None:
    (tmp_path / "workspace").mkdir()
    for i in range(100):
        (tmp_path / "workspace" / f"f{i}").write_text("x")
    host = se.HostFileSystem(tmp_path, max_open_fds=128)
    try:
        before = len(os.listdir("/proc/self/fd"))
        run = _run(host)
        for _ in range(3):  # without closing, the second run would get EMFILE
            r = run.exec('const fs = require("fs"); for (let i = 0; i < 100; i++) fs.openSync(`/workspace/f${i}`, "r")')
            assert r.code == 0, r.error_message
            assert host.open_fd_count == 0
        assert len(os.listdir("/proc/self/fd")) <= before
    finally:
        host.close_all()


# ---- races: one walk, decided in the middle ------------------------------------------------------

ATTEMPTS = 10_000


def _swapper(root: Path, stop: threading.Event) -> threading.Thread:
    """A host thread swapping /workspace/d between a real folder and a link to the secret folder."""
    d, real, link = root / "workspace" / "d", root / "workspace" / "real", root / "workspace" / "lnk"

    def loop() -> None:
        while not stop.is_set():
            os.replace(link, d)   # d -> ../outside (a link)
            os.replace(d, link)
            os.rename(real, d)    # d is the real folder
            os.rename(d, real)

    (root / "outside").mkdir()
    (root / "outside" / "x").write_text("SECRET")
    real.mkdir()
    (real / "x").write_text("fine")
    os.symlink("../outside", link)
    t = threading.Thread(target=loop, daemon=True)
    t.start()
    return t


def test_race_with_a_host_thread_swapping_a_folder(tmp_path: Path) -> None:
    (tmp_path / "workspace").mkdir()
    host = se.HostFileSystem(tmp_path)
    stop = threading.Event()
    t = _swapper(tmp_path, stop)
    try:
        run = _run(host, time_limit=120)
        r = run.exec(f'const fs = require("fs"); let won = 0, tries = 0;'
                     f'for (let i = 0; i < {ATTEMPTS}; i++) {{ try {{ tries++;'
                     f'  if (fs.readFileSync("/workspace/d/x", "utf8") === "SECRET") won++; }} catch (e) {{}} }}'
                     f'console.log(won, tries)')
    finally:
        stop.set()
        t.join()
        host.close_all()
    assert r.code == 0, r.error_message
    won, tries = map(int, run.stdout.split())
    assert tries == ATTEMPTS and won == 0


def test_race_between_two_cooperating_sandboxes(tmp_path: Path) -> None:
    """A may write /workspace and swaps a folder for a link it found there; B may only read it. No host actor."""
    root = tmp_path
    (root / "workspace" / "d").mkdir(parents=True)
    (root / "workspace" / "d" / "x").write_text("fine")
    (root / "outside").mkdir()
    (root / "outside" / "x").write_text("SECRET")
    os.symlink("../outside", root / "workspace" / "lnk")  # e.g. a link in a checked-out repository
    host = se.HostFileSystem(root)
    writer = _run(host, time_limit=120)
    reader = _run(host, time_limit=120)
    out: dict[str, Any] = {}

    def swap() -> None:
        out["w"] = writer.exec(
            'const fs = require("fs"); const W = "/workspace/";'
            'for (let i = 0; i < 4000; i++) { try {'
            ' fs.renameSync(W + "d", W + "real"); fs.renameSync(W + "lnk", W + "d");'
            ' fs.renameSync(W + "d", W + "lnk"); fs.renameSync(W + "real", W + "d");'
            '} catch (e) {} }')

    t = threading.Thread(target=swap)
    t.start()
    try:
        r = reader.exec(f'const fs = require("fs"); let won = 0, tries = 0;'
                        f'for (let i = 0; i < {ATTEMPTS}; i++) {{ tries++; try {{'
                        f' if (fs.readFileSync("/workspace/d/x", "utf8") === "SECRET") won++; }} catch (e) {{}} }}'
                        f'console.log(won, tries)')
    finally:
        t.join()
        host.close_all()
    assert r.code == 0, r.error_message
    assert out["w"].code == 0, out["w"].error_message
    won, tries = map(int, reader.stdout.split())
    assert tries == ATTEMPTS and won == 0
    assert (root / "outside" / "x").read_text() == "SECRET"


# ---- deny rules beneath a renamed or linked folder -----------------------------------------------

def _rules_run(anyfs: Any, deny_ops: list[str]) -> Run:
    anyfs.mkdir("/data/sub", recursive=True)
    anyfs.write_file("/data/sub/secret", "classified")
    policy = se.Policy(rules=[
        Rule("fs", "deny", id="secret", ops=deny_ops, paths=["/data/sub/secret"]),
        Rule("fs", "allow", id="data", paths=["/data/**", "/data"]),
    ])
    return _run(anyfs, policy=policy)


def test_rename_of_a_parent_cannot_lift_a_deny_rule(anyfs: Any) -> None:
    run = _rules_run(anyfs, ["read", "write", "truncate", "rm", "rename", "link", "copy", "chmod", "utimes"])
    assert last(run, 'fs.renameSync("/data/sub", "/data/x")') == "EACCES"
    assert last(run, 'fs.rmSync("/data/sub", {recursive: true})') == "EACCES"
    assert anyfs.read_file("/data/sub/secret") == b"classified"


def test_a_denied_name_cannot_be_created_by_moving_a_folder_back(anyfs: Any) -> None:
    anyfs.mkdir("/data/sub", recursive=True)
    policy = se.Policy(rules=[
        Rule("fs", "deny", id="secret", ops=["write", "rename", "link"], paths=["/data/sub/secret"]),
        Rule("fs", "allow", id="data", paths=["/data/**", "/data"]),
    ])
    run = _run(anyfs, policy=policy)
    out = last(run, 'fs.renameSync("/data/sub", "/data/x"); fs.writeFileSync("/data/x/secret", "forged");'
                    'fs.renameSync("/data/x", "/data/sub")')
    assert out == "EACCES"
    assert not anyfs.exists("/data/sub/secret")


@pytest.mark.parametrize("body", [
    'fs.renameSync("/data/sub/secret", "/data/y"); fs.readFileSync("/data/y", "utf8")',
    'fs.linkSync("/data/sub/secret", "/data/h"); fs.unlinkSync("/data/sub/secret"); fs.readFileSync("/data/h", "utf8")',
    'fs.linkSync("/data/sub/secret", "/data/h"); fs.readFileSync("/data/h", "utf8")',
    'fs.renameSync("/data/sub", "/data/x"); fs.readFileSync("/data/x/secret", "utf8")',
])
def test_read_only_deny_rule_survives_rename_and_link(anyfs: Any, body: str) -> None:
    run = _rules_run(anyfs, ["read"])
    assert last(run, body) == "EACCES"
    assert "classified" not in run.stdout


def test_a_host_hard_link_is_decided_at_every_location() -> None:
    fs = se.create_in_memory_file_system()
    fs.write_file("/secret.txt", "top secret")
    fs.mkdir("/workspace")
    fs.link("/secret.txt", "/workspace/h")
    run = _run(fs)
    assert last(run, 'fs.readFileSync("/workspace/h", "utf8")') == "EACCES"
    assert last(run, 'fs.writeFileSync("/workspace/h", "x")') == "EACCES"
    assert fs.read_file("/secret.txt") == b"top secret"


# ---- bounds before allocation --------------------------------------------------------------------

def _hwm_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


@pytest.mark.parametrize("offset", [2**28, 2**33])
def test_far_write_offset_on_memfs_allocates_nothing(offset: int) -> None:
    fs = se.create_in_memory_file_system(max_bytes=2**20)
    fs.mkdir("/workspace")
    run = _run(fs)
    before = _hwm_kb()
    out = last(run, f'const fd = fs.openSync("/workspace/big", "w"); fs.writeSync(fd, "x", {offset})')
    assert out in ("EFBIG", "ENOSPC")
    assert _hwm_kb() - before < 64 * 1024  # far below the 256 MiB / 8 GiB the offset asks for
    assert fs.used_bytes < 4096  # a name and an inode, no data


def test_far_write_offset_on_the_host_creates_no_sparse_giant(tmp_path: Path) -> None:
    (tmp_path / "workspace").mkdir()
    host = se.HostFileSystem(tmp_path)
    try:
        run = _run(host)
        assert last(run, 'const fd = fs.openSync("/workspace/big", "w"); fs.writeSync(fd, "x", 2 ** 40)') == "EFBIG"
        assert last(run, 'const fd = fs.openSync("/workspace/big2", "w"); fs.ftruncateSync(fd, 2 ** 40)') in (
            "EFBIG", "ERR_OUT_OF_RANGE")
    finally:
        host.close_all()
    assert (tmp_path / "workspace" / "big").stat().st_size == 0


def test_sqlite_quota_counts_sparse_growth(tmp_path: Path) -> None:
    fs = sqlitefs.SqliteFileSystem(str(tmp_path / "q.db"), max_bytes=2**20)
    fs.mkdir("/workspace")
    run = _run(fs)
    assert last(run, 'const fd = fs.openSync("/workspace/big", "w"); fs.writeSync(fd, "x", 2 ** 21)') in (
        "EFBIG", "ENOSPC")
    assert fs.used_bytes < 4096  # a name and an inode, no data


# ---- linear cost within the time limit -----------------------------------------------------------

def test_deep_trees_within_the_time_limit(anyfs: Any) -> None:
    """1,500 levels: about 1 s of CPU here in all (linear); the old per-prefix walks took minutes on the host."""
    run = _run(anyfs, time_limit=10.0)
    t0 = time.monotonic()
    r = run.exec('const fs = require("fs"); const p = "/workspace/" + "a/".repeat(1500);'
                 'fs.mkdirSync(p, {recursive: true}); fs.writeFileSync(p + "f", "x");'
                 'console.log(fs.readFileSync(p + "f", "utf8")); fs.rmSync("/workspace/a", {recursive: true});'
                 'console.log(fs.existsSync("/workspace/a"))')
    assert r.code == 0, r.error_message
    assert run.stdout.split() == ["x", "false"]
    assert time.monotonic() - t0 < 10.0


# ---- the module loader is its own decision, and no oracle ----------------------------------------

def test_module_loader_is_no_existence_oracle(anyfs: Any) -> None:
    anyfs.mkdir("/workspace/app/node_modules/x", recursive=True)  # an installed package to walk out of
    run = _run(anyfs)
    code = ('const codes = [];'
            'for (const s of ["x/../../../../secret.txt", "x/../../../../nothere.txt", "../../secret.txt",'
            '                 "../../nothere.txt"]) {'
            '  try { await import(s); codes.push("LOADED") } catch (e) { codes.push(e.code) } }'
            'console.log(codes.join(" "))')
    r = run.run(code, "/workspace/app/entry.mjs")
    assert r.code == 0, r.error_message
    a, b, c, d = run.stdout.split()
    assert a == b and c == d and "LOADED" not in (a, c)


def test_imports_are_decided_as_import_not_read(anyfs: Any) -> None:
    anyfs.write_file("/workspace/lib.mjs", "export const v = 42;")
    anyfs.write_file("/workspace/lib.cjs", "module.exports = 7;")
    policy = se.Policy(rules=[Rule("fs", "allow", id="imp", ops=["import"], paths=["/workspace/**"])])
    run = _run(anyfs, policy=policy)
    r = run.run('import { v } from "./lib.mjs"; import { createRequire } from "node:module";'
                'const require = createRequire(import.meta.url); const fs = require("fs");'
                'let code; try { fs.readFileSync("/workspace/lib.mjs") } catch (e) { code = e.code }'
                'console.log(v, require("./lib.cjs"), code)', "/workspace/main.mjs")
    assert r.code == 0, r.error_message
    assert run.stdout.strip() == "42 7 EACCES"
    ops = {(e["op"], e["decision"]) for e in run.events("permission.checked") if e["resource"].endswith("lib.mjs")}
    assert ("import", "allow") in ops and ("read", "deny") in ops


# ---- the contract itself -------------------------------------------------------------------------

class _Forgetful:
    """A provider that acts without asking: the bridge must refuse its answers."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Callable[..., Any]:
        fn = getattr(self._inner, name)

        def call(*a: Any, check: Any = None, **kw: Any) -> Any:
            return fn(*a, **kw)
        return call


def test_a_provider_that_never_asks_is_refused() -> None:
    fs = se.create_in_memory_file_system()
    fs.write_file("/secret.txt", "top secret")
    run = Run(_Forgetful(fs), {"fs": lambda req: se.Decision(allow=True)})
    assert last(run, 'fs.readFileSync("/secret.txt", "utf8")') == "EIO"
    assert "top secret" not in run.stdout


# ---- the same through the command line, on the real disk ----------------------------------------

def test_cli_copy_through_a_checked_out_link_cannot_overwrite_a_host_file(tmp_path: Path) -> None:
    import subprocess
    import sys

    work, outside = tmp_path / "work", tmp_path / "outside.txt"
    work.mkdir()
    outside.write_text("host file")
    (work / "p").write_text("payload")
    os.symlink(outside, work / "L")  # a link that came with a checked-out repository
    script = work / "copy.js"
    script.write_text(f'const fs = require("fs");'
                      f'for (const f of [() => fs.copyFileSync("{work}/p", "{work}/L"),'
                      f'                 () => fs.cpSync("{work}/p", "{work}/L"),'
                      f'                 () => fs.writeFileSync("{work}/L", "payload")])'
                      f'  try {{ f(); console.log("LEAK") }} catch (e) {{ console.log(e.code) }}')
    exe = Path(sys.executable).parent / "secure-exec"
    r = subprocess.run([str(exe), "run", str(script), "--allow-read", str(work), "--allow-write", str(work)],
                       capture_output=True, text=True, timeout=120)
    assert r.stdout.split() == ["EACCES", "EACCES", "EACCES"], (r.stdout, r.stderr)
    assert outside.read_text() == "host file"


def test_sqlite_small_writes_cost_their_own_size(tmp_path: Path) -> None:
    """A 1-byte write into a large file must not rebuild the file in host memory (it did: +400 MB for 64 MiB)."""
    fs = sqlitefs.SqliteFileSystem(str(tmp_path / "w.db"), max_bytes=2**30)
    fs.write_file("/big", b"\0" * (32 * 2**20))
    fd = fs.open("/big", "r+")
    import tracemalloc
    tracemalloc.start()
    try:
        for i in range(5):
            assert fs.write(fd, b"x", i) == 1
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    fs.close(fd)
    assert peak < 2**20  # host (Python) memory for five 1-byte writes, not the 32 MiB file
    assert fs.read_file("/big")[:6] == b"xxxxx\0"


# ---- from the adversarial review of the contract ------------------------------------------------

def test_a_link_through_a_refused_area_is_no_existence_oracle(anyfs: Any) -> None:
    anyfs.mkdir("/secret/dir", recursive=True)
    anyfs.write_file("/secret/file.txt", "x")
    anyfs.write_file("/workspace/t", "t")
    for n in ("dir", "file.txt", "nothere"):  # planted (a checked-out repository)
        anyfs.symlink(f"/secret/{n}/../../workspace/t", f"/workspace/p-{n}")
    run = _run(anyfs)
    r = run.exec('const fs = require("fs"); const made = [], used = [];'
                 'for (const n of ["dir", "file.txt", "nothere"]) {'
                 '  try { fs.symlinkSync(`/secret/${n}/../../workspace/t`, "/workspace/" + n); made.push("OK") }'
                 '  catch (e) { made.push(e.code) }'
                 '  try { fs.statSync("/workspace/p-" + n); used.push("OK") } catch (e) { used.push(e.code) } }'
                 'console.log(made.join(" ")); console.log(used.join(" "))')
    assert r.code == 0, r.error_message
    made, used = run.stdout.splitlines()
    assert made.split() == ["EACCES"] * 3
    assert used.split() == ["EACCES"] * 3


def test_host_mkdir_p_decides_on_every_folder_it_creates(tmp_path: Path) -> None:
    host = se.HostFileSystem(tmp_path)
    host.mkdir("/data")
    try:
        run = _run(host, {"fs": lambda r: se.Decision(allow=r.path.startswith("/data") and r.path != "/data/.git")})
        assert last(run, 'fs.mkdirSync("/data/.git/hooks", {recursive: true})') == "EACCES"
    finally:
        host.close_all()
    assert not (tmp_path / "data" / ".git").exists()


def test_host_append_descriptor_cannot_pass_the_size_caps(tmp_path: Path) -> None:
    (tmp_path / "workspace").mkdir()
    host = se.HostFileSystem(tmp_path, max_file_bytes=1000, max_bytes=2000)
    try:
        run = _run(host)
        out = last(run, 'const fd = fs.openSync("/workspace/a", "a"), b = Buffer.alloc(900);'
                        'for (let i = 0; i < 20; i++) fs.writeSync(fd, b, 0, 900, 0)')
    finally:
        host.close_all()
    assert out == "EFBIG"
    assert (tmp_path / "workspace" / "a").stat().st_size == 900


def test_host_chmod_sets_no_set_id_bits_and_chown_is_refused(tmp_path: Path) -> None:
    (tmp_path / "workspace").mkdir()
    host = se.HostFileSystem(tmp_path)
    try:
        run = _run(host)
        r = run.exec('const fs = require("fs"); fs.writeFileSync("/workspace/x", "#!/bin/sh");'
                     'fs.chmodSync("/workspace/x", 0o6755); let c;'
                     'try { fs.chownSync("/workspace/x", 4242, 4242) } catch (e) { c = e.code } console.log(c)')
    finally:
        host.close_all()
    assert r.code == 0, r.error_message
    mode = (tmp_path / "workspace" / "x").stat().st_mode
    assert mode & 0o7777 == 0o755
    assert run.stdout.strip() == "EPERM" and (tmp_path / "workspace" / "x").stat().st_uid != 4242


def test_two_sandboxes_cannot_move_a_folder_between_a_decision_and_its_act(tmp_path: Path) -> None:
    """A renames /data/x <-> /data/sub; B writes /data/x/secret. /data/sub/secret is write-denied for both."""
    (tmp_path / "data" / "x").mkdir(parents=True)
    host = se.HostFileSystem(tmp_path)

    def policy() -> se.Policy:
        from secure_exec.policy.requests import FS_WRITE_OPS
        return se.Policy(rules=[Rule("fs", "deny", id="s", ops=sorted(FS_WRITE_OPS), paths=["/data/sub/secret"]),
                                Rule("fs", "allow", id="d", paths=["/data/**", "/data"])])

    mover, writer = _run(host, policy=policy(), time_limit=120), _run(host, policy=policy(), time_limit=120)
    done: dict[str, Any] = {}

    def move() -> None:
        done["m"] = mover.exec('const fs = require("fs"); for (let i = 0; i < 5000; i++) {'
                               ' try { fs.renameSync("/data/x", "/data/sub") } catch (e) {}'
                               ' try { fs.renameSync("/data/sub", "/data/x") } catch (e) {} }')

    t = threading.Thread(target=move)
    t.start()
    try:
        r = writer.exec(f'const fs = require("fs"); for (let i = 0; i < {ATTEMPTS}; i++) {{'
                        f' try {{ fs.writeFileSync("/data/x/secret", "forged"); fs.unlinkSync("/data/x/secret") }}'
                        f' catch (e) {{}} }}')
    finally:
        t.join()
        host.close_all()
    assert r.code == 0 and done["m"].code == 0
    assert not (tmp_path / "data" / "sub" / "secret").exists()
    left = tmp_path / "data" / "x" / "secret"
    assert not left.exists() or left.read_text() == "forged"


def test_one_host_walk_holds_only_its_current_chain_of_descriptors(tmp_path: Path) -> None:
    import resource

    (tmp_path / "workspace").mkdir()
    deep = tmp_path / "workspace" / Path(*(["d"] * 150))
    deep.mkdir(parents=True)
    (tmp_path / "workspace" / "t").write_text("end")
    hop = "d/" * 150 + "../" * 150
    for i in range(8):  # each link goes 150 folders down and back up, then on to the next link
        os.symlink(hop + (f"L{i + 1}" if i < 7 else "t"), tmp_path / "workspace" / f"L{i}")
    host = se.HostFileSystem(tmp_path)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        run = _run(host)
        run.exec("1")  # the engine and its threads are up before the limit is lowered
        in_use = len(os.listdir("/proc/self/fd"))
        resource.setrlimit(resource.RLIMIT_NOFILE, (in_use + 400, hard))  # 8 x 150 held at once would not fit
        r = run.exec('console.log(require("fs").readFileSync("/workspace/L0", "utf8"))')
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        host.close_all()
    assert r.code == 0, r.error_message
    assert run.stdout.strip().splitlines()[-1] == "end"


def test_cli_entry_folder_imports_code_but_not_data(tmp_path: Path) -> None:
    """A script in a home folder must not import ~/.docker/config.json, creds.json or .env without a grant."""
    import subprocess
    import sys

    home = tmp_path / "home"
    (home / ".docker").mkdir(parents=True)
    (home / ".docker" / "config.json").write_text('{"auths": {"x": {"auth": "s3cr3t"}}}')
    (home / "creds.json").write_text('{"token": "s3cr3t"}')
    (home / ".env").write_text("TOKEN=s3cr3t\n")
    (home / "lib.mjs").write_text("export const ok = 'code';")
    script = home / "e.mjs"
    script.write_text(
        'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);'
        'const out = [(await import("./lib.mjs")).ok];'
        'for (const f of [() => import("./.docker/config.json", { with: { type: "json" } }),'
        '                 () => import("./.env"), async () => require("./creds.json")])'
        '  try { out.push(JSON.stringify(await f())) } catch (e) { out.push(e.code || e.name) }'
        'console.log(out.join(" "))')
    exe = Path(sys.executable).parent / "secure-exec"
    r = subprocess.run([str(exe), "run", str(script)], capture_output=True, text=True, timeout=120)
    assert "s3cr3t" not in r.stdout + r.stderr
    assert r.stdout.split()[0] == "code", (r.stdout, r.stderr)


def test_a_plugin_instance_closes_its_descriptors(tmp_path: Path) -> None:
    from secure_exec.host.plugin_host import PluginHost

    (tmp_path / "data").mkdir()
    for i in range(20):
        (tmp_path / "data" / f"f{i}").write_text("x")
    plugin = tmp_path / "fdp"
    plugin.mkdir()
    (plugin / "main.mjs").write_text(
        'import fs from "node:fs";'
        'export function hold(n) { for (let i = 0; i < n; i++) fs.openSync(`/data/f${i}`, "r"); return n; }')
    (plugin / "secure-exec-plugin.toml").write_text(
        '[plugin]\nid = "fd.holder"\nversion = "1.0.0"\nentry = "main.mjs"\n\n'
        '[[permissions]]\ncapability = "fs"\neffect = "allow"\nops = ["read"]\npaths = ["/data/**"]\n')
    host_fs = se.HostFileSystem(tmp_path)
    grant = se.Policy(rules=[Rule("fs", "allow", id="data", ops=["read"], paths=["/data/**"])])
    try:
        with PluginHost() as host:
            p = host.load_plugin(plugin, policy=grant, filesystem=host_fs)
            assert p.call("hold", 20) == 20
            assert host_fs.open_fd_count == 20  # a persistent instance may keep descriptors between calls
            p.close()
            assert host_fs.open_fd_count == 0  # ... and gives every one back when it is closed
    finally:
        host_fs.close_all()


# ---- from a second adversarial review ------------------------------------------------------------

def test_metadata_ops_through_a_refused_area_tell_nothing(anyfs: Any) -> None:
    anyfs.mkdir("/secret/present", recursive=True)
    anyfs.write_file("/workspace/t", "t")
    for n in ("present", "absent"):
        anyfs.symlink(f"/secret/{n}/../../workspace/t", f"/workspace/m-{n}")
    run = _run(anyfs)
    r = run.exec('const fs = require("fs"); const out = [];'
                 'for (const n of ["present", "absent"]) for (const f of ['
                 '  p => fs.chmodSync(p, 0o644), p => fs.utimesSync(p, 1, 1), p => fs.statSync(p)])'
                 '  try { f("/workspace/m-" + n); out.push("OK") } catch (e) { out.push(e.code) }'
                 'console.log(out.join(" "))')
    assert r.code == 0, r.error_message
    assert run.stdout.split() == ["EACCES"] * 6


def test_a_link_loop_tells_nothing_about_a_refused_place(anyfs: Any) -> None:
    anyfs.mkdir("/secret")
    anyfs.write_file("/secret/file", "x")
    anyfs.symlink("/workspace/f", "/secret/link")
    anyfs.mkdir("/workspace/A")
    for probe in ("file", "link"):
        for i in range(39):
            anyfs.symlink(f"/workspace/{probe}{i + 1}", f"/workspace/{probe}{i}")
        anyfs.symlink(f"A/../../secret/{probe}", f"/workspace/{probe}39")
    run = _run(anyfs)
    out = [last(run, f'fs.statSync("/workspace/{probe}0")') for probe in ("file", "link")]
    assert out == ["EACCES", "EACCES"]


def test_a_new_links_target_is_judged_beyond_missing_folders(anyfs: Any) -> None:
    run = _run(anyfs)
    assert last(run, 'fs.symlinkSync("A/../../secret.txt", "/workspace/x"); fs.mkdirSync("/workspace/A")') == "EACCES"
    assert not anyfs.exists("/workspace/x")


def test_a_link_inside_a_refused_folder_is_not_followed_silently(anyfs: Any) -> None:
    anyfs.mkdir("/secret")
    anyfs.symlink("../workspace/f", "/secret/l")
    anyfs.symlink("/secret/l", "/workspace/L")
    run = _run(anyfs)
    assert last(run, 'fs.readFileSync("/workspace/L", "utf8")') == "EACCES"


def test_an_outcome_names_the_object_written_not_a_folder_passed(anyfs: Any) -> None:
    anyfs.mkdir("/workspace/A")
    anyfs.symlink("A/../f", "/workspace/L")
    run = _run(anyfs)
    r = run.exec('const fs = require("fs"); fs.writeFileSync("/workspace/L", "PWNED");'
                 'const fd = fs.openSync("/workspace/L", "r+"); fs.writeSync(fd, "zz"); fs.ftruncateSync(fd, 1);'
                 'fs.closeSync(fd)')
    assert r.code == 0, r.error_message
    done = [e for e in run.events("capability.completed")]
    assert {(e["op"], e["resource"]) for e in done} >= {("write", "/workspace/f"), ("truncate", "/workspace/f")}
    assert all(e["resource"] != "/workspace/A" for e in done)


def test_host_quota_is_given_back_and_a_refused_write_leaves_nothing(tmp_path: Path) -> None:
    host = se.HostFileSystem(tmp_path, max_bytes=2**20)
    try:
        run = _run(host, {"fs": lambda r: se.Decision(allow=True)})
        for _ in range(3):
            assert last(run, 'fs.writeFileSync("/f", Buffer.alloc(700 * 1024)); fs.unlinkSync("/f")') == "LEAK"
        assert last(run, 'fs.writeFileSync("/big", Buffer.alloc(2 * 1024 * 1024))') == "ENOSPC"
    finally:
        host.close_all()
    assert not (tmp_path / "big").exists()
