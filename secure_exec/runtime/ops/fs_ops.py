"""``fs.*`` bridge ops: guest path -> provider walk -> policy + audit on that object -> act on it.

The bridge never decides on a path string it computed itself. It hands the provider a ``check``
(``FsCall``); the provider walks the guest path to the object it will act on, asks ``check(op,
canonical path)`` for that object -- every link of a hard-linked file, both real ends of a two-path
op, every entry of a tree it moves or removes -- and then acts on exactly that object. A provider
that returns without asking is refused (EIO), so a forgotten decision is loud, not an allow.

``OP_TABLE`` records, for every fs op, what handle the provider acts on; ``tests/test_fs_contract.py``
walks it and proves each op is decided on that handle. Descriptor ops act on the provider's
descriptor and are audited under the decision of the ``open`` that created it.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import attrs

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
MAX_MODULE_BYTES = 8 * 2**20
FD_EXEMPT = ("acts on the provider's descriptor that fs.open decided (never on its path); each call is audited "
             "as an outcome under that open's decision id; only this session's own descriptors are accepted")

OP_TABLE: dict[str, str] = {
    # bridge op -> the handle the provider acts on, and so the location it must be decided on
    "fs.readFile": "target",        # the file the path leads to, links followed
    "fs.writeFile": "target",       # the file that will be opened for writing (O_CREAT follows a dangling link)
    "fs.mkdir": "entry",            # every directory created
    "fs.readdir": "target",
    "fs.stat": "target",            # "entry" for lstat (follow: false)
    "fs.access": "target",
    "fs.unlink": "entry",           # the name itself, never the link's target
    "fs.rmdir": "entry",
    "fs.rm": "entry",               # and every entry beneath it
    "fs.readlink": "entry",
    "fs.realpath": "target",
    "fs.chmod": "target",
    "fs.chown": "target",
    "fs.utimes": "target",
    "fs.truncate": "target",
    "fs.rename": "entry",           # both ends, and every entry a directory carries, at both places
    "fs.copyFile": "target",        # the source read, the destination as it will be opened
    "fs.link": "entry",             # the source name and the new name
    "fs.symlink": "entry",          # the new name (and, defensively, where the target leads now)
    "fs.open": "target",
    "module.stat": "target",        # decided as "import", never as "read"
    "module.read": "target",
    "fs.read": "descriptor",        # the descriptor fs.open returned, never its path
    "fs.write": "descriptor",
    "fs.fstat": "descriptor",
    "fs.ftruncate": "descriptor",
    "fs.close": "descriptor",
}


@attrs.define
class OpenFile:
    """One descriptor this session opened: where it was decided, under which decision."""

    path: str
    writable: bool
    op_id: str


def _fs(s: Session, syscall: str, path: str | None) -> FileSystemProvider:
    fs = s.providers.filesystem
    if fs is None:
        raise s.not_configured("fs", syscall, path)
    return fs


def _spell(err: GuestError, norm: str, raw: str) -> GuestError:
    """Report the guest's own spelling of a path, as Node does."""
    if norm != raw:
        if err.path == norm:
            err.message = err.message.replace(f"'{norm}'", f"'{raw}'")
            err.path = raw
        elif err.dest == norm:
            err.message = err.message.replace(f"'{norm}'", f"'{raw}'")
            err.dest = raw
    return err


