"""Cheap event ids and timestamps for the audit hot path.

``uuid.uuid4()`` costs a ``getrandom`` call plus a UUID object per event; the audit log takes its
randomness in batches (still from ``os.urandom``) and formats timestamps with a per-second cache.
Both are fork-aware so a child process never repeats its parent's ids.
"""

from __future__ import annotations

import os
import time

_BATCH = 256
_fork_generation = 0


def _after_fork_in_child() -> None:
    global _fork_generation
    _fork_generation += 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class EventIdSource:
    """Random version-4 UUIDs as 32 lowercase hex characters, drawn from ``os.urandom`` in batches.

    Not locked: each AuditLog owns one and calls it under its own lock.
    """

    def __init__(self) -> None:
        self._hex = ""
        self._pos = 0
        self._generation = -1

    def _refill(self) -> None:
        raw = bytearray(os.urandom(16 * _BATCH))
        for i in range(0, len(raw), 16):
            raw[i + 6] = (raw[i + 6] & 0x0F) | 0x40  # version 4
            raw[i + 8] = (raw[i + 8] & 0x3F) | 0x80  # RFC 4122 variant
        self._hex = raw.hex()
        self._pos = 0
        self._generation = _fork_generation

    def next(self) -> str:
        pos = self._pos
        if pos >= len(self._hex) or self._generation != _fork_generation:
            self._refill()
            pos = 0
        self._pos = pos + 32
        return self._hex[pos : pos + 32]


_ts_cache: tuple[int, str] = (-1, "")


def rfc3339_now() -> str:
    """Current UTC time as RFC 3339 with exactly six fractional digits and a ``Z`` suffix."""
    global _ts_cache
    ns = time.time_ns()
    sec, rem = divmod(ns, 1_000_000_000)
    cached_sec, prefix = _ts_cache
    if sec != cached_sec:
        prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
        _ts_cache = (sec, prefix)
    return f"{prefix}.{rem // 1000:06d}Z"
