"""One shared writer per audit file per process.

Two AuditLog objects appending to the same file independently would each resume from the same
(seq, hash) and interleave two chains, which ``verify`` rightly rejects. So every AuditLog for a
given file (same device and inode) in this process shares one stream: one lock, one descriptor, one
chain position and one checkpoint counter. Another *process* appending to the same file is
refused (the writer holds an advisory ``flock`` while the file is open).
"""

from __future__ import annotations

import os
import stat
import threading

import attrs

from secure_exec.audit.pipeline import ChainState
from secure_exec.audit.schema import CHECKPOINT, GENESIS_HASH
from secure_exec.audit.sinks import AuditSink, FileSink, MemorySink
from secure_exec.errors import AuditWriteError, ConfigError

_registry: dict[tuple[int, int], LogStream] = {}


@attrs.frozen
class FileOptions:
    """How a file-backed log reacts to its file changing, and when it rotates (see docs/audit.md)."""

    on_file_change: str = "reopen"  # or "fail"
    check_interval: float = 0.25
    rotate_bytes: int | None = None
    rotate_seconds: float | None = None
_registry_lock = threading.Lock()


class LogStream:
    """The state every writer of one chain must agree on."""

    def __init__(
        self, sink: AuditSink, chain: ChainState, *, hmac_key: bytes | None, interval: int,
        ident: tuple[int, int] | None, tail_unanchored: bool, sign_id: str | None = None,
        file_options: FileOptions | None = None,
    ) -> None:
        self.lock = threading.Lock()
        self.sink = sink
        self.chain = chain
        self.hmac_key = hmac_key
        self.interval = interval
        self.sign_id = sign_id
        self.file_options = file_options or FileOptions()
        self.file_sink = sink if isinstance(sink, FileSink) and ident is not None else None
        self.file_failed: str | None = None  # on_file_change="fail" tripped: every later event is refused
        self.since_checkpoint = 0
        self.users = 1
        self.ident = ident
        # The file ended with events after its last checkpoint (the previous writer crashed).
        self.tail_unanchored = tail_unanchored


def memory_stream(maxlen: int | None, *, hmac_key: bytes | None, interval: int, sign_id: str | None) -> LogStream:
    return LogStream(MemorySink(maxlen), ChainState(0, GENESIS_HASH), hmac_key=hmac_key, interval=interval,
                     ident=None, tail_unanchored=False, sign_id=sign_id)


def open_file_stream(
    path: str, *, fsync: bool, hmac_key: bytes | None, interval: int, sign_id: str | None,
    file_options: FileOptions | None = None,
) -> LogStream:
    """The stream already writing ``path`` in this process, or a new one resuming the file's chain."""
    with _registry_lock:
        try:
            existing = os.stat(path)
        except OSError:
            existing = None
        shared = _registry.get((existing.st_dev, existing.st_ino)) if existing is not None else None
        if shared is not None:
            # Looked up before opening: a second descriptor would conflict with our own flock.
            options = file_options or FileOptions()
            if (shared.hmac_key != hmac_key or shared.interval != interval or shared.sign_id != sign_id
                    or shared.file_options != options):
                raise ConfigError(
                    f"audit log {path!r} is already open in this process with a different hmac_key, sign_key, "
                    "checkpoint_every or file options; one file has one policy",
                    code="ERR_AUDIT_CONFIG",
                )
            shared.users += 1
            return shared
        try:
            sink = FileSink(path, fsync=fsync, check_interval=(file_options or FileOptions()).check_interval)
        except OSError as exc:
            raise AuditWriteError(f"cannot open audit log {path!r}: {exc.strerror or exc}") from exc
        st = os.fstat(sink.fileno())
        ident = (st.st_dev, st.st_ino)
        resume = sink.resume_point()
        chain = ChainState(*(resume[:2] if resume else (0, GENESIS_HASH)))
        stream = LogStream(
            sink, chain, hmac_key=hmac_key, interval=interval, ident=ident,
            tail_unanchored=resume is not None and resume[2] != CHECKPOINT, sign_id=sign_id,
            file_options=file_options,
        )
        if stat.S_ISREG(st.st_mode):  # not devices such as /dev/full
            _registry[ident] = stream
        else:
            stream.file_sink = None
        return stream


def switch_file(stream: LogStream, sink: FileSink) -> None:
    """The stream now writes ``sink`` (after rotation or a reopen): re-key the shared registry."""
    with _registry_lock:
        if stream.ident is not None and _registry.get(stream.ident) is stream:
            del _registry[stream.ident]
        stream.sink = stream.file_sink = sink
        stream.ident = sink.ident
        _registry[sink.ident] = stream


def release(stream: LogStream) -> bool:
    """Drop one user; True when it was the last (the caller then closes the sink)."""
    with _registry_lock:
        stream.users -= 1
        if stream.users > 0:
            return False
        if stream.ident is not None and _registry.get(stream.ident) is stream:
            del _registry[stream.ident]
        return True
