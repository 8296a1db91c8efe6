"""A host directory exposed to the guest, with no way out of it.

Lexical joins (``root + path``) are how sandboxes leak: ``..``, absolute symlinks, relative symlinks
pointing outside, and hard links to outside files all escape them. Here every access walks the
path one component at a time from a directory fd of the mount root, with ``O_NOFOLLOW`` on every
open and ``*at`` system calls relative to the parent's fd. Symlinks are read and resolved by this
code *in the guest's namespace* (like a chroot: an absolute target starts again at the guest's
``/``, ``..`` stops at the root), so a link can only ever lead to another place inside the mounts.

Hard links cannot be detected by path: a file inside the root with ``st_nlink > 1`` may be the same
inode as a secret outside it. Opening such a file is refused (``EPERM``) unless the host passes
``allow_hardlinks=True`` (for trees it controls, e.g. built by ``cp -al``); for the same reason the
guest's own ``link()`` is refused unless allowed. Non-regular files (FIFOs, devices, sockets) are
never opened: a FIFO would block the host thread and a device is not data.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import posixpath
import stat as st
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import attrs

from secure_exec.errors import ConfigError, GuestError
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
from secure_exec.providers.inodefs import MAX_TREE_ENTRIES
from secure_exec.providers.types import DirEntry, StatResult

_O_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_KNOWN = {"ENOENT", "EEXIST", "EISDIR", "ENOTDIR", "ENOTEMPTY", "ELOOP", "EINVAL", "EBADF", "EMFILE", "EROFS",
          "EXDEV", "EPERM", "EACCES", "ENAMETOOLONG", "EFBIG", "ENOSPC"}


MAX_FILE_BYTES = 1 << 30
"""Default cap on one host file's size (``HostFileSystem(max_file_bytes=...)``)."""


def _os_error(e: OSError, syscall: str, path: str, dest: str | None = None) -> GuestError:
    """Map an OSError to the guest, keeping only the code: the host's message names host paths."""
    code = errno.errorcode.get(e.errno or 0, "EIO")
    if code == "ENOTSUP" or code == "EOPNOTSUPP":
        code = "EPERM"
    return fs_error(code if code in _KNOWN else "EIO", syscall, path, dest)


F = TypeVar("F", bound=Callable[..., Any])


