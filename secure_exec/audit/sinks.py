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
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol, runtime_checkable

import orjson

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

_OPEN_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
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
    """Append-only JSON-lines file: one ``write(2)`` per line, optional ``fsync`` per line.

    Unbuffered appends mean a killed process leaves at most one partial last line. Opening an
    existing log resumes its chain from the last complete event (see :meth:`resume_point`).
    """

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = False) -> None:
        self.path = os.fspath(path)
        self.fsync = fsync
        self._fd: int | None = os.open(self.path, _OPEN_FLAGS, 0o600)
        try:
            _lock_exclusively(self._fd, self.path)
        except OSError:
            os.close(self._fd)
            raise
        self._needs_newline = False
        size = os.fstat(self._fd).st_size
        if size:
            with open(self.path, "rb") as fh:
                fh.seek(size - 1)
                self._needs_newline = fh.read(1) != b"\n"

    def fileno(self) -> int:
        if self._fd is None:
            raise OSError("audit log file is closed")
        return self._fd

    def resume_point(self) -> tuple[int, str, str] | None:
        """(seq, hash, event name) of the last complete, parseable event, or None for a new chain."""
        return read_resume_point(self.path)

    def write(self, line: bytes, event: Mapping[str, Any]) -> None:
        fd = self._fd
        if fd is None:
            raise OSError("audit log file is closed")
        if self._needs_newline:
            # Terminate a partial line left by a crash or a failed write, so it stays one
            # reportable broken line instead of corrupting the next event.
            line = b"\n" + line
        written = os.write(fd, line)  # one syscall per line: nothing sits in a user-space buffer
        if written != len(line):
            self._write_rest(fd, memoryview(line)[written:])
        self._needs_newline = False
        if self.fsync:
            os.fsync(fd)

    def _write_rest(self, fd: int, rest: memoryview) -> None:
        """Finish a short write (a full disk, a signal); on failure the next line starts afresh."""
        self._needs_newline = True
        while rest:
            rest = rest[os.write(fd, rest) :]

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


def read_resume_point(path: str) -> tuple[int, str, str] | None:
    """Scan backwards for the last complete line that parses as an event with ``seq`` and ``hash``."""
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        return None
    with fh:
        fh.seek(0, os.SEEK_END)
        end = fh.tell()
        pos = end
        tail = b""
        while pos > 0 and end - pos < _TAIL_LIMIT:
            step = min(_TAIL_CHUNK, pos)
            pos -= step
            fh.seek(pos)
            tail = fh.read(step) + tail
            lines = tail.split(b"\n")
            # lines[-1] is empty or a partial line; lines[0] may be cut unless we reached the start.
            complete = lines[:-1] if pos == 0 else lines[1:-1]
            for raw in reversed(complete):
                found = _seq_and_hash(raw)
                if found is not None:
                    return found
    return None


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
