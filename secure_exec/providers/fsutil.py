"""Helpers every filesystem provider shares: Node-shaped errors, path checks, open flags, fd table.

Keeping these in one place makes the in-memory, host and third-party filesystems agree on error
codes and messages, which the guest's code (and Node's conformance tests) depend on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

import attrs

from secure_exec.errors import GuestError, node_message

PATH_MAX = 4096
NAME_MAX = 255
SYMLOOP_MAX = 40
DEFAULT_MAX_OPEN_FDS = 128
MAX_READ_BYTES = 64 * 2**20

_DETAIL = {
    "ENOENT": "no such file or directory",
    "EEXIST": "file already exists",
    "EISDIR": "illegal operation on a directory",
    "ENOTDIR": "not a directory",
    "ENOTEMPTY": "directory not empty",
    "ELOOP": "too many symbolic links encountered",
    "EINVAL": "invalid argument",
    "EBADF": "bad file descriptor",
    "EMFILE": "too many open files",
    "EROFS": "read-only file system",
    "EXDEV": "cross-device link not permitted",
    "EPERM": "operation not permitted",
    "EACCES": "permission denied",
    "ENAMETOOLONG": "name too long",
    "EFBIG": "file too large",
    "ENOSPC": "no space left on device",
    "EIO": "i/o error",
    "ENOSYS": "function not implemented",
    "EMLINK": "too many links",
}


def fs_error(code: str, syscall: str, path: str | None = None, dest: str | None = None,
             detail: str | None = None) -> GuestError:
    """A Node-style system error: ``ENOENT: no such file or directory, open '/x'``."""
    text = detail or _DETAIL.get(code, code.lower())
    return GuestError(code, node_message(code, syscall, path, text, dest), syscall=syscall, path=path, dest=dest)


def check_path(path: object, syscall: str) -> str:
    """Refuse what no provider should ever be handed: non-strings, NULs, relative or overlong paths."""
    if not isinstance(path, str):
        raise GuestError("ERR_INVALID_ARG_TYPE",
                         f'The "path" argument must be of type string. Received {type(path).__name__}',
                         name="TypeError")
    if "\x00" in path:
        raise GuestError("ERR_INVALID_ARG_VALUE", "The argument 'path' must be a string without null bytes.",
                         name="TypeError")
    if not path.startswith("/"):
        raise GuestError("ERR_INVALID_ARG_VALUE",
                         f"The argument 'path' must be an absolute path. Received {path[:200]!r}", name="TypeError")
    if len(path.encode("utf-8", "surrogatepass")) >= PATH_MAX:
        raise fs_error("ENAMETOOLONG", syscall, path[:256] + "...")
    for part in path.split("/"):
        if len(part.encode("utf-8", "surrogatepass")) > NAME_MAX:
            raise fs_error("ENAMETOOLONG", syscall, path)
    return path


def split_parts(path: str) -> list[str]:
    """Path components without empty and ``.`` parts (``..`` is kept: walkers clamp it at the root)."""
    return [p for p in path.split("/") if p and p != "."]


@attrs.frozen
class OpenFlags:
    readable: bool
    writable: bool
    create: bool
    exclusive: bool
    truncate: bool
    append: bool


_FLAGS = {
    "r": OpenFlags(True, False, False, False, False, False),
    "rs": OpenFlags(True, False, False, False, False, False),
    "r+": OpenFlags(True, True, False, False, False, False),
    "rs+": OpenFlags(True, True, False, False, False, False),
    "w": OpenFlags(False, True, True, False, True, False),
    "wx": OpenFlags(False, True, True, True, True, False),
    "w+": OpenFlags(True, True, True, False, True, False),
    "wx+": OpenFlags(True, True, True, True, True, False),
    "a": OpenFlags(False, True, True, False, False, True),
    "ax": OpenFlags(False, True, True, True, False, True),
    "as": OpenFlags(False, True, True, False, False, True),
    "a+": OpenFlags(True, True, True, False, False, True),
    "ax+": OpenFlags(True, True, True, True, False, True),
    "as+": OpenFlags(True, True, True, False, False, True),
}


def parse_flags(flags: object) -> OpenFlags:
    """Node's string open flags (``'r'``, ``'wx+'``, ...); anything else is ``ERR_INVALID_ARG_VALUE``."""
    if isinstance(flags, str):
        key = flags.replace("xs", "sx")
        key = flags if flags in _FLAGS else key
        if key in _FLAGS:
            return _FLAGS[key]
    raise GuestError("ERR_INVALID_ARG_VALUE", f"The argument 'flags' is invalid. Received {str(flags)[:32]!r}",
                     name="TypeError")


def check_fd(fd: object) -> int:
    if not isinstance(fd, int) or isinstance(fd, bool) or fd < 0:
        raise GuestError("ERR_INVALID_ARG_TYPE", f'The "fd" argument must be a non-negative integer. Received {fd!r}',
                         name="TypeError")
    return fd


def check_length(length: object, name: str = "length") -> int:
    if not isinstance(length, int) or isinstance(length, bool) or length < 0:
        raise GuestError("ERR_OUT_OF_RANGE", f'The value of "{name}" is out of range. Received {length!r}',
                         name="RangeError")
    return length


def to_bytes(data: bytes | bytearray | memoryview | str) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise GuestError("ERR_INVALID_ARG_TYPE",
                     f'The "data" argument must be of type string or bytes. Received {type(data).__name__}',
                     name="TypeError")


FsCheck = Callable[[str, str], None]
"""``check(op, path)``: the provider contract's one question to the policy.

A provider calls it with the canonical location of the object it is about to act on -- after
its walk has reached that object and while it holds it (an inode under its lock, a directory
descriptor and a name, an open descriptor) -- and then acts on exactly that object. It raises
``GuestError('EACCES')`` to refuse. A file with several hard links is decided at every
location; a tree operation (recursive rm, a directory rename) decides on every entry it touches.
The host's own calls (seeding a filesystem) pass no check: ``no_check`` allows everything.
"""


def no_check(op: str, path: str) -> None:
    """The host's own calls: nothing to decide."""


H = TypeVar("H")


class FdTable(Generic[H]):
    """Small integers for open handles, lowest free first, capped so a guest cannot exhaust memory."""

    def __init__(self, max_open: int = DEFAULT_MAX_OPEN_FDS, first_fd: int = 3) -> None:
        self.max_open = max_open
        self._first = first_fd
        self._handles: dict[int, H] = {}
        self._lock = threading.Lock()

    def add(self, handle: H, path: str) -> int:
        with self._lock:  # a provider may be shared by sandboxes on several threads
            if len(self._handles) >= self.max_open:
                raise fs_error("EMFILE", "open", path)
            fd = self._first
            while fd in self._handles:
                fd += 1
            self._handles[fd] = handle
            return fd

    def get(self, fd: object, syscall: str) -> H:
        h = self._handles.get(check_fd(fd))
        if h is None:
            raise fs_error("EBADF", syscall)
        return h

    def pop(self, fd: object) -> H:
        with self._lock:
            h = self._handles.pop(check_fd(fd), None)
        if h is None:
            raise fs_error("EBADF", "close")
        return h

    def __len__(self) -> int:
        return len(self._handles)

    def __iter__(self) -> Iterator[int]:
        return iter(list(self._handles))
