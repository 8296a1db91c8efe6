"""Shared helper of the engine tests (the ``path`` fixture for both call paths is in conftest.py)."""

from __future__ import annotations

from typing import Any

from secure_exec.engine import JSInstance


def bridged_instance(**kw: Any) -> JSInstance:
    """An instance with the core bridge exposed as global ``B`` (later bootstrap files hide the global)."""
    js = JSInstance(**kw)
    js.eval_privileged("(b) => { globalThis.B = b }")
    return js
