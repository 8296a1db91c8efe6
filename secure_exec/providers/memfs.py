"""An in-memory filesystem with Node's semantics: dirs, files, symlinks, hard links, modes, times.

It is the default filesystem of a sandbox and the host's seeding tool
(``fs.write_file("/secret.txt", "top secret")``). Symlinks and hard links are real here (shared
inodes, ``nlink``), because the policy must be tested against them: ``resolve()`` tells the bridge
what a path really names, so a link inside an allowed directory cannot reach a denied file.
"""

from __future__ import annotations

import itertools
import posixpath
import threading
import time
from collections import deque

import attrs

from secure_exec.errors import GuestError
from secure_exec.providers.fsutil import (
    DEFAULT_MAX_OPEN_FDS,
    MAX_READ_BYTES,
    SYMLOOP_MAX,
    FdTable,
    check_length,
    check_path,
    fs_error,
    parse_flags,
    split_parts,
    synchronized,
    to_bytes,
)
from secure_exec.providers.types import DirEntry, StatResult

S_IFREG = 0o100000
S_IFDIR = 0o040000
S_IFLNK = 0o120000
_TYPE_BITS = {"file": S_IFREG, "dir": S_IFDIR, "symlink": S_IFLNK}


def _now_ms() -> float:
    return time.time() * 1000.0


@attrs.define(eq=False)
class _Inode:
    ino: int
    kind: str
    mode: int
    uid: int = 0
    gid: int = 0
    nlink: int = 1
    data: bytearray = attrs.field(factory=bytearray)
    entries: dict[str, _Inode] = attrs.field(factory=dict)
    target: str = ""
    atime_ms: float = attrs.field(factory=_now_ms)
    mtime_ms: float = attrs.field(factory=_now_ms)
    ctime_ms: float = attrs.field(factory=_now_ms)
    birthtime_ms: float = attrs.field(factory=_now_ms)

    def touch(self) -> None:
        self.mtime_ms = self.ctime_ms = _now_ms()


@attrs.define(eq=False)
class _Handle:
    node: _Inode
    path: str
    readable: bool
    writable: bool
    append: bool
    position: int = 0


@attrs.frozen
class _Found:
    parent: _Inode
    name: str
    node: _Inode | None
    path: str  # canonical path of the (possibly missing) final component


