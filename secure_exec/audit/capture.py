"""Process-wide capture of audit events, for host applications' tests.

``structlog.testing.capture_logs`` cannot see audit events (the audit chain ignores global structlog
configuration on purpose), so tests use this explicit registry instead; see
:func:`secure_exec.testing.capture_audit`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_lock = threading.Lock()
# Read without the lock on the hot path: a tuple is replaced atomically, never mutated.
active: tuple[list[dict[str, Any]], ...] = ()


@contextmanager
def capturing() -> Iterator[list[dict[str, Any]]]:
    """Every event any AuditLog writes while the block runs is appended to the yielded list."""
    global active
    events: list[dict[str, Any]] = []
    with _lock:
        active = (*active, events)
    try:
        yield events
    finally:
        with _lock:
            active = tuple(lst for lst in active if lst is not events)