class FsCall:
    """One guest filesystem operation: its ``check`` for the provider, and its audit.

    ``with FsCall(s, "read", "open", raw) as c: c.fs.read_file(c.path, check=c.check)``. The first
    decision of the operation's own op ties the outcome event (and a descriptor's later ops) to it;
    every decision (folders a link passes, other links, both ends, tree entries) is its own audited
    event. An error the provider raises before any decision is
    reported only if the guest may look at the lexical path (so a refused area reveals nothing).
    """

    __slots__ = (
        "decided",
        "denied",
        "fs",
        "norms",
        "op",
        "path",
        "primary",
        "raws",
        "rec",
        "remap",
        "s",
        "scope",
        "syscall",
    )

    def __init__(self, s: Session, op: str, syscall: str, *raw: Any, args: tuple[str, ...] = ("path",),
                 remap: dict[str, str] | None = None) -> None:
        self.s, self.op, self.syscall = s, op, syscall
        self.raws: list[str] = []
        self.norms: list[str] = []
        for value, name in zip(raw, args, strict=True):
            self.norms.append(guest_path(value, cwd=s.cwd, syscall=syscall, arg=name))
            self.raws.append(value)
        self.path = self.norms[0]
        self.fs = _fs(s, syscall, self.raws[0])
        self.remap = remap
        self.decided: set[tuple[str, str]] = set()
        self.denied = False
        self.rec = Operation("")
        self.scope: OperationScope | None = None
        self.primary = False

    @property
    def dest(self) -> str:
        return self.norms[1]

    def _requested(self, path: str) -> str:
        if len(self.raws) == 1:
            return self.raws[0]
        for norm, raw in zip(self.norms, self.raws, strict=True):
            if path == norm or path.startswith(norm.rstrip("/") + "/"):
                return raw
        return self.raws[-1] if len(self.raws) > 1 and self.decided else self.raws[0]

    def check(self, op: str, path: str) -> None:
        """The provider's question: may the guest do ``op`` on the object at ``path``?"""
        if self.remap is not None:
            op = self.remap.get(op, op)
        key = (op, path)
        if key in self.decided:
            return
        deadline = self.s.scope.deadline
        if deadline is not None and time.monotonic() >= deadline:  # deep trees stop at the run's deadline
            raise GuestError("ETIMEDOUT", node_message("ETIMEDOUT", self.syscall, self.raws[0],
                                                        "operation timed out (the run's time limit passed)"),
                             syscall=self.syscall, path=self.raws[0])
        requested = self._requested(path)
        try:
            op_id = self.s.gate.authorize(FsAccessRequest(op, path, requested=requested), capability="fs", op=op,
                                          resource=path, requested=requested, syscall=self.syscall,
                                          guest_path=self.raws[0])
        except GuestError:
            self.denied = True
            raise
        # The outcome (and a descriptor's later ops) belong to the operation's own decision: the first
        # one of its op, not a folder a link made the walk pass (decided as "stat" before it).
        if self.scope is None or (not self.primary and op == self.op):
            self.primary = op == self.op
            self.rec.op_id = op_id
            if self.scope is None:
                self.scope = OperationScope(self.s.gate, self.rec, "fs", op, path)
                self.scope.t0 = time.perf_counter()
            else:
                self.scope.op, self.scope.resource = op, path
        self.decided.add(key)

    def __enter__(self) -> FsCall:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        if self.denied:
            return  # the decision event says it all; nothing was done
        if not self.decided:
            if isinstance(ev, GuestError) or ev is None:
                # Nothing decided: the provider failed before reaching an object (ELOOP, bad input),
                # or broke the contract. Decide on the lexical path, so a refused area reveals nothing.
                self.s.gate.authorize(FsAccessRequest(self.op, self.path, requested=self.raws[0]),
                                      capability="fs", op=self.op, resource=self.path, requested=self.raws[0],
                                      syscall=self.syscall, guest_path=self.raws[0])
            if ev is None:
                raise GuestError("EIO", node_message("EIO", self.syscall, self.raws[0],
                                                     "i/o error (the filesystem provider did not ask the policy)"),
                                 syscall=self.syscall, path=self.raws[0])
            if isinstance(ev, GuestError):
                self._respell(ev)
            return
        assert self.scope is not None
        self.scope.__exit__(et, ev, tb)
        if isinstance(ev, GuestError):
            self._respell(ev)

    def _respell(self, err: GuestError) -> None:
        for norm, raw in zip(self.norms, self.raws, strict=True):
            _spell(err, norm, raw)


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


def _opt_int(args: dict[str, Any], key: str, *, hi: int = 2**53) -> int | None:
    return None if args.get(key) is None else _int(args, key, hi=hi)


