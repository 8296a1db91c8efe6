"""AuditLog: the object the bridge calls on every decision and every completed operation."""

from __future__ import annotations

import datetime
import enum
import errno
import hashlib
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import orjson

from secure_exec.audit import capture
from secure_exec.audit.aggregate import AGGREGATABLE_DECISIONS, AGGREGATED, DEFAULT_WINDOW, Aggregator, Run
from secure_exec.audit.budget import DEFAULT_BYTES_PER_S, DEFAULT_EVENTS_PER_S, THROTTLED, Budget
from secure_exec.audit.chain import checkpoint_message, key_id, sign_checkpoint
from secure_exec.audit.ids import EventIdSource, rfc3339_now
from secure_exec.audit.pipeline import CONTEXT_KEY, EXTRA_KEY, build_audit_logger
from secure_exec.audit.sanitize import (
    DEFAULT_REDACT_PARAMS,
    escape_text,
    param_matcher,
    redact,
    redact_url,
    redact_urls_in,
)
from secure_exec.audit.schema import (
    CAPABILITY_COMPLETED,
    CHECKPOINT,
    LOG_CONTINUED,
    LOG_RECOVERED,
    PERMISSION_CHECKED,
    SCHEMA,
    SCHEMA_VERSION,
    SINK_FAILED,
    AuditContext,
)
from secure_exec.audit.signing import SigningKey, checkpoint_text, load_signing_key, note_lines, sign_note
from secure_exec.audit.sinks import AuditSink, CallableSink, FileSink, MemorySink, StderrSink
from secure_exec.audit.stream import FileOptions, memory_stream, open_file_stream, release, switch_file
from secure_exec.audit.verify import next_event
from secure_exec.errors import AuditWriteError, ConfigError

