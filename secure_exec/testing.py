"""Test helpers for host applications that embed secure_exec.

``capture_audit()`` mirrors ``structlog.testing.capture_logs``: the audit chain deliberately ignores
global structlog configuration, so ``capture_logs`` cannot see audit events; this can.

pytest fixtures: add ``pytest_plugins = ["secure_exec.testing"]`` to your top-level conftest.py
(or import ``audit_events`` into a test module) and take ``audit_events`` as an argument.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from secure_exec.audit import capture

__all__ = ["audit_events", "capture_audit"]


@contextmanager
def capture_audit() -> Iterator[list[dict[str, Any]]]:
    """Yield a list that fills with every audit event (as written, ``hash`` included) in the block.

    Captures from every AuditLog in the process, including ones created inside the block.
    """
    with capture.capturing() as events:
        yield events


try:
    import pytest
except ImportError:  # pragma: no cover - pytest is a test-only dependency
    pass
else:

    @pytest.fixture
    def audit_events() -> Iterator[list[dict[str, Any]]]:
        """The audit events written during the test, in order."""
        with capture_audit() as events:
            yield events
