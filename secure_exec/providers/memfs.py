"""An in-memory filesystem with Node's semantics: dirs, files, symlinks, hard links, modes, times.

It is the default filesystem of a sandbox and the host's seeding tool
(``fs.write_file("/secret.txt", "top secret")``). Symlinks and hard links are real here (shared
inodes, ``nlink``), because the policy must be tested against them. Walking, links, descriptors
and the check contract live in ``inodefs.InodeFileSystem``; this module only stores inodes in
Python objects.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import attrs

from secure_exec.providers.fsutil import DEFAULT_MAX_OPEN_FDS, fs_error
from secure_exec.providers.inodefs import InodeFileSystem, Meta, entry_cost, now_ms


@attrs.define(eq=False)
class _Inode:
    kind: str
    mode: int
    uid: int
    gid: int
    target: str = ""
    data: bytearray = attrs.field(factory=bytearray)
    entries: dict[str, int] = attrs.field(factory=dict)
    links: list[tuple[int, str]] = attrs.field(factory=list)
    atime_ms: float = attrs.field(factory=now_ms)
    mtime_ms: float = attrs.field(factory=now_ms)
    ctime_ms: float = attrs.field(factory=now_ms)
    birthtime_ms: float = attrs.field(factory=now_ms)
    subdirs: int = 0


class MemoryStore:
    """Inodes in a dict keyed by number; directory entries name inode numbers."""

    root = 1

    def __init__(self) -> None:
        self._inos = itertools.count(2)
        self._nodes: dict[int, _Inode] = {1: _Inode("dir", 0o040755, 0, 0)}
        self._used = 0
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            yield

    def meta(self, ino: int) -> Meta:
        n = self._nodes[ino]
        if n.kind == "dir":
            nlink = 2 + n.subdirs if (n.links or ino == self.root) else 0
            size = 4096
        else:
            nlink = len(n.links)
            size = len(n.data) if n.kind == "file" else len(n.target.encode())
        return Meta(n.kind, n.mode, n.uid, n.gid, nlink, size, n.atime_ms, n.mtime_ms, n.ctime_ms, n.birthtime_ms)

    def child(self, dir_ino: int, name: str) -> tuple[int, str] | None:
        ino = self._nodes[dir_ino].entries.get(name)
        return None if ino is None else (ino, self._nodes[ino].kind)

    def entries(self, dir_ino: int) -> list[tuple[str, int, str]]:
        nodes = self._nodes
        return [(name, ino, nodes[ino].kind) for name, ino in sorted(nodes[dir_ino].entries.items())]

    def links(self, ino: int) -> list[tuple[int, str]]:
        return list(self._nodes[ino].links)

    def target(self, ino: int) -> str:
        return self._nodes[ino].target

    def create(self, kind: str, mode: int, uid: int, gid: int, target: str = "") -> int:
        ino = next(self._inos)
        self._nodes[ino] = _Inode(kind, mode, uid, gid, target)
        self._used += entry_cost("", target)  # the inode itself, and a link's target
        return ino

    def attach(self, dir_ino: int, name: str, ino: int) -> None:
        d, n = self._nodes[dir_ino], self._nodes[ino]
        d.entries[name] = ino
        n.links.append((dir_ino, name))
        self._used += len(name.encode("utf-8", "surrogatepass"))
        if n.kind == "dir":
            d.subdirs += 1

    def detach(self, dir_ino: int, name: str) -> None:
        d = self._nodes[dir_ino]
        ino = d.entries.pop(name)
        n = self._nodes[ino]
        n.links.remove((dir_ino, name))
        self._used -= len(name.encode("utf-8", "surrogatepass"))
        if n.kind == "dir":
            d.subdirs -= 1

    def free(self, ino: int) -> None:
        n = self._nodes.pop(ino, None)
        if n is not None:
            self._used -= len(n.data) + entry_cost("", n.target)

    def read(self, ino: int, offset: int, length: int) -> bytes:
        return bytes(self._nodes[ino].data[offset:offset + length])

    def write(self, ino: int, offset: int, data: bytes) -> None:
        buf = self._nodes[ino].data
        old = len(buf)
        if offset > old:
            buf.extend(bytes(offset - old))
        buf[offset:offset + len(data)] = data
        self._used += len(buf) - old

    def resize(self, ino: int, size: int) -> None:
        buf = self._nodes[ino].data
        old = len(buf)
        if size < old:
            del buf[size:]
        else:
            buf.extend(bytes(size - old))
        self._used += size - old

    def set_meta(self, ino: int, **fields: float | int) -> None:
        n = self._nodes[ino]
        for k, v in fields.items():
            if k not in ("mode", "uid", "gid", "atime_ms", "mtime_ms", "ctime_ms"):
                raise fs_error("EINVAL", "setattr")
            setattr(n, k, v)

    def used_bytes(self) -> int:
        return self._used


class InMemoryFileSystem(InodeFileSystem):
    """A ``FileSystemProvider`` that lives in Python objects.

    ``max_bytes`` caps the total file data (ENOSPC), ``max_open_fds`` the open handles (EMFILE).
    """

    def __init__(self, *, max_bytes: int = 256 * 2**20, max_open_fds: int = DEFAULT_MAX_OPEN_FDS,
                 uid: int = 0, gid: int = 0) -> None:
        super().__init__(MemoryStore(), max_bytes=max_bytes, max_open_fds=max_open_fds, uid=uid, gid=gid)


def create_in_memory_file_system(*, max_bytes: int = 256 * 2**20,
                                 max_open_fds: int = DEFAULT_MAX_OPEN_FDS) -> InMemoryFileSystem:
    """The ``secure-exec`` spelling of ``InMemoryFileSystem()`` (``createInMemoryFileSystem``)."""
    return InMemoryFileSystem(max_bytes=max_bytes, max_open_fds=max_open_fds)
