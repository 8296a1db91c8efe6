"""AuditLog: the object the bridge calls on every decision and every completed operation."""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson

from secure_exec.audit import capture
from secure_exec.audit.chain import checkpoint_message, key_id, sign_checkpoint
from secure_exec.audit.ids import EventIdSource, rfc3339_now
from secure_exec.audit.pipeline import CONTEXT_KEY, EXTRA_KEY, build_audit_logger
from secure_exec.audit.sanitize import escape_text, redact
from secure_exec.audit.schema import (
    CAPABILITY_COMPLETED,
    CHECKPOINT,
    PERMISSION_CHECKED,
    SCHEMA,
    SCHEMA_VERSION,
    SINK_FAILED,
    AuditContext,
)
from secure_exec.audit.sinks import AuditSink, CallableSink, MemorySink, StderrSink
from secure_exec.audit.stream import memory_stream, open_file_stream, release
from secure_exec.errors import AuditWriteError, ConfigError

SinkLike = AuditSink | Callable[[dict[str, Any]], object]
_SYSTEM_CTX = AuditContext(session_id="")
_RESERVED = frozenset({"schema", "schema_version", "event", "event_id", "seq", "ts", "prev_hash", "hash"})


def _as_sink(obj: SinkLike) -> AuditSink:
    if isinstance(obj, AuditSink):
        return obj
    if callable(obj):
        return CallableSink(obj)
    raise ConfigError(f"audit sink {obj!r} is neither callable nor has write(line, event)", code="ERR_AUDIT_SINK")


def _text(value: Any) -> str:
    """Decision attributes may be str, enum or None; the log always stores text."""
    if value.__class__ is str:
        return value
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        value = value.value
    return value if isinstance(value, str) else str(value)


def _decision_word(decision: Any) -> str:
    word = getattr(decision, "decision", None)
    if word == "allow" or word == "deny":
        return word  # type: ignore[no-any-return]
    if word is None and hasattr(decision, "allow"):
        word = bool(decision.allow)
    if isinstance(word, bool):
        return "allow" if word else "deny"
    return _text(word).lower() or "deny"


