"""Where rendered audit lines go.

A sink receives the final line (bytes, newline-terminated) and the event dict it encodes. The
*primary* sink decides whether an event happened as far as the log is concerned (its failure can
deny the operation); *extra* sinks only get copies and their failures are reported, never fatal.
"""

from __future__ import annotations

import collections
import errno
import os
import stat
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol, runtime_checkable

import orjson

from secure_exec.audit.schema import CHECKPOINT

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

# Read as well: a torn region is read back (pread) to be hashed into its log.recovered event.
_OPEN_FLAGS = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
_TAIL_CHUNK = 64 * 1024
_TAIL_LIMIT = 4 * 1024 * 1024


@runtime_checkable
class AuditSink(Protocol):
    """Anything with ``write(line, event)``; ``close()`` is optional."""

    def write(self, line: bytes, event: Mapping[str, Any]) -> None: ...


class CallableSink:
    """Adapts ``fn(event_dict)`` (e.g. a pluggy ``secure_exec_audit_event`` caller) to a sink.

    Each call gets its own freshly parsed dict, so a sink that mutates it cannot affect the log or
    other sinks.
    """

    def __init__(self, fn: Callable[[dict[str, Any]], object]) -> None:
        self.fn = fn

    def write(self, line: bytes, event: Mapping[str, Any]) -> None:
        self.fn(orjson.loads(line))

    def __repr__(self) -> str:
        return f"CallableSink({getattr(self.fn, '__qualname__', type(self.fn).__name__)})"


class MemorySink:
    """Keeps the most recent lines in memory (tests, and hosts that opted out of a file).

    Stores the rendered bytes only (not dicts): bytes are invisible to the garbage collector, so a
    full buffer does not slow every later collection. Events are parsed when read.
    """

    def __init__(self, maxlen: int | None = 100_000) -> None:
        self.lines: collections.deque[bytes] = collections.deque(maxlen=maxlen)

    def write(self, line: bytes, event: Mapping[str, Any]) -> None:
        self.lines.append(line)

    @property
    def events(self) -> list[dict[str, Any]]:
        return [orjson.loads(line) for line in list(self.lines)]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.lines)

    def close(self) -> None:
        """Nothing to release; kept so every sink can be closed the same way."""


class StderrSink:
    """Writes lines to the process's stderr (as bytes when possible)."""

    def write(self, line: bytes, event: Mapping[str, Any]) -> None:
        stream = sys.stderr
        buf = getattr(stream, "buffer", None)
        if buf is not None:
            buf.write(line)
            buf.flush()
        else:
            stream.write(line.decode("utf-8", "replace"))
            stream.flush()

    def close(self) -> None:
        """stderr belongs to the process; never closed here."""