def _stat_wire(st: StatResult) -> dict[str, Any]:
    return {"kind": st.kind, "size": st.size, "mode": st.mode, "nlink": st.nlink, "ino": st.ino, "uid": st.uid,
            "gid": st.gid, "atimeMs": st.atime_ms, "mtimeMs": st.mtime_ms, "ctimeMs": st.ctime_ms,
            "birthtimeMs": st.birthtime_ms}


def _text_or_b64(data: bytes, text: bool, raw: Any) -> dict[str, str]:
    if len(data) > MAX_FILE_BYTES:
        raise GuestError("EFBIG", node_message("EFBIG", "read", raw, "file too large"))
    if text:  # U+FFFD per maximal invalid subsequence, as Node's decoder
        return {"text": data.decode("utf-8", "replace")}
    return {"data_b64": base64.b64encode(data).decode()}


# ---- path ops -------------------------------------------------------------------------------------


def read_file(s: Session, a: dict[str, Any]) -> Any:
    with FsCall(s, "read", "open", a.get("path")) as c:
        data = c.fs.read_file(c.path, check=c.check)
        c.rec.bytes_out = len(data)
        return _text_or_b64(data, a.get("encoding") == "utf8", a.get("path"))


def write_file(s: Session, a: dict[str, Any]) -> Any:
    data = _b64(a, "data_b64")
    flag = a.get("flag", "w")
    if flag not in ("w", "a", "wx", "ax", "w+", "a+", "as", "as+", "r+"):
        raise GuestError("ERR_INVALID_ARG_VALUE", f"The value {flag!r} is invalid for option \"flag\"",
                         name="TypeError")
    with FsCall(s, "write", "open", a.get("path")) as c:
        c.fs.write_file(c.path, data, append=flag.startswith("a"), exclusive="x" in flag, check=c.check)
        c.rec.bytes_in = len(data)
    return None


def mkdir(s: Session, a: dict[str, Any]) -> Any:
    recursive = bool(a.get("recursive", False))
    mode = _int(a, "mode", 0o777, hi=0o7777)
    with FsCall(s, "mkdir", "mkdir", a.get("path")) as c:
        first = c.fs.mkdir(c.path, recursive=recursive, mode=mode, check=c.check)
    return {"first": first if recursive else None}


def readdir(s: Session, a: dict[str, Any]) -> Any:
    with FsCall(s, "readdir", "scandir", a.get("path")) as c:
        return {"entries": [{"name": e.name, "kind": e.kind} for e in c.fs.readdir(c.path, check=c.check)]}


def stat(s: Session, a: dict[str, Any]) -> Any:
    follow = bool(a.get("follow", True))
    with FsCall(s, "stat", "stat" if follow else "lstat", a.get("path")) as c:
        return _stat_wire(c.fs.stat(c.path, follow=follow, check=c.check))


def access(s: Session, a: dict[str, Any]) -> Any:
    mode = _int(a, "mode", 0, hi=7)
    op = "write" if mode & 2 else "read" if mode & 4 else "exists"
    with FsCall(s, op, "access", a.get("path"), remap={"stat": op}) as c:
        st = c.fs.stat(c.path, check=c.check)
        if (mode & 2 and not st.mode & 0o222) or (mode & 4 and not st.mode & 0o444):
            raise GuestError("EACCES", node_message("EACCES", "access", c.path, "permission denied"),
                             syscall="access", path=c.path)
    return None


def unlink(s: Session, a: dict[str, Any]) -> Any:
    with FsCall(s, "rm", "unlink", a.get("path")) as c:
        c.fs.unlink(c.path, check=c.check)
    return None


def rmdir(s: Session, a: dict[str, Any]) -> Any:
    with FsCall(s, "rm", "rmdir", a.get("path")) as c:
        c.fs.rmdir(c.path, check=c.check)
    return None


def rm(s: Session, a: dict[str, Any]) -> Any:
    recursive, force = bool(a.get("recursive", False)), bool(a.get("force", False))
    with FsCall(s, "rm", "rm", a.get("path")) as c:
        c.fs.rm(c.path, recursive=recursive, force=force, check=c.check)
    return None


