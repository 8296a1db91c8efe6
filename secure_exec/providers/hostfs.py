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

import errno
import os
import posixpath
import stat as st
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import attrs

from secure_exec.errors import ConfigError, GuestError
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

_O_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_KNOWN = {"ENOENT", "EEXIST", "EISDIR", "ENOTDIR", "ENOTEMPTY", "ELOOP", "EINVAL", "EBADF", "EMFILE", "EROFS",
          "EXDEV", "EPERM", "EACCES", "ENAMETOOLONG", "EFBIG", "ENOSPC"}


def _os_error(e: OSError, syscall: str, path: str, dest: str | None = None) -> GuestError:
    """Map an OSError to the guest, keeping only the code: the host's message names host paths."""
    code = errno.errorcode.get(e.errno or 0, "EIO")
    if code == "ENOTSUP" or code == "EOPNOTSUPP":
        code = "EPERM"
    return fs_error(code if code in _KNOWN else "EIO", syscall, path, dest)


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
    """Where a walk ended: ``name`` inside the directory ``dir_fd`` (``"."`` for a mount root)."""

    dir_fd: int
    name: str
    path: str
    mount: str
    lstat: os.stat_result | None


@attrs.define(eq=False)
class _Handle:
    fd: int
    path: str
    readable: bool
    writable: bool


