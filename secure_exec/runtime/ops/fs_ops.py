"""``fs.*`` bridge ops: guest path -> resolved path -> policy + audit -> filesystem provider.

The policy is asked about the path the provider will really touch: symlinks are resolved by the
provider first (``follow_last=False`` for ops that act on a link itself), and two-path ops (rename,
copy, link, symlink) check both ends, the symlink's *target* included, so a link cannot smuggle an
unreadable file into an allowed folder. Errors keep Node's shape and the guest's own path.
"""

from __future__ import annotations

import base64
import binascii
import posixpath
from collections.abc import Callable
from typing import Any

from secure_exec.bridge.dispatch import Dispatcher
from secure_exec.bridge.gate import Operation, OperationScope
from secure_exec.bridge.paths import guest_path
from secure_exec.errors import GuestError, node_message
from secure_exec.policy.requests import FsAccessRequest
from secure_exec.providers.protocols import FileSystemProvider
from secure_exec.providers.types import StatResult
from secure_exec.runtime.session import MAX_OPEN_FDS, Session

MAX_FILE_BYTES = 64 * 2**20
MAX_READ_CHUNK = 8 * 2**20
FD_EXEMPT = "acts on a descriptor that fs.open authorised and audited; only this session's own fds are accepted"


def _fs(s: Session, syscall: str, path: str | None) -> FileSystemProvider:
    fs = s.providers.filesystem
    if fs is None:
        raise s.not_configured("fs", syscall, path)
    return fs


def _as_guest(err: GuestError, resolved: str, raw: str) -> GuestError:
    """Report the guest's own spelling of a path, as Node does."""
    if err.path == resolved and resolved != raw:
        err.message = err.message.replace(f"'{resolved}'", f"'{raw}'")
        err.path = raw
    return err


def _b64(args: dict[str, Any], key: str) -> bytes:
    v = args.get(key, "")
    if not isinstance(v, str):
        raise GuestError("ERR_INVALID_ARG_TYPE", f"'{key}' must be a base64 string", name="TypeError")
    try:
        data = base64.b64decode(v, validate=True)
    except (binascii.Error, ValueError):
        raise GuestError("ERR_INVALID_ARG_VALUE", f"'{key}' is not valid base64", name="TypeError") from None
    if len(data) > MAX_FILE_BYTES:
        raise GuestError("EFBIG", f"EFBIG: file too large (over {MAX_FILE_BYTES} bytes)")
    return data


def _int(args: dict[str, Any], key: str, default: int | None = None, *, lo: int = 0, hi: int = 2**53) -> int:
    v = args.get(key, default)
    if v is None or isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise GuestError("ERR_OUT_OF_RANGE", f"The value of \"{key}\" is out of range.", name="RangeError")
    return v


def _opt_int(args: dict[str, Any], key: str) -> int | None:
    return None if args.get(key) is None else _int(args, key)


class _Checked:
    """One path argument: raw guest string, normalised path, and the path the provider will touch."""

    __slots__ = ("norm", "raw", "resolved")

    def __init__(self, s: Session, raw: Any, *, syscall: str, follow_last: bool, arg: str = "path") -> None:
        self.norm = guest_path(raw, cwd=s.cwd, syscall=syscall, arg=arg)
        self.raw: str = raw
        fs = _fs(s, syscall, raw)
        try:
            self.resolved = fs.resolve(self.norm, follow_last=follow_last)
        except GuestError as e:
            # Decide on the lexical path first, so a refused area reveals nothing (not even ELOOP).
            s.gate.authorize(FsAccessRequest("stat", self.norm, requested=raw), capability="fs", op="stat",
                             resource=self.norm, requested=raw, syscall=syscall, guest_path=raw)
            raise _as_guest(e, self.norm, raw) from None


def _gated(s: Session, op: str, c: _Checked, syscall: str) -> OperationScope:
    return s.gate.operation(FsAccessRequest(op, c.resolved, requested=c.raw), capability="fs", op=op,
                            resource=c.resolved, requested=c.raw, syscall=syscall, guest_path=c.raw)


def _run(s: Session, op: str, raw: Any, syscall: str, body: Callable[[FileSystemProvider, str, Operation], Any],
         *, follow_last: bool = True) -> Any:
    c = _Checked(s, raw, syscall=syscall, follow_last=follow_last)
    fs = _fs(s, syscall, c.raw)
    with _gated(s, op, c, syscall) as rec:
        try:
            return body(fs, c.resolved, rec)
        except GuestError as e:
            raise _as_guest(e, c.resolved, c.raw) from None


