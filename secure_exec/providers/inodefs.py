"""One inode filesystem core, shared by the in-memory and the SQLite filesystems.

Path walking, links, descriptors, quotas and the check contract live here once; a backend only
stores inodes and directory entries (``InodeStore``). Every public method follows the provider
contract of ``providers.protocols``: walk the guest path to the object that will be acted on
(an inode, or a parent directory and a name for something to create), call ``check(op, path)``
with that object's canonical location -- every location for a file with several hard links --
and then act on exactly that inode, under the store's lock, never on a re-walked string.

Bounds come before allocation: offsets, lengths and the byte quota are checked before any data
is built, so a write at offset 2**40 costs nothing but an ``EFBIG``.
"""

from __future__ import annotations

import posixpath
import time
from collections import deque
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Protocol

import attrs

from secure_exec.errors import GuestError
from secure_exec.providers.fsutil import (
    DEFAULT_MAX_OPEN_FDS,
    MAX_READ_BYTES,
    SYMLOOP_MAX,
    FdTable,
    FsCheck,
    check_length,
    check_path,
    fs_error,
    no_check,
    parse_flags,
    split_parts,
    to_bytes,
)
from secure_exec.providers.types import DirEntry, StatResult

S_IFREG, S_IFDIR, S_IFLNK = 0o100000, 0o040000, 0o120000
TYPE_BITS = {"file": S_IFREG, "dir": S_IFDIR, "symlink": S_IFLNK}
MAX_ALIASES = 64
"""A file with more hard links than this is refused (EMLINK): each one is a location to decide on."""
MAX_TREE_ENTRIES = 100_000
"""A directory rename or removal decides on every entry it moves; a larger tree is refused."""
ENTRY_COST = 128
"""Bytes a directory entry or an inode counts against ``max_bytes`` besides its name and data:
names, inodes and link targets cost host memory too, so they share the quota."""


def entry_cost(name: str, target: str = "") -> int:
    """What one new name (and, for a symlink, its target) counts against the quota."""
    return ENTRY_COST + len(name.encode("utf-8", "surrogatepass")) + len(target.encode("utf-8", "surrogatepass"))


def now_ms() -> float:
    return time.time() * 1000.0


@attrs.define
class Meta:
    """An inode's metadata as a store reports it (times in ms since the epoch)."""

    kind: str
    mode: int
    uid: int
    gid: int
    nlink: int
    size: int
    atime_ms: float
    mtime_ms: float
    ctime_ms: float
    birthtime_ms: float


class InodeStore(Protocol):
    """What a backend stores: inodes (metadata, data, link target) and directory entries.

    Methods are called with the store's ``lock()`` held; ``transaction()`` wraps one public
    operation (a backend with real transactions commits or rolls back there).
    """

    root: int

    def transaction(self) -> AbstractContextManager[None]: ...
    def meta(self, ino: int) -> Meta: ...
    def child(self, dir_ino: int, name: str) -> tuple[int, str] | None: ...
    def entries(self, dir_ino: int) -> list[tuple[str, int, str]]: ...
    def links(self, ino: int) -> list[tuple[int, str]]: ...
    def target(self, ino: int) -> str: ...
    def create(self, kind: str, mode: int, uid: int, gid: int, target: str = "") -> int: ...
    def attach(self, dir_ino: int, name: str, ino: int) -> None: ...
    def detach(self, dir_ino: int, name: str) -> None: ...
    def free(self, ino: int) -> None: ...
    def read(self, ino: int, offset: int, length: int) -> bytes: ...
    def write(self, ino: int, offset: int, data: bytes) -> None: ...
    def resize(self, ino: int, size: int) -> None: ...
    def set_meta(self, ino: int, **fields: float | int) -> None: ...
    def used_bytes(self) -> int: ...