class FileSink:
    """Append-only JSON-lines file: exactly one ``write(2)`` per line, optional ``fsync`` per line.

    Unbuffered whole-line appends mean a killed process leaves at most one partial last line. A
    torn region (bytes after the last complete event: a cut inside a line, or a short write on a
    full disk) is found on open and after any failed write; :attr:`needs_recovery` then stays true
    until the owning log has recorded it in a ``log.recovered`` event (see :meth:`torn_region`).
    Opening an existing log resumes its chain from the last complete event (:meth:`resume_point`).
    """

    def __init__(
        self, path: str | os.PathLike[str], *, fsync: bool = False, check_interval: float = 0.25
    ) -> None:
        self.path = os.fspath(path)
        self.fsync = fsync
        self.check_interval = check_interval
        self._fd: int | None = os.open(self.path, _OPEN_FLAGS, 0o600)
        try:
            _lock_exclusively(self._fd, self.path)
        except OSError:
            os.close(self._fd)
            raise
        self._resume = read_resume_point(self.path)
        size = os.fstat(self._fd).st_size
        # End of the last complete event: everything after it is a torn region to recover.
        self._good_end = self._resume[3] if self._resume is not None else 0
        self._size = size
        self.needs_recovery = size > self._good_end
        self.recovery_reason = "opened after an interrupted write"
        self._needs_newline = False
        st = os.fstat(self._fd)
        self.ident = (st.st_dev, st.st_ino)
        self.opened_at = time.time()
        self._next_check = time.monotonic() + check_interval

    @property
    def size(self) -> int:
        """Bytes in the file as far as this writer knows (its own appends)."""
        return self._size

    def changed(self) -> str | None:
        """Has the file been truncated, deleted or replaced behind this writer's back?

        Every call (every event) compares the end of the file with what this writer wrote (one
        ``lseek``, ~0.3 µs): a shorter file was truncated (``copytruncate``); a longer one got
        bytes from elsewhere, which become a torn region to recover. At most every
        ``check_interval`` seconds (0: every call) it also checks that the path still names the
        open file (``fstat`` link count, ``stat`` of the path: ~3 µs together).
        Returns ``"truncated"``, ``"deleted"``, ``"moved"``, ``"replaced"`` or None.
        """
        fd = self.fileno()
        end = os.lseek(fd, 0, os.SEEK_END)
        if end != self._size:
            if end < self._size:
                return "truncated"
            if not self.needs_recovery:  # not our own failed write: someone else's bytes
                self.needs_recovery = True
                self.recovery_reason = "bytes were appended by another writer"
        now = time.monotonic()
        if now < self._next_check:
            return None
        self._next_check = now + self.check_interval
        return self.identity_changed()

    def identity_changed(self) -> str | None:
        """The full check: is the open file still the one at ``path``?"""
        fd = self.fileno()
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None  # devices (/dev/full) and pipes have no identity to lose
        if os.fstat(fd).st_nlink == 0:
            return "deleted"
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return "moved"
        if (st.st_dev, st.st_ino) != self.ident:
            return "replaced"
        return None

    def salvage(self, target: str) -> int:
        """Copy the whole (deleted) file this writer still holds to ``target`` (new, mode 0600)."""
        fd = self.fileno()
        out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
        copied = 0
        try:
            while True:
                chunk = os.pread(fd, _TAIL_CHUNK * 16, copied)
                if not chunk:
                    break
                view = memoryview(chunk)
                while view:
                    view = view[os.write(out, view) :]
                copied += len(chunk)
            os.fsync(out)
        finally:
            os.close(out)
        return copied

    def restart_after_truncation(self) -> None:
        """``copytruncate`` emptied the file: continue at its new end (the next line is a link)."""
        end = os.lseek(self.fileno(), 0, os.SEEK_END)
        self._size = self._good_end = end
        self._needs_newline = end > 0

    def fileno(self) -> int:
        if self._fd is None:
            raise OSError("audit log file is closed")
        return self._fd

    def resume_point(self) -> tuple[int, str, str] | None:
        """(seq, hash, event name) of the last complete, parseable event, or None for a new chain."""
        return self._resume[:3] if self._resume is not None else None

    def torn_region(self) -> bytes:
        """The bytes after the last complete event (empty when there are none), read from disk.

        When it is not empty the next line written starts with a newline that terminates it, so the
        region stays exactly these bytes on disk, followed by the ``log.recovered`` line.
        """
        fd = self.fileno()
        size = os.fstat(fd).st_size
        if size <= self._good_end:
            self.needs_recovery = False
            self._good_end = self._size = size
            return b""
        chunks: list[bytes] = []
        pos = self._good_end
        while pos < size:
            chunk = os.pread(fd, min(_TAIL_CHUNK, size - pos), pos)
            if not chunk:
                break
            chunks.append(chunk)
            pos += len(chunk)
        self._size = pos
        self._needs_newline = True
        return b"".join(chunks)

    def terminate(self) -> None:
        """Add the missing newline to a torn region that is in fact one whole event."""
        written = os.write(self.fileno(), b"\n")
        if written != 1:  # pragma: no cover - a 1-byte write is all or nothing
            raise OSError(errno.ENOSPC, "short write", self.path)
        self._size += 1
        self._good_end = self._size
        self._needs_newline = False
        self.needs_recovery = False

    def recovered(self) -> None:
        """The owning log wrote the ``log.recovered`` line: the torn region is accounted for."""
        self.needs_recovery = False

    def write(self, line: bytes, event: Mapping[str, Any]) -> None:
        fd = self._fd
        if fd is None:
            raise OSError("audit log file is closed")
        if self._needs_newline:
            # Terminate the torn region, so it stays its own bytes instead of corrupting this line.
            line = b"\n" + line
        try:
            written = os.write(fd, line)  # one syscall per line: nothing sits in a user-space buffer
        except OSError:
            self.needs_recovery = True  # some bytes may have landed (NFS, FUSE): look on disk next time
            self.recovery_reason = "a write failed in this process"
            raise
        if written != len(line):
            # Never a second write(2) for the rest: a line is whole or it is a torn region that the
            # next writer records (a full disk usually refuses the rest anyway).
            self.needs_recovery = True
            self.recovery_reason = "a write failed in this process"
            raise OSError(errno.ENOSPC, f"short write ({written} of {len(line)} bytes)", self.path)
        self._needs_newline = False
        self._size += written
        self._good_end = self._size
        if self.fsync:
            os.fsync(fd)

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def _lock_exclusively(fd: int, path: str) -> None:
    """Refuse a log file another process is appending to: two writers would interleave two chains.

    An advisory ``flock``, released by the kernel when the holder exits (even on SIGKILL).
    """
    if fcntl is None or not stat.S_ISREG(os.fstat(fd).st_mode):
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise OSError(errno.EBUSY, "it is being written by another process", path) from None