def _stat_wire(st: StatResult) -> dict[str, Any]:
    return {"kind": st.kind, "size": st.size, "mode": st.mode, "nlink": st.nlink, "ino": st.ino, "uid": st.uid,
            "gid": st.gid, "atimeMs": st.atime_ms, "mtimeMs": st.mtime_ms, "ctimeMs": st.ctime_ms,
            "birthtimeMs": st.birthtime_ms}


def read_file(s: Session, a: dict[str, Any]) -> Any:
    text = a.get("encoding") == "utf8"

    def body(fs: FileSystemProvider, p: str, rec: Operation) -> Any:
        data = fs.read_file(p)
        if len(data) > MAX_FILE_BYTES:
            raise GuestError("EFBIG", node_message("EFBIG", "read", a.get("path"), "file too large"))
        rec.bytes_out = len(data)
        if text:  # U+FFFD per maximal invalid subsequence, as Node's decoder
            return {"text": data.decode("utf-8", "replace")}
        return {"data_b64": base64.b64encode(data).decode()}
    return _run(s, "read", a.get("path"), "open", body)


def write_file(s: Session, a: dict[str, Any]) -> Any:
    data = _b64(a, "data_b64")
    flag = a.get("flag", "w")
    if flag not in ("w", "a", "wx", "ax", "w+", "a+", "as", "as+", "r+"):
        raise GuestError("ERR_INVALID_ARG_VALUE", f"The value {flag!r} is invalid for option \"flag\"",
                         name="TypeError")

    def body(fs: FileSystemProvider, p: str, rec: Operation) -> Any:
        if "x" in flag and fs.exists(p):
            raise GuestError("EEXIST", node_message("EEXIST", "open", p, "file already exists"), syscall="open", path=p)
        fs.write_file(p, data, append=flag.startswith("a"))
        rec.bytes_in = len(data)
        return None
    return _run(s, "write", a.get("path"), "open", body)


def mkdir(s: Session, a: dict[str, Any]) -> Any:
    recursive = bool(a.get("recursive", False))
    mode = _int(a, "mode", 0o777, hi=0o7777)

    def body(fs: FileSystemProvider, p: str, rec: Operation) -> Any:
        first = None
        if recursive:
            cur = p
            while cur != "/" and not fs.exists(cur):
                first = cur
                cur = posixpath.dirname(cur)
        fs.mkdir(p, recursive=recursive, mode=mode)
        return {"first": first}
    return _run(s, "mkdir", a.get("path"), "mkdir", body)


def readdir(s: Session, a: dict[str, Any]) -> Any:
    return _run(s, "readdir", a.get("path"), "scandir",
                lambda fs, p, rec: {"entries": [{"name": e.name, "kind": e.kind} for e in fs.readdir(p)]})


def stat(s: Session, a: dict[str, Any]) -> Any:
    follow = bool(a.get("follow", True))
    return _run(s, "stat", a.get("path"), "stat" if follow else "lstat",
                lambda fs, p, rec: _stat_wire(fs.stat(p, follow=follow)), follow_last=follow)


def access(s: Session, a: dict[str, Any]) -> Any:
    mode = _int(a, "mode", 0, hi=7)
    op = "write" if mode & 2 else "read" if mode & 4 else "exists"

    def body(fs: FileSystemProvider, p: str, rec: Operation) -> Any:
        st = fs.stat(p)
        if (mode & 2 and not st.mode & 0o222) or (mode & 4 and not st.mode & 0o444):
            raise GuestError("EACCES", node_message("EACCES", "access", p, "permission denied"), syscall="access",
                             path=p)
        return None
    return _run(s, op, a.get("path"), "access", body)


def unlink(s: Session, a: dict[str, Any]) -> Any:
    return _run(s, "rm", a.get("path"), "unlink", lambda fs, p, rec: fs.unlink(p), follow_last=False)


def rmdir(s: Session, a: dict[str, Any]) -> Any:
    return _run(s, "rm", a.get("path"), "rmdir", lambda fs, p, rec: fs.rmdir(p), follow_last=False)


def rm(s: Session, a: dict[str, Any]) -> Any:
    recursive, force = bool(a.get("recursive", False)), bool(a.get("force", False))
    return _run(s, "rm", a.get("path"), "rm", lambda fs, p, rec: fs.rm(p, recursive=recursive, force=force),
                follow_last=False)


def readlink(s: Session, a: dict[str, Any]) -> Any:
    return _run(s, "readlink", a.get("path"), "readlink", lambda fs, p, rec: {"target": fs.readlink(p)},
                follow_last=False)