class AuditLog:
    """Hash-chained JSON-lines audit log with fail-closed primary sink and best-effort extras.

    The primary sink is the file at ``path``, or an in-memory sink when ``path`` is None (see
    :meth:`null`). ``stderr=True`` mirrors every line to stderr; ``sinks`` get copies. Every public
    method returns the new event's ``event_id`` and is thread-safe.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        sinks: Sequence[SinkLike] = (),
        stderr: bool = False,
        fail_closed: bool = True,
        fsync: bool = False,
        hmac_key: bytes | None = None,
        checkpoint_every: int | None = None,
        memory_maxlen: int | None = 100_000,
    ) -> None:
        if checkpoint_every is not None and (isinstance(checkpoint_every, bool) or checkpoint_every < 1):
            raise ConfigError(f"checkpoint_every must be a positive int, got {checkpoint_every!r}")
        if hmac_key is not None and (not isinstance(hmac_key, bytes) or len(hmac_key) < 16):
            raise ConfigError("hmac_key must be bytes of at least 16 bytes", code="ERR_AUDIT_KEY")
        self.fail_closed = fail_closed
        self.path = os.fspath(path) if path is not None else None
        self._hmac_key = hmac_key
        self._interval = checkpoint_every or 0
        self._closed = False
        self._ids = EventIdSource()
        self._pending_failures: list[tuple[str, BaseException, Mapping[str, Any]]] = []
        extras = [_as_sink(s) for s in sinks]
        if stderr:
            extras.append(StderrSink())
        self._extras = tuple(extras)
        if self.path is not None:
            self._stream = open_file_stream(self.path, fsync=fsync, hmac_key=hmac_key, interval=self._interval)
        else:
            self._stream = memory_stream(memory_maxlen, hmac_key=hmac_key, interval=self._interval)
        primary = self._stream.sink
        self.memory: MemorySink | None = primary if isinstance(primary, MemorySink) else None
        self._lock = self._stream.lock
        self._chain = self._stream.chain
        self._logger = build_audit_logger(self, self._chain)
        if self._stream.tail_unanchored and (hmac_key is not None or self._interval):
            # The previous writer stopped without a closing checkpoint (crash): anchor its tail
            # now, so the signed-interval rule keeps holding across the restart.
            with self._lock:
                self._stream.tail_unanchored = False
                try:
                    self._checkpoint_locked(final=False)
                except AuditWriteError:
                    if release(self._stream):
                        self._stream.sink.close()  # type: ignore[attr-defined]
                    raise

    @classmethod
    def null(cls, *, maxlen: int | None = 10_000) -> AuditLog:
        """No file: events are chained and kept in memory (``.memory``) for the host that opted out."""
        return cls(None, memory_maxlen=maxlen)

    # -- public event API ------------------------------------------------------------------------

    def decision(
        self,
        ctx: AuditContext,
        *,
        capability: str,
        op: str,
        resource: str,
        resource_requested: str | None,
        decision: Any,
        resolved_ips: Sequence[str] = (),
        op_id: str = "",
    ) -> str:
        """Record one policy decision (``permission.checked``, stage ``decided``)."""
        return self._emit(
            PERMISSION_CHECKED,
            ctx,
            {
                "stage": "decided",
                "capability": capability,
                "op": op,
                "op_id": op_id,
                "resource": resource,
                "resource_requested": resource if resource_requested is None else resource_requested,
                "resolved_ips": [str(ip) for ip in resolved_ips],
                "decision": _decision_word(decision),
                "enforced": bool(getattr(decision, "enforced", True)),
                "reason": _text(getattr(decision, "reason", "")),
                "rule_id": _text(getattr(decision, "rule_id", "")),
                "rule_source": _text(getattr(decision, "rule_source", "")),
                "policy_digest": _text(getattr(decision, "policy_digest", "")),
            },
        )

    def outcome(
        self,
        ctx: AuditContext,
        *,
        capability: str,
        op: str,
        resource: str,
        status: str,
        error_code: str | None,
        duration_ms: float,
        bytes_in: int = 0,
        bytes_out: int = 0,
        op_id: str = "",
    ) -> str:
        """Record how an allowed operation ended (``capability.completed``, stage ``completed``)."""
        return self._emit(
            CAPABILITY_COMPLETED,
            ctx,
            {
                "stage": "completed",
                "capability": capability,
                "op": op,
                "op_id": op_id,
                "resource": resource,
                "status": status,
                "error_code": error_code,
                "duration_ms": round(float(duration_ms), 3),
                "bytes_in": int(bytes_in),
                "bytes_out": int(bytes_out),
            },
        )

    def lifecycle(self, event: str, ctx: AuditContext, **fields: Any) -> str:
        """Record a lifecycle event (``sandbox.started``, ``limit.exceeded``...); extras are redacted."""
        if not isinstance(event, str) or not event:
            raise ConfigError(f"audit event name must be a non-empty str, got {event!r}", code="ERR_AUDIT_EVENT")
        clash = _RESERVED.intersection(fields)
        if clash:
            raise ConfigError(
                f"audit field(s) {sorted(clash)} are set by the log itself", code="ERR_AUDIT_EVENT"
            )
        return self._emit(escape_text(event, 128), ctx, {EXTRA_KEY: fields})

    def checkpoint(self) -> str:
        """Anchor the current (seq, hash) in an ``audit.checkpoint`` event, HMAC-signed if keyed."""
        with self._lock:
            self._check_open()
            return self._checkpoint_locked(final=False)

    def close(self) -> None:
        """Close this writer; the last writer of a file writes the final checkpoint and closes it.

        The final checkpoint is written only if checkpoints are configured (key or interval).
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            stream = self._stream
            try:
                if stream.users == 1 and (self._hmac_key is not None or self._interval):
                    self._checkpoint_locked(final=True)
            finally:
                owned = (stream.sink,) if release(stream) else ()
                for sink in (*owned, *self._extras):
                    closer = getattr(sink, "close", None)
                    if callable(closer) and not isinstance(sink, CallableSink):
                        try:
                            closer()
                        except Exception as exc:  # noqa: BLE001 - closing must reach every sink
                            _stderr_notice(SINK_FAILED, sink=repr(sink), error=_describe(exc))

    @property
    def _primary(self) -> AuditSink:
        """The primary sink (kept for tests that inject write failures into it)."""
        return self._stream.sink

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def last_seq(self) -> int:
        return self._chain.seq

    @property
    def last_hash(self) -> str:
        return self._chain.prev_hash

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals -------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise AuditWriteError("audit log is closed; operation denied")

    def _emit(self, event: str, ctx: AuditContext, fields: dict[str, Any]) -> str:
        with self._lock:
            if self._closed:
                raise AuditWriteError("audit log is closed; operation denied")
            fields[CONTEXT_KEY] = ctx
            fields["event_id"] = event_id = self._ids.next()
            self._logger.audit(event, fields)
            stream = self._stream
            stream.since_checkpoint += 1
            if self._pending_failures:
                self._report_sink_failures()
            if self._interval and stream.since_checkpoint >= self._interval:
                self._checkpoint_locked(final=False)
            return event_id

    def _emit_locked(self, event: str, ctx: AuditContext, fields: dict[str, Any]) -> str:
        """Write one event; the caller holds the lock (checkpoints and failure reports)."""
        fields[CONTEXT_KEY] = ctx
        fields["event_id"] = event_id = self._ids.next()
        self._logger.audit(event, fields)
        self._stream.since_checkpoint += 1
        return event_id

    def _checkpoint_locked(self, *, final: bool) -> str:
        covers_seq, covers_hash = self._chain.seq, self._chain.prev_hash
        fields: dict[str, Any] = {
            "covers_seq": covers_seq,
            "covers_hash": covers_hash,
            "final": final,
            "interval": self._interval,
        }
        if self._hmac_key is not None:
            message = checkpoint_message(
                seq=covers_seq + 1, covers_seq=covers_seq, covers_hash=covers_hash, final=final,
                interval=self._interval,
            )
            fields["key_id"] = key_id(self._hmac_key)
            fields["signature"] = sign_checkpoint(self._hmac_key, message)
        event_id = self._emit_locked(CHECKPOINT, _SYSTEM_CTX, fields)
        self._stream.since_checkpoint = 0
        return event_id

    def audit(self, line: bytes, event: dict[str, Any]) -> str:
        """Called by the structlog chain with the rendered line; not for direct use."""
        try:
            self._stream.sink.write(line, event)
        except Exception as exc:
            _stderr_notice(
                SINK_FAILED, sink="primary", error=_describe(exc), failed_event_id=event.get("event_id"),
                failed_seq=event.get("seq"), fail_closed=self.fail_closed,
            )
            if self.fail_closed:
                raise AuditWriteError(
                    f"audit log write failed ({_describe(exc)}); operation denied"
                ) from exc
        # Fail-open: the chain advances although the line is missing, so verify shows the gap.
        chain = self._chain
        chain.seq = event["seq"]
        chain.prev_hash = event["hash"]
        for sink in self._extras:
            try:
                sink.write(line, event)
            except Exception as exc:  # noqa: BLE001 - an extra sink never changes a decision
                self._pending_failures.append((repr(sink), exc, event))
        if capture.active:
            for events in capture.active:
                events.append(orjson.loads(line))
        return event["event_id"]  # type: ignore[no-any-return]

    def _report_sink_failures(self) -> None:
        failures, self._pending_failures = self._pending_failures, []
        for sink_name, exc, event in failures:
            fields = {
                "sink": escape_text(sink_name, 200),
                "error": _describe(exc),
                "failed_event_id": event.get("event_id"),
                "failed_seq": event.get("seq"),
            }
            try:
                self._emit_locked(SINK_FAILED, _SYSTEM_CTX, fields)
            finally:
                # A sink that also fails on the failure report is only mentioned on stderr.
                for name, again, _ in self._pending_failures:
                    _stderr_notice(SINK_FAILED, sink=name, error=_describe(again))
                self._pending_failures = []


def _describe(exc: BaseException) -> str:
    return escape_text(f"{type(exc).__name__}: {exc}", 300)


def _stderr_notice(event: str, **fields: Any) -> None:
    """An unchained notice on stderr, used when the primary sink itself is what failed."""
    record = {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, "event": event, "ts": rfc3339_now(), **fields}
    try:
        sys.stderr.write(orjson.dumps(redact(record), option=orjson.OPT_SORT_KEYS).decode() + "\n")
        sys.stderr.flush()
    except Exception:  # noqa: BLE001, S110 - stderr is the last resort; nothing is left to report to
        pass
