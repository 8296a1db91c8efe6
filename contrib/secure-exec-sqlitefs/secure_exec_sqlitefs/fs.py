"""``SqliteFileSystem``: inodes and directory entries in SQLite, with Node's error codes.

Storing inodes separately from names gives hard links (two entries, one inode) and symlinks for
free, so the bridge's ``resolve()`` can tell the policy where a link really leads. Every mutating
call is one transaction, so a crash never leaves a half-renamed tree.
"""

from __future__ import annotations

import posixpath
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

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
    remove_path,
    split_parts,
    to_bytes,
)
from secure_exec.providers.types import DirEntry, StatResult

ROOT_INO = 1
_TYPE_BITS = {"file": 0o100000, "dir": 0o040000, "symlink": 0o120000}
_SCHEMA = """
CREATE TABLE IF NOT EXISTS inodes (
    ino INTEGER PRIMARY KEY, kind TEXT NOT NULL, mode INTEGER NOT NULL, uid INTEGER NOT NULL DEFAULT 0,
    gid INTEGER NOT NULL DEFAULT 0, nlink INTEGER NOT NULL, data BLOB NOT NULL DEFAULT x'',
    target TEXT NOT NULL DEFAULT '', atime REAL NOT NULL, mtime REAL NOT NULL, ctime REAL NOT NULL,
    birthtime REAL NOT NULL);
CREATE TABLE IF NOT EXISTS dirents (
    parent INTEGER NOT NULL REFERENCES inodes(ino), name TEXT NOT NULL,
    ino INTEGER NOT NULL REFERENCES inodes(ino), PRIMARY KEY (parent, name));
"""


def _now() -> float:
    return time.time() * 1000.0


@attrs.frozen
class _Node:
    ino: int
    kind: str


@attrs.frozen
class _Found:
    parent: int
    parent_kind: str
    name: str
    node: _Node | None
    path: str


@attrs.define(eq=False)
class _Handle:
    ino: int
    path: str
    readable: bool
    writable: bool
    append: bool
    position: int = 0