def readlink(s: Session, a: dict[str, Any]) -> Any:
    with FsCall(s, "readlink", "readlink", a.get("path")) as c:
        return {"target": c.fs.readlink(c.path, check=c.check)}


def realpath(s: Session, a: dict[str, Any]) -> Any:
    with FsCall(s, "stat", "realpath", a.get("path")) as c:
        return {"path": c.fs.realpath(c.path, check=c.check)}


def chmod(s: Session, a: dict[str, Any]) -> Any:
    mode = _int(a, "mode", hi=0o7777)
    with FsCall(s, "chmod", "chmod", a.get("path")) as c:
        c.fs.chmod(c.path, mode, check=c.check)
    return None


def chown(s: Session, a: dict[str, Any]) -> Any:
    uid, gid = _int(a, "uid", hi=2**32), _int(a, "gid", hi=2**32)
    with FsCall(s, "chown", "chown", a.get("path")) as c:
        c.fs.chown(c.path, uid, gid, check=c.check)
    return None


def utimes(s: Session, a: dict[str, Any]) -> Any:
    at, mt = a.get("atime_ms"), a.get("mtime_ms")
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in (at, mt)):
        raise GuestError("ERR_INVALID_ARG_TYPE", "atime and mtime must be numbers", name="TypeError")
    assert isinstance(at, int | float) and isinstance(mt, int | float)
    with FsCall(s, "utimes", "utime", a.get("path")) as c:
        c.fs.utimes(c.path, at / 1000.0, mt / 1000.0, check=c.check)
    return None


def truncate(s: Session, a: dict[str, Any]) -> Any:
    n = _int(a, "len", 0, hi=MAX_FILE_BYTES)
    with FsCall(s, "truncate", "open", a.get("path")) as c:
        c.fs.truncate(c.path, n, check=c.check)
    return None


def rename(s: Session, a: dict[str, Any]) -> Any:
    with FsCall(s, "rename", "rename", a.get("from"), a.get("to"), args=("from", "to")) as c:
        c.fs.rename(c.path, c.dest, check=c.check)
    return None


def copy_file(s: Session, a: dict[str, Any]) -> Any:
    exclusive = bool(a.get("exclusive", False))
    with FsCall(s, "read", "copyfile", a.get("from"), a.get("to"), args=("from", "to")) as c:
        c.fs.copy_file(c.path, c.dest, exclusive=exclusive, check=c.check)
    return None


def link(s: Session, a: dict[str, Any]) -> Any:
    with FsCall(s, "link", "link", a.get("existing"), a.get("path"), args=("existing", "path")) as c:
        c.fs.link(c.path, c.dest, check=c.check)
    return None


def symlink(s: Session, a: dict[str, Any]) -> Any:
    target = a.get("target")
    if not isinstance(target, str) or "\x00" in target:
        raise GuestError("ERR_INVALID_ARG_TYPE", 'The "target" argument must be a string without null bytes',
                         name="TypeError")
    with FsCall(s, "symlink", "symlink", a.get("path")) as c:
        c.fs.symlink(target, c.path, check=c.check)
    return None


# ---- descriptors ----------------------------------------------------------------------------------


def open_fd(s: Session, a: dict[str, Any]) -> Any:
    flags = a.get("flags", "r")
    if not isinstance(flags, str) or flags not in ("r", "r+", "rs+", "w", "wx", "w+", "wx+", "a", "ax", "a+",
                                                   "ax+", "as", "as+"):
        raise GuestError("ERR_INVALID_ARG_VALUE", f"The value {flags!r} is invalid for \"flags\"", name="TypeError")
    mode = _int(a, "mode", 0o666, hi=0o7777)
    if len(s.fds) >= MAX_OPEN_FDS:
        raise GuestError("EMFILE", node_message("EMFILE", "open", a.get("path") if isinstance(a.get("path"), str)
                                                else None, "too many open files"), syscall="open")
    with FsCall(s, "read" if flags == "r" else "write", "open", a.get("path")) as c:
        fd = c.fs.open(c.path, flags, mode, check=c.check)
        s.fds[fd] = OpenFile(c.scope.resource if c.scope else c.path, flags != "r", c.rec.op_id)
    return {"fd": fd}


