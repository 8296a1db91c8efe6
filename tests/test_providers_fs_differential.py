"""Differential property test: the in-memory and SQLite filesystems against the real kernel.

``HostFileSystem`` runs each operation on a real Linux directory, so the kernel is the oracle for
Node's error codes (Node reports libuv's, which are the kernel's). Hypothesis drives random
sequences of operations over a tiny path alphabet (so names collide, links point at each other and
loops form) and every outcome — value or error code — must agree.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secure_exec.errors import GuestError
from secure_exec.providers import HostFileSystem, create_in_memory_file_system
from secure_exec.providers.protocols import FileSystemProvider

sqlitefs = pytest.importorskip("secure_exec_sqlitefs")

PATHS = ["/a", "/b", "/a/c", "/a/d", "/b/c", "/l", "/a/l"]
TARGETS = ["/a", "a", "c", "..", "/b/c", "/l", "l", "/missing", "../a/c"]

path = st.sampled_from(PATHS)
Op = tuple[str, tuple[Any, ...]]
ops = st.one_of(
    st.tuples(st.just("write_file"), st.tuples(path, st.sampled_from(["x", "hello"]))),
    st.tuples(st.just("append"), st.tuples(path)),
    st.tuples(st.just("mkdir"), st.tuples(path)),
    st.tuples(st.just("mkdir_p"), st.tuples(path)),
    st.tuples(st.just("unlink"), st.tuples(path)),
    st.tuples(st.just("rmdir"), st.tuples(path)),
    st.tuples(st.just("rename"), st.tuples(path, path)),
    st.tuples(st.just("symlink"), st.tuples(st.sampled_from(TARGETS), path)),
    st.tuples(st.just("link"), st.tuples(path, path)),
    st.tuples(st.just("copy_file"), st.tuples(path, path)),
    st.tuples(st.just("truncate"), st.tuples(path, st.integers(0, 3))),
    st.tuples(st.just("read_file"), st.tuples(path)),
    st.tuples(st.just("readdir"), st.tuples(path)),
    st.tuples(st.just("stat"), st.tuples(path)),
    st.tuples(st.just("lstat"), st.tuples(path)),
    st.tuples(st.just("readlink"), st.tuples(path)),
    st.tuples(st.just("resolve"), st.tuples(path)),
    st.tuples(st.just("realpath"), st.tuples(path)),
    st.tuples(st.just("rm_rf"), st.tuples(path)),
    st.tuples(st.just("open"), st.tuples(path, st.sampled_from(["r", "r+", "w", "wx", "a", "ax+", "w+"]))),
    st.tuples(st.just("exists"), st.tuples(path)),
)


def _open_write_read(fs: FileSystemProvider, p: str, flags: str) -> Any:
    """Open, try a positioned write and a read, close; each step's outcome is part of the result."""
    fd = fs.open(p, flags)
    try:
        out = []
        for step in (lambda: fs.write(fd, "Z", 1), lambda: fs.read(fd, 10, 0)):
            try:
                out.append(("ok", step()))
            except GuestError as e:
                out.append(("err", e.code))
        return out
    finally:
        fs.close(fd)


def apply(fs: FileSystemProvider, op: str, args: tuple[Any, ...]) -> Any:
    calls: dict[str, Callable[[], Any]] = {
        "write_file": lambda: fs.write_file(args[0], args[1] if len(args) > 1 else ""),
        "append": lambda: fs.write_file(args[0], "+", append=True),
        "mkdir": lambda: fs.mkdir(args[0]),
        "mkdir_p": lambda: fs.mkdir(args[0], recursive=True),
        "unlink": lambda: fs.unlink(args[0]),
        "rmdir": lambda: fs.rmdir(args[0]),
        "rename": lambda: fs.rename(args[0], args[1]),
        "symlink": lambda: fs.symlink(args[0], args[1]),
        "link": lambda: fs.link(args[0], args[1]),
        "copy_file": lambda: fs.copy_file(args[0], args[1]),
        "truncate": lambda: fs.truncate(args[0], args[1]),
        "read_file": lambda: fs.read_file(args[0]),
        "readdir": lambda: [(e.name, e.kind) for e in fs.readdir(args[0])],
        "stat": lambda: (fs.stat(args[0]).kind, fs.stat(args[0]).size if fs.stat(args[0]).is_file else None),
        "lstat": lambda: fs.stat(args[0], follow=False).kind,
        "readlink": lambda: fs.readlink(args[0]),
        "resolve": lambda: fs.resolve(args[0]),
        "realpath": lambda: fs.realpath(args[0]),
        "rm_rf": lambda: fs.rm(args[0], recursive=True, force=True),
        "open": lambda: _open_write_read(fs, args[0], args[1]),
        "exists": lambda: fs.exists(args[0]),
    }
    try:
        return ("ok", calls[op]())
    except GuestError as e:
        return ("err", e.code)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ops, min_size=1, max_size=25))
