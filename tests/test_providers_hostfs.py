"""HostFileSystem: a host directory as the guest's /, with every known way out closed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from secure_exec.errors import ConfigError, GuestError
from secure_exec.providers import HostFileSystem, Mount
from secure_exec.providers.protocols import FileSystemProvider


def err(fn, *a, **kw) -> GuestError:  # type: ignore[no-untyped-def]
    with pytest.raises(GuestError) as ei:
        fn(*a, **kw)
    return ei.value


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("host secret")
    root = tmp_path / "root"
    (root / "workspace").mkdir(parents=True)
    (root / "workspace" / "hello.txt").write_text("hello")
    return root, outside


@pytest.fixture
def hfs(tree: tuple[Path, Path]) -> HostFileSystem:
    fs = HostFileSystem(tree[0])
    yield fs  # type: ignore[misc]
    fs.close_all()


def test_basic_io(hfs: HostFileSystem, tree: tuple[Path, Path]) -> None:
    assert isinstance(hfs, FileSystemProvider)
    assert hfs.read_file("/workspace/hello.txt") == b"hello"
    hfs.write_file("/workspace/new.txt", "data")
    assert (tree[0] / "workspace" / "new.txt").read_text() == "data"
    hfs.write_file("/workspace/new.txt", "+", append=True)
    assert hfs.read_file("/workspace/new.txt") == b"data+"
    hfs.mkdir("/a/b/c", recursive=True)
    assert [e.name for e in hfs.readdir("/")] == ["a", "workspace"]
    assert hfs.stat("/workspace/new.txt").size == 5
    hfs.rename("/workspace/new.txt", "/a/moved.txt")
    hfs.copy_file("/a/moved.txt", "/a/copy.txt")
    assert hfs.read_file("/a/copy.txt") == b"data+"
    hfs.truncate("/a/copy.txt", 2)
    assert hfs.read_file("/a/copy.txt") == b"da"
    hfs.chmod("/a/copy.txt", 0o600)
    assert hfs.stat("/a/copy.txt").mode & 0o777 == 0o600
    hfs.utimes("/a/copy.txt", 10, 20)
    assert hfs.stat("/a/copy.txt").mtime_ms == 20_000
    fd = hfs.open("/a/fd.txt", "w+")
    assert hfs.write(fd, "abcdef") == 6
    assert hfs.read(fd, 3, 1) == b"bcd"
    hfs.close(fd)
    assert err(hfs.close, fd).code == "EBADF"
    hfs.rm("/a", recursive=True)
    assert not hfs.exists("/a")


def test_node_codes(hfs: HostFileSystem) -> None:
    e = err(hfs.read_file, "/missing")
    assert (e.code, e.syscall, e.path) == ("ENOENT", "open", "/missing")
    assert err(hfs.read_file, "/workspace").code == "EISDIR"
    assert err(hfs.mkdir, "/workspace").code == "EEXIST"
    assert err(hfs.readdir, "/workspace/hello.txt").code == "ENOTDIR"
    assert err(hfs.rmdir, "/workspace").code == "ENOTEMPTY"
    assert err(hfs.unlink, "/workspace").code == "EISDIR"
    assert err(hfs.read_file, "/workspace/hello.txt/x").code == "ENOTDIR"
    assert err(hfs.open, "/workspace/hello.txt", "wx").code == "EEXIST"


def test_dotdot_cannot_leave_root(hfs: HostFileSystem) -> None:
    e = err(hfs.read_file, "/../../outside/secret.txt")
    assert e.code == "ENOENT" and e.path == "/../../outside/secret.txt"
    assert hfs.resolve("/workspace/../../../outside/secret.txt") == "/outside/secret.txt"


def test_absolute_symlink_stays_inside(hfs: HostFileSystem, tree: tuple[Path, Path]) -> None:
    root, outside = tree
    os.symlink(outside / "secret.txt", root / "workspace" / "abs")
    e = err(hfs.read_file, "/workspace/abs")
    assert e.code == "ENOENT"
    assert str(outside) not in e.message and e.path == "/workspace/abs"
    # the target is read as a guest path: it names something under the root, never the host file
    assert hfs.resolve("/workspace/abs") == str(outside / "secret.txt")
    assert err(hfs.write_file, "/workspace/abs", "pwned").code == "ENOENT"
    assert (outside / "secret.txt").read_text() == "host secret"


def test_relative_symlink_pointing_out(hfs: HostFileSystem, tree: tuple[Path, Path]) -> None:
    root, _ = tree
    os.symlink("../../outside/secret.txt", root / "workspace" / "rel")
    os.symlink("../../outside", root / "workspace" / "reldir")
    assert err(hfs.read_file, "/workspace/rel").code == "ENOENT"
    assert err(hfs.readdir, "/workspace/reldir").code == "ENOENT"
    assert hfs.resolve("/workspace/rel") == "/outside/secret.txt"
    # a symlink to an in-root file works and resolves to the guest path of the target
    os.symlink("hello.txt", root / "workspace" / "ok")
    assert hfs.read_file("/workspace/ok") == b"hello"
    assert hfs.resolve("/workspace/ok") == "/workspace/hello.txt"


def test_symlink_loop_is_eloop(hfs: HostFileSystem, tree: tuple[Path, Path]) -> None:
    root, _ = tree
    os.symlink("b", root / "a")
    os.symlink("a", root / "b")
    assert err(hfs.read_file, "/a").code == "ELOOP"
    assert err(hfs.stat, "/a").code == "ELOOP"
    assert hfs.stat("/a", follow=False).is_symlink


def test_hard_link_to_outside_file_refused(hfs: HostFileSystem, tree: tuple[Path, Path]) -> None:
    root, outside = tree
    os.link(outside / "secret.txt", root / "workspace" / "hard")
    e = err(hfs.read_file, "/workspace/hard")
    assert e.code == "EPERM" and "hard links" in e.message
    assert err(hfs.write_file, "/workspace/hard", "clobber").code == "EPERM"
    assert err(hfs.truncate, "/workspace/hard").code == "EPERM"
    assert err(hfs.open, "/workspace/hard", "r").code == "EPERM"
    assert err(hfs.chmod, "/workspace/hard", 0o777).code == "EPERM"
    assert err(hfs.utimes, "/workspace/hard", 1, 1).code == "EPERM"
    assert err(hfs.copy_file, "/workspace/hard", "/workspace/copy").code == "EPERM"
    assert (outside / "secret.txt").read_text() == "host secret"
    assert err(hfs.link, "/workspace/hello.txt", "/workspace/h2").code == "EPERM"
    allowed = HostFileSystem(root, allow_hardlinks=True)
    try:
        assert allowed.read_file("/workspace/hard") == b"host secret"
    finally:
        allowed.close_all()


def test_fifo_is_not_opened(hfs: HostFileSystem, tree: tuple[Path, Path]) -> None:
    os.mkfifo(tree[0] / "fifo")
    assert err(hfs.read_file, "/fifo").code == "EPERM"


def test_guest_symlink_then_read_is_confined(hfs: HostFileSystem, tree: tuple[Path, Path]) -> None:
    _, outside = tree
    hfs.symlink(str(outside / "secret.txt"), "/workspace/planted")
    assert hfs.readlink("/workspace/planted") == str(outside / "secret.txt")
    assert err(hfs.read_file, "/workspace/planted").code == "ENOENT"


def test_nul_and_overlong(hfs: HostFileSystem) -> None:
    assert err(hfs.read_file, "/workspace/hello.txt\x00").code == "ERR_INVALID_ARG_VALUE"
    assert err(hfs.read_file, "/" + "n" * 300).code == "ENAMETOOLONG"
    assert err(hfs.read_file, "/d" * 2100).code == "ENAMETOOLONG"


def test_read_only_and_mounts(tree: tuple[Path, Path], tmp_path: Path) -> None:
    root, outside = tree
    data = tmp_path / "data"
    data.mkdir()
    (data / "in.txt").write_text("mounted")
    with HostFileSystem(root, read_only=True,
                        mounts={"/data": Mount(str(data)), "/ro": Mount(str(outside), True)}) as fs:
        assert fs.read_file("/data/in.txt") == b"mounted"
        assert fs.read_file("/ro/secret.txt") == b"host secret"
        assert err(fs.write_file, "/workspace/x", "1").code == "EROFS"
        assert err(fs.mkdir, "/workspace/d").code == "EROFS"
        assert err(fs.unlink, "/workspace/hello.txt").code == "EROFS"
        assert err(fs.write_file, "/ro/secret.txt", "1").code == "EROFS"
        assert err(fs.open, "/ro/secret.txt", "r+").code == "EROFS"
        fs.write_file("/data/out.txt", "w")
        assert (data / "out.txt").read_text() == "w"
        assert err(fs.rename, "/data/out.txt", "/workspace/out.txt").code == "EXDEV"
        # '..' from a mount goes back to the guest parent, not the host parent of the mount
        assert fs.resolve("/data/../workspace") == "/workspace"
        assert fs.read_file("/data/../workspace/hello.txt") == b"hello"
        # an absolute symlink inside one mount is followed in the guest namespace, into another mount
        os.symlink("/data/in.txt", root / "to-data")
        assert fs.resolve("/to-data") == "/data/in.txt" and fs.read_file("/to-data") == b"mounted"


def test_bad_config() -> None:
    with pytest.raises(ConfigError, match="cannot open mount"):
        HostFileSystem("/definitely/not/here")
    with pytest.raises(ConfigError, match="mount point"):
        HostFileSystem("/", mounts={"rel": "/tmp"})


def test_fd_cap(hfs: HostFileSystem) -> None:
    hfs._fds.max_open = 3
    fds = [hfs.open("/workspace/hello.txt") for _ in range(3)]
    assert err(hfs.open, "/workspace/hello.txt").code == "EMFILE"
    for fd in fds:
        hfs.close(fd)


@pytest.mark.parametrize("swap", ["workspace", "hello.txt"])
def test_swap_for_symlink_between_check_and_open(hfs: HostFileSystem, tree: tuple[Path, Path],
                                                 monkeypatch: pytest.MonkeyPatch, swap: str) -> None:
    """TOCTOU harness: right after the walk's lstat of ``swap``, replace it with a symlink to the
    outside. The following open uses O_NOFOLLOW relative to the parent fd, so it must fail."""
    root, outside = tree
    real_stat = os.stat
    victim = root / "workspace" if swap == "workspace" else root / "workspace" / "hello.txt"
    target = outside if swap == "workspace" else outside / "secret.txt"
    done: list[bool] = []

    def racing_stat(path: Any, *a: Any, **kw: Any) -> os.stat_result:
        result = real_stat(path, *a, **kw)
        if path == swap and kw.get("dir_fd") is not None and not done:
            done.append(True)
            victim.rename(victim.with_name(victim.name + ".moved"))
            os.symlink(target, victim)
        return result

    monkeypatch.setattr(os, "stat", racing_stat)
    e = err(hfs.read_file, "/workspace/hello.txt")
    assert done and e.code in ("ELOOP", "ENOTDIR"), e.code
    assert str(outside) not in e.message