def _own_fd(s: Session, a: dict[str, Any], syscall: str) -> tuple[int, OpenFile]:
    fd = a.get("fd")
    if not isinstance(fd, int) or isinstance(fd, bool) or fd not in s.fds:
        raise GuestError("EBADF", f"EBADF: bad file descriptor, {syscall}", syscall=syscall)
    return fd, s.fds[fd]


def _fd_op(s: Session, a: dict[str, Any], op: str, syscall: str,
           body: Callable[[FileSystemProvider, int, Operation], Any]) -> Any:
    """Act on the provider's descriptor and audit the outcome under the open's decision."""
    fd, of = _own_fd(s, a, syscall)
    rec = Operation(of.op_id)
    with OperationScope(s.gate, rec, "fs", op, of.path):
        return body(_fs(s, syscall, None), fd, rec)


def read_fd(s: Session, a: dict[str, Any]) -> Any:
    n = _int(a, "length", hi=MAX_READ_CHUNK)
    pos = _opt_int(a, "position")

    def body(fs: FileSystemProvider, fd: int, rec: Operation) -> Any:
        data = fs.read(fd, n, pos)
        rec.bytes_out = len(data)
        return {"data_b64": base64.b64encode(data).decode()}
    return _fd_op(s, a, "read", "read", body)


def write_fd(s: Session, a: dict[str, Any]) -> Any:
    data = _b64(a, "data_b64")
    pos = _opt_int(a, "position", hi=2**53)

    def body(fs: FileSystemProvider, fd: int, rec: Operation) -> Any:
        rec.bytes_in = len(data)
        return {"written": fs.write(fd, data, pos)}
    return _fd_op(s, a, "write", "write", body)


def close_fd(s: Session, a: dict[str, Any]) -> Any:
    fd, _of = _own_fd(s, a, "close")
    del s.fds[fd]
    _fs(s, "close", None).close(fd)
    return None


def fstat(s: Session, a: dict[str, Any]) -> Any:
    return _fd_op(s, a, "stat", "fstat", lambda fs, fd, rec: _stat_wire(fs.fstat(fd)))


def ftruncate(s: Session, a: dict[str, Any]) -> Any:
    n = _int(a, "len", 0, hi=MAX_FILE_BYTES)
    _fd, of = _own_fd(s, a, "ftruncate")
    if not of.writable:
        raise GuestError("EBADF", "EBADF: bad file descriptor, ftruncate", syscall="ftruncate")
    return _fd_op(s, a, "truncate", "ftruncate", lambda fs, fd, rec: fs.ftruncate(fd, n))


# ---- modules: decided as "import", never as "read" ----------------------------------------------


def _verified(s: Session, path: str) -> tuple[bool, str, bytes | None]:
    """``(inside, canonical path, data)`` for a path under the session's verified module folder.

    A plugin's own modules come only from the copy its digest was checked on at load: a file
    changed, added or hidden on disk since then is never served, whatever specifier reaches it
    (``./x``, ``/plugin/x``, ``//plugin/x``, ``file:///plugin/x``, ``require``).
    """
    if s.modules is None:
        return False, path, None
    root, files = s.modules
    norm = guest_path(path, cwd=s.cwd, syscall="open")
    if norm != root and not norm.startswith(root + "/"):
        return False, norm, None
    return True, norm, files.get(norm[len(root) + 1:])


def _verified_kind(s: Session, norm: str) -> str | None:
    assert s.modules is not None
    root, files = s.modules
    rel = norm[len(root) + 1:]
    if rel in files:
        return "file"
    return "dir" if norm == root or any(f.startswith(rel + "/") for f in files) else None


