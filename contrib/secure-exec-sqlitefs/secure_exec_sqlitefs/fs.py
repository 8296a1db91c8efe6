"""``SqliteFileSystem``: inodes and directory entries in SQLite, with Node's error codes.

Storing inodes separately from names gives hard links (two entries, one inode) and symlinks for
free. Path walking, links, descriptors, quotas and the provider's check contract are secure_exec's
shared ``InodeFileSystem`` core; this module is only its storage (``SqliteStore``), so a fix to the
core lands here too. Every public call is one transaction, so a crash never leaves a half-renamed
tree.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from secure_exec.providers.fsutil import DEFAULT_MAX_OPEN_FDS, fs_error
from secure_exec.providers.inodefs import ENTRY_COST, InodeFileSystem, Meta, entry_cost, now_ms

ROOT_INO = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS inodes (
    ino INTEGER PRIMARY KEY, kind TEXT NOT NULL, mode INTEGER NOT NULL, uid INTEGER NOT NULL DEFAULT 0,
    gid INTEGER NOT NULL DEFAULT 0, nlink INTEGER NOT NULL, data BLOB NOT NULL DEFAULT x'',
    target TEXT NOT NULL DEFAULT '', atime REAL NOT NULL, mtime REAL NOT NULL, ctime REAL NOT NULL,
    birthtime REAL NOT NULL);
CREATE TABLE IF NOT EXISTS dirents (
    parent INTEGER NOT NULL REFERENCES inodes(ino), name TEXT NOT NULL,
    ino INTEGER NOT NULL REFERENCES inodes(ino), PRIMARY KEY (parent, name));
CREATE INDEX IF NOT EXISTS dirents_ino ON dirents (ino);
"""
_COLUMNS = {"mode": "mode", "uid": "uid", "gid": "gid", "atime_ms": "atime", "mtime_ms": "mtime",
            "ctime_ms": "ctime"}


