"""In-memory filesystem: Node's error codes, links, handles and limits."""

from __future__ import annotations

import pytest

from secure_exec.errors import GuestError
from secure_exec.providers import create_in_memory_file_system
from secure_exec.providers.inodefs import entry_cost
from secure_exec.providers.memfs import InMemoryFileSystem
from secure_exec.providers.protocols import FileSystemProvider


def err(fn, *a, **kw) -> GuestError:  # type: ignore[no-untyped-def]
    with pytest.raises(GuestError) as ei:
        fn(*a, **kw)
    return ei.value


@pytest.fixture
def fs() -> InMemoryFileSystem:
    f = create_in_memory_file_system()
    f.write_file("/secret.txt", "top secret")
    f.mkdir("/workspace")
    return f


def test_is_a_provider(fs: InMemoryFileSystem) -> None:
    assert isinstance(fs, FileSystemProvider)


def test_seed_and_read(fs: InMemoryFileSystem) -> None:
    assert fs.read_file("/secret.txt") == b"top secret"
    fs.write_file("/secret.txt", b"!", append=True)
    assert fs.read_file("/secret.txt") == b"top secret!"
    assert fs.exists("/secret.txt") and not fs.exists("/nope")


def test_node_error_shapes(fs: InMemoryFileSystem) -> None:
    e = err(fs.read_file, "/missing.txt")
    assert (e.code, e.syscall, e.path) == ("ENOENT", "open", "/missing.txt")
    assert e.message == "ENOENT: no such file or directory, open '/missing.txt'"
    assert e.errno == -2
    assert err(fs.read_file, "/workspace").code == "EISDIR"
    assert err(fs.mkdir, "/workspace").code == "EEXIST"
    assert err(fs.mkdir, "/a/b").code == "ENOENT"
    assert err(fs.readdir, "/secret.txt").code == "ENOTDIR"
    assert err(fs.read_file, "/secret.txt/x").code == "ENOTDIR"
    assert err(fs.write_file, "/nodir/x", "1").code == "ENOENT"
    assert err(fs.unlink, "/workspace").code == "EISDIR"
    assert err(fs.rmdir, "/secret.txt").code == "ENOTDIR"
    fs.write_file("/workspace/f", "1")
    assert err(fs.rmdir, "/workspace").code == "ENOTEMPTY"
    assert err(fs.readlink, "/workspace/f").code == "EINVAL"
    assert err(fs.link, "/workspace", "/w2").code == "EPERM"
    assert err(fs.symlink, "/x", "/workspace/f").code == "EEXIST"
    assert err(fs.rm, "/workspace").code == "ERR_FS_EISDIR"
    fs.rm("/nothing", force=True)
    assert err(fs.rm, "/nothing").code == "ENOENT"
    assert err(fs.rename, "/workspace", "/workspace/sub").code == "EINVAL"
    assert err(fs.copy_file, "/workspace", "/c").code == "EISDIR"


def test_nul_and_overlong_paths_refused(fs: InMemoryFileSystem) -> None:
    assert err(fs.read_file, "/secret.txt\x00.png").code == "ERR_INVALID_ARG_VALUE"
    assert err(fs.read_file, "/" + "a" * 256).code == "ENAMETOOLONG"
    assert err(fs.write_file, "/x" * 2100, "1").code == "ENAMETOOLONG"
    assert err(fs.read_file, "relative.txt").code == "ERR_INVALID_ARG_VALUE"


def test_mkdir_recursive_readdir_stat(fs: InMemoryFileSystem) -> None:
    fs.mkdir("/a/b/c", recursive=True)
    fs.mkdir("/a/b/c", recursive=True)
    fs.write_file("/a/b/file", "xyz")
    assert err(fs.mkdir, "/a/b/file/d", recursive=True).code == "ENOTDIR"
    assert [(d.name, d.kind) for d in fs.readdir("/a/b")] == [("c", "dir"), ("file", "file")]
    s = fs.stat("/a/b/file")
    assert s.is_file and s.size == 3 and s.nlink == 1 and s.mode & 0o170000 == 0o100000
    assert fs.stat("/a").is_dir