SinkLike = AuditSink | Callable[[dict[str, Any]], object]
_SYSTEM_CTX = AuditContext(session_id="")
DEFAULT_SIGNED_INTERVAL = 1000
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
        sign_key: SigningKey | str | os.PathLike[str] | None = None,
        checkpoint_every: int | None = None,
        memory_maxlen: int | None = 100_000,
        redact_params: Iterable[str] | None = None,
        on_file_change: str = "reopen",
        file_check_interval: float = 0.25,
        rotate_bytes: int | None = None,
        rotate_seconds: float | None = None,
        aggregate_window: float | None = DEFAULT_WINDOW,
        aggregate_ops: Mapping[str, Iterable[str]] | None = None,
        budget_events_per_s: float | None = DEFAULT_EVENTS_PER_S,
        budget_bytes_per_s: int | None = DEFAULT_BYTES_PER_S,
        budget_max_delay: float = 0.05,
    ) -> None:
        if checkpoint_every is not None and (isinstance(checkpoint_every, bool) or checkpoint_every < 1):
            raise ConfigError(f"checkpoint_every must be a positive int, got {checkpoint_every!r}")
        if hmac_key is not None and (not isinstance(hmac_key, bytes) or len(hmac_key) < 16):
            raise ConfigError("hmac_key must be bytes of at least 16 bytes", code="ERR_AUDIT_KEY")
        self.fail_closed = fail_closed
        self.path = os.fspath(path) if path is not None else None
        if isinstance(redact_params, str):
            raise ConfigError("redact_params must be a collection of parameter names, not a str",
                              code="ERR_AUDIT_CONFIG")
        self._redact_params = DEFAULT_REDACT_PARAMS if redact_params is None else param_matcher(redact_params)
        self._agg = Aggregator(aggregate_window, aggregate_ops) if aggregate_window else None
        self._budget = (
            Budget(budget_events_per_s, budget_bytes_per_s, budget_max_delay)
            if budget_events_per_s is not None or budget_bytes_per_s is not None
            else None
        )
        self._hmac_key = hmac_key
        if sign_key is not None and not isinstance(sign_key, SigningKey):
            sign_key = load_signing_key(sign_key)
        if sign_key is not None and hmac_key is not None:
            raise ConfigError("give either hmac_key or sign_key, not both: one log has one checkpoint scheme",
                              code="ERR_AUDIT_KEY")
        self._sign_key = sign_key
        self._key_id = sign_key.verifier.key_id if sign_key is not None else None
        self._last_note: str | None = None
        if checkpoint_every is None and sign_key is not None:
            checkpoint_every = DEFAULT_SIGNED_INTERVAL
        self._interval = checkpoint_every or 0
        self._closed = False
        self._ids = EventIdSource()
        self._pending_failures: list[tuple[str, BaseException, Mapping[str, Any]]] = []
        extras = [_as_sink(s) for s in sinks]
        if stderr:
            extras.append(StderrSink())
        self._extras = tuple(extras)
        if self.path is not None:
            options = _file_options(on_file_change, file_check_interval, rotate_bytes, rotate_seconds)
            self._stream = open_file_stream(self.path, fsync=fsync, hmac_key=hmac_key, interval=self._interval,
                                            sign_id=self._key_id, file_options=options)
        else:
            self._stream = memory_stream(
                memory_maxlen, hmac_key=hmac_key, interval=self._interval, sign_id=self._key_id
            )
        primary = self._stream.sink
        self.memory: MemorySink | None = primary if isinstance(primary, MemorySink) else None
        self._lock = self._stream.lock
        self._chain = self._stream.chain
        self._logger = build_audit_logger(self, self._chain)
        needs_recovery = getattr(self._stream.sink, "needs_recovery", False)
        if needs_recovery or (self._stream.tail_unanchored and self._checkpoints_on):
            with self._lock:
                try:
                    if needs_recovery:
                        # A crash or a failed write left a torn region after the last event.
                        self._recover_locked("opened after an interrupted write")
                    if self._stream.tail_unanchored and self._checkpoints_on:
                        # The previous writer stopped without a closing checkpoint (crash): anchor
                        # its tail now, so the signed-interval rule keeps holding across the restart.
                        self._stream.tail_unanchored = False
                        self._checkpoint_locked(final=False)
                except AuditWriteError:
                    if release(self._stream):
                        self._stream.sink.close()  # type: ignore[attr-defined]
                    raise

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AuditLog:
        """The log the environment asks for: ``SECURE_EXEC_AUDIT_LOG=<path>`` (else in memory).

        ``SECURE_EXEC_AUDIT_SIGN_KEY=<private key file>`` (from ``secure-exec audit keygen``) adds
        Ed25519 signed checkpoints every 1000 events and at close.
        """
        env = os.environ if environ is None else environ
        path = env.get("SECURE_EXEC_AUDIT_LOG")
        sign = env.get("SECURE_EXEC_AUDIT_SIGN_KEY") or None
        if not path:
            if sign:
                raise ConfigError("SECURE_EXEC_AUDIT_SIGN_KEY is set but SECURE_EXEC_AUDIT_LOG is not",
                                  code="ERR_AUDIT_CONFIG")
            return cls.null()
        return cls(path, sign_key=sign)

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
        """Record one policy decision (``permission.checked``, stage ``decided``).

        URL userinfo and credential-like query values in ``resource``, ``resource_requested`` and
        the reason are redacted before any sink sees them.
        """
        if resource_requested is None:
            resource_requested = resource
        reason = _text(getattr(decision, "reason", ""))
        names = self._redact_params
        if "://" in resource:
            resource = redact_url(resource, names)
        if "://" in resource_requested:
            resource_requested = redact_url(resource_requested, names)
        if "://" in reason:
            reason = redact_url(reason, names)
        word = _decision_word(decision)
        enforced = bool(getattr(decision, "enforced", True))
        rule_id = _text(getattr(decision, "rule_id", ""))
        rule_source = _text(getattr(decision, "rule_source", ""))
        digest = _text(getattr(decision, "policy_digest", ""))
        agg = self._agg
        key: tuple[Any, ...] | None = None
        if agg is not None:
            if agg.runs:
                self._flush_aggregates(agg.expired())
            if word in AGGREGATABLE_DECISIONS and enforced and not resolved_ips and agg.eligible(capability, op):
                key = (PERMISSION_CHECKED, ctx, capability, op, resource, resource_requested, word, reason, rule_id,
                       rule_source, digest)
                self._check_healthy()  # a repeat is only counted while the log could still record it
                first = agg.repeat(key, op_id)
                if first is not None:
                    agg.suppressed(op_id)
                    return first
        if self._budget is not None and ctx.session_id:
            self._admit(ctx)
        event_id = self._emit(
            PERMISSION_CHECKED,
            ctx,
            {
                "stage": "decided",
                "capability": capability,
                "op": op,
                "op_id": op_id,
                "resource": resource,
                "resource_requested": resource_requested,
                "resolved_ips": [str(ip) for ip in resolved_ips],
                "decision": word,
                "enforced": enforced,
                "reason": reason,
                "rule_id": rule_id,
                "rule_source": rule_source,
                "policy_digest": digest,
            },
        )
        if key is not None and agg is not None:
            fields = {"capability": capability, "op": op, "resource": resource,
                      "resource_requested": resource_requested, "decision": word, "rule_id": rule_id}
            self._flush_aggregates(agg.start(key, Run(ctx, PERMISSION_CHECKED, event_id, fields, time.monotonic())))
        return event_id

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
        if "://" in resource:
            resource = redact_url(resource, self._redact_params)
        agg = self._agg
        key: tuple[Any, ...] | None = None
        if agg is not None:
            if agg.runs:
                self._flush_aggregates(agg.expired())
            if agg.eligible(capability, op):
                key = (CAPABILITY_COMPLETED, ctx, capability, op, resource, status, error_code)
                if agg.take_suppressed(op_id):  # its decision was a counted repeat
                    first = agg.repeat(key, op_id, int(bytes_in), int(bytes_out), float(duration_ms))
                    if first is not None:
                        return first
        if self._budget is not None and ctx.session_id:
            self._budget.charge_event(ctx.session_id)
        event_id = self._emit(
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
        if key is not None and agg is not None:
            fields = {"capability": capability, "op": op, "resource": resource, "status": status,
                      "error_code": error_code}
            self._flush_aggregates(agg.start(key, Run(ctx, CAPABILITY_COMPLETED, event_id, fields, time.monotonic())))
        return event_id

    def _admit(self, ctx: AuditContext) -> None:
        """Apply the session's budget; refusals are reported in ``audit.throttled`` events."""
        budget = self._budget
        assert budget is not None
        try:
            budget.admit(ctx.session_id)
        finally:
            refused = budget.take_report(ctx.session_id)
            if refused:
                self._emit(THROTTLED, ctx, {
                    "refused": refused, "events_per_s": budget.events_per_s, "bytes_per_s": budget.bytes_per_s,
                })

    def flush(self) -> None:
        """Write the summaries of all pending aggregation runs now (also done by ``close()``)."""
        if self._agg is not None:
            self._flush_aggregates(self._agg.drain())

    def _flush_aggregates(self, runs: Run | list[Run] | None) -> None:
        if runs is None:
            return
        agg = self._agg
        assert agg is not None
        for run in runs if isinstance(runs, list) else [runs]:
            self._emit(AGGREGATED, run.ctx, run.summary(agg.window))

    def lifecycle(self, event: str, ctx: AuditContext, **fields: Any) -> str:
        """Record a lifecycle event (``sandbox.started``, ``limit.exceeded``...); extras are redacted."""
        if not isinstance(event, str) or not event:
            raise ConfigError(f"audit event name must be a non-empty str, got {event!r}", code="ERR_AUDIT_EVENT")
        clash = _RESERVED.intersection(fields)
        if clash:
            raise ConfigError(
                f"audit field(s) {sorted(clash)} are set by the log itself", code="ERR_AUDIT_EVENT"
            )
        if self._agg is not None and self._agg.runs:
            self._flush_aggregates(self._agg.expired())
        return self._emit(escape_text(event, 128), ctx, {EXTRA_KEY: redact_urls_in(fields, self._redact_params)})

    def checkpoint(self) -> str:
        """Anchor the current (seq, hash) in an ``audit.checkpoint`` event, HMAC-signed if keyed."""
        with self._lock:
            self._check_open()
            return self._checkpoint_locked(final=False)

    def close(self) -> None:
        """Close this writer; the last writer of a file writes the final checkpoint and closes it.

        The final checkpoint is written only if checkpoints are configured (key or interval).
        """
        if not self._closed and self._budget is not None:
            for session, refused in self._budget.pending_refusals():
                try:
                    self._emit(THROTTLED, AuditContext(session_id=session), {"refused": refused})
                except AuditWriteError:
                    _stderr_notice(THROTTLED, session_id=session, refused=refused)
        if not self._closed and self._agg is not None:
            try:
                self.flush()
            except AuditWriteError as exc:
                _stderr_notice(SINK_FAILED, sink="primary", error=_describe(exc), lost="aggregation summaries")
        with self._lock:
            if self._closed:
                return
            self._closed = True
            stream = self._stream
            try:
                if stream.users == 1 and self._checkpoints_on:
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
    def _checkpoints_on(self) -> bool:
        return self._hmac_key is not None or self._sign_key is not None or bool(self._interval)

    @property
    def _primary(self) -> AuditSink:
        """The primary sink (kept for tests that inject write failures into it)."""
        return self._stream.sink

    @property
    def last_signed_checkpoint(self) -> str | None:
        """The latest Ed25519-signed checkpoint this writer wrote, as a C2SP signed note (text).

        Store it outside the log's reach: ``verify --checkpoint`` then detects any truncation.
        """
        return self._last_note

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

    def _check_healthy(self) -> None:
        """Fail closed for an event that will only be counted: the log must still be writable.

        A counted repeat writes nothing now, so without this check a deleted or failed log would
        keep allowing repeats while their summary could never be written."""
        with self._lock:
            if self._closed:
                raise AuditWriteError("audit log is closed; operation denied")
            file_sink = self._stream.file_sink
            if file_sink is not None:
                self._check_file_locked(file_sink)

    def _check_open(self) -> None:
        if self._closed:
            raise AuditWriteError("audit log is closed; operation denied")

    def _emit(self, event: str, ctx: AuditContext, fields: dict[str, Any]) -> str:
        with self._lock:
            if self._closed:
                raise AuditWriteError("audit log is closed; operation denied")
            stream = self._stream
            file_sink = stream.file_sink
            if file_sink is not None:
                self._check_file_locked(file_sink)
            if getattr(stream.sink, "needs_recovery", False):
                self._recover_locked(getattr(stream.sink, "recovery_reason", "a write failed in this process"))
            fields[CONTEXT_KEY] = ctx
            fields["event_id"] = event_id = self._ids.next()
            self._logger.audit(event, fields)
            stream.since_checkpoint += 1
            if self._pending_failures:
                self._report_sink_failures()
            if self._interval and stream.since_checkpoint >= self._interval:
                self._checkpoint_locked(final=False)
            if file_sink is not None and self._rotation_due(file_sink):
                self._rotate_locked()
            return event_id

    # -- the file behind the log: rotation, copytruncate, deletion, replacement ---------------------

    def _check_file_locked(self, sink: FileSink) -> None:
        stream = self._stream
        if stream.file_failed is not None:
            raise AuditWriteError(
                f"audit log {self.path!r} was {stream.file_failed} while open (on_file_change='fail'); "
                "operation denied"
            )
        reason = sink.changed()
        if reason is None:
            return
        if stream.file_options.on_file_change == "fail":
            stream.file_failed = reason
            _stderr_notice(LOG_CONTINUED, path=self.path, reason=reason, action="fail closed")
            raise AuditWriteError(
                f"audit log {self.path!r} was {reason} while open (on_file_change='fail'); operation denied"
            )
        try:
            self._reopen_locked(sink, reason)
        except OSError as exc:
            raise AuditWriteError(f"audit log {self.path!r} was {reason} and cannot be reopened: {exc}") from exc

    def _rotation_due(self, sink: FileSink) -> bool:
        opts = self._stream.file_options
        if opts.rotate_bytes is not None and sink.size >= opts.rotate_bytes:
            return True
        return opts.rotate_seconds is not None and time.time() - sink.opened_at >= opts.rotate_seconds

    def _rotate_locked(self) -> None:
        """Close the current file (anchored by a checkpoint if configured) and start the next one."""
        sink = self._stream.file_sink
        assert sink is not None and self.path is not None
        if self._checkpoints_on:
            self._checkpoint_locked(final=False)
        target = _unused_name(f"{self.path}.{_stamp()}")
        try:
            os.rename(self.path, target)
            self._reopen_locked(sink, "rotated", previous_file=target)
        except OSError as exc:
            raise AuditWriteError(f"cannot rotate audit log {self.path!r}: {exc}") from exc

    def _reopen_locked(self, old: FileSink, reason: str, *, previous_file: str | None = None) -> None:
        """Continue the chain in a file at ``path`` that starts with a ``log.continued`` link.

        ``truncated`` (copytruncate) keeps the same file; ``deleted`` first copies the deleted file
        (still open here) to ``<path>.salvaged-<time>``; a non-empty file now at ``path`` that is
        not ours is renamed to ``<path>.foreign-<time>`` instead of being appended to.
        """
        assert self.path is not None
        stream, chain = self._stream, self._chain
        fields: dict[str, Any] = {
            "reason": reason,
            "previous_last_seq": chain.seq,
            "previous_last_hash": chain.prev_hash,
            "previous_file": os.path.basename(previous_file) if previous_file else "",
        }
        if reason == "truncated":
            old.restart_after_truncation()
        else:
            if reason == "deleted":
                target = _unused_name(f"{self.path}.salvaged-{_stamp()}")
                old.salvage(target)
                fields["previous_file"] = os.path.basename(target)
            try:
                st = os.stat(self.path)
            except FileNotFoundError:
                pass
            else:
                if st.st_size > 0 and (st.st_dev, st.st_ino) != old.ident:
                    aside = _unused_name(f"{self.path}.foreign-{_stamp()}")
                    os.rename(self.path, aside)
                    fields["set_aside"] = os.path.basename(aside)
            new = FileSink(self.path, fsync=old.fsync, check_interval=old.check_interval)
            if new.size:  # raced with another creator: never continue in a file we did not start
                new.close()
                raise OSError(errno.EEXIST, "a non-empty file appeared at the log path", self.path)
            switch_file(stream, new)
            old.close()
        self._emit_locked(LOG_CONTINUED, _SYSTEM_CTX, fields)
        stream.since_checkpoint -= 1  # a link, like a recovery, is not counted towards the interval
        if reason != "rotated":
            _stderr_notice(LOG_CONTINUED, path=self.path, reason=reason, seq=chain.seq,
                           previous_file=fields["previous_file"])

    def _emit_locked(
        self, event: str, ctx: AuditContext, fields: dict[str, Any], *, event_id: str | None = None
    ) -> str:
        """Write one event; the caller holds the lock (checkpoints and failure reports)."""
        fields[CONTEXT_KEY] = ctx
        fields["event_id"] = event_id = event_id or self._ids.next()
        self._logger.audit(event, fields)
        self._stream.since_checkpoint += 1
        return event_id

    def _recover_locked(self, reason: str) -> None:
        """Record the torn region after the last event in a ``log.recovered`` event chained after it.

        The region's bytes stay on disk untouched; the event carries their length and SHA-256, so
        ``verify`` can match them and report a recovery instead of a broken log. The event is not
        counted towards the checkpoint interval; a configured checkpoint follows it at once.
        """
        sink = self._stream.sink
        region: bytes = sink.torn_region()  # type: ignore[attr-defined]
        if not region:
            return
        adopted = next_event(self._chain.seq, self._chain.prev_hash, region) if b"\n" not in region else None
        if adopted is not None:
            # The whole line landed but its newline did not (a cut just before it): it is a valid
            # next event, so terminate it and continue after it instead of calling it torn.
            sink.terminate()  # type: ignore[attr-defined]
            self._chain.seq, self._chain.prev_hash = adopted
            self._stream.tail_unanchored = True
            return
        fields: dict[str, Any] = {
            "torn_bytes": len(region),
            "torn_sha256": "sha256:" + hashlib.sha256(region).hexdigest(),
            "reason": reason,
        }
        self._emit_locked(LOG_RECOVERED, _SYSTEM_CTX, fields)
        self._stream.since_checkpoint -= 1
        sink.recovered()  # type: ignore[attr-defined]
        _stderr_notice(LOG_RECOVERED, path=self.path, torn_bytes=len(region), seq=self._chain.seq)
        if self._checkpoints_on:
            self._stream.tail_unanchored = False
            self._checkpoint_locked(final=False)

    def _checkpoint_locked(self, *, final: bool) -> str:
        covers_seq, covers_hash = self._chain.seq, self._chain.prev_hash
        fields: dict[str, Any] = {
            "covers_seq": covers_seq,
            "covers_hash": covers_hash,
            "final": final,
            "interval": self._interval,
        }
        preset_id: str | None = None
        if self._hmac_key is not None:
            # the MAC binds the checkpoint event's own time and id too (its every field is covered)
            fields["ts"] = ts_now = rfc3339_now()
            preset_id = self._ids.next()
            message = checkpoint_message(
                seq=covers_seq + 1, covers_seq=covers_seq, covers_hash=covers_hash, final=final,
                interval=self._interval, ts=ts_now, event_id=preset_id,
            )
            fields["key_id"] = key_id(self._hmac_key)
            fields["signature"] = sign_checkpoint(self._hmac_key, message)
        note: str | None = None
        if self._sign_key is not None:
            # The signed text binds the checkpoint event itself (seq, flags, time, id, schema
            # version): the verifier requires the event to carry exactly these values.
            fields["ts"] = ts = rfc3339_now()
            preset_id = self._ids.next()
            text = checkpoint_text(
                origin=self._sign_key.name, covers_seq=covers_seq, covers_hash=covers_hash, seq=covers_seq + 1,
                final=final, interval=self._interval, ts=ts, event_id=preset_id, schema_version=SCHEMA_VERSION,
            )
            note = sign_note(self._sign_key, text)
            fields["key_id"] = self._key_id
            fields["signed_note"] = note_lines(note)
        event_id = self._emit_locked(CHECKPOINT, _SYSTEM_CTX, fields, event_id=preset_id)
        self._stream.since_checkpoint = 0
        if note is not None:
            self._last_note = note
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
        if self._budget is not None and event.get("session_id"):
            self._budget.charge_bytes(event["session_id"], len(line))
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
                "sink": escape_text(redact_url(sink_name, self._redact_params), 200),
                "error": redact_url(_describe(exc), self._redact_params),
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


def _file_options(
    on_change: str, interval: float, rotate_bytes: int | None, rotate_seconds: float | None
) -> FileOptions:
    if on_change not in ("reopen", "fail"):
        raise ConfigError(f"on_file_change must be 'reopen' or 'fail', got {on_change!r}", code="ERR_AUDIT_CONFIG")
    if isinstance(interval, bool) or not isinstance(interval, int | float) or interval < 0:
        raise ConfigError(f"file_check_interval must be a number >= 0, got {interval!r}", code="ERR_AUDIT_CONFIG")
    if rotate_bytes is not None and (isinstance(rotate_bytes, bool) or not isinstance(rotate_bytes, int)
                                     or rotate_bytes < 4096):
        raise ConfigError(f"rotate_bytes must be an int >= 4096, got {rotate_bytes!r}", code="ERR_AUDIT_CONFIG")
    if rotate_seconds is not None and (isinstance(rotate_seconds, bool) or rotate_seconds <= 0):
        raise ConfigError(f"rotate_seconds must be > 0, got {rotate_seconds!r}", code="ERR_AUDIT_CONFIG")
    return FileOptions(on_change, float(interval), rotate_bytes, rotate_seconds)


def _stamp() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S%fZ")


def _unused_name(base: str) -> str:
    name, n = base, 1
    while os.path.lexists(name):
        n += 1
        name = f"{base}.{n}"
    return name


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