class SqliteStore:
    """Inodes in table ``inodes``, names in ``dirents``; ``nlink`` is derived from ``dirents``."""

    root = ROOT_INO

    def __init__(self, path: str) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        self._depth = 0
        self._db.executescript(_SCHEMA)
        if self._db.execute("SELECT 1 FROM inodes WHERE ino = ?", (ROOT_INO,)).fetchone() is None:
            t = now_ms()
            self._db.execute("INSERT INTO inodes (ino, kind, mode, nlink, atime, mtime, ctime, birthtime) "
                             "VALUES (?, 'dir', ?, 2, ?, ?, ?, ?)", (ROOT_INO, 0o040755, t, t, t, t))
        # file data, plus what names, inodes and link targets cost (the core's quota counts them too)
        self._used = int(self._db.execute(
            "SELECT COALESCE(SUM(length(data) + length(CAST(target AS BLOB))), 0) + (COUNT(*) - 1) * ? "
            "FROM inodes", (ENTRY_COST,)).fetchone()[0])
        self._used += int(self._db.execute("SELECT COALESCE(SUM(length(CAST(name AS BLOB))), 0) FROM dirents")
                          .fetchone()[0])

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            used = self._used
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                self._used = used
                raise
            finally:
                self._depth = 0
            self._db.execute("COMMIT")

    def meta(self, ino: int) -> Meta:
        r = self._db.execute("SELECT kind, mode, uid, gid, length(data), length(CAST(target AS BLOB)), atime, mtime, "
                             "ctime, birthtime FROM inodes WHERE ino = ?", (ino,)).fetchone()
        if r is None:
            raise fs_error("ENOENT", "stat")
        kind = r[0]
        names = self._db.execute("SELECT COUNT(*) FROM dirents WHERE ino = ?", (ino,)).fetchone()[0]
        if kind == "dir":
            subdirs = self._db.execute("SELECT COUNT(*) FROM dirents d JOIN inodes i ON i.ino = d.ino "
                                       "WHERE d.parent = ? AND i.kind = 'dir'", (ino,)).fetchone()[0]
            nlink = 2 + subdirs if (names or ino == ROOT_INO) else 0
            size = 4096
        else:
            nlink = names
            size = r[4] if kind == "file" else r[5]
        return Meta(kind, r[1], r[2], r[3], nlink, size, r[6], r[7], r[8], r[9])

    def child(self, dir_ino: int, name: str) -> tuple[int, str] | None:
        row = self._db.execute("SELECT i.ino, i.kind FROM dirents d JOIN inodes i ON i.ino = d.ino "
                               "WHERE d.parent = ? AND d.name = ?", (dir_ino, name)).fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def entries(self, dir_ino: int) -> list[tuple[str, int, str]]:
        rows = self._db.execute("SELECT d.name, i.ino, i.kind FROM dirents d JOIN inodes i ON i.ino = d.ino "
                                "WHERE d.parent = ? ORDER BY d.name", (dir_ino,)).fetchall()
        return [(str(n), int(i), str(k)) for n, i, k in rows]

    def links(self, ino: int) -> list[tuple[int, str]]:
        rows = self._db.execute("SELECT parent, name FROM dirents WHERE ino = ? ORDER BY rowid", (ino,)).fetchall()
        return [(int(p), str(n)) for p, n in rows]

    def target(self, ino: int) -> str:
        return str(self._db.execute("SELECT target FROM inodes WHERE ino = ?", (ino,)).fetchone()[0])

    def create(self, kind: str, mode: int, uid: int, gid: int, target: str = "") -> int:
        t = now_ms()
        cur = self._db.execute("INSERT INTO inodes (kind, mode, uid, gid, nlink, target, atime, mtime, ctime, "
                               "birthtime) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?)",
                               (kind, mode, uid, gid, target, t, t, t, t))
        assert cur.lastrowid is not None
        self._used += entry_cost("", target)
        return int(cur.lastrowid)

    def attach(self, dir_ino: int, name: str, ino: int) -> None:
        self._db.execute("INSERT INTO dirents (parent, name, ino) VALUES (?, ?, ?)", (dir_ino, name, ino))
        self._db.execute("UPDATE inodes SET nlink = nlink + 1 WHERE ino = ?", (ino,))
        self._used += len(name.encode("utf-8", "surrogatepass"))

    def detach(self, dir_ino: int, name: str) -> None:
        row = self._db.execute("SELECT ino FROM dirents WHERE parent = ? AND name = ?", (dir_ino, name)).fetchone()
        self._db.execute("DELETE FROM dirents WHERE parent = ? AND name = ?", (dir_ino, name))
        if row is not None:
            self._db.execute("UPDATE inodes SET nlink = nlink - 1 WHERE ino = ?", (row[0],))
            self._used -= len(name.encode("utf-8", "surrogatepass"))

    def free(self, ino: int) -> None:
        if ino == ROOT_INO:
            return
        row = self._db.execute("SELECT length(data), target FROM inodes WHERE ino = ?", (ino,)).fetchone()
        if row is not None:
            self._used -= int(row[0]) + entry_cost("", str(row[1]))
            self._db.execute("DELETE FROM inodes WHERE ino = ?", (ino,))

    def _size(self, ino: int) -> int:
        return int(self._db.execute("SELECT length(data) FROM inodes WHERE ino = ?", (ino,)).fetchone()[0])

    def read(self, ino: int, offset: int, length: int) -> bytes:
        row = self._db.execute("SELECT substr(data, ?, ?) FROM inodes WHERE ino = ?",
                               (offset + 1, length, ino)).fetchone()
        return bytes(row[0]) if row and row[0] is not None else b""

    def write(self, ino: int, offset: int, data: bytes) -> None:
        """In place through SQLite's blob I/O: a small write costs its own size, not the file's."""
        end = offset + len(data)
        if end > self._size(ino):
            self.resize(ino, end)
        if data:
            with self._db.blobopen("inodes", "data", ino) as blob:
                blob.seek(offset)
                blob.write(data)

    def resize(self, ino: int, size: int) -> None:
        old = self._size(ino)
        if size < old:
            self._db.execute("UPDATE inodes SET data = substr(data, 1, ?) WHERE ino = ?", (size, ino))
        elif size > old:
            # grown through a scratch row, copied in 1 MiB pieces: never the whole file in Python
            # (SQLite's || would turn the blob into text)
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS grow (id INTEGER PRIMARY KEY, data BLOB)")
            self._db.execute("INSERT OR REPLACE INTO grow (id, data) VALUES (1, zeroblob(?))", (size,))
            with self._db.blobopen("inodes", "data", ino, readonly=True) as src, \
                    self._db.blobopen("grow", "data", 1, name="temp") as dst:
                while piece := src.read(1 << 20):
                    dst.write(piece)
            self._db.execute("UPDATE inodes SET data = (SELECT data FROM temp.grow WHERE id = 1) WHERE ino = ?",
                             (ino,))
            self._db.execute("DELETE FROM temp.grow")
        self._used += size - old

    def set_meta(self, ino: int, **fields: float | int) -> None:
        cols = []
        for k in fields:
            if k not in _COLUMNS:
                raise fs_error("EINVAL", "setattr")
            cols.append(f"{_COLUMNS[k]} = ?")
        self._db.execute(f"UPDATE inodes SET {', '.join(cols)} WHERE ino = ?", (*fields.values(), ino))  # noqa: S608 - names from _COLUMNS

    def used_bytes(self) -> int:
        return self._used


class SqliteFileSystem(InodeFileSystem):
    """A ``FileSystemProvider`` persisted in the SQLite database at ``path`` (or ``":memory:"``)."""

    def __init__(self, path: str, *, max_bytes: int = 1 << 30, max_open_fds: int = DEFAULT_MAX_OPEN_FDS) -> None:
        self._store = SqliteStore(path)
        super().__init__(self._store, max_bytes=max_bytes, max_open_fds=max_open_fds)

    def close_db(self) -> None:
        self._store.close()