def test_symlinks_resolve_to_target(fs: InMemoryFileSystem) -> None:
    fs.symlink("/secret.txt", "/workspace/s")
    assert fs.resolve("/workspace/s") == "/secret.txt"
    assert fs.resolve("/workspace/s", follow_last=False) == "/workspace/s"
    assert fs.read_file("/workspace/s") == b"top secret"
    assert fs.readlink("/workspace/s") == "/secret.txt"
    assert fs.stat("/workspace/s", follow=False).is_symlink
    fs.symlink("..", "/workspace/up")
    assert fs.resolve("/workspace/up/secret.txt") == "/secret.txt"
    assert fs.realpath("/workspace/up") == "/"
    # resolved as far as the path exists, the rest lexically
    assert fs.resolve("/workspace/up/new/dir/../f") == "/new/f"
    # a dangling link: write goes to the target, resolve names the target
    fs.symlink("/made-by-link", "/workspace/dangling")
    assert fs.resolve("/workspace/dangling") == "/made-by-link"
    fs.write_file("/workspace/dangling", "hi")
    assert fs.read_file("/made-by-link") == b"hi"


def test_symlink_loop_is_eloop(fs: InMemoryFileSystem) -> None:
    fs.symlink("/loop2", "/loop1")
    fs.symlink("/loop1", "/loop2")
    e = err(fs.read_file, "/loop1")
    assert e.code == "ELOOP" and e.path == "/loop1"
    # a chain of exactly 40 hops works, 41 fails
    fs.write_file("/end", "ok")
    fs.symlink("/end", "/c0")
    for i in range(1, 41):
        fs.symlink(f"/c{i - 1}", f"/c{i}")
    assert fs.read_file("/c39") == b"ok"
    assert err(fs.read_file, "/c40").code == "ELOOP"


def test_hard_links_share_inode(fs: InMemoryFileSystem) -> None:
    fs.link("/secret.txt", "/workspace/h")
    a, b = fs.stat("/secret.txt"), fs.stat("/workspace/h")
    assert a.ino == b.ino and a.nlink == b.nlink == 2
    fs.write_file("/workspace/h", "changed")
    assert fs.read_file("/secret.txt") == b"changed"
    fs.unlink("/secret.txt")
    assert fs.stat("/workspace/h").nlink == 1
    assert fs.read_file("/workspace/h") == b"changed"


def test_rename_copy_modes_times_truncate(fs: InMemoryFileSystem) -> None:
    fs.write_file("/workspace/a", "hello")
    fs.rename("/workspace/a", "/workspace/b")
    assert not fs.exists("/workspace/a") and fs.read_file("/workspace/b") == b"hello"
    fs.mkdir("/d1")
    fs.mkdir("/d2")
    fs.write_file("/d2/x", "1")
    assert err(fs.rename, "/d1", "/d2").code == "ENOTEMPTY"
    assert err(fs.rename, "/workspace/b", "/d1").code == "EISDIR"
    assert err(fs.rename, "/d1", "/workspace/b").code == "ENOTDIR"
    fs.copy_file("/workspace/b", "/workspace/c")
    fs.write_file("/workspace/c", "other")
    assert fs.read_file("/workspace/b") == b"hello"
    fs.chmod("/workspace/b", 0o600)
    assert fs.stat("/workspace/b").mode & 0o777 == 0o600
    fs.chown("/workspace/b", 1000, 1001)
    assert (fs.stat("/workspace/b").uid, fs.stat("/workspace/b").gid) == (1000, 1001)
    fs.utimes("/workspace/b", 1000, 2000)
    s = fs.stat("/workspace/b")
    assert (s.atime_ms, s.mtime_ms) == (1_000_000.0, 2_000_000.0)
    fs.truncate("/workspace/b", 2)
    assert fs.read_file("/workspace/b") == b"he"
    fs.truncate("/workspace/b", 4)
    assert fs.read_file("/workspace/b") == b"he\0\0"
    fs.rm("/d2", recursive=True)
    assert not fs.exists("/d2")