def read_resume_point(path: str) -> tuple[int, str, str, int] | None:
    """Scan backwards for the last complete line that parses as an event with ``seq`` and ``hash``.

    Returns (seq, hash, event name, offset just after that line's newline). Nothing legitimate
    follows a *final* checkpoint: events after one were written by someone else, so the resume
    point is then the checkpoint itself and what follows becomes a region to recover (hashed into
    ``log.recovered``), never adopted and signed by the next writer.
    """
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        return None
    latest: tuple[int, str, str, int] | None = None
    with fh:
        for raw, after in _lines_backwards(fh):
            found = _seq_and_hash(raw)
            if found is None:
                continue
            if found[2] == CHECKPOINT:
                if latest is not None and _is_final(raw):
                    return (*found, after)
                return latest if latest is not None else (*found, after)
            if latest is None:
                latest = (*found, after)
    return latest


def _lines_backwards(fh: Any) -> Iterator[tuple[bytes, int]]:
    """Complete lines from the end of ``fh`` (newest first), each with the offset just after its
    newline; each byte is parsed once; at most ``_TAIL_LIMIT`` bytes; a partial last line is skipped."""
    fh.seek(0, os.SEEK_END)
    end = pos = fh.tell()
    acc = b""  # first chunks: the unterminated last line, until a newline is seen
    carry: bytes | None = None  # later chunks: the start of a line whose beginning is earlier
    while pos > 0 and end - pos < _TAIL_LIMIT:
        prev, step = pos, min(_TAIL_CHUNK, pos)
        pos -= step
        fh.seek(pos)
        data = fh.read(step)
        if carry is None:
            joined = data + acc
            if b"\n" not in joined:
                acc = joined
                continue
            parts = joined.split(b"\n")
            after = end - len(parts[-1])
            lines = parts[:-1]
        else:
            lines = (data + carry).split(b"\n")
            after = prev + len(carry) + 1
        stop = 0 if pos == 0 else 1  # lines[0] may begin in an earlier chunk
        for k in range(len(lines) - 1, stop - 1, -1):
            yield lines[k], after
            after -= len(lines[k]) + 1
        carry = lines[0] if pos > 0 else b""


def _is_final(raw: bytes) -> bool:
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return False
    return isinstance(obj, dict) and obj.get("final") is True


def _seq_and_hash(raw: bytes) -> tuple[int, str, str] | None:
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(obj, dict):
        return None
    seq, digest = obj.get("seq"), obj.get("hash")
    if isinstance(seq, int) and not isinstance(seq, bool) and isinstance(digest, str):
        return seq, digest, str(obj.get("event", ""))
    return None
