"""Aggregation of repeated identical *allowed read-only* events into counted summaries.

A guest that calls ``existsSync`` in a loop used to write 10-16 MiB of audit log per second. The
first event of a run is written as usual; identical repeats (same context, capability, op,
resource, decision, rule and policy for decisions; same status and error for outcomes) within
``window`` seconds are only counted, and one ``audit.aggregated`` event with the count (and summed
bytes and durations) follows when the window has passed (with the next event) or at close.

Never aggregated: denials (and audit-only "would deny"), writes, spawns, network, lifecycle and
limit events, checkpoints: only the (capability, op) pairs in ``ops`` whose decision is ``allow``
or ``absent``, and their outcomes.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from secure_exec.audit.schema import AuditContext
from secure_exec.errors import ConfigError

AGGREGATED = "audit.aggregated"
DEFAULT_WINDOW = 1.0
# The fs read ops (as in secure_exec.policy.requests.FS_READ_OPS) and env reads.
DEFAULT_OPS: Mapping[str, frozenset[str]] = {
    "fs": frozenset({"read", "readdir", "stat", "exists", "readlink", "import"}),
    "env": frozenset({"read"}),
}
_NEVER = frozenset({"network", "net", "child_process", "process"})
AGGREGATABLE_DECISIONS = frozenset({"allow", "absent"})
_MAX_SUPPRESSED = 4096


@attrs.define
class Run:
    """One first event and the identical repeats counted after it."""

    ctx: AuditContext
    of_event: str
    first_event_id: str
    fields: dict[str, Any]
    started: float  # monotonic
    repeats: int = 0
    first_repeat: float = 0.0  # wall clock
    last_repeat: float = 0.0
    last_op_id: str = ""
    bytes_in: int = 0
    bytes_out: int = 0
    duration_ms: float = 0.0

    def summary(self, window: float) -> dict[str, Any]:
        out: dict[str, Any] = {
            "of_event": self.of_event,
            "first_event_id": self.first_event_id,
            **self.fields,
            "repeats": self.repeats,
            "window_s": window,
            "first_repeat_ts": _rfc3339(self.first_repeat),
            "last_repeat_ts": _rfc3339(self.last_repeat),
            "last_op_id": self.last_op_id,
        }
        if self.of_event != "permission.checked":
            out["bytes_in"] = self.bytes_in
            out["bytes_out"] = self.bytes_out
            out["duration_ms"] = round(self.duration_ms, 3)
        return out


def _rfc3339(t: float) -> str:
    return datetime.datetime.fromtimestamp(t, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Aggregator:
    """The live runs of one AuditLog. Thread-safe; summaries are written by the caller."""

    def __init__(self, window: float, ops: Mapping[str, Iterable[str]] | None) -> None:
        if isinstance(window, bool) or not isinstance(window, int | float) or window < 0:
            raise ConfigError(f"aggregate_window must be a number of seconds >= 0, got {window!r}",
                              code="ERR_AUDIT_CONFIG")
        table = DEFAULT_OPS if ops is None else {k: frozenset(v) for k, v in ops.items()}
        bad = _NEVER.intersection(table)
        if bad:
            raise ConfigError(f"network and child-process events are never aggregated: {sorted(bad)}",
                              code="ERR_AUDIT_CONFIG")
        self.window = float(window)
        self.ops = table
        self.runs: dict[tuple[Any, ...], Run] = {}
        # op_ids whose decision was counted as a repeat: only their outcomes may be counted too
        # (an outcome of a written decision, e.g. every descriptor op on an opened file, is written).
        self.suppressed_ops: dict[str, None] = {}
        self.lock = threading.Lock()
        self._oldest = float("inf")

    def eligible(self, capability: str, op: str) -> bool:
        ops = self.ops.get(capability)
        return ops is not None and op in ops

    def repeat(self, key: tuple[Any, ...], op_id: str, bytes_in: int = 0, bytes_out: int = 0,
               duration_ms: float = 0.0) -> str | None:
        """Count ``key`` as a repeat if its run is live; returns the run's first event id, else None."""
        now = time.monotonic()
        with self.lock:
            run = self.runs.get(key)
            if run is None or now - run.started >= self.window:
                return None
            wall = time.time()
            if not run.repeats:
                run.first_repeat = wall
            run.repeats += 1
            run.last_repeat = wall
            run.last_op_id = op_id
            run.bytes_in += bytes_in
            run.bytes_out += bytes_out
            run.duration_ms += duration_ms
            return run.first_event_id

    def suppressed(self, op_id: str) -> None:
        if not op_id:
            return
        with self.lock:
            self.suppressed_ops[op_id] = None
            if len(self.suppressed_ops) > _MAX_SUPPRESSED:  # decisions without outcomes (env reads)
                del self.suppressed_ops[next(iter(self.suppressed_ops))]

    def take_suppressed(self, op_id: str) -> bool:
        with self.lock:
            return self.suppressed_ops.pop(op_id, False) is None and bool(op_id)

    def start(self, key: tuple[Any, ...], run: Run) -> Run | None:
        """Begin a run; returns the run it replaces (expired, to be summarised) if any."""
        with self.lock:
            old = self.runs.pop(key, None)
            self.runs[key] = run
            self._oldest = min(self._oldest, run.started)
            return old if old is not None and old.repeats else None

    def expired(self) -> list[Run]:
        """Runs whose window has passed (removed), oldest first; cheap when there are none."""
        now = time.monotonic()
        if now - self._oldest < self.window:
            return []
        out: list[Run] = []
        with self.lock:
            for key in list(self.runs):
                run = self.runs[key]
                if now - run.started >= self.window:
                    del self.runs[key]
                    if run.repeats:
                        out.append(run)
            self._oldest = min((r.started for r in self.runs.values()), default=float("inf"))
        return out

    def drain(self) -> list[Run]:
        with self.lock:
            out = [r for r in self.runs.values() if r.repeats]
            self.runs.clear()
            self._oldest = float("inf")
        return out