def module_exists(s: Session, path: str, *, refused_is_absent: bool = True) -> bool:
    """Whether the loader may use ``path``: a refused probe is "absent", whether or not it exists.

    With ``refused_is_absent=False`` a refusal raises ``EACCES`` instead (for the path a relative
    import names: the guest learns it may not look there, never whether something is there).
    """
    inside, norm, _data = _verified(s, path)
    if inside:
        return _verified_kind(s, norm) is not None
    try:
        with FsCall(s, "import", "stat", path, remap={"exists": "import"}) as c:
            return c.fs.exists(c.path, check=c.check)
    except GuestError as e:
        if e.code == "EACCES" and not refused_is_absent:
            raise
        if e.code in ("EACCES", "ENOSYS", "ELOOP", "ENAMETOOLONG", "ENOENT", "ENOTDIR"):
            return False
        raise


def module_source(s: Session, path: str) -> str:
    """The text of a module the loader resolved, read as the ``import`` decision allows."""
    inside, norm, verified = _verified(s, path)
    if inside:
        if verified is None:  # not in the digest: hidden, added after load, or absent
            raise GuestError("ERR_MODULE_NOT_FOUND", f"Cannot find module '{norm}'")
        if len(verified) > MAX_MODULE_BYTES:
            raise GuestError("ERR_MODULE_TOO_LARGE", f"module {path} is larger than {MAX_MODULE_BYTES} bytes")
        return verified.decode("utf-8", "replace")
    with FsCall(s, "import", "open", path, remap={"read": "import"}) as c:
        data = c.fs.read_file(c.path, check=c.check)
        c.rec.bytes_out = len(data)
    if len(data) > MAX_MODULE_BYTES:
        raise GuestError("ERR_MODULE_TOO_LARGE", f"module {path} is larger than {MAX_MODULE_BYTES} bytes")
    return data.decode("utf-8", "replace")


def module_stat(s: Session, a: dict[str, Any]) -> Any:
    """The guest's CommonJS resolver: ``{"kind": ...}`` or ``{"kind": null}`` (absent or refused)."""
    raw = a.get("path")
    if isinstance(raw, str) and raw:
        inside, norm, _data = _verified(s, raw)
        if inside:
            return {"kind": _verified_kind(s, norm)}
    try:
        with FsCall(s, "import", "stat", a.get("path"), remap={"stat": "import"}) as c:
            return {"kind": c.fs.stat(c.path, check=c.check).kind}
    except GuestError as e:
        if e.code in ("EACCES", "ENOENT", "ENOTDIR", "ELOOP", "ENOSYS"):
            return {"kind": None}
        raise


def module_read(s: Session, a: dict[str, Any]) -> Any:
    """The guest's CommonJS loader: the module's text, decided as ``import``."""
    raw = a.get("path")
    if not isinstance(raw, str):
        raise GuestError("ERR_INVALID_ARG_TYPE", 'The "path" argument must be of type string', name="TypeError")
    return {"text": module_source(s, raw)}


def register(d: Dispatcher[Session]) -> None:
    handlers: dict[str, Callable[[Session, dict[str, Any]], Any]] = {
        "fs.readFile": read_file, "fs.writeFile": write_file, "fs.mkdir": mkdir, "fs.readdir": readdir,
        "fs.stat": stat, "fs.access": access, "fs.unlink": unlink, "fs.rmdir": rmdir, "fs.rm": rm,
        "fs.readlink": readlink, "fs.realpath": realpath, "fs.chmod": chmod, "fs.chown": chown,
        "fs.utimes": utimes, "fs.truncate": truncate, "fs.rename": rename, "fs.copyFile": copy_file,
        "fs.link": link, "fs.symlink": symlink, "fs.open": open_fd, "module.stat": module_stat,
        "module.read": module_read, "fs.read": read_fd, "fs.write": write_fd, "fs.fstat": fstat,
        "fs.ftruncate": ftruncate, "fs.close": close_fd,
    }
    assert set(handlers) == set(OP_TABLE), "every fs op names the handle it acts on in OP_TABLE"
    for name, fn in handlers.items():
        if OP_TABLE[name] == "descriptor":
            d.register(name, fn, exempt=FD_EXEMPT)
        else:
            d.register(name, fn, capability="fs")

