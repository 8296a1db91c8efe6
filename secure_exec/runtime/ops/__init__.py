"""Bridge op handlers of the Node runtime, one module per capability."""

from __future__ import annotations

from secure_exec.bridge.dispatch import Dispatcher
from secure_exec.runtime.ops import env_ops, fs_ops, net_ops, proc_ops, process_ops
from secure_exec.runtime.session import Session


def register_all(d: Dispatcher[Session]) -> None:
    """Every op the guest shim uses; each one gated by a capability or exempt with a reason."""
    for mod in (fs_ops, env_ops, process_ops, net_ops, proc_ops):
        mod.register(d)