def realpath(s: Session, a: dict[str, Any]) -> Any:
    return _run(s, "stat", a.get("path"), "realpath", lambda fs, p, rec: {"path": fs.realpath(p)})


def chmod(s: Session, a: dict[str, Any]) -> Any:
    mode = _int(a, "mode", hi=0o7777)
    return _run(s, "chmod", a.get("path"), "chmod", lambda fs, p, rec: fs.chmod(p, mode))


def chown(s: Session, a: dict[str, Any]) -> Any:
    uid, gid = _int(a, "uid", hi=2**32), _int(a, "gid", hi=2**32)
    return _run(s, "chown", a.get("path"), "chown", lambda fs, p, rec: fs.chown(p, uid, gid))


def utimes(s: Session, a: dict[str, Any]) -> Any:
    at, mt = a.get("atime_ms"), a.get("mtime_ms")
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in (at, mt)):
        raise GuestError("ERR_INVALID_ARG_TYPE", "atime and mtime must be numbers", name="TypeError")
    assert isinstance(at, int | float) and isinstance(mt, int | float)
    return _run(s, "utimes", a.get("path"), "utime", lambda fs, p, rec: fs.utimes(p, at / 1000.0, mt / 1000.0))


def truncate(s: Session, a: dict[str, Any]) -> Any:
    n = _int(a, "len", 0, hi=MAX_FILE_BYTES)
    return _run(s, "truncate", a.get("path"), "open", lambda fs, p, rec: fs.truncate(p, n))


def _two(s: Session, a: dict[str, Any], k1: str, k2: str, syscall: str, op1: str,
         follow1: bool) -> tuple[_Checked, _Checked]:
    c1 = _Checked(s, a.get(k1), syscall=syscall, follow_last=follow1, arg=k1)
    c2 = _Checked(s, a.get(k2), syscall=syscall, follow_last=False, arg=k2)
    # Both ends are decided and audited before anything happens.
    s.gate.authorize(FsAccessRequest(op1, c1.resolved, requested=c1.raw), capability="fs", op=op1,
                     resource=c1.resolved, requested=c1.raw, syscall=syscall, guest_path=c1.raw)
    return c1, c2


def _finish_two(s: Session, c1: _Checked, c2: _Checked, op2: str, syscall: str,
                fn: Callable[[FileSystemProvider], None]) -> Any:
    fs = _fs(s, syscall, c1.raw)
    with _gated(s, op2, c2, syscall):
        try:
            fn(fs)
        except GuestError as e:
            raise _as_guest(_as_guest(e, c1.resolved, c1.raw), c2.resolved, c2.raw) from None
    return None


def rename(s: Session, a: dict[str, Any]) -> Any:
    c1, c2 = _two(s, a, "from", "to", "rename", "rename", False)
    return _finish_two(s, c1, c2, "rename", "rename", lambda fs: fs.rename(c1.resolved, c2.resolved))


def copy_file(s: Session, a: dict[str, Any]) -> Any:
    exclusive = bool(a.get("exclusive", False))
    c1, c2 = _two(s, a, "from", "to", "copyfile", "read", True)

    def do(fs: FileSystemProvider) -> None:
        if exclusive and fs.exists(c2.resolved):
            raise GuestError("EEXIST", node_message("EEXIST", "copyfile", c1.resolved, "file already exists",
                                                    c2.resolved), syscall="copyfile", path=c1.resolved)
        fs.copy_file(c1.resolved, c2.resolved)
    return _finish_two(s, c1, c2, "write", "copyfile", do)


def link(s: Session, a: dict[str, Any]) -> Any:
    c1, c2 = _two(s, a, "existing", "path", "link", "link", False)
    return _finish_two(s, c1, c2, "link", "link", lambda fs: fs.link(c1.resolved, c2.resolved))


def symlink(s: Session, a: dict[str, Any]) -> Any:
    target = a.get("target")
    c2 = _Checked(s, a.get("path"), syscall="symlink", follow_last=False)
    if not isinstance(target, str) or "\x00" in target:
        raise GuestError("ERR_INVALID_ARG_TYPE", 'The "target" argument must be a string without null bytes',
                         name="TypeError")
    # The link's target is checked as if it were opened through the link, relative to the link's folder.
    target_abs = target if target.startswith("/") else posixpath.join(posixpath.dirname(c2.norm), target)
    c1 = _Checked(s, target_abs, syscall="symlink", follow_last=True, arg="target")
    s.gate.authorize(FsAccessRequest("symlink", c1.resolved, requested=target), capability="fs", op="symlink",
                     resource=c1.resolved, requested=target, syscall="symlink", guest_path=target)
    return _finish_two(s, c1, c2, "symlink", "symlink", lambda fs: fs.symlink(target, c2.resolved))