def test_file_handles(fs: InMemoryFileSystem) -> None:
    fd = fs.open("/workspace/f", "w+")
    assert fs.write(fd, "hello world") == 11
    assert fs.read(fd, 5, 0) == b"hello"
    assert fs.write(fd, b"W", 6) == 1
    fs.close(fd)
    assert fs.read_file("/workspace/f") == b"hello World"
    fd = fs.open("/workspace/f", "r")
    assert fs.read(fd, 5, None) == b"hello"
    assert fs.read(fd, 100, None) == b" World"
    assert err(fs.write, fd, "x").code == "EBADF"
    fs.close(fd)
    assert err(fs.read, fd, 1).code == "EBADF"
    assert err(fs.close, fd).code == "EBADF"
    assert err(fs.open, "/workspace/f", "wx").code == "EEXIST"
    assert err(fs.open, "/nope", "r").code == "ENOENT"
    assert err(fs.open, "/workspace", "w").code == "EISDIR"
    assert err(fs.open, "/workspace/f", "rw-bogus").code == "ERR_INVALID_ARG_VALUE"
    fd = fs.open("/workspace/f", "a")
    fs.write(fd, "!", 0)
    fs.close(fd)
    assert fs.read_file("/workspace/f") == b"hello World!"


def test_open_fd_cap_is_emfile() -> None:
    fs = create_in_memory_file_system(max_open_fds=4)
    fs.write_file("/f", "x")
    fds = [fs.open("/f") for _ in range(4)]
    e = err(fs.open, "/f")
    assert e.code == "EMFILE"
    fs.close(fds[0])
    assert fs.open("/f") == fds[0]


def test_size_cap_is_enospc() -> None:
    fs = create_in_memory_file_system(max_bytes=100 + 2 * entry_cost("a"))
    fs.write_file("/a", b"x" * 60)
    assert err(fs.write_file, "/b", b"x" * 41).code == "ENOSPC"
    fs.unlink("/a")
    fs.write_file("/b", b"x" * 100)


def test_names_and_link_targets_count_against_the_cap() -> None:
    """Issue 10: 28k symlinks with long names and targets took 168 MB of host memory at max_bytes=1 MiB."""
    fs = create_in_memory_file_system(max_bytes=2**16)
    target = "/" + "x" * 250
    made = 0
    with pytest.raises(GuestError) as ei:
        for i in range(10_000):
            fs.symlink(target, f"/{i}_" + "n" * 200)
            made += 1
    assert ei.value.code == "ENOSPC"
    assert made * (200 + 250) < 2**16 and fs.used_bytes <= 2**16
    for e in fs.readdir("/"):
        fs.unlink("/" + e.name)
    assert fs.used_bytes == 0  # every name, inode and target was given back


def test_shared_instance_across_threads() -> None:
    """One instance may serve several sandboxes on several threads: fds stay unique, accounting exact."""
    import sys
    import threading

    fs = create_in_memory_file_system(max_open_fds=10_000)
    fs.write_file("/f", "x")
    fds: list[int] = []
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        def work(n: int) -> None:
            for i in range(200):
                fds.append(fs.open("/f"))
                fs.write_file(f"/t{n}-{i}", b"ab")
                fs.rename(f"/t{n}-{i}", f"/r{n}-{i}")

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert len(fds) == len(set(fds)) == 800
    assert len(fs.readdir("/")) == 801
    assert fs.used_bytes == entry_cost("") * 801 + 1 + 800 * 2 + len("f") + sum(
        len(f"r{n}-{i}") for n in range(4) for i in range(200))  # data + one entry per name, exactly