class HostFileSystem:
    """A ``FileSystemProvider`` over real host directories, confined beneath its mounts."""

    def __init__(self, root: str | os.PathLike[str], *, read_only: bool = False,
                 mounts: Mapping[str, Mount | str] | None = None, allow_hardlinks: bool = False,
                 max_open_fds: int = DEFAULT_MAX_OPEN_FDS) -> None:
        table: dict[str, Mount] = {"/": Mount(os.fspath(root), read_only)}
        for point, m in (mounts or {}).items():
            if not isinstance(point, str) or not point.startswith("/") or posixpath.normpath(point) != point:
                raise ConfigError(f"HostFileSystem: mount point {point!r} must be a normalised absolute guest path")
            table[point] = m if isinstance(m, Mount) else Mount(os.fspath(m))
        self._mounts = table
        self._mount_fds: dict[str, int] = {}
        for point, m in table.items():
            try:
                self._mount_fds[point] = os.open(m.host_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            except OSError as e:
                self.close_all()
                raise ConfigError(
                    f"HostFileSystem: cannot open mount {point!r} -> {m.host_dir!r}: {e.strerror}") from None
        self.allow_hardlinks = allow_hardlinks
        self._fds: FdTable[_Handle] = FdTable(max_open_fds)

    def __enter__(self) -> HostFileSystem:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close_all()

    def close_all(self) -> None:
        """Close the mount roots and every open guest handle (the provider is unusable after)."""
        for fd in list(getattr(self, "_fds", ())):
            os.close(self._fds.pop(fd).fd)
        for fd in self._mount_fds.values():
            os.close(fd)
        self._mount_fds = {}

    # ---- the walk --------------------------------------------------------------------------

    @contextmanager
    def _walk(self, path: str, syscall: str, *, follow_last: bool = True, strict: bool = True,
              ) -> Iterator[_Target]:
        check_path(path, syscall)
        opened: list[int] = []
        try:
            yield self._do_walk(path, syscall, follow_last, strict, opened)
        finally:
            for fd in opened:
                os.close(fd)

    def _do_walk(self, path: str, syscall: str, follow_last: bool, strict: bool, opened: list[int]) -> _Target:
        parts = deque(split_parts(path))
        names: list[str] = []
        fds: list[int] = [self._mount_fds["/"]]
        mounts: list[str] = ["/"]
        hops = 0

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

        while parts:
            name = parts.popleft()
            if name == "..":
                if names:
                    names.pop()
                    fds.pop()
                    mounts.pop()
                continue
            cur = fds[-1]
            last = not parts
            guest = "/" + "/".join([*names, name])
            if guest in self._mount_fds:
                if last:
                    mfd = self._mount_fds[guest]
                    return _Target(mfd, ".", guest, guest, os.stat(".", dir_fd=mfd))
                push_dir(name, cur)
                continue
            try:
                info: os.stat_result | None = os.stat(name, dir_fd=cur, follow_symlinks=False)
            except FileNotFoundError:
                info = None
            except OSError as e:
                if e.errno == errno.ENOTDIR and not strict:
                    info = None
                else:
                    raise _os_error(e, syscall, path) from None
            if info is None:
                if last:
                    return _Target(cur, name, guest, mounts[-1], None)
                if not strict:
                    return _Target(cur, name, posixpath.normpath("/".join([guest, *parts])), mounts[-1], None)
                raise fs_error("ENOENT", syscall, path)
            if st.S_ISLNK(info.st_mode) and (follow_last or not last):
                hops += 1
                if hops > SYMLOOP_MAX:
                    raise fs_error("ELOOP", syscall, path)
                try:
                    target = os.readlink(name, dir_fd=cur)
                except OSError as e:
                    raise _os_error(e, syscall, path) from None
                if target.startswith("/"):
                    names, fds, mounts = [], [self._mount_fds["/"]], ["/"]
                parts.extendleft(reversed(split_parts(target)))
                if not parts:  # the link pointed at "/" (or the mount root it restarted at)
                    return self._here(names, fds, mounts)
                continue
            if last:
                return _Target(cur, name, guest, mounts[-1], info)
            if not st.S_ISDIR(info.st_mode):
                if not strict:
                    return _Target(cur, name, posixpath.normpath("/".join([guest, *parts])), mounts[-1], None)
                raise fs_error("ENOTDIR", syscall, path)
            push_dir(name, cur)
        return self._here(names, fds, mounts)

    def _here(self, names: list[str], fds: list[int], mounts: list[str]) -> _Target:
        """The directory the walk stands in (after ``..`` or a link to a directory at the end)."""
        fd = fds[-1]
        return _Target(fd, ".", "/" + "/".join(names), mounts[-1], os.stat(".", dir_fd=fd))

    def _existing(self, t: _Target, syscall: str, path: str) -> os.stat_result:
        if t.lstat is None:
            raise fs_error("ENOENT", syscall, path)
        return t.lstat

    def _writable(self, t: _Target, syscall: str, path: str) -> None:
        if self._mounts[t.mount].read_only:
            raise fs_error("EROFS", syscall, path)

    def _open_file(self, t: _Target, flags: int, syscall: str, path: str, mode: int = 0o666) -> int:
        """Open a regular file beneath ``t.dir_fd``; refuse links, non-regular files and hard links."""
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

    # ---- FileSystemProvider ----------------------------------------------------------------

    def resolve(self, path: str, *, follow_last: bool = True) -> str:
        with self._walk(path, "resolve", follow_last=follow_last, strict=False) as t:
            return t.path

    def realpath(self, path: str) -> str:
        with self._walk(path, "realpath") as t:
            self._existing(t, "realpath", path)
            return t.path

    def exists(self, path: str) -> bool:
        try:
            with self._walk(path, "access") as t:
                return t.lstat is not None
        except GuestError:
            return False

    def read_file(self, path: str) -> bytes:
        with self._walk(path, "open") as t:
            self._existing(t, "open", path)
            fd = self._open_file(t, os.O_RDONLY, "open", path)
        try:
            size = os.fstat(fd).st_size
            if size > MAX_READ_BYTES:
                raise fs_error("EFBIG", "read", path, detail="file too large to read at once")
            chunks: list[bytes] = []
            total = 0
            while chunk := os.read(fd, 1 << 20):
                total += len(chunk)
                if total > MAX_READ_BYTES:
                    raise fs_error("EFBIG", "read", path, detail="file too large to read at once")
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)

    def write_file(self, path: str, data: bytes | str, *, append: bool = False) -> None:
        raw = to_bytes(data)
        with self._walk(path, "open") as t:
            self._writable(t, "open", path)
            fd = self._open_file(t, os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else 0), "open", path)
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

    def mkdir(self, path: str, *, recursive: bool = False, mode: int = 0o777) -> None:
        check_path(path, "mkdir")
        if recursive:
            parts = split_parts(posixpath.normpath(path))
            for i in range(1, len(parts) + 1):
                sub = "/" + "/".join(parts[:i])
                with self._walk(sub, "mkdir") as t:
                    if t.lstat is None:
                        self._mkdir_at(t, mode, path)
                    elif not st.S_ISDIR(t.lstat.st_mode):
                        raise fs_error("EEXIST" if i == len(parts) else "ENOTDIR", "mkdir", path)
            return
        with self._walk(path, "mkdir") as t:
            if t.lstat is not None:
                raise fs_error("EEXIST", "mkdir", path)
            self._mkdir_at(t, mode, path)

    def _mkdir_at(self, t: _Target, mode: int, path: str) -> None:
        self._writable(t, "mkdir", path)
        try:
            os.mkdir(t.name, mode & 0o777, dir_fd=t.dir_fd)
        except OSError as e:
            raise _os_error(e, "mkdir", path) from None

    def readdir(self, path: str) -> list[DirEntry]:
        with self._walk(path, "scandir") as t:
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

    def stat(self, path: str, *, follow: bool = True) -> StatResult:
        syscall = "stat" if follow else "lstat"
        with self._walk(path, syscall, follow_last=follow) as t:
            s = self._existing(t, syscall, path)
        return StatResult(_kind(s.st_mode), s.st_size, s.st_mode, s.st_nlink, s.st_ino, s.st_uid, s.st_gid,
                          s.st_atime_ns / 1e6, s.st_mtime_ns / 1e6, s.st_ctime_ns / 1e6,
                          getattr(s, "st_birthtime", s.st_ctime) * 1000.0)

    def _remove(self, path: str, syscall: str, *, want_dir: bool) -> None:
        with self._walk(path, syscall, follow_last=False) as t:
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
            except OSError as e:
                raise _os_error(e, syscall, path) from None

    def unlink(self, path: str) -> None:
        self._remove(path, "unlink", want_dir=False)

    def rmdir(self, path: str) -> None:
        self._remove(path, "rmdir", want_dir=True)

    def rm(self, path: str, *, recursive: bool = False, force: bool = False) -> None:
        remove_path(self, path, recursive=recursive, force=force)

    def rename(self, src: str, dst: str) -> None:
        with self._walk(src, "rename", follow_last=False) as s, self._walk(dst, "rename", follow_last=False) as d:
            self._existing(s, "rename", src)
            if s.mount != d.mount:
                raise fs_error("EXDEV", "rename", src, dst)
            if s.name == "." or d.name == ".":
                raise fs_error("EPERM", "rename", src, dst)
            self._writable(s, "rename", src)
            try:
                os.rename(s.name, d.name, src_dir_fd=s.dir_fd, dst_dir_fd=d.dir_fd)
            except OSError as e:
                raise _os_error(e, "rename", src, dst) from None

    def copy_file(self, src: str, dst: str) -> None:
        data = self.read_file(src)
        with self._walk(dst, "copyfile") as t:
            self._writable(t, "copyfile", dst)
        self.write_file(dst, data)

    def symlink(self, target: str, path: str) -> None:
        if not isinstance(target, str) or "\x00" in target or not target:
            raise fs_error("EINVAL", "symlink", path)
        with self._walk(path, "symlink", follow_last=False) as t:
            if t.lstat is not None:
                raise fs_error("EEXIST", "symlink", target, path)
            self._writable(t, "symlink", path)
            try:
                os.symlink(target, t.name, dir_fd=t.dir_fd)
            except OSError as e:
                raise _os_error(e, "symlink", target, path) from None

    def readlink(self, path: str) -> str:
        with self._walk(path, "readlink", follow_last=False) as t:
            info = self._existing(t, "readlink", path)
            if not st.S_ISLNK(info.st_mode):
                raise fs_error("EINVAL", "readlink", path)
            return os.readlink(t.name, dir_fd=t.dir_fd)

    def link(self, existing: str, new: str) -> None:
        if not self.allow_hardlinks:
            raise fs_error("EPERM", "link", existing, new, detail="operation not permitted (hard links disabled)")
        with self._walk(existing, "link", follow_last=False) as s:
            # the kernel's order: the whole source path first, then the new name's parent
            info = self._existing(s, "link", existing)
            with self._walk(new, "link", follow_last=False) as d:
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
    def _meta_fd(self, path: str, syscall: str) -> Iterator[int]:
        """An O_PATH-free handle for metadata changes: the resolved entry, opened without following."""
        with self._walk(path, syscall) as t:
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

    def chmod(self, path: str, mode: int) -> None:
        with self._meta_fd(path, "chmod") as fd:
            os.fchmod(fd, check_length(mode, "mode") & 0o7777)

    def chown(self, path: str, uid: int, gid: int) -> None:
        with self._meta_fd(path, "chown") as fd:
            os.fchown(fd, check_length(uid, "uid"), check_length(gid, "gid"))

    def utimes(self, path: str, atime_s: float, mtime_s: float) -> None:
        with self._meta_fd(path, "utime") as fd:
            os.utime(fd, (float(atime_s), float(mtime_s)))

    def truncate(self, path: str, length: int = 0) -> None:
        n = check_length(length)
        with self._walk(path, "open") as t:
            self._existing(t, "open", path)
            self._writable(t, "open", path)
            fd = self._open_file(t, os.O_WRONLY, "open", path)
        try:
            os.ftruncate(fd, n)
        except OSError as e:
            raise _os_error(e, "ftruncate", path) from None
        finally:
            os.close(fd)

    def open(self, path: str, flags: str = "r", mode: int = 0o666) -> int:
        fl = parse_flags(flags)
        if len(self._fds) >= self._fds.max_open:
            raise fs_error("EMFILE", "open", path)
        os_flags = (os.O_RDWR if fl.readable and fl.writable else os.O_WRONLY if fl.writable else os.O_RDONLY)
        os_flags |= (os.O_CREAT if fl.create else 0) | (os.O_EXCL if fl.exclusive else 0)
        os_flags |= os.O_APPEND if fl.append else 0
        with self._walk(path, "open") as t:
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
                return self._fds.add(_Handle(fd, path, True, False), path)
            fd = self._open_file(t, os_flags, "open", path, check_length(mode, "mode") & 0o777)
        if fl.truncate:
            os.ftruncate(fd, 0)
        return self._fds.add(_Handle(fd, path, fl.readable, fl.writable), path)

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

    def write(self, fd: int, data: bytes | str, position: int | None = None) -> int:
        h = self._fds.get(fd, "write")
        if not h.writable:
            raise fs_error("EBADF", "write")
        raw = to_bytes(data)
        try:
            if position is None:
                return os.write(h.fd, raw)
            return os.pwrite(h.fd, raw, check_length(position, "position"))
        except OSError as e:
            raise _os_error(e, "write", h.path) from None

    def close(self, fd: int) -> None:
        os.close(self._fds.pop(fd).fd)

    @property
    def open_fd_count(self) -> int:
        return len(self._fds)