def open_fd(s: Session, a: dict[str, Any]) -> Any:
    flags = a.get("flags", "r")
    if not isinstance(flags, str) or flags not in ("r", "r+", "rs+", "w", "wx", "w+", "wx+", "a", "ax", "a+",
                                                   "ax+", "as", "as+"):
        raise GuestError("ERR_INVALID_ARG_VALUE", f"The value {flags!r} is invalid for \"flags\"", name="TypeError")
    mode = _int(a, "mode", 0o666, hi=0o7777)
    if len(s.fds) >= MAX_OPEN_FDS:
        raise GuestError("EMFILE", node_message("EMFILE", "open", a.get("path") if isinstance(a.get("path"), str)
                                                else None, "too many open files"), syscall="open")
    op = "read" if flags == "r" else "write"
    c = _Checked(s, a.get("path"), syscall="open", follow_last=True)
    if "+" in flags and op == "write":
        s.gate.authorize(FsAccessRequest("read", c.resolved, requested=c.raw), capability="fs", op="read",
                         resource=c.resolved, requested=c.raw, syscall="open", guest_path=c.raw)
    fs = _fs(s, "open", c.raw)
    with _gated(s, op, c, "open"):
        try:
            fd = fs.open(c.resolved, flags, mode)
        except GuestError as e:
            raise _as_guest(e, c.resolved, c.raw) from None
    s.fds[fd] = (c.resolved, flags != "r")
    return {"fd": fd}


def _own_fd(s: Session, a: dict[str, Any], syscall: str) -> int:
    fd = a.get("fd")
    if not isinstance(fd, int) or isinstance(fd, bool) or fd not in s.fds:
        raise GuestError("EBADF", f"EBADF: bad file descriptor, {syscall}", syscall=syscall)
    return fd


def read_fd(s: Session, a: dict[str, Any]) -> Any:
    fd = _own_fd(s, a, "read")
    n = _int(a, "length", hi=MAX_READ_CHUNK)
    data = _fs(s, "read", None).read(fd, n, _opt_int(a, "position"))
    return {"data_b64": base64.b64encode(data).decode()}


def write_fd(s: Session, a: dict[str, Any]) -> Any:
    fd = _own_fd(s, a, "write")
    data = _b64(a, "data_b64")
    return {"written": _fs(s, "write", None).write(fd, data, _opt_int(a, "position"))}


def close_fd(s: Session, a: dict[str, Any]) -> Any:
    fd = _own_fd(s, a, "close")
    del s.fds[fd]
    _fs(s, "close", None).close(fd)
    return None


def fstat(s: Session, a: dict[str, Any]) -> Any:
    fd = _own_fd(s, a, "fstat")
    return _stat_wire(_fs(s, "fstat", None).stat(s.fds[fd][0]))


def ftruncate(s: Session, a: dict[str, Any]) -> Any:
    fd = _own_fd(s, a, "ftruncate")
    path, writable = s.fds[fd]
    if not writable:
        raise GuestError("EBADF", "EBADF: bad file descriptor, ftruncate", syscall="ftruncate")
    _fs(s, "ftruncate", None).truncate(path, _int(a, "len", 0, hi=MAX_FILE_BYTES))
    return None


def register(d: Dispatcher[Session]) -> None:
    gated: dict[str, Callable[[Session, dict[str, Any]], Any]] = {
        "fs.readFile": read_file, "fs.writeFile": write_file, "fs.mkdir": mkdir, "fs.readdir": readdir,
        "fs.stat": stat, "fs.access": access, "fs.unlink": unlink, "fs.rmdir": rmdir, "fs.rm": rm,
        "fs.readlink": readlink, "fs.realpath": realpath, "fs.chmod": chmod, "fs.chown": chown,
        "fs.utimes": utimes, "fs.truncate": truncate, "fs.rename": rename, "fs.copyFile": copy_file,
        "fs.link": link, "fs.symlink": symlink, "fs.open": open_fd,
    }
    for name, fn in gated.items():
        d.register(name, fn, capability="fs")
    fd_ops = {"fs.read": read_fd, "fs.write": write_fd, "fs.close": close_fd, "fs.fstat": fstat,
              "fs.ftruncate": ftruncate}
    for name, fn in fd_ops.items():
        d.register(name, fn, exempt=FD_EXEMPT)