@attrs.frozen
class Loc:
    """Where a walk ended: ``name`` in directory ``parent``; ``ino`` is None if absent.

    ``path`` is the canonical location of the object, or of the component where the walk stopped
    (a missing or non-directory middle component: ``error`` is the code a strict walk raises
    after the decision, ``rest`` what came after it). ``passed`` are the directories a link made
    the walk go through: each is decided too, so a link through a refused area tells nothing
    about what is there.
    """

    parent: int
    name: str
    ino: int | None
    kind: str | None
    path: str
    error: str | None = None
    rest: tuple[str, ...] = ()
    passed: tuple[str, ...] = ()


@attrs.define(eq=False)
class Handle:
    ino: int
    path: str
    readable: bool
    writable: bool
    append: bool
    position: int = 0


def _join(names: list[str]) -> str:
    return "/" + "/".join(names)


class InodeFileSystem:
    """A ``FileSystemProvider`` over an ``InodeStore``.

    ``max_bytes`` caps the total file data (ENOSPC), sparse growth included; ``max_open_fds``
    the open handles (EMFILE). Mode bits are stored and reported but not enforced: the policy
    engine is the access control.
    """

    def __init__(self, store: InodeStore, *, max_bytes: int = 256 * 2**20,
                 max_open_fds: int = DEFAULT_MAX_OPEN_FDS, uid: int = 0, gid: int = 0) -> None:
        self._s = store
        self._fds: FdTable[Handle] = FdTable(max_open_fds)
        self._open_count: dict[int, int] = {}
        self.max_bytes = max_bytes
        self._uid, self._gid = uid, gid

    # ---- the walk ----------------------------------------------------------------------------

    def _walk(self, path: str, syscall: str, *, follow_last: bool = True, via_link: bool = False) -> Loc:
        """Resolve ``path`` in the guest namespace (at most 40 links, then ELOOP).

        Never raises for a missing or non-directory component: the caller decides on the
        location first, then raises ``Loc.error`` (so a refused area reveals nothing).
        """
        check_path(path, syscall)
        store = self._s
        parts = deque(split_parts(path))
        stack: list[int] = [store.root]
        names: list[str] = []
        passed: list[str] = []
        hops = 1 if via_link else 0  # a link's target text may go through places the guest never named
        if not parts:
            return Loc(store.root, "", store.root, "dir", "/")
        while parts:
            name = parts.popleft()
            if name == "..":
                if names:
                    names.pop()
                    stack.pop()
                continue
            cur = stack[-1]
            last = not parts
            hit = store.child(cur, name)
            if hit is None:
                return Loc(cur, name, None, None, _join([*names, name]), None if last else "ENOENT",
                           tuple(parts), tuple(passed))
            ino, kind = hit
            if kind == "symlink" and (follow_last or not last):
                where = _join([*names, name])
                if hops > SYMLOOP_MAX - 1 + via_link:  # decided where it stands, then ELOOP (no oracle)
                    return Loc(cur, name, None, None, where, "ELOOP", tuple(parts), tuple(passed))
                hops += 1
                passed.append(where)  # reading a link is looking at where it is: decided like any place
                target = store.target(ino)
                if target.startswith("/"):
                    stack, names = [store.root], []
                parts.extendleft(reversed(split_parts(target)))
                continue
            if last:
                return Loc(cur, name, ino, kind, _join([*names, name]), passed=tuple(passed))
            if kind != "dir":
                return Loc(cur, name, None, None, _join([*names, name]), "ENOTDIR", tuple(parts), tuple(passed))
            stack.append(ino)
            names.append(name)
            if hops:
                passed.append(_join(names))  # a link led here: decided like any place it passes
        # the path ended on ".." or a link to a directory: we stand in stack[-1]
        ino = stack[-1]
        if ino == store.root:
            return Loc(store.root, "", store.root, "dir", "/", passed=tuple(passed))
        return Loc(stack[-2], names[-1], ino, "dir", _join(names), passed=tuple(passed))

    def _dir_path(self, ino: int) -> str:
        names: list[str] = []
        root = self._s.root
        for _ in range(PATH_DEPTH_MAX):
            if ino == root:
                return _join(list(reversed(names)))
            links = self._s.links(ino)
            if not links:
                break
            ino, name = links[0]
            names.append(name)
        raise fs_error("EIO", "resolve")

    def locations(self, loc: Loc) -> list[str]:
        """Every canonical location of the object at ``loc`` (all hard links of a file)."""
        if loc.ino is None or loc.kind != "file":
            return [loc.path]
        links = self._s.links(loc.ino)
        if len(links) <= 1:
            return [loc.path]
        if len(links) > MAX_ALIASES:
            raise fs_error("EMLINK", "open", loc.path, detail="too many links")
        out = [loc.path]
        for parent, name in links:
            p = self._dir_path(parent)
            full = (p.rstrip("/") + "/" + name) if p != "/" else "/" + name
            if full not in out:
                out.append(full)
        return out

    def _ask(self, check: FsCheck, op: str, loc: Loc) -> None:
        """Decide on the walk's end (and every directory a link made it pass through)."""
        for where in loc.passed:
            check("stat", where)
        check(op, loc.path)

    def _decide(self, check: FsCheck, op: str, loc: Loc) -> None:
        """``_ask`` at every location of the object (all hard links of a file)."""
        for where in loc.passed:
            check("stat", where)
        for where in self.locations(loc):
            check(op, where)

    def _found(self, loc: Loc, syscall: str, path: str, dest: str | None = None) -> int:
        """After the decision: the inode, or the error a strict walk gives."""
        if loc.error is not None:
            raise fs_error(loc.error, syscall, path, dest)
        if loc.ino is None:
            raise fs_error("ENOENT", syscall, path, dest)
        return loc.ino

    def _parent_for_create(self, loc: Loc, syscall: str, path: str, dest: str | None = None) -> int:
        if loc.error is not None:
            raise fs_error(loc.error, syscall, path, dest)
        if self._s.meta(loc.parent).kind != "dir":
            raise fs_error("ENOTDIR", syscall, path, dest)
        return loc.parent

    # ---- bounds ------------------------------------------------------------------------------

    def _grow(self, ino: int, new_size: int, syscall: str, path: str) -> None:
        """Refuse before allocating: the file's new size must fit in what is left of the quota."""
        old = self._s.meta(ino).size
        if new_size > self.max_bytes:
            raise fs_error("EFBIG", syscall, path)
        if new_size > old and self._s.used_bytes() + (new_size - old) > self.max_bytes:
            raise fs_error("ENOSPC", syscall, path)

    def _room(self, cost: int, syscall: str, path: str) -> None:
        """Refuse a new name before it exists when it would not fit in the quota."""
        if self._s.used_bytes() + cost > self.max_bytes:
            raise fs_error("ENOSPC", syscall, path)

    def _new(self, kind: str, mode: int, target: str = "") -> int:
        return self._s.create(kind, (mode & 0o7777) | TYPE_BITS[kind], self._uid, self._gid, target)

    def _touch(self, ino: int) -> None:
        t = now_ms()
        self._s.set_meta(ino, mtime_ms=t, ctime_ms=t)

    def _unlink_entry(self, parent: int, name: str, ino: int) -> None:
        self._s.detach(parent, name)
        self._touch(parent)
        if self._s.meta(ino).nlink <= 0 and not self._open_count.get(ino):
            self._s.free(ino)
        else:
            self._s.set_meta(ino, ctime_ms=now_ms())

    # ---- FileSystemProvider: lookups ---------------------------------------------------------

    def resolve(self, path: str, *, follow_last: bool = True) -> str:
        with self._s.transaction():
            loc = self._walk(path, "resolve", follow_last=follow_last)
            return posixpath.normpath("/".join([loc.path, *loc.rest])) if loc.rest else loc.path

    def realpath(self, path: str, *, check: FsCheck = no_check) -> str:
        with self._s.transaction():
            loc = self._walk(path, "realpath")
            self._ask(check, "stat", loc)
            self._found(loc, "realpath", path)
            return loc.path

    def exists(self, path: str, *, check: FsCheck = no_check) -> bool:
        with self._s.transaction():
            try:
                loc = self._walk(path, "access")
            except GuestError:
                if check is no_check:
                    return False
                raise  # a guest's question: the bridge decides on the lexical path, then answers
            self._decide(check, "exists", loc)
            return loc.ino is not None and loc.error is None

    def stat(self, path: str, *, follow: bool = True, check: FsCheck = no_check) -> StatResult:
        syscall = "stat" if follow else "lstat"
        with self._s.transaction():
            loc = self._walk(path, syscall, follow_last=follow)
            self._decide(check, "stat", loc)
            return self._stat(self._found(loc, syscall, path))

    def _stat(self, ino: int) -> StatResult:
        m = self._s.meta(ino)
        size = m.size if m.kind != "dir" else 4096
        return StatResult(m.kind, size, m.mode, m.nlink, ino, m.uid, m.gid, m.atime_ms, m.mtime_ms, m.ctime_ms,
                          m.birthtime_ms)

    def readdir(self, path: str, *, check: FsCheck = no_check) -> list[DirEntry]:
        with self._s.transaction():
            loc = self._walk(path, "scandir")
            self._ask(check, "readdir", loc)
            ino = self._found(loc, "scandir", path)
            if loc.kind != "dir":
                raise fs_error("ENOTDIR", "scandir", path)
            self._s.set_meta(ino, atime_ms=now_ms())
            return [DirEntry(name, kind) for name, _ino, kind in self._s.entries(ino)]

    def readlink(self, path: str, *, check: FsCheck = no_check) -> str:
        with self._s.transaction():
            loc = self._walk(path, "readlink", follow_last=False)
            self._ask(check, "readlink", loc)
            ino = self._found(loc, "readlink", path)
            if loc.kind != "symlink":
                raise fs_error("EINVAL", "readlink", path)
            return self._s.target(ino)

    # ---- whole-file data ---------------------------------------------------------------------

    def read_file(self, path: str, *, check: FsCheck = no_check) -> bytes:
        with self._s.transaction():
            loc = self._walk(path, "open")
            self._decide(check, "read", loc)
            ino = self._found(loc, "open", path)
            m = self._s.meta(ino)
            if m.kind == "dir":
                raise fs_error("EISDIR", "read")
            if m.size > MAX_READ_BYTES:
                raise fs_error("EFBIG", "read", path, detail="file too large to read at once")
            self._s.set_meta(ino, atime_ms=now_ms())
            return self._s.read(ino, 0, m.size)

    def _file_for_write(self, loc: Loc, syscall: str, path: str, mode: int = 0o666, *,
                        exclusive: bool = False, dest: str | None = None) -> int:
        """The decided location's file, created if absent (after the decision, never before)."""
        if loc.ino is not None and loc.error is None:
            if exclusive:
                raise fs_error("EEXIST", syscall, path, dest)
            if loc.kind == "dir":
                raise fs_error("EISDIR", syscall, path, dest)
            return loc.ino
        parent = self._parent_for_create(loc, syscall, path, dest)
        self._room(entry_cost(loc.name), syscall, path)
        ino = self._new("file", mode)
        self._s.attach(parent, loc.name, ino)
        self._touch(parent)
        return ino

    def write_file(self, path: str, data: bytes | str, *, append: bool = False, exclusive: bool = False,
                   check: FsCheck = no_check) -> None:
        raw = to_bytes(data)
        with self._s.transaction():
            loc = self._walk(path, "open")
            self._decide(check, "write", loc)
            ino = self._file_for_write(loc, "open", path, exclusive=exclusive)
            start = self._s.meta(ino).size if append else 0
            self._grow(ino, start + len(raw), "write", path)
            if not append:
                self._s.resize(ino, 0)
            self._s.write(ino, start, raw)
            self._touch(ino)

    def truncate(self, path: str, length: int = 0, *, check: FsCheck = no_check) -> None:
        n = check_length(length)
        with self._s.transaction():
            loc = self._walk(path, "open")
            self._decide(check, "truncate", loc)
            ino = self._found(loc, "open", path)
            if loc.kind == "dir":
                raise fs_error("EISDIR", "open", path)
            self._grow(ino, n, "ftruncate", path)
            self._s.resize(ino, n)
            self._touch(ino)

    def copy_file(self, src: str, dst: str, *, exclusive: bool = False, check: FsCheck = no_check) -> None:
        with self._s.transaction():
            s = self._walk(src, "copyfile")
            self._decide(check, "read", s)
            d = self._walk(dst, "copyfile")  # the destination as it will be opened: links followed
            self._decide(check, "write", d)
            sino = self._found(s, "copyfile", src, dst)
            if d.error is not None:  # the kernel opens the destination before it finds the source is a folder
                raise fs_error(d.error, "copyfile", src, dst)
            sm = self._s.meta(sino)
            if sm.kind == "dir":
                raise fs_error("EISDIR", "copyfile", src, dst)
            if d.error is None and d.ino == sino:
                return
            dino = self._file_for_write(d, "copyfile", src, sm.mode & 0o7777, exclusive=exclusive, dest=dst)
            self._grow(dino, sm.size, "copyfile", dst)
            data = self._s.read(sino, 0, sm.size)
            self._s.resize(dino, 0)
            self._s.write(dino, 0, data)
            self._touch(dino)

    # ---- directories -------------------------------------------------------------------------

    def mkdir(self, path: str, *, recursive: bool = False, mode: int = 0o777,
              check: FsCheck = no_check) -> str | None:
        """Create a directory; with ``recursive`` every missing ancestor in ONE walk.

        Returns the first directory created (Node's ``mkdirSync(..., {recursive: true})``).
        """
        with self._s.transaction():
            loc = self._walk(path, "mkdir")
            if loc.error in ("ENOTDIR", "ELOOP") or (loc.error is not None and not recursive) or ".." in loc.rest:
                self._ask(check, "mkdir", loc)
                raise fs_error(loc.error or "ENOENT", "mkdir", path)
            todo = (loc.name, *loc.rest) if loc.ino is None else ()
            target = _join([*split_parts(loc.path), *loc.rest])
            for where in loc.passed:
                check("stat", where)
            check("mkdir", target)  # the directory asked for, then every one created on the way
            if loc.ino is not None:
                if recursive and loc.kind == "dir":
                    return None
                raise fs_error("EEXIST", "mkdir", path)
            parent = self._parent_for_create(loc, "mkdir", path) if loc.error is None else loc.parent
            if self._s.meta(parent).kind != "dir":
                raise fs_error("ENOTDIR", "mkdir", path)
            base = split_parts(loc.path)[:-1]
            first = None
            for i, name in enumerate(todo):
                where = _join([*base, *todo[:i + 1]])
                check("mkdir", where)
                parent = self._mkdir_in(parent, name, mode)
                first = first or where
            return first

    def _mkdir_in(self, parent: int, name: str, mode: int) -> int:
        self._room(entry_cost(name), "mkdir", name)
        ino = self._new("dir", mode)
        self._s.attach(parent, name, ino)
        self._touch(parent)
        return ino

    def rmdir(self, path: str, *, check: FsCheck = no_check) -> None:
        with self._s.transaction():
            loc = self._walk(path, "rmdir", follow_last=False)
            self._ask(check, "rm", loc)
            ino = self._found(loc, "rmdir", path)
            if loc.kind != "dir":
                raise fs_error("ENOTDIR", "rmdir", path)
            if ino == self._s.root:
                raise fs_error("EPERM", "rmdir", path)
            if self._s.entries(ino):
                raise fs_error("ENOTEMPTY", "rmdir", path)
            self._unlink_entry(loc.parent, loc.name, ino)

    def unlink(self, path: str, *, check: FsCheck = no_check) -> None:
        with self._s.transaction():
            loc = self._walk(path, "unlink", follow_last=False)
            self._ask(check, "rm", loc)
            ino = self._found(loc, "unlink", path)
            if loc.kind == "dir":
                raise fs_error("EISDIR", "unlink", path)
            self._unlink_entry(loc.parent, loc.name, ino)

    def _tree(self, ino: int, path: str) -> Iterator[tuple[int, str, int, str, str]]:
        """Every entry beneath directory ``ino`` as (parent, name, ino, kind, path), pre-order, iteratively."""
        stack = [(ino, path)]
        count = 0
        while stack:
            d, dpath = stack.pop()
            for name, child, kind in self._s.entries(d):
                count += 1
                if count > MAX_TREE_ENTRIES:
                    raise fs_error("EXDEV", "rename", path, detail="tree too large to move or remove in one step")
                cpath = (dpath.rstrip("/") + "/" + name)
                yield d, name, child, kind, cpath
                if kind == "dir":
                    stack.append((child, cpath))

    def rm(self, path: str, *, recursive: bool = False, force: bool = False, check: FsCheck = no_check) -> None:
        with self._s.transaction():
            try:
                loc = self._walk(path, "rm", follow_last=False)
            except GuestError as e:
                if force and e.code == "ENOENT":
                    return
                raise
            self._ask(check, "rm", loc)
            if loc.ino is None or loc.error is not None:
                if force and (loc.error or "ENOENT") in ("ENOENT", "ENOTDIR"):
                    return
                self._found(loc, "rm", path)
            assert loc.ino is not None
            if loc.kind != "dir":
                self._unlink_entry(loc.parent, loc.name, loc.ino)
                return
            if not recursive:
                raise GuestError("ERR_FS_EISDIR", f"Path is a directory: rm returned EISDIR (is a directory) {path}",
                                 syscall="rm", path=path, name="SystemError")
            if loc.ino == self._s.root:
                raise fs_error("EPERM", "rm", path)
            entries = list(self._tree(loc.ino, loc.path))
            for _p, _n, _i, _k, where in entries:  # every entry decided before anything is removed
                check("rm", where)
            for parent, name, child, _kind, _where in reversed(entries):
                self._unlink_entry(parent, name, child)
            self._unlink_entry(loc.parent, loc.name, loc.ino)

    def rename(self, src: str, dst: str, *, check: FsCheck = no_check) -> None:
        with self._s.transaction():
            # the kernel's order: both parent directories first, then whether the source exists
            s = self._walk(src, "rename", follow_last=False)
            d = self._walk(dst, "rename", follow_last=False)
            # a move reads the object at its old place and writes it at the new one: decide both,
            # and for a directory every entry it carries, at both places
            self._ask(check, "rename", s)
            check("read", s.path)
            self._ask(check, "rename", d)
            check("write", d.path)  # what may be replaced there
            if s.error is not None:
                raise fs_error(s.error, "rename", src, dst)
            if d.error is not None:
                raise fs_error(d.error, "rename", src, dst)
            if s.ino is None:
                raise fs_error("ENOENT", "rename", src, dst)
            ino = s.ino
            if d.ino == ino:
                return
            if s.kind == "file":
                for where in self.locations(s)[1:]:
                    check("read", where)
            if self._s.meta(d.parent).kind != "dir":
                raise fs_error("ENOTDIR", "rename", src, dst)
            if s.kind == "dir" and (d.path + "/").startswith(s.path.rstrip("/") + "/"):
                raise fs_error("EINVAL", "rename", src, dst)  # a directory cannot move below itself
            if d.ino is not None:
                if d.kind == "dir" and s.path.startswith(d.path.rstrip("/") + "/"):
                    raise fs_error("ENOTEMPTY", "rename", src, dst)
                if d.kind == "dir":
                    if s.kind != "dir":
                        raise fs_error("EISDIR", "rename", src, dst)
                    if self._s.entries(d.ino):
                        raise fs_error("ENOTEMPTY", "rename", src, dst)
                elif s.kind == "dir":
                    raise fs_error("ENOTDIR", "rename", src, dst)
            if s.kind == "dir":
                for _p, _n, _i, _k, old in self._tree(ino, s.path):
                    new = d.path.rstrip("/") + old[len(s.path.rstrip("/")):]
                    check("rename", old)
                    check("read", old)
                    check("rename", new)
            if d.ino is not None:
                self._unlink_entry(d.parent, d.name, d.ino)
            self._room(max(0, entry_cost(d.name) - entry_cost(s.name)), "rename", dst)
            self._s.attach(d.parent, d.name, ino)
            self._s.detach(s.parent, s.name)
            self._touch(s.parent)
            self._touch(d.parent)
            self._s.set_meta(ino, ctime_ms=now_ms())

    # ---- links -------------------------------------------------------------------------------

    def symlink(self, target: str, path: str, *, check: FsCheck = no_check) -> None:
        if not isinstance(target, str) or "\x00" in target or not target:
            raise fs_error("EINVAL", "symlink", path)
        with self._s.transaction():
            loc = self._walk(path, "symlink", follow_last=False)
            self._ask(check, "symlink", loc)
            # where the link leads today, from where it really is (uses decide again on every open)
            base = loc.path.rsplit("/", 1)[0] or "/"
            aim = self._walk(target if target.startswith("/") else base.rstrip("/") + "/" + target, "symlink",
                             via_link=True)
            self._ask(check, "symlink", aim)
            if aim.rest:  # where it would lead once the missing folders exist
                check("symlink", posixpath.normpath("/".join([aim.path, *aim.rest])))
            if loc.ino is not None and loc.error is None:
                raise fs_error("EEXIST", "symlink", target, path)
            parent = self._parent_for_create(loc, "symlink", path)
            self._room(entry_cost(loc.name, target), "symlink", path)
            self._s.attach(parent, loc.name, self._new("symlink", 0o777, target))
            self._touch(parent)

    def link(self, existing: str, new: str, *, check: FsCheck = no_check) -> None:
        with self._s.transaction():
            # the kernel's order: source path, new parent, new name taken, then "no links to directories"
            s = self._walk(existing, "link", follow_last=False)
            self._decide(check, "link", s)
            self._decide(check, "read", s)  # a second name must not outlive a read denial of the first
            d = self._walk(new, "link", follow_last=False)
            self._ask(check, "link", d)
            check("write", d.path)
            ino = self._found(s, "link", existing, new)
            if d.error is not None:
                raise fs_error(d.error, "link", existing, new)
            if d.ino is not None:
                raise fs_error("EEXIST", "link", existing, new)
            if s.kind == "dir":
                raise fs_error("EPERM", "link", existing, new)
            if len(self._s.links(ino)) >= MAX_ALIASES:
                raise fs_error("EMLINK", "link", existing, new, detail="too many links")
            parent = self._parent_for_create(d, "link", existing, new)
            self._room(entry_cost(d.name), "link", new)
            self._s.attach(parent, d.name, ino)
            self._s.set_meta(ino, ctime_ms=now_ms())
            self._touch(parent)

    # ---- metadata ----------------------------------------------------------------------------

    def _meta_change(self, path: str, syscall: str, op: str, check: FsCheck, **fields: float | int) -> None:
        with self._s.transaction():
            loc = self._walk(path, syscall)
            self._decide(check, op, loc)
            ino = self._found(loc, syscall, path)
            self._s.set_meta(ino, ctime_ms=now_ms(), **fields)

    def chmod(self, path: str, mode: int, *, check: FsCheck = no_check) -> None:
        m = check_length(mode, "mode") & 0o7777
        with self._s.transaction():
            loc = self._walk(path, "chmod")
            self._decide(check, "chmod", loc)
            ino = self._found(loc, "chmod", path)
            old = self._s.meta(ino).mode
            self._s.set_meta(ino, mode=(old & ~0o7777) | m, ctime_ms=now_ms())

    def chown(self, path: str, uid: int, gid: int, *, check: FsCheck = no_check) -> None:
        self._meta_change(path, "chown", "chown", check, uid=check_length(uid, "uid"), gid=check_length(gid, "gid"))

    def utimes(self, path: str, atime_s: float, mtime_s: float, *, check: FsCheck = no_check) -> None:
        self._meta_change(path, "utime", "utimes", check, atime_ms=float(atime_s) * 1000.0,
                          mtime_ms=float(mtime_s) * 1000.0)

    # ---- descriptors -------------------------------------------------------------------------

    def open(self, path: str, flags: str = "r", mode: int = 0o666, *, check: FsCheck = no_check) -> int:
        fl = parse_flags(flags)
        with self._s.transaction():
            loc = self._walk(path, "open")
            if fl.readable:
                self._decide(check, "read", loc)
            if fl.writable:
                self._decide(check, "write", loc)
            if fl.create:
                ino = self._file_for_write(loc, "open", path, check_length(mode, "mode"), exclusive=fl.exclusive)
            else:
                ino = self._found(loc, "open", path)
            kind = self._s.meta(ino).kind
            if kind == "dir" and fl.writable:
                raise fs_error("EISDIR", "open", path)
            fd = self._fds.add(Handle(ino, loc.path, fl.readable, fl.writable, fl.append), path)
            self._open_count[ino] = self._open_count.get(ino, 0) + 1
            if fl.truncate and kind == "file":
                self._s.resize(ino, 0)
                self._touch(ino)
            return fd

    def read(self, fd: int, length: int, position: int | None = None) -> bytes:
        with self._s.transaction():
            h = self._fds.get(fd, "read")
            if not h.readable:
                raise fs_error("EBADF", "read")
            m = self._s.meta(h.ino)
            if m.kind == "dir":
                raise fs_error("EISDIR", "read")
            n = min(check_length(length), MAX_READ_BYTES)
            start = h.position if position is None else check_length(position, "position")
            chunk = self._s.read(h.ino, start, n) if start < m.size else b""
            if position is None:
                h.position += len(chunk)
            self._s.set_meta(h.ino, atime_ms=now_ms())
            return chunk

    def write(self, fd: int, data: bytes | str, position: int | None = None) -> int:
        raw = to_bytes(data)
        with self._s.transaction():
            h = self._fds.get(fd, "write")
            if not h.writable:
                raise fs_error("EBADF", "write")
            size = self._s.meta(h.ino).size
            if h.append:
                start = size
            else:
                start = h.position if position is None else check_length(position, "position")
            self._grow(h.ino, max(size, start + len(raw)), "write", h.path)
            self._s.write(h.ino, start, raw)
            self._touch(h.ino)
            if position is None or h.append:
                h.position = start + len(raw)
            return len(raw)

    def fstat(self, fd: int) -> StatResult:
        with self._s.transaction():
            return self._stat(self._fds.get(fd, "fstat").ino)

    def ftruncate(self, fd: int, length: int = 0) -> None:
        n = check_length(length)
        with self._s.transaction():
            h = self._fds.get(fd, "ftruncate")
            if not h.writable:
                raise fs_error("EBADF", "ftruncate")
            if self._s.meta(h.ino).kind == "dir":
                raise fs_error("EISDIR", "ftruncate")
            self._grow(h.ino, n, "ftruncate", h.path)
            self._s.resize(h.ino, n)
            self._touch(h.ino)

    def close(self, fd: int) -> None:
        with self._s.transaction():
            h = self._fds.pop(fd)
            left = self._open_count.get(h.ino, 1) - 1
            if left:
                self._open_count[h.ino] = left
            else:
                self._open_count.pop(h.ino, None)
                if self._s.meta(h.ino).nlink <= 0:
                    self._s.free(h.ino)

    @property
    def open_fd_count(self) -> int:
        return len(self._fds)

    @property
    def used_bytes(self) -> int:
        """File data stored now, counted against ``max_bytes`` (sparse holes included)."""
        with self._s.transaction():
            return self._s.used_bytes()


PATH_DEPTH_MAX = 4096