def _locked(method: F) -> F:
    """Hold the provider's lock for the whole call: walk, decision and act are one step for every
    other sandbox using this provider (the kernel cannot hold a rename back for us)."""

    @functools.wraps(method)
    def run(self: HostFileSystem, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return run  # type: ignore[return-value]


def _ask(check: FsCheck, op: str, t: _Target) -> None:
    """Decide on the walk's end, and on every folder a link made it pass through."""
    for where in t.passed:
        check("stat", where)
    check(op, t.path)


def _kind(mode: int) -> str:
    if st.S_ISREG(mode):
        return "file"
    if st.S_ISDIR(mode):
        return "dir"
    if st.S_ISLNK(mode):
        return "symlink"
    return "other"


@attrs.frozen
class Mount:
    """A host directory at a guest path. ``read_only`` mounts refuse every change with ``EROFS``."""

    host_dir: str
    read_only: bool = False


@attrs.define(eq=False)
class _Target:
    """Where a walk ended: ``name`` inside the directory ``dir_fd`` (``"."`` for a mount root).

    ``path`` is the canonical guest location of the object, or of the component where the walk
    stopped; ``error`` is the code a strict walk gives there, raised only after the decision;
    ``rest`` the components after it (what ``mkdir -p`` creates); ``passed`` the folders a link
    made the walk enter only to leave again (decided too: a link through a refused area tells
    nothing about what is there).
    """

    dir_fd: int
    name: str
    path: str
    mount: str
    lstat: os.stat_result | None
    error: str | None = None
    rest: tuple[str, ...] = ()
    passed: tuple[str, ...] = ()


@attrs.define(eq=False)
class _Handle:
    fd: int
    path: str
    readable: bool
    writable: bool
    append: bool = False


class HostFileSystem:
    """A ``FileSystemProvider`` over real host directories, confined beneath its mounts.

    ``max_file_bytes`` bounds every file's size (a write at a far offset or a truncate beyond it
    is ``EFBIG`` before the kernel allocates anything, sparse or not); ``max_bytes``, if given,
    bounds the bytes this provider may add in all (``ENOSPC``). ``chmod`` never sets the setuid or
    setgid bits, and ``chown`` is refused (``EPERM``) unless ``allow_chown`` (a guest must not
    make set-id programs or give files away on the host).

    Every operation holds the provider's lock from its walk to its act, so sandboxes that share
    one ``HostFileSystem`` cannot rename a folder between another's decision and its act.
    """

    def __init__(self, root: str | os.PathLike[str], *, read_only: bool = False,
                 mounts: Mapping[str, Mount | str] | None = None, allow_hardlinks: bool = False,
                 max_open_fds: int = DEFAULT_MAX_OPEN_FDS, max_file_bytes: int = MAX_FILE_BYTES,
                 max_bytes: int | None = None, allow_chown: bool = False) -> None:
        table: dict[str, Mount] = {"/": Mount(os.fspath(root), read_only)}
        for point, m in (mounts or {}).items():
            if not isinstance(point, str) or not point.startswith("/") or posixpath.normpath(point) != point:
                raise ConfigError(f"HostFileSystem: mount point {point!r} must be a normalised absolute guest path")
            table[point] = m if isinstance(m, Mount) else Mount(os.fspath(m))
        self._mounts = table
        self._mount_fds: dict[str, int] = {}
        self._fds: FdTable[_Handle] = FdTable(max_open_fds)
        for point, m in table.items():
            try:
                self._mount_fds[point] = os.open(m.host_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            except OSError as e:
                self.close_all()
                raise ConfigError(
                    f"HostFileSystem: cannot open mount {point!r} -> {m.host_dir!r}: {e.strerror}") from None
        self.allow_hardlinks = allow_hardlinks
        self.max_file_bytes = max_file_bytes
        self.max_bytes = max_bytes
        self._grown = 0
        self._lock = threading.RLock()  # one decision and its act are atomic for sandboxes sharing this provider
        self.allow_chown = allow_chown

    def __enter__(self) -> HostFileSystem:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close_all()

    def close_all(self) -> None:
        """Close the mount roots and every open guest handle (the provider is unusable after)."""
        for fd in list(self._fds):
            os.close(self._fds.pop(fd).fd)
        for fd in self._mount_fds.values():
            os.close(fd)
        self._mount_fds = {}

    # ---- the walk --------------------------------------------------------------------------

    @contextmanager
    def _walk(self, path: str, syscall: str, *, follow_last: bool = True, via_link: bool = False,
              ) -> Iterator[_Target]:
        """Walk once, holding a descriptor of every directory on the way (closed on exit).

        Never raises for a missing or non-directory component: the caller decides on
        ``_Target.path`` first and raises ``_Target.error`` after, so a refused area looks the
        same whether or not something exists there.
        """
        check_path(path, syscall)
        opened: list[int] = []
        try:
            yield self._do_walk(path, syscall, follow_last, opened, via_link)
        finally:
            for fd in opened:
                os.close(fd)

    def _do_walk(self, path: str, syscall: str, follow_last: bool, opened: list[int], via_link: bool = False,
                 ) -> _Target:
        parts = deque(split_parts(path))
        names: list[str] = []
        fds: list[int] = [self._mount_fds["/"]]
        mounts: list[str] = ["/"]
        passed: list[str] = []
        hops = 1 if via_link else 0  # a link's target text may go through places the guest never named

        def drop(fd: int) -> None:
            """A directory the walk left: close it now (a walk holds only its current chain)."""
            if fd in opened:
                opened.remove(fd)
                os.close(fd)

        def push_dir(name: str, cur: int) -> None:
            guest = "/" + "/".join([*names, name])
            if guest in self._mount_fds:
                fds.append(self._mount_fds[guest])
                mounts.append(guest)
            else:
                try:
                    fd = os.open(name, _O_DIR, dir_fd=cur)
                except OSError as e:  # swapped for a symlink since lstat (race): refuse, never follow
                    raise _os_error(e, syscall, path) from None
                opened.append(fd)
                fds.append(fd)
                mounts.append(mounts[-1])
            names.append(name)
            if hops:
                passed.append(guest)  # a link led here: decided like any place it passes

        def stop(cur: int, name: str, code: str | None, info: os.stat_result | None = None) -> _Target:
            return _Target(cur, name, "/" + "/".join([*names, name]), mounts[-1], info, code, tuple(parts),
                           tuple(passed))

        while parts:
            name = parts.popleft()
            if name == "..":
                if names:
                    names.pop()
                    drop(fds.pop())
                    mounts.pop()
                continue
            cur = fds[-1]
            last = not parts
            guest = "/" + "/".join([*names, name])
            if guest in self._mount_fds:
                if last:
                    mfd = self._mount_fds[guest]
                    return _Target(mfd, ".", guest, guest, os.stat(".", dir_fd=mfd), passed=tuple(passed))
                push_dir(name, cur)
                continue
            try:
                info: os.stat_result | None = os.stat(name, dir_fd=cur, follow_symlinks=False)
            except FileNotFoundError:
                info = None
            except OSError as e:
                if e.errno == errno.ENOTDIR:
                    info = None
                else:
                    raise _os_error(e, syscall, path) from None
            if info is None:
                return stop(cur, name, None if last else "ENOENT")
            if st.S_ISLNK(info.st_mode) and (follow_last or not last):
                if hops > SYMLOOP_MAX - 1 + via_link:  # decided where it stands, then ELOOP (no oracle)
                    return stop(cur, name, "ELOOP")
                hops += 1
                passed.append(guest)  # reading a link is looking at where it is: decided like any place
                try:
                    target = os.readlink(name, dir_fd=cur)
                except OSError as e:
                    raise _os_error(e, syscall, path) from None
                if target.startswith("/"):
                    for fd in fds[1:]:
                        drop(fd)
                    names, fds, mounts = [], [self._mount_fds["/"]], ["/"]
                parts.extendleft(reversed(split_parts(target)))
                if not parts:  # the link pointed at "/" (or the mount root it restarted at)
                    return self._here(names, fds, mounts, passed)
                continue
            if last:
                return _Target(cur, name, guest, mounts[-1], info, passed=tuple(passed))
            if not st.S_ISDIR(info.st_mode):
                return stop(cur, name, "ENOTDIR")
            push_dir(name, cur)
        return self._here(names, fds, mounts, passed)

    def _here(self, names: list[str], fds: list[int], mounts: list[str], passed: list[str]) -> _Target:
        """The directory the walk stands in (after ``..`` or a link to a directory at the end)."""
        fd = fds[-1]
        return _Target(fd, ".", "/" + "/".join(names), mounts[-1], os.stat(".", dir_fd=fd), passed=tuple(passed))

    def _existing(self, t: _Target, syscall: str, path: str, dest: str | None = None) -> os.stat_result:
        """After the decision: what is there, or the error a strict walk gives."""
        if t.error is not None:
            raise fs_error(t.error, syscall, path, dest)
        if t.lstat is None:
            raise fs_error("ENOENT", syscall, path, dest)
        return t.lstat

    def _creatable(self, t: _Target, syscall: str, path: str, dest: str | None = None) -> None:
        if t.error is not None:
            raise fs_error(t.error, syscall, path, dest)

    def _writable(self, t: _Target, syscall: str, path: str) -> None:
        if self._mounts[t.mount].read_only:
            raise fs_error("EROFS", syscall, path)

    def _open_file(self, t: _Target, flags: int, syscall: str, path: str, mode: int = 0o666) -> int:
        """Open a regular file beneath ``t.dir_fd``; refuse links, non-regular files and hard links.

        ``O_NOFOLLOW`` makes a name swapped for a link since the walk fail with ``ELOOP``.
        """
        try:
            fd = os.open(t.name, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, mode, dir_fd=t.dir_fd)
        except OSError as e:
            raise _os_error(e, syscall, path) from None
        try:
            info = os.fstat(fd)
            if st.S_ISDIR(info.st_mode):
                raise fs_error("EISDIR", syscall, path)
            if not st.S_ISREG(info.st_mode):
                raise fs_error("EPERM", syscall, path, detail="operation not permitted (not a regular file)")
            if info.st_nlink > 1 and not self.allow_hardlinks:
                raise fs_error("EPERM", syscall, path, detail="operation not permitted (file has several hard links)")
            os.set_blocking(fd, True)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _bound(self, fd: int, end: int, syscall: str, path: str, *, sets_size: bool = False) -> None:
        """Refuse a size beyond the caps before the kernel commits anything (sparse files included).

        ``sets_size``: ``end`` becomes the file's size (truncate), so shrinking gives quota back."""
        if end > self.max_file_bytes:
            raise fs_error("EFBIG", syscall, path)
        if self.max_bytes is not None:
            grow = end - os.fstat(fd).st_size
            if grow > 0 and self._grown + grow > self.max_bytes:
                raise fs_error("ENOSPC", syscall, path)
            if grow > 0 or sets_size:
                self._grown = max(0, self._grown + grow)

    def _credit(self, size: int) -> None:
        """A file this provider may have grown went away: its bytes count against the quota no more."""
        if self.max_bytes is not None:
            self._grown = max(0, self._grown - size)

    # ---- FileSystemProvider ----------------------------------------------------------------

    @_locked
    def resolve(self, path: str, *, follow_last: bool = True) -> str:
        with self._walk(path, "resolve", follow_last=follow_last) as t:
            return posixpath.normpath("/".join([t.path, *t.rest])) if t.rest else t.path

    @_locked
    def realpath(self, path: str, *, check: FsCheck = no_check) -> str:
        with self._walk(path, "realpath") as t:
            _ask(check, "stat", t)
            self._existing(t, "realpath", path)
            return t.path

    @_locked
    def exists(self, path: str, *, check: FsCheck = no_check) -> bool:
        try:
            with self._walk(path, "access") as t:
                _ask(check, "exists", t)
                return t.lstat is not None and t.error is None
        except GuestError as e:
            if e.code == "EACCES" or check is not no_check:
                raise  # a guest's question: the bridge decides on the lexical path, then answers
            return False

    @_locked
    def read_file(self, path: str, *, check: FsCheck = no_check) -> bytes:
        with self._walk(path, "open") as t:
            _ask(check, "read", t)
            self._existing(t, "open", path)
            fd = self._open_file(t, os.O_RDONLY, "open", path)
        try:
            size = os.fstat(fd).st_size
            if size > MAX_READ_BYTES:
                raise fs_error("EFBIG", "read", path, detail="file too large to read at once")
            chunks: list[bytes] = []
            total = 0
            while chunk := os.read(fd, max(size + 1, 1 << 16) if total == 0 else 1 << 20):
                total += len(chunk)
                if total > MAX_READ_BYTES:
                    raise fs_error("EFBIG", "read", path, detail="file too large to read at once")
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)

    @_locked
    def write_file(self, path: str, data: bytes | str, *, append: bool = False, exclusive: bool = False,
                   check: FsCheck = no_check) -> None:
        raw = to_bytes(data)
        with self._walk(path, "open") as t:
            _ask(check, "write", t)
            self._creatable(t, "open", path)
            self._writable(t, "open", path)
            flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else 0) | (os.O_EXCL if exclusive else 0)
            created = t.lstat is None
            fd = self._open_file(t, flags, "open", path)
            try:
                end = (os.fstat(fd).st_size if append else 0) + len(raw)
                self._bound(fd, end, "write", path, sets_size=not append)
            except GuestError:
                os.close(fd)
                if created:  # refused before anything was written: leave nothing behind
                    with contextlib.suppress(OSError):
                        os.unlink(t.name, dir_fd=t.dir_fd)
                raise
        try:
            if not append:
                os.ftruncate(fd, 0)  # only after the hard-link check: O_TRUNC would clobber first
            view = memoryview(raw)
            while view:
                view = view[os.write(fd, view):]
        except OSError as e:
            raise _os_error(e, "write", path) from None
        finally:
            os.close(fd)

    @_locked
    def mkdir(self, path: str, *, recursive: bool = False, mode: int = 0o777,
              check: FsCheck = no_check) -> str | None:
        """Create a directory; with ``recursive`` every missing ancestor in ONE walk, each decided.

        Returns the first directory created (Node's ``mkdirSync(..., {recursive: true})``).
        """
        with self._walk(path, "mkdir") as t:
            if t.error in ("ENOTDIR", "ELOOP") or (t.error is not None and not recursive) or ".." in t.rest:
                _ask(check, "mkdir", t)
                raise fs_error(t.error or "ENOENT", "mkdir", path)
            for where in t.passed:
                check("stat", where)
            target = "/".join([t.path, *t.rest]) if t.rest else t.path
            check("mkdir", target)  # the directory asked for, then every one created on the way
            if t.lstat is not None:
                if recursive and st.S_ISDIR(t.lstat.st_mode):
                    return None
                raise fs_error("EEXIST", "mkdir", path)
            self._writable(t, "mkdir", path)
            todo = (t.name, *t.rest)
            base = t.path.rsplit("/", 1)[0]
            dir_fd, first = t.dir_fd, None
            opened: list[int] = []
            try:
                for i, name in enumerate(todo):
                    where = "/".join([base, *todo[: i + 1]])
                    check("mkdir", where)
                    try:
                        os.mkdir(name, mode & 0o777, dir_fd=dir_fd)
                        first = first or where
                        if i < len(todo) - 1:
                            dir_fd = os.open(name, _O_DIR, dir_fd=dir_fd)
                            opened.append(dir_fd)
                            if len(opened) > 1:  # only the current parent is needed
                                os.close(opened.pop(0))
                    except OSError as e:
                        raise _os_error(e, "mkdir", path) from None
            finally:
                for fd in opened:
                    os.close(fd)
            return first

    @_locked
    def readdir(self, path: str, *, check: FsCheck = no_check) -> list[DirEntry]:
        with self._walk(path, "scandir") as t:
            _ask(check, "readdir", t)
            info = self._existing(t, "scandir", path)
            if not st.S_ISDIR(info.st_mode):
                raise fs_error("ENOTDIR", "scandir", path)
            try:
                fd = os.open(t.name, _O_DIR, dir_fd=t.dir_fd)
            except OSError as e:
                raise _os_error(e, "scandir", path) from None
        try:
            with os.scandir(fd) as it:
                out = [DirEntry(e.name, _kind(e.stat(follow_symlinks=False).st_mode)) for e in it]
        finally:
            os.close(fd)
        return sorted(out, key=lambda e: e.name)

    @_locked
    def stat(self, path: str, *, follow: bool = True, check: FsCheck = no_check) -> StatResult:
        syscall = "stat" if follow else "lstat"
        with self._walk(path, syscall, follow_last=follow) as t:
            _ask(check, "stat", t)
            return _stat_result(self._existing(t, syscall, path))

    def _remove(self, path: str, syscall: str, *, want_dir: bool, check: FsCheck) -> None:
        with self._walk(path, syscall, follow_last=False) as t:
            _ask(check, "rm", t)
            info = self._existing(t, syscall, path)
            if t.name == ".":
                raise fs_error("EPERM", syscall, path, detail="operation not permitted (mount point)")
            self._writable(t, syscall, path)
            is_dir = st.S_ISDIR(info.st_mode)
            if want_dir and not is_dir:
                raise fs_error("ENOTDIR", syscall, path)
            if not want_dir and is_dir:
                raise fs_error("EISDIR", syscall, path)
            try:
                if want_dir:
                    os.rmdir(t.name, dir_fd=t.dir_fd)
                else:
                    os.unlink(t.name, dir_fd=t.dir_fd)
                    if st.S_ISREG(info.st_mode) and info.st_nlink == 1:
                        self._credit(info.st_size)
            except OSError as e:
                raise _os_error(e, syscall, path) from None

    @_locked
    def unlink(self, path: str, *, check: FsCheck = no_check) -> None:
        self._remove(path, "unlink", want_dir=False, check=check)

    @_locked
    def rmdir(self, path: str, *, check: FsCheck = no_check) -> None:
        self._remove(path, "rmdir", want_dir=True, check=check)

    def _tree(self, dir_fd: int, path: str, check: FsCheck | None, remove: bool) -> int:
        """Depth-first over the directory open as ``dir_fd``: decide on every entry (``check``) or
        remove every entry (``remove``); each directory is opened relative to its parent's descriptor,
        without following links, so the walk never leaves the tree. Returns the entries seen."""
        seen = 0
        stack: list[tuple[int, str, list[tuple[str, bool]]]] = []

        def listing(fd: int) -> list[tuple[str, bool]]:
            with os.scandir(fd) as it:
                return [(e.name, e.is_dir(follow_symlinks=False)) for e in it]

        opened: list[int] = []
        try:
            stack.append((dir_fd, path, listing(dir_fd)))
            while stack:
                fd, dpath, todo = stack[-1]
                if not todo:
                    stack.pop()
                    if stack and remove:
                        os.rmdir(dpath.rsplit("/", 1)[1], dir_fd=stack[-1][0])
                    if fd != dir_fd:
                        os.close(fd)
                        opened.remove(fd)
                    continue
                name, is_dir = todo.pop()
                where = dpath.rstrip("/") + "/" + name
                seen += 1
                if seen > MAX_TREE_ENTRIES:
                    raise fs_error("EXDEV", "rm", path, detail="tree too large to move or remove in one step")
                if check is not None:
                    check("rm", where)
                if is_dir:
                    sub = os.open(name, _O_DIR, dir_fd=fd)
                    opened.append(sub)
                    stack.append((sub, where, listing(sub)))
                elif remove:
                    gone = os.stat(name, dir_fd=fd, follow_symlinks=False)
                    os.unlink(name, dir_fd=fd)
                    if st.S_ISREG(gone.st_mode) and gone.st_nlink == 1:
                        self._credit(gone.st_size)
        except OSError as e:
            raise _os_error(e, "rm", path) from None
        finally:
            for fd in opened:
                os.close(fd)
        return seen

    @_locked
    def rm(self, path: str, *, recursive: bool = False, force: bool = False, check: FsCheck = no_check) -> None:
        with self._walk(path, "rm", follow_last=False) as t:
            _ask(check, "rm", t)
            if t.lstat is None:
                if force and (t.error or "ENOENT") in ("ENOENT", "ENOTDIR"):
                    return
                self._existing(t, "rm", path)
            assert t.lstat is not None
            if not st.S_ISDIR(t.lstat.st_mode):
                self._writable(t, "rm", path)
                try:
                    os.unlink(t.name, dir_fd=t.dir_fd)
                except OSError as e:
                    raise _os_error(e, "rm", path) from None
                if st.S_ISREG(t.lstat.st_mode) and t.lstat.st_nlink == 1:
                    self._credit(t.lstat.st_size)
                return
            if not recursive:
                raise GuestError("ERR_FS_EISDIR", f"Path is a directory: rm returned EISDIR (is a directory) {path}",
                                 syscall="rm", path=path, name="SystemError")
            if t.name == ".":
                raise fs_error("EPERM", "rm", path, detail="operation not permitted (mount point)")
            self._writable(t, "rm", path)
            try:
                fd = os.open(t.name, _O_DIR, dir_fd=t.dir_fd)
            except OSError as e:
                raise _os_error(e, "rm", path) from None
            try:
                self._tree(fd, t.path, check, remove=False)  # every entry decided before anything goes
                self._tree(fd, t.path, None, remove=True)
                os.rmdir(t.name, dir_fd=t.dir_fd)
            except OSError as e:
                raise _os_error(e, "rm", path) from None
            finally:
                os.close(fd)

    @_locked
    def rename(self, src: str, dst: str, *, check: FsCheck = no_check) -> None:
        with self._walk(src, "rename", follow_last=False) as s, self._walk(dst, "rename", follow_last=False) as d:
            _ask(check, "rename", s)
            _ask(check, "read", s)
            _ask(check, "rename", d)
            check("write", d.path)  # what may be replaced there
            info = self._existing(s, "rename", src, dst)
            self._creatable(d, "rename", src, dst)
            if s.mount != d.mount:
                raise fs_error("EXDEV", "rename", src, dst)
            if s.name == "." or d.name == ".":
                raise fs_error("EPERM", "rename", src, dst)
            self._writable(s, "rename", src)
            if st.S_ISDIR(info.st_mode):
                self._decide_move(s, d, check)
            try:
                os.rename(s.name, d.name, src_dir_fd=s.dir_fd, dst_dir_fd=d.dir_fd)
            except OSError as e:
                raise _os_error(e, "rename", src, dst) from None

    def _decide_move(self, s: _Target, d: _Target, check: FsCheck) -> None:
        """A directory rename moves its whole tree: decide on every entry at both places."""
        if check is no_check:
            return
        old_root, new_root = s.path.rstrip("/"), d.path.rstrip("/")

        def both(op: str, where: str) -> None:
            check("rename", where)
            check("read", where)
            check("rename", new_root + where[len(old_root):])

        try:
            fd = os.open(s.name, _O_DIR, dir_fd=s.dir_fd)
        except OSError as e:
            raise _os_error(e, "rename", s.path) from None
        try:
            self._tree(fd, s.path, both, remove=False)
        finally:
            os.close(fd)

    @_locked
    def copy_file(self, src: str, dst: str, *, exclusive: bool = False, check: FsCheck = no_check) -> None:
        with self._walk(src, "copyfile") as s:
            _ask(check, "read", s)
            with self._walk(dst, "copyfile") as d:  # the destination as it will be opened: links followed
                _ask(check, "write", d)
                self._existing(s, "copyfile", src, dst)
                self._creatable(d, "copyfile", src, dst)
                sfd = self._open_file(s, os.O_RDONLY, "copyfile", src)
                try:
                    self._writable(d, "copyfile", dst)
                    sinfo = os.fstat(sfd)
                    if d.lstat is not None and (d.lstat.st_ino, d.lstat.st_dev) == (sinfo.st_ino, sinfo.st_dev):
                        return
                    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else 0)
                    dfd = self._open_file(d, flags, "copyfile", dst, sinfo.st_mode & 0o777)
                    try:
                        self._bound(dfd, sinfo.st_size, "copyfile", dst)
                        os.ftruncate(dfd, 0)
                        while chunk := os.read(sfd, 1 << 20):
                            view = memoryview(chunk)
                            while view:
                                view = view[os.write(dfd, view):]
                    except OSError as e:
                        raise _os_error(e, "copyfile", src, dst) from None
                    finally:
                        os.close(dfd)
                finally:
                    os.close(sfd)

    @_locked
    def symlink(self, target: str, path: str, *, check: FsCheck = no_check) -> None:
        if not isinstance(target, str) or "\x00" in target or not target:
            raise fs_error("EINVAL", "symlink", path)
        with self._walk(path, "symlink", follow_last=False) as t:
            _ask(check, "symlink", t)
            base = t.path.rsplit("/", 1)[0] or "/"
            aim = target if target.startswith("/") else base.rstrip("/") + "/" + target
            try:
                with self._walk(aim, "symlink", via_link=True) as a:  # walked, never folded lexically
                    _ask(check, "symlink", a)
                    if a.rest:  # where it would lead once the missing folders exist
                        check("symlink", posixpath.normpath("/".join([a.path, *a.rest])))
            except GuestError as e:
                if e.code != "ENAMETOOLONG":
                    raise
            if t.lstat is not None:
                raise fs_error("EEXIST", "symlink", target, path)
            self._creatable(t, "symlink", path)
            self._writable(t, "symlink", path)
            try:
                os.symlink(target, t.name, dir_fd=t.dir_fd)
            except OSError as e:
                raise _os_error(e, "symlink", target, path) from None

    @_locked
    def readlink(self, path: str, *, check: FsCheck = no_check) -> str:
        with self._walk(path, "readlink", follow_last=False) as t:
            _ask(check, "readlink", t)
            info = self._existing(t, "readlink", path)
            if not st.S_ISLNK(info.st_mode):
                raise fs_error("EINVAL", "readlink", path)
            return os.readlink(t.name, dir_fd=t.dir_fd)

    @_locked
    def link(self, existing: str, new: str, *, check: FsCheck = no_check) -> None:
        with self._walk(existing, "link", follow_last=False) as s:
            # the kernel's order: the whole source path first, then the new name's parent
            _ask(check, "link", s)
            _ask(check, "read", s)
            with self._walk(new, "link", follow_last=False) as d:
                _ask(check, "link", d)
                check("write", d.path)
                if not self.allow_hardlinks:
                    raise fs_error("EPERM", "link", existing, new,
                                   detail="operation not permitted (hard links disabled)")
                info = self._existing(s, "link", existing, new)
                self._creatable(d, "link", existing, new)
                self._link_at(s, d, info, existing, new)

    def _link_at(self, s: _Target, d: _Target, info: os.stat_result, existing: str, new: str) -> None:
        if d.lstat is not None:
            raise fs_error("EEXIST", "link", existing, new)
        if st.S_ISDIR(info.st_mode):
            raise fs_error("EPERM", "link", existing, new)
        if s.mount != d.mount:
            raise fs_error("EXDEV", "link", existing, new)
        self._writable(d, "link", new)
        try:
            os.link(s.name, d.name, src_dir_fd=s.dir_fd, dst_dir_fd=d.dir_fd, follow_symlinks=False)
        except OSError as e:
            raise _os_error(e, "link", existing, new) from None

    @contextmanager
    def _meta_fd(self, path: str, syscall: str, op: str, check: FsCheck) -> Iterator[int]:
        """A handle for metadata changes: the resolved entry, opened without following, decided first."""
        with self._walk(path, syscall) as t:
            _ask(check, op, t)
            info = self._existing(t, syscall, path)
            self._writable(t, syscall, path)
            flags = _O_DIR if st.S_ISDIR(info.st_mode) else os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
            if not (st.S_ISDIR(info.st_mode) or st.S_ISREG(info.st_mode)):
                raise fs_error("EPERM", syscall, path, detail="operation not permitted (not a regular file)")
            try:
                fd = os.open(t.name, flags, dir_fd=t.dir_fd)
            except OSError as e:
                raise _os_error(e, syscall, path) from None
        try:
            info = os.fstat(fd)
            if st.S_ISREG(info.st_mode) and info.st_nlink > 1 and not self.allow_hardlinks:
                # chmod/chown/utimes on a hard link would change the outside file's metadata too
                raise fs_error("EPERM", syscall, path, detail="operation not permitted (file has several hard links)")
            yield fd
        except OSError as e:
            raise _os_error(e, syscall, path) from None
        finally:
            os.close(fd)

    @_locked
    def chmod(self, path: str, mode: int, *, check: FsCheck = no_check) -> None:
        with self._meta_fd(path, "chmod", "chmod", check) as fd:
            os.fchmod(fd, check_length(mode, "mode") & 0o7777 & ~(st.S_ISUID | st.S_ISGID))  # no set-id programs

    @_locked
    def chown(self, path: str, uid: int, gid: int, *, check: FsCheck = no_check) -> None:
        uid, gid = check_length(uid, "uid"), check_length(gid, "gid")
        with self._meta_fd(path, "chown", "chown", check) as fd:
            info = os.fstat(fd)
            if not self.allow_chown and (uid, gid) != (info.st_uid, info.st_gid):
                raise fs_error("EPERM", "chown", path, detail="operation not permitted (chown disabled)")
            os.fchown(fd, uid, gid)

    @_locked
    def utimes(self, path: str, atime_s: float, mtime_s: float, *, check: FsCheck = no_check) -> None:
        with self._meta_fd(path, "utime", "utimes", check) as fd:
            os.utime(fd, (float(atime_s), float(mtime_s)))

    @_locked
    def truncate(self, path: str, length: int = 0, *, check: FsCheck = no_check) -> None:
        n = check_length(length)
        with self._walk(path, "open") as t:
            _ask(check, "truncate", t)
            self._existing(t, "open", path)
            self._writable(t, "open", path)
            fd = self._open_file(t, os.O_WRONLY, "open", path)
        try:
            self._bound(fd, n, "ftruncate", path, sets_size=True)
            os.ftruncate(fd, n)
        except OSError as e:
            raise _os_error(e, "ftruncate", path) from None
        finally:
            os.close(fd)

    @_locked
    def open(self, path: str, flags: str = "r", mode: int = 0o666, *, check: FsCheck = no_check) -> int:
        fl = parse_flags(flags)
        if len(self._fds) >= self._fds.max_open:
            raise fs_error("EMFILE", "open", path)
        os_flags = (os.O_RDWR if fl.readable and fl.writable else os.O_WRONLY if fl.writable else os.O_RDONLY)
        os_flags |= (os.O_CREAT if fl.create else 0) | (os.O_EXCL if fl.exclusive else 0)
        os_flags |= os.O_APPEND if fl.append else 0
        with self._walk(path, "open") as t:
            if fl.readable:
                _ask(check, "read", t)
            if fl.writable:
                _ask(check, "write", t)
            if fl.create:
                self._creatable(t, "open", path)
            else:
                self._existing(t, "open", path)
            if fl.writable:
                self._writable(t, "open", path)
            if t.lstat is not None and st.S_ISDIR(t.lstat.st_mode):
                if fl.exclusive:
                    raise fs_error("EEXIST", "open", path)
                if fl.writable:
                    raise fs_error("EISDIR", "open", path)
                try:  # Node allows opening a directory read-only; reads then fail with EISDIR
                    fd = os.open(t.name, _O_DIR, dir_fd=t.dir_fd)
                except OSError as e:
                    raise _os_error(e, "open", path) from None
                return self._add(_Handle(fd, t.path, True, False), path)
            fd = self._open_file(t, os_flags, "open", path, check_length(mode, "mode") & 0o777)
        if fl.truncate:
            os.ftruncate(fd, 0)
        return self._add(_Handle(fd, t.path, fl.readable, fl.writable, fl.append), path)

    def _add(self, h: _Handle, path: str) -> int:
        try:
            return self._fds.add(h, path)
        except GuestError:
            os.close(h.fd)
            raise

    @_locked
    def read(self, fd: int, length: int, position: int | None = None) -> bytes:
        h = self._fds.get(fd, "read")
        if not h.readable:
            raise fs_error("EBADF", "read")
        n = min(check_length(length), MAX_READ_BYTES)
        try:
            if position is None:
                return os.read(h.fd, n)
            return os.pread(h.fd, n, check_length(position, "position"))
        except OSError as e:
            raise _os_error(e, "read", h.path) from None

    @_locked
    def write(self, fd: int, data: bytes | str, position: int | None = None) -> int:
        h = self._fds.get(fd, "write")
        if not h.writable:
            raise fs_error("EBADF", "write")
        raw = to_bytes(data)
        try:
            if h.append:  # O_APPEND writes at the end whatever the offset (Linux pwrite too)
                start = os.fstat(h.fd).st_size
            else:
                start = os.lseek(h.fd, 0, os.SEEK_CUR) if position is None else check_length(position, "position")
            self._bound(h.fd, start + len(raw), "write", h.path)
            if position is None:
                return os.write(h.fd, raw)
            return os.pwrite(h.fd, raw, start)
        except OSError as e:
            raise _os_error(e, "write", h.path) from None

    @_locked
    def fstat(self, fd: int) -> StatResult:
        h = self._fds.get(fd, "fstat")
        try:
            return _stat_result(os.fstat(h.fd))
        except OSError as e:
            raise _os_error(e, "fstat", h.path) from None

    @_locked
    def ftruncate(self, fd: int, length: int = 0) -> None:
        h = self._fds.get(fd, "ftruncate")
        if not h.writable:
            raise fs_error("EBADF", "ftruncate")
        n = check_length(length)
        try:
            self._bound(h.fd, n, "ftruncate", h.path, sets_size=True)
            os.ftruncate(h.fd, n)
        except OSError as e:
            raise _os_error(e, "ftruncate", h.path) from None

    @_locked
    def close(self, fd: int) -> None:
        os.close(self._fds.pop(fd).fd)

    @property
    def open_fd_count(self) -> int:
        return len(self._fds)

    @_locked
    def open_host_dir(self, path: str, *, check: FsCheck = no_check) -> tuple[str, int]:
        """``(canonical guest path, new O_DIRECTORY descriptor)`` of the directory guest ``path`` leads to.

        For running a child process there (its cwd is entered through the descriptor, so nothing
        is re-walked by path); decided as ``readdir`` inside the one walk; the caller closes the
        descriptor.
        """
        with self._walk(path, "chdir") as t:
            _ask(check, "readdir", t)
            if t.error is not None or t.lstat is None:
                raise fs_error(t.error or "ENOENT", "chdir", path)
            if not st.S_ISDIR(t.lstat.st_mode):
                raise fs_error("ENOTDIR", "chdir", path)
            try:
                return t.path, os.open(t.name, _O_DIR, dir_fd=t.dir_fd)
            except OSError as e:
                raise _os_error(e, "chdir", path) from None


def _stat_result(s: os.stat_result) -> StatResult:
    return StatResult(_kind(s.st_mode), s.st_size, s.st_mode, s.st_nlink, s.st_ino, s.st_uid, s.st_gid,
                      s.st_atime_ns / 1e6, s.st_mtime_ns / 1e6, s.st_ctime_ns / 1e6,
                      getattr(s, "st_birthtime", s.st_ctime) * 1000.0)