class InMemoryFileSystem:
    """A ``FileSystemProvider`` that lives in a Python dict tree.

    ``max_bytes`` caps the total file data (ENOSPC), ``max_open_fds`` the open handles (EMFILE).
    Mode bits are stored and reported but not enforced: the policy engine is the access control.
    """

    def __init__(self, *, max_bytes: int = 256 * 2**20, max_open_fds: int = DEFAULT_MAX_OPEN_FDS,
                 uid: int = 0, gid: int = 0) -> None:
        self._inos = itertools.count(1)
        self._uid, self._gid = uid, gid
        self._root = self._new("dir", 0o755)
        self._root.nlink = 2
        self._fds: FdTable[_Handle] = FdTable(max_open_fds)
        self.max_bytes = max_bytes
        self._used = 0
        self._lock = threading.RLock()

    # ---- internals -------------------------------------------------------------------------

    def _new(self, kind: str, mode: int) -> _Inode:
        return _Inode(next(self._inos), kind, (mode & 0o7777) | _TYPE_BITS[kind], self._uid, self._gid,
                      nlink=2 if kind == "dir" else 1)

    def _lookup(self, path: str, syscall: str, *, follow_last: bool = True, strict: bool = True,
                orig: str | None = None) -> _Found:
        """Walk ``path`` from the root, following symlinks (at most 40 hops, then ELOOP).

        With ``strict=False`` a missing or non-directory middle component stops the walk and the rest
        is appended lexically (what ``resolve`` needs: resolved as far as the path exists).
        """
        orig = path if orig is None else orig
        parts = deque(split_parts(path))
        stack: list[_Inode] = [self._root]
        names: list[str] = []
        hops = 0
        if not parts:
            return _Found(self._root, "", self._root, "/")
        while parts:
            name = parts.popleft()
            if name == "..":
                if names:
                    names.pop()
                    stack.pop()
                continue
            cur = stack[-1]
            if cur.kind != "dir":
                if not strict:
                    return self._lexical_rest(names, [name, *parts], cur)
                raise fs_error("ENOTDIR", syscall, orig)
            child = cur.entries.get(name)
            last = not parts
            if child is None:
                if last:
                    return _Found(cur, name, None, "/" + "/".join([*names, name]))
                if not strict:
                    return self._lexical_rest(names, [name, *parts], cur)
                raise fs_error("ENOENT", syscall, orig)
            if child.kind == "symlink" and (follow_last or not last):
                hops += 1
                if hops > SYMLOOP_MAX:
                    raise fs_error("ELOOP", syscall, orig)
                if child.target.startswith("/"):
                    stack, names = [self._root], []
                parts.extendleft(reversed(split_parts(child.target)))
                continue
            stack.append(child)
            names.append(name)
            if last:
                return _Found(cur, name, child, "/" + "/".join(names))
        node = stack[-1]
        parent = stack[-2] if len(stack) > 1 else self._root
        return _Found(parent, names[-1] if names else "", node, "/" + "/".join(names))

    def _lexical_rest(self, names: list[str], rest: list[str], cur: _Inode) -> _Found:
        full = posixpath.normpath("/" + "/".join([*names, *rest]))
        return _Found(cur, posixpath.basename(full), None, full)

    def _existing(self, path: str, syscall: str, *, follow: bool = True) -> _Found:
        f = self._lookup(check_path(path, syscall), syscall, follow_last=follow)
        if f.node is None:
            raise fs_error("ENOENT", syscall, path)
        return f

    def _parent_dir(self, f: _Found, syscall: str, path: str) -> _Inode:
        if f.parent.kind != "dir":
            raise fs_error("ENOTDIR", syscall, path)
        return f.parent

    def _account(self, delta: int, syscall: str, path: str) -> None:
        if self._used + delta > self.max_bytes:
            raise fs_error("ENOSPC", syscall, path)
        self._used += delta

    def _set_data(self, node: _Inode, data: bytes, syscall: str, path: str) -> None:
        self._account(len(data) - len(node.data), syscall, path)
        node.data = bytearray(data)
        node.touch()

    def _attach(self, parent: _Inode, name: str, node: _Inode) -> None:
        parent.entries[name] = node
        if node.kind == "dir":
            parent.nlink += 1
        parent.touch()

    def _detach(self, parent: _Inode, name: str) -> _Inode:
        node = parent.entries.pop(name)
        if node.kind == "dir":
            node.nlink = 0
            parent.nlink -= 1
        else:
            node.nlink -= 1
        node.ctime_ms = _now_ms()
        parent.touch()
        if node.kind == "file" and node.nlink <= 0 and not self._is_open(node):
            self._used -= len(node.data)
        return node

    def _is_open(self, node: _Inode) -> bool:
        return any(self._fds.get(fd, "read").node is node for fd in self._fds)

    def _create_file(self, path: str, syscall: str, mode: int = 0o666, *, exclusive: bool = False) -> _Inode:
        f = self._lookup(check_path(path, syscall), syscall)
        if f.node is not None:
            if exclusive:
                raise fs_error("EEXIST", syscall, path)
            if f.node.kind == "dir":
                raise fs_error("EISDIR", syscall, path)
            return f.node
        parent = self._parent_dir(f, syscall, path)
        node = self._new("file", mode)
        self._attach(parent, f.name, node)
        return node

    # ---- FileSystemProvider ----------------------------------------------------------------

    @synchronized
    def resolve(self, path: str, *, follow_last: bool = True) -> str:
        return self._lookup(check_path(path, "resolve"), "resolve", follow_last=follow_last, strict=False).path

    @synchronized
    def realpath(self, path: str) -> str:
        return self._existing(path, "realpath").path

    @synchronized
    def exists(self, path: str) -> bool:
        try:
            return self._lookup(check_path(path, "access"), "access").node is not None
        except GuestError:
            return False

    @synchronized
    def read_file(self, path: str) -> bytes:
        node = self._existing(path, "open").node
        assert node is not None
        if node.kind == "dir":
            raise fs_error("EISDIR", "read")
        if len(node.data) > MAX_READ_BYTES:
            raise fs_error("EFBIG", "read", path, detail="file too large to read at once")
        node.atime_ms = _now_ms()
        return bytes(node.data)

    @synchronized
    def write_file(self, path: str, data: bytes | str, *, append: bool = False) -> None:
        raw = to_bytes(data)
        node = self._create_file(path, "open")
        self._set_data(node, bytes(node.data) + raw if append else raw, "write", path)

    @synchronized
    def mkdir(self, path: str, *, recursive: bool = False, mode: int = 0o777) -> None:
        check_path(path, "mkdir")
        if recursive:
            parts = split_parts(posixpath.normpath(path))
            for i in range(1, len(parts) + 1):
                sub = "/" + "/".join(parts[:i])
                f = self._lookup(sub, "mkdir", orig=path)
                if f.node is None:
                    self._attach(self._parent_dir(f, "mkdir", path), f.name, self._new("dir", mode))
                elif f.node.kind != "dir":
                    raise fs_error("EEXIST" if i == len(parts) else "ENOTDIR", "mkdir", path)
            return
        f = self._lookup(path, "mkdir")
        if f.node is not None:
            raise fs_error("EEXIST", "mkdir", path)
        self._attach(self._parent_dir(f, "mkdir", path), f.name, self._new("dir", mode))

    @synchronized
    def readdir(self, path: str) -> list[DirEntry]:
        node = self._existing(path, "scandir").node
        assert node is not None
        if node.kind != "dir":
            raise fs_error("ENOTDIR", "scandir", path)
        node.atime_ms = _now_ms()
        return [DirEntry(name, child.kind) for name, child in sorted(node.entries.items())]

    @synchronized
    def stat(self, path: str, *, follow: bool = True) -> StatResult:
        node = self._existing(path, "stat" if follow else "lstat", follow=follow).node
        assert node is not None
        if node.kind == "file":
            size = len(node.data)
        elif node.kind == "symlink":
            size = len(node.target.encode())
        else:
            size = 4096
        return StatResult(node.kind, size, node.mode, node.nlink, node.ino, node.uid, node.gid,
                          node.atime_ms, node.mtime_ms, node.ctime_ms, node.birthtime_ms)

    @synchronized
    def unlink(self, path: str) -> None:
        f = self._existing(path, "unlink", follow=False)
        assert f.node is not None
        if f.node.kind == "dir":
            raise fs_error("EISDIR", "unlink", path)
        self._detach(f.parent, f.name)

    @synchronized
    def rmdir(self, path: str) -> None:
        f = self._existing(path, "rmdir", follow=False)
        assert f.node is not None
        if f.node.kind != "dir":
            raise fs_error("ENOTDIR", "rmdir", path)
        if f.node is self._root:
            raise fs_error("EPERM", "rmdir", path, detail="operation not permitted")
        if f.node.entries:
            raise fs_error("ENOTEMPTY", "rmdir", path)
        self._detach(f.parent, f.name)

    @synchronized
    def rm(self, path: str, *, recursive: bool = False, force: bool = False) -> None:
        try:
            f = self._existing(path, "rm", follow=False)
        except GuestError as e:
            if force and e.code == "ENOENT":
                return
            raise
        assert f.node is not None
        if f.node.kind == "dir":
            if not recursive:
                raise GuestError("ERR_FS_EISDIR", f"Path is a directory: rm returned EISDIR (is a directory) {path}",
                                 syscall="rm", path=path, name="SystemError")
            if f.node is self._root:
                raise fs_error("EPERM", "rm", path)
            self._drop_tree(f.node)
        self._detach(f.parent, f.name)

    def _drop_tree(self, node: _Inode) -> None:
        for name, child in list(node.entries.items()):
            if child.kind == "dir":
                self._drop_tree(child)
            self._detach(node, name)

    @synchronized
    def rename(self, src: str, dst: str) -> None:
        # the kernel's order: both parent directories first, then whether the source exists
        s = self._lookup(check_path(src, "rename"), "rename", follow_last=False)
        d = self._lookup(check_path(dst, "rename"), "rename", follow_last=False)
        node = s.node
        if node is None:
            raise fs_error("ENOENT", "rename", src, dst)
        if d.node is node:
            return
        parent = self._parent_dir(d, "rename", dst)
        if node.kind == "dir" and (d.path + "/").startswith(s.path.rstrip("/") + "/"):
            # a directory cannot move below itself
            raise fs_error("EINVAL", "rename", src, dst)
        if d.node is not None:
            if d.node.kind == "dir" and s.path.startswith(d.path.rstrip("/") + "/"):
                # the target is an ancestor of the source (Linux's "trap" check)
                raise fs_error("ENOTEMPTY", "rename", src, dst)
            if d.node.kind == "dir":
                if node.kind != "dir":
                    raise fs_error("EISDIR", "rename", src, dst)
                if d.node.entries:
                    raise fs_error("ENOTEMPTY", "rename", src, dst)
            elif node.kind == "dir":
                raise fs_error("ENOTDIR", "rename", src, dst)
            self._detach(parent, d.name)
        del s.parent.entries[s.name]
        if node.kind == "dir":
            s.parent.nlink -= 1
        s.parent.touch()
        self._attach(parent, d.name, node)
        node.ctime_ms = _now_ms()

    @synchronized
    def copy_file(self, src: str, dst: str) -> None:
        s = self._existing(src, "copyfile")
        assert s.node is not None
        if s.node.kind == "dir":
            raise fs_error("EISDIR", "copyfile", src, dst)
        data = bytes(s.node.data)
        node = self._create_file(dst, "copyfile", s.node.mode & 0o7777)
        if node is s.node:
            return
        self._set_data(node, data, "copyfile", dst)

    @synchronized
    def symlink(self, target: str, path: str) -> None:
        if not isinstance(target, str) or "\x00" in target or not target:
            raise fs_error("EINVAL", "symlink", path)
        f = self._lookup(check_path(path, "symlink"), "symlink", follow_last=False)
        if f.node is not None:
            raise fs_error("EEXIST", "symlink", target, path)
        node = self._new("symlink", 0o777)
        node.target = target
        self._attach(self._parent_dir(f, "symlink", path), f.name, node)

    @synchronized
    def readlink(self, path: str) -> str:
        node = self._existing(path, "readlink", follow=False).node
        assert node is not None
        if node.kind != "symlink":
            raise fs_error("EINVAL", "readlink", path)
        return node.target

    @synchronized
    def link(self, existing: str, new: str) -> None:
        # the kernel's order: source path, new parent, new name taken, then "no links to directories"
        s = self._existing(existing, "link", follow=False)
        assert s.node is not None
        d = self._lookup(check_path(new, "link"), "link", follow_last=False)
        if d.node is not None:
            raise fs_error("EEXIST", "link", existing, new)
        if s.node.kind == "dir":
            raise fs_error("EPERM", "link", existing, new)
        s.node.nlink += 1
        s.node.ctime_ms = _now_ms()
        d.parent.entries[d.name] = s.node
        self._parent_dir(d, "link", new).touch()

    @synchronized
    def chmod(self, path: str, mode: int) -> None:
        node = self._existing(path, "chmod").node
        assert node is not None
        node.mode = (node.mode & ~0o7777) | (check_length(mode, "mode") & 0o7777)
        node.ctime_ms = _now_ms()

    @synchronized
    def chown(self, path: str, uid: int, gid: int) -> None:
        node = self._existing(path, "chown").node
        assert node is not None
        node.uid, node.gid = check_length(uid, "uid"), check_length(gid, "gid")
        node.ctime_ms = _now_ms()

    @synchronized
    def utimes(self, path: str, atime_s: float, mtime_s: float) -> None:
        node = self._existing(path, "utime").node
        assert node is not None
        node.atime_ms, node.mtime_ms = float(atime_s) * 1000.0, float(mtime_s) * 1000.0
        node.ctime_ms = _now_ms()

    @synchronized
    def truncate(self, path: str, length: int = 0) -> None:
        node = self._existing(path, "open").node
        assert node is not None
        if node.kind == "dir":
            raise fs_error("EISDIR", "open", path)
        n = check_length(length)
        self._set_data(node, bytes(node.data[:n]).ljust(n, b"\0"), "ftruncate", path)

    @synchronized
    def open(self, path: str, flags: str = "r", mode: int = 0o666) -> int:
        fl = parse_flags(flags)
        check_path(path, "open")
        if fl.create:
            node = self._create_file(path, "open", mode, exclusive=fl.exclusive)
        else:
            found = self._existing(path, "open").node
            assert found is not None
            node = found
        if node.kind == "dir" and fl.writable:
            raise fs_error("EISDIR", "open", path)
        fd = self._fds.add(_Handle(node, path, fl.readable, fl.writable, fl.append), path)
        if fl.truncate and node.kind == "file":
            self._set_data(node, b"", "open", path)
        return fd

    @synchronized
    def read(self, fd: int, length: int, position: int | None = None) -> bytes:
        h = self._fds.get(fd, "read")
        if not h.readable:
            raise fs_error("EBADF", "read")
        if h.node.kind == "dir":
            raise fs_error("EISDIR", "read")
        n = min(check_length(length), MAX_READ_BYTES)
        start = h.position if position is None else check_length(position, "position")
        chunk = bytes(h.node.data[start:start + n])
        if position is None:
            h.position += len(chunk)
        h.node.atime_ms = _now_ms()
        return chunk

    @synchronized
    def write(self, fd: int, data: bytes | str, position: int | None = None) -> int:
        h = self._fds.get(fd, "write")
        if not h.writable:
            raise fs_error("EBADF", "write")
        raw = to_bytes(data)
        buf = bytes(h.node.data)
        if h.append:
            start = len(buf)
        else:
            start = h.position if position is None else check_length(position, "position")
        new = buf[:start].ljust(start, b"\0") + raw + buf[start + len(raw):]
        self._set_data(h.node, new, "write", h.path)
        if position is None or h.append:
            h.position = start + len(raw)
        return len(raw)

    @synchronized
    def close(self, fd: int) -> None:
        h = self._fds.pop(fd)
        if h.node.kind == "file" and h.node.nlink <= 0 and not self._is_open(h.node):
            self._used -= len(h.node.data)

    @property
    @synchronized
    def open_fd_count(self) -> int:
        return len(self._fds)


def create_in_memory_file_system(*, max_bytes: int = 256 * 2**20,
                                 max_open_fds: int = DEFAULT_MAX_OPEN_FDS) -> InMemoryFileSystem:
    """The ``secure-exec`` spelling of ``InMemoryFileSystem()`` (``createInMemoryFileSystem``)."""
    return InMemoryFileSystem(max_bytes=max_bytes, max_open_fds=max_open_fds)
