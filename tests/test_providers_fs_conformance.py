"""One behaviour suite run against every FileSystemProvider: in-memory, host (rooted) and SQLite.

The bridge and policy treat all providers alike, so they must agree on Node's error codes, on what
``resolve()`` returns for links, and on file-handle semantics.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from secure_exec.errors import GuestError
from secure_exec.providers import HostFileSystem, create_in_memory_file_system
from secure_exec.providers.protocols import FileSystemProvider

sqlitefs = pytest.importorskip("secure_exec_sqlitefs")


@pytest.fixture(params=["memory", "host", "sqlite-memory", "sqlite-file"])
def fs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FileSystemProvider]:
    kind = request.param
    if kind == "memory":
        f: FileSystemProvider = create_in_memory_file_system()
    elif kind == "host":
        (tmp_path / "root").mkdir()
        f = HostFileSystem(tmp_path / "root", allow_hardlinks=True)
    elif kind == "sqlite-memory":
        f = sqlitefs.SqliteFileSystem(":memory:")
    else:
        f = sqlitefs.SqliteFileSystem(str(tmp_path / "fs.db"))
    f.write_file("/secret.txt", "top secret")
    f.mkdir("/workspace")
    yield f
    if isinstance(f, HostFileSystem):
        f.close_all()


def code(fn, *a, **kw) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(GuestError) as ei:
        fn(*a, **kw)
    if not ei.value.code.startswith("ERR_"):  # system errors use Node's "CODE: detail, syscall 'path'"
        assert ei.value.message.startswith(ei.value.code + ": ")
    return str(ei.value.code)


def test_protocol(fs: FileSystemProvider) -> None:
    assert isinstance(fs, FileSystemProvider)


def test_error_codes(fs: FileSystemProvider) -> None:
    assert code(fs.read_file, "/missing") == "ENOENT"
    assert code(fs.read_file, "/workspace") == "EISDIR"
    assert code(fs.mkdir, "/workspace") == "EEXIST"
    assert code(fs.mkdir, "/x/y") == "ENOENT"
    assert code(fs.readdir, "/secret.txt") == "ENOTDIR"
    assert code(fs.read_file, "/secret.txt/x") == "ENOTDIR"
    fs.write_file("/workspace/f", "1")
    assert code(fs.rmdir, "/workspace") == "ENOTEMPTY"
    assert code(fs.unlink, "/workspace") == "EISDIR"
    assert code(fs.readlink, "/workspace/f") == "EINVAL"
    assert code(fs.open, "/workspace/f", "wx") == "EEXIST"
    assert code(fs.read_file, "/bad\x00name") == "ERR_INVALID_ARG_VALUE"
    assert code(fs.read_file, "/" + "x" * 256) == "ENAMETOOLONG"
    assert code(fs.rm, "/workspace") == "ERR_FS_EISDIR"


def test_symlink_resolve_and_loop(fs: FileSystemProvider) -> None:
    fs.symlink("/secret.txt", "/workspace/s")
    assert fs.resolve("/workspace/s") == "/secret.txt"
    assert fs.resolve("/workspace/s", follow_last=False) == "/workspace/s"
    assert fs.realpath("/workspace/s") == "/secret.txt"
    assert fs.read_file("/workspace/s") == b"top secret"
    fs.symlink("../secret.txt", "/workspace/rel")
    assert fs.resolve("/workspace/rel") == "/secret.txt"
    fs.symlink("/l2", "/l1")
    fs.symlink("/l1", "/l2")
    assert code(fs.read_file, "/l1") == "ELOOP"
    assert fs.stat("/l1", follow=False).is_symlink


def test_hard_link(fs: FileSystemProvider) -> None:
    fs.write_file("/workspace/a", "A")
    fs.link("/workspace/a", "/workspace/b")
    assert fs.stat("/workspace/a").ino == fs.stat("/workspace/b").ino
    assert fs.stat("/workspace/b").nlink == 2
    fs.unlink("/workspace/a")
    assert fs.read_file("/workspace/b") == b"A"
    assert fs.stat("/workspace/b").nlink == 1


def test_tree_ops(fs: FileSystemProvider) -> None:
    fs.mkdir("/p/q/r", recursive=True)
    fs.write_file("/p/q/r/f", "data")
    fs.rename("/p/q", "/p/q2")
    assert fs.read_file("/p/q2/r/f") == b"data"
    assert code(fs.rename, "/p", "/p/q2/inside") == "EINVAL"
    fs.copy_file("/p/q2/r/f", "/p/copy")
    fs.truncate("/p/copy", 2)
    assert fs.read_file("/p/copy") == b"da"
    fs.chmod("/p/copy", 0o640)
    assert fs.stat("/p/copy").mode & 0o777 == 0o640
    assert [e.name for e in fs.readdir("/p")] == ["copy", "q2"]
    fs.rm("/p", recursive=True)
    assert not fs.exists("/p")
    fs.rm("/p", force=True)


def test_handles(fs: FileSystemProvider) -> None:
    fd = fs.open("/workspace/h", "w+")
    assert fs.write(fd, "0123456789") == 10
    assert fs.read(fd, 4, 2) == b"2345"
    fs.write(fd, b"AB", 0)
    fs.close(fd)
    assert fs.read_file("/workspace/h") == b"AB23456789"
    fd = fs.open("/workspace/h", "r")
    assert fs.read(fd, 3) == b"AB2"
    assert fs.read(fd, 3) == b"345"
    assert code(fs.write, fd, "x") == "EBADF"
    fs.close(fd)
    assert code(fs.read, fd, 1) == "EBADF"