class SqliteFileSystem:
    """A ``FileSystemProvider`` persisted in the SQLite database at ``path`` (or ``":memory:"``)."""

    def __init__(self, path: str, *, max_open_fds: int = DEFAULT_MAX_OPEN_FDS) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        self._db.executescript(_SCHEMA)
        if self._db.execute("SELECT 1 FROM inodes WHERE ino = ?", (ROOT_INO,)).fetchone() is None:
            t = _now()
            self._db.execute("INSERT INTO inodes (ino, kind, mode, nlink, atime, mtime, ctime, birthtime) "
                             "VALUES (?, 'dir', ?, 2, ?, ?, ?, ?)", (ROOT_INO, 0o040755, t, t, t, t))
        self._fds: FdTable[_Handle] = FdTable(max_open_fds)

    def close_db(self) -> None:
        self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # ---- lookups ---------------------------------------------------------------------------

    def _child(self, parent: int, name: str) -> _Node | None:
        row = self._db.execute("SELECT i.ino, i.kind FROM dirents d JOIN inodes i ON i.ino = d.ino "
                               "WHERE d.parent = ? AND d.name = ?", (parent, name)).fetchone()
        return _Node(row[0], row[1]) if row else None

    def _target(self, ino: int) -> str:
        return str(self._db.execute("SELECT target FROM inodes WHERE ino = ?", (ino,)).fetchone()[0])

    def _lookup(self, path: str, syscall: str, *, follow_last: bool = True, strict: bool = True) -> _Found:
        parts = deque(split_parts(path))
        stack: list[_Node] = [_Node(ROOT_INO, "dir")]
        names: list[str] = []
        hops = 0
        while parts:
            name = parts.popleft()
            if name == "..":
                if names:
                    names.pop()
                    stack.pop()
                continue
            cur = stack[-1]
            last = not parts
            if cur.kind != "dir":
                if strict:
                    raise fs_error("ENOTDIR", syscall, path)
                full = posixpath.normpath("/" + "/".join([*names, name, *parts]))
                return _Found(cur.ino, cur.kind, posixpath.basename(full), None, full)
            child = self._child(cur.ino, name)
            if child is None:
                if last or not strict:
                    full = posixpath.normpath("/" + "/".join([*names, name, *parts]))
                    return _Found(cur.ino, cur.kind, name, None, full)
                raise fs_error("ENOENT", syscall, path)
            if child.kind == "symlink" and (follow_last or not last):
                hops += 1
                if hops > SYMLOOP_MAX:
                    raise fs_error("ELOOP", syscall, path)
                target = self._target(child.ino)
                if target.startswith("/"):
                    stack, names = [_Node(ROOT_INO, "dir")], []
                parts.extendleft(reversed(split_parts(target)))
                continue
            stack.append(child)
            names.append(name)
            if last:
                return _Found(cur.ino, cur.kind, name, child, "/" + "/".join(names))
        parent = stack[-2] if len(stack) > 1 else stack[0]
        return _Found(parent.ino, parent.kind, names[-1] if names else "", stack[-1], "/" + "/".join(names))

    def _existing(self, path: str, syscall: str, *, follow: bool = True) -> _Found:
        f = self._lookup(check_path(path, syscall), syscall, follow_last=follow)
        if f.node is None:
            raise fs_error("ENOENT", syscall, path)
        return f

    def _new_inode(self, db: sqlite3.Connection, kind: str, mode: int, *, target: str = "") -> int:
        t = _now()
        cur = db.execute("INSERT INTO inodes (kind, mode, nlink, target, atime, mtime, ctime, birthtime) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (kind, (mode & 0o7777) | _TYPE_BITS[kind], 2 if kind == "dir" else 1, target, t, t, t, t))
        assert cur.lastrowid is not None
        return cur.lastrowid

    def _attach(self, db: sqlite3.Connection, f: _Found, ino: int, syscall: str, path: str) -> None:
        if f.parent_kind != "dir":
            raise fs_error("ENOTDIR", syscall, path)
        db.execute("INSERT INTO dirents (parent, name, ino) VALUES (?, ?, ?)", (f.parent, f.name, ino))
        db.execute("UPDATE inodes SET mtime = ?, ctime = ? WHERE ino = ?", (_now(), _now(), f.parent))

    def _detach(self, db: sqlite3.Connection, parent: int, name: str, node: _Node) -> None:
        db.execute("DELETE FROM dirents WHERE parent = ? AND name = ?", (parent, name))
        db.execute("UPDATE inodes SET nlink = nlink - 1, ctime = ? WHERE ino = ?", (_now(), node.ino))
        self._gc(db, node.ino)

    def _gc(self, db: sqlite3.Connection, ino: int) -> None:
        if any(self._fds.get(fd, "close").ino == ino for fd in self._fds):
            return
        db.execute("DELETE FROM inodes WHERE ino = ? AND ino != ? AND (nlink <= 0 OR kind = 'dir') AND NOT EXISTS "
                   "(SELECT 1 FROM dirents WHERE ino = ?)", (ino, ROOT_INO, ino))

    def _data(self, ino: int) -> bytes:
        return bytes(self._db.execute("SELECT data FROM inodes WHERE ino = ?", (ino,)).fetchone()[0])

    def _set_data(self, db: sqlite3.Connection, ino: int, data: bytes) -> None:
        db.execute("UPDATE inodes SET data = ?, mtime = ?, ctime = ? WHERE ino = ?", (data, _now(), _now(), ino))

    def _file_for_write(self, db: sqlite3.Connection, path: str, syscall: str, mode: int = 0o666,
                        *, exclusive: bool = False) -> int:
        f = self._lookup(check_path(path, syscall), syscall)
        if f.node is not None:
            if exclusive:
                raise fs_error("EEXIST", syscall, path)
            if f.node.kind == "dir":
                raise fs_error("EISDIR", syscall, path)
            return f.node.ino
        ino = self._new_inode(db, "file", mode)
        self._attach(db, f, ino, syscall, path)
        return ino

    # ---- FileSystemProvider ----------------------------------------------------------------

    def resolve(self, path: str, *, follow_last: bool = True) -> str:
        with self._lock:
            return self._lookup(check_path(path, "resolve"), "resolve", follow_last=follow_last, strict=False).path

    def realpath(self, path: str) -> str:
        with self._lock:
            return self._existing(path, "realpath").path

    def exists(self, path: str) -> bool:
        try:
            with self._lock:
                return self._lookup(check_path(path, "access"), "access").node is not None
        except GuestError:
            return False

    def read_file(self, path: str) -> bytes:
        with self._lock:
            node = self._existing(path, "open").node
            assert node is not None
            if node.kind == "dir":
                raise fs_error("EISDIR", "read")
            data = self._data(node.ino)
        if len(data) > MAX_READ_BYTES:
            raise fs_error("EFBIG", "read", path)
        return data

    def write_file(self, path: str, data: bytes | str, *, append: bool = False) -> None:
        raw = to_bytes(data)
        with self._tx() as db:
            ino = self._file_for_write(db, path, "open")
            self._set_data(db, ino, self._data(ino) + raw if append else raw)

    def mkdir(self, path: str, *, recursive: bool = False, mode: int = 0o777) -> None:
        check_path(path, "mkdir")
        with self._tx() as db:
            targets = [path]
            if recursive:
                parts = split_parts(posixpath.normpath(path))
                targets = ["/" + "/".join(parts[:i]) for i in range(1, len(parts) + 1)]
            for i, sub in enumerate(targets):
                f = self._lookup(sub, "mkdir")
                if f.node is not None:
                    if not recursive:
                        raise fs_error("EEXIST", "mkdir", path)
                    if f.node.kind != "dir":
                        raise fs_error("EEXIST" if i == len(targets) - 1 else "ENOTDIR", "mkdir", path)
                    continue
                ino = self._new_inode(db, "dir", mode)
                self._attach(db, f, ino, "mkdir", path)
                db.execute("UPDATE inodes SET nlink = nlink + 1 WHERE ino = ?", (f.parent,))

    def readdir(self, path: str) -> list[DirEntry]:
        with self._lock:
            node = self._existing(path, "scandir").node
            assert node is not None
            if node.kind != "dir":
                raise fs_error("ENOTDIR", "scandir", path)
            rows = self._db.execute("SELECT d.name, i.kind FROM dirents d JOIN inodes i ON i.ino = d.ino "
                                    "WHERE d.parent = ? ORDER BY d.name", (node.ino,)).fetchall()
        return [DirEntry(r[0], r[1]) for r in rows]

    def stat(self, path: str, *, follow: bool = True) -> StatResult:
        syscall = "stat" if follow else "lstat"
        with self._lock:
            node = self._existing(path, syscall, follow=follow).node
            assert node is not None
            r = self._db.execute("SELECT kind, length(data), length(target), mode, nlink, ino, uid, gid, atime, "
                                 "mtime, ctime, birthtime FROM inodes WHERE ino = ?", (node.ino,)).fetchone()
        size = r[1] if r[0] == "file" else r[2] if r[0] == "symlink" else 4096
        return StatResult(r[0], size, r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11])

    def unlink(self, path: str) -> None:
        with self._tx() as db:
            f = self._existing(path, "unlink", follow=False)
            assert f.node is not None
            if f.node.kind == "dir":
                raise fs_error("EISDIR", "unlink", path)
            self._detach(db, f.parent, f.name, f.node)

    def rmdir(self, path: str) -> None:
        with self._tx() as db:
            self._rmdir(db, path)

    def _rmdir(self, db: sqlite3.Connection, path: str) -> None:
        f = self._existing(path, "rmdir", follow=False)
        assert f.node is not None
        if f.node.kind != "dir":
            raise fs_error("ENOTDIR", "rmdir", path)
        if f.node.ino == ROOT_INO:
            raise fs_error("EPERM", "rmdir", path)
        if db.execute("SELECT 1 FROM dirents WHERE parent = ? LIMIT 1", (f.node.ino,)).fetchone():
            raise fs_error("ENOTEMPTY", "rmdir", path)
        self._detach(db, f.parent, f.name, f.node)
        db.execute("UPDATE inodes SET nlink = nlink - 1 WHERE ino = ?", (f.parent,))

    def rm(self, path: str, *, recursive: bool = False, force: bool = False) -> None:
        remove_path(self, path, recursive=recursive, force=force)

    def rename(self, src: str, dst: str) -> None:
        with self._tx() as db:
            # the kernel's order: both parent directories first, then whether the source exists
            s = self._lookup(check_path(src, "rename"), "rename", follow_last=False)
            d = self._lookup(check_path(dst, "rename"), "rename", follow_last=False)
            node = s.node
            if node is None:
                raise fs_error("ENOENT", "rename", src, dst)
            if d.node is not None and d.node.ino == node.ino:
                return
            if node.kind == "dir" and (d.path + "/").startswith(s.path.rstrip("/") + "/"):
                raise fs_error("EINVAL", "rename", src, dst)
            if d.parent_kind != "dir":
                raise fs_error("ENOTDIR", "rename", src, dst)
            if d.node is not None:
                if d.node.kind == "dir" and s.path.startswith(d.path.rstrip("/") + "/"):
                    # the target is an ancestor of the source (Linux's "trap" check)
                    raise fs_error("ENOTEMPTY", "rename", src, dst)
                if d.node.kind == "dir":
                    if node.kind != "dir":
                        raise fs_error("EISDIR", "rename", src, dst)
                    if db.execute("SELECT 1 FROM dirents WHERE parent = ? LIMIT 1", (d.node.ino,)).fetchone():
                        raise fs_error("ENOTEMPTY", "rename", src, dst)
                elif node.kind == "dir":
                    raise fs_error("ENOTDIR", "rename", src, dst)
                self._detach(db, d.parent, d.name, d.node)
            db.execute("UPDATE dirents SET parent = ?, name = ? WHERE parent = ? AND name = ?",
                       (d.parent, d.name, s.parent, s.name))
            if node.kind == "dir" and s.parent != d.parent:
                db.execute("UPDATE inodes SET nlink = nlink - 1 WHERE ino = ?", (s.parent,))
                db.execute("UPDATE inodes SET nlink = nlink + 1 WHERE ino = ?", (d.parent,))

    def copy_file(self, src: str, dst: str) -> None:
        with self._tx() as db:
            s = self._existing(src, "copyfile")
            assert s.node is not None
            if s.node.kind == "dir":
                raise fs_error("EISDIR", "copyfile", src, dst)
            ino = self._file_for_write(db, dst, "copyfile")
            if ino != s.node.ino:
                self._set_data(db, ino, self._data(s.node.ino))

    def symlink(self, target: str, path: str) -> None:
        if not isinstance(target, str) or not target or "\x00" in target:
            raise fs_error("EINVAL", "symlink", path)
        with self._tx() as db:
            f = self._lookup(check_path(path, "symlink"), "symlink", follow_last=False)
            if f.node is not None:
                raise fs_error("EEXIST", "symlink", target, path)
            self._attach(db, f, self._new_inode(db, "symlink", 0o777, target=target), "symlink", path)

    def readlink(self, path: str) -> str:
        with self._lock:
            node = self._existing(path, "readlink", follow=False).node
            assert node is not None
            if node.kind != "symlink":
                raise fs_error("EINVAL", "readlink", path)
            return self._target(node.ino)

    def link(self, existing: str, new: str) -> None:
        with self._tx() as db:
            # the kernel's order: source path, new parent, new name taken, then "no links to directories"
            s = self._existing(existing, "link", follow=False)
            assert s.node is not None
            d = self._lookup(check_path(new, "link"), "link", follow_last=False)
            if d.node is not None:
                raise fs_error("EEXIST", "link", existing, new)
            if s.node.kind == "dir":
                raise fs_error("EPERM", "link", existing, new)
            self._attach(db, d, s.node.ino, "link", new)
            db.execute("UPDATE inodes SET nlink = nlink + 1, ctime = ? WHERE ino = ?", (_now(), s.node.ino))

    def _meta(self, path: str, syscall: str, sql: str, args: tuple[object, ...]) -> None:
        with self._tx() as db:
            node = self._existing(path, syscall).node
            assert node is not None
            db.execute(sql, (*args, _now(), node.ino))

    def chmod(self, path: str, mode: int) -> None:
        m = check_length(mode, "mode") & 0o7777
        self._meta(path, "chmod", "UPDATE inodes SET mode = (mode & ~4095) | ?, ctime = ? WHERE ino = ?", (m,))

    def chown(self, path: str, uid: int, gid: int) -> None:
        self._meta(path, "chown", "UPDATE inodes SET uid = ?, gid = ?, ctime = ? WHERE ino = ?",
                   (check_length(uid, "uid"), check_length(gid, "gid")))

    def utimes(self, path: str, atime_s: float, mtime_s: float) -> None:
        self._meta(path, "utime", "UPDATE inodes SET atime = ?, mtime = ?, ctime = ? WHERE ino = ?",
                   (float(atime_s) * 1000.0, float(mtime_s) * 1000.0))

    def truncate(self, path: str, length: int = 0) -> None:
        n = check_length(length)
        with self._tx() as db:
            node = self._existing(path, "open").node
            assert node is not None
            if node.kind == "dir":
                raise fs_error("EISDIR", "open", path)
            self._set_data(db, node.ino, self._data(node.ino)[:n].ljust(n, b"\0"))

    def open(self, path: str, flags: str = "r", mode: int = 0o666) -> int:
        fl = parse_flags(flags)
        with self._tx() as db:
            if fl.create:
                ino = self._file_for_write(db, path, "open", mode, exclusive=fl.exclusive)
                kind = "file"
            else:
                node = self._existing(path, "open").node
                assert node is not None
                ino, kind = node.ino, node.kind
            if kind == "dir" and fl.writable:
                raise fs_error("EISDIR", "open", path)
            fd = self._fds.add(_Handle(ino, path, fl.readable, fl.writable, fl.append), path)
            if fl.truncate:
                self._set_data(db, ino, b"")
        return fd

    def read(self, fd: int, length: int, position: int | None = None) -> bytes:
        with self._lock:
            h = self._fds.get(fd, "read")
            if not h.readable:
                raise fs_error("EBADF", "read")
            n = min(check_length(length), MAX_READ_BYTES)
            start = h.position if position is None else check_length(position, "position")
            row = self._db.execute("SELECT kind, substr(data, ?, ?) FROM inodes WHERE ino = ?",
                                   (start + 1, n, h.ino)).fetchone()
            if row[0] == "dir":
                raise fs_error("EISDIR", "read")
            chunk = bytes(row[1])
            if position is None:
                h.position += len(chunk)
            return chunk

    def write(self, fd: int, data: bytes | str, position: int | None = None) -> int:
        raw = to_bytes(data)
        with self._tx() as db:
            h = self._fds.get(fd, "write")
            if not h.writable:
                raise fs_error("EBADF", "write")
            buf = self._data(h.ino)
            start = len(buf) if h.append else h.position if position is None else check_length(position, "position")
            self._set_data(db, h.ino, buf[:start].ljust(start, b"\0") + raw + buf[start + len(raw):])
            if position is None or h.append:
                h.position = start + len(raw)
        return len(raw)

    def close(self, fd: int) -> None:
        with self._tx() as db:
            h = self._fds.pop(fd)
            self._gc(db, h.ino)
