"""A per-session audit budget: a flooding guest is slowed down, then refused, never the whole host.

Each session (``AuditContext.session_id``) gets two token buckets refilled continuously: events
per second and bytes per second (burst: one second's worth). A decision or outcome event of a
session whose bucket is empty first waits (in the caller's thread, so only that guest's operation
is delayed) up to ``max_delay`` seconds; if the bucket is still empty a *decision* is refused with
:class:`AuditThrottled` (an ``AuditWriteError``: the bridge fails closed and the guest's operation
gets ``EACCES``). Outcomes are never refused (the operation already happened), only counted, so
the session's next decision pays for them. Refusals are never silent: the log writes one ``audit.throttled`` event per
session and second with their count. Host events (lifecycle, limits, checkpoints) are never
throttled.
"""

from __future__ import annotations

import threading
import time

import attrs

from secure_exec.errors import AuditWriteError, ConfigError

THROTTLED = "audit.throttled"
DEFAULT_EVENTS_PER_S = 20_000.0
"""Default per-session budget: generous for real work (repeated allowed reads are aggregated and
cost nothing), but a guest flooding denials or writes is slowed, then refused, not the disk filled."""
DEFAULT_BYTES_PER_S = 8 * 2**20
MAX_IDLE_BUCKETS = 1024


class AuditThrottled(AuditWriteError):
    """A session exceeded the audit budget: its operation is refused (fail closed)."""

    code = "ERR_AUDIT_THROTTLED"


@attrs.define
class _Bucket:
    events: float
    bytes: float
    stamp: float
    refused: int = 0
    reported_at: float = float("-inf")


class Budget:
    def __init__(self, events_per_s: float | None, bytes_per_s: int | None, max_delay: float = 0.05) -> None:
        for name, value in (("events_per_s", events_per_s), ("bytes_per_s", bytes_per_s)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or value <= 0):
                raise ConfigError(f"audit budget {name} must be > 0, got {value!r}", code="ERR_AUDIT_CONFIG")
        self.events_per_s = float(events_per_s) if events_per_s else float("inf")
        self.bytes_per_s = float(bytes_per_s) if bytes_per_s else float("inf")
        self.max_delay = max_delay
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def _refill(self, b: _Bucket, now: float) -> None:
        dt = now - b.stamp
        b.stamp = now
        b.events = min(self.events_per_s, b.events + dt * self.events_per_s)
        b.bytes = min(self.bytes_per_s, b.bytes + dt * self.bytes_per_s)

    def _wait(self, b: _Bucket) -> float:
        need_e = (1.0 - b.events) / self.events_per_s if b.events < 1.0 else 0.0
        need_b = -b.bytes / self.bytes_per_s if b.bytes < 0.0 else 0.0
        return max(need_e, need_b)

    def admit(self, session: str) -> None:
        """Take one event token for ``session`` (waiting up to ``max_delay``); raise when refused."""
        now = time.monotonic()
        with self._lock:
            b = self._buckets.get(session)
            if b is None:
                if len(self._buckets) >= MAX_IDLE_BUCKETS:
                    self._forget_idle(now)
                b = self._buckets[session] = _Bucket(self.events_per_s, self.bytes_per_s, now)
            self._refill(b, now)
            wait = self._wait(b)
        if wait > 0.0:
            if wait > self.max_delay:
                with self._lock:
                    b.refused += 1
                raise AuditThrottled(
                    f"audit budget exceeded by session {session!r} ({self.events_per_s:g} events/s, "
                    f"{self.bytes_per_s:g} bytes/s): operation refused"
                )
            time.sleep(wait)  # only this guest's thread waits
            with self._lock:
                self._refill(b, time.monotonic())
        with self._lock:
            b.events -= 1.0

    def _forget_idle(self, now: float) -> None:
        """Drop the buckets of sessions that are full again and have nothing left to report: a
        process that runs a million sandboxes keeps a bucket only for the ones still busy."""
        for s, b in list(self._buckets.items()):
            self._refill(b, now)
            if not b.refused and b.events >= self.events_per_s and b.bytes >= self.bytes_per_s:
                del self._buckets[s]

    def take_report(self, session: str) -> int:
        """Refusals of ``session`` to report now: at the first one, then at most once a second."""
        now = time.monotonic()
        with self._lock:
            b = self._buckets.get(session)
            if b is None or not b.refused or now - b.reported_at < 1.0:
                return 0
            refused, b.refused, b.reported_at = b.refused, 0, now
            return refused

    def charge_event(self, session: str) -> None:
        """Count an event that must not be refused (an outcome: the operation already happened)."""
        with self._lock:
            b = self._buckets.get(session)
            if b is not None:
                b.events -= 1.0

    def charge_bytes(self, session: str, n: int) -> None:
        with self._lock:
            b = self._buckets.get(session)
            if b is not None:
                b.bytes -= n

    def pending_refusals(self) -> list[tuple[str, int]]:
        """Refusals not yet reported (for ``close()``)."""
        with self._lock:
            out = [(s, b.refused) for s, b in self._buckets.items() if b.refused]
            for b in self._buckets.values():
                b.refused = 0
        return out