def test_memory_and_sqlite_match_the_kernel(seq: list[Op]) -> None:
    with tempfile.TemporaryDirectory() as d:
        host = HostFileSystem(d, allow_hardlinks=True)
        mem = create_in_memory_file_system()
        sql = sqlitefs.SqliteFileSystem(":memory:")
        try:
            for i, (op, args) in enumerate(seq):
                want = apply(host, op, args)
                assert apply(mem, op, args) == want, (i, op, args, "memory")
                assert apply(sql, op, args) == want, (i, op, args, "sqlite")
        finally:
            host.close_all()
            sql.close_db()


OUTSIDE = tempfile.mkdtemp(prefix="secure-exec-outside-")
atexit.register(shutil.rmtree, OUTSIDE, True)
with open(f"{OUTSIDE}/secret.txt", "w") as _f:
    _f.write("HOST-SECRET")
ESCAPE_TARGETS = [f"{OUTSIDE}/secret.txt", OUTSIDE, "../../../../..", "/..", "../" * 12 + OUTSIDE.lstrip("/"),
                  "/proc/self/root", "/a", "..", "l"]
# Every test case starts with one planted link per escape target (/e0 ... /e8) and a directory /a;
# the random operations then act on those names and on "<name>/secret.txt" beneath them.
EPATHS = ["/a", "/a/c"] + [f"/e{i}" for i in range(len(ESCAPE_TARGETS))]
epath = st.sampled_from(EPATHS + [p + "/secret.txt" for p in EPATHS])
escape_ops = st.one_of(
    st.tuples(st.just("symlink"), st.tuples(st.sampled_from(ESCAPE_TARGETS), st.sampled_from(EPATHS))),
    st.tuples(st.just("read_file"), st.tuples(epath)),
    st.tuples(st.just("readdir"), st.tuples(epath)),
    st.tuples(st.just("write_file"), st.tuples(epath, st.just("x"))),
    st.tuples(st.just("append"), st.tuples(epath)),
    st.tuples(st.just("truncate"), st.tuples(epath, st.just(0))),
    st.tuples(st.just("rm_rf"), st.tuples(epath)),
    st.tuples(st.just("mkdir"), st.tuples(epath)),
    st.tuples(st.just("rename"), st.tuples(epath, epath)),
    st.tuples(st.just("copy_file"), st.tuples(epath, epath)),
    st.tuples(st.just("link"), st.tuples(epath, epath)),
)


def _snapshot(d: str) -> list[tuple[str, bytes]]:
    import os

    out = []
    for base, _dirs, files in os.walk(d):
        for f in files:
            with open(os.path.join(base, f), "rb") as fh:
                out.append((os.path.join(base, f), fh.read()))
    return sorted(out)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(escape_ops, min_size=1, max_size=12))
def test_host_filesystem_never_leaves_its_root(seq: list[Op]) -> None:
    before = _snapshot(OUTSIDE)
    with tempfile.TemporaryDirectory() as d, HostFileSystem(d) as host:
        host.mkdir("/a")
        for i, target in enumerate(ESCAPE_TARGETS):
            host.symlink(target, f"/e{i}")
        for op, args in seq:
            outcome = apply(host, op, args)
            assert b"HOST-SECRET" not in repr(outcome).encode()
            assert "HOST-SECRET" not in repr(outcome)
    assert _snapshot(OUTSIDE) == before
