"""policy -> audit -> provider, for every gated operation.

``operation()`` is the one code path every gated bridge handler takes: it asks the policy about
the *resolved* request, writes the decision event (failing closed when the audit sink fails),
refuses with a Node-style ``EACCES`` when the decision denies, runs the provider, and writes the
outcome event with its duration, byte counts and error code.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Any, Protocol, TypeVar

import attrs

from secure_exec.errors import AuditWriteError, GuestError, node_message
from secure_exec.policy.decision import PolicyDecision

T = TypeVar("T")


class _Policy(Protocol):
    def decide(self, request: Any) -> Any: ...


class _Audit(Protocol):
    def decision(self, ctx: Any, *, capability: str, op: str, resource: str,
                 resource_requested: str | None, decision: Any,
                 resolved_ips: Sequence[str] = (), op_id: str = "") -> str: ...

    def outcome(self, ctx: Any, *, capability: str, op: str, resource: str, status: str,
                error_code: str | None, duration_ms: float, bytes_in: int = 0, bytes_out: int = 0,
                op_id: str = "") -> str: ...


@attrs.define
class Operation:
    """What a handler fills in while the provider runs (for the outcome event)."""

    op_id: str
    bytes_in: int = 0
    bytes_out: int = 0


@attrs.define
class Gate:
    """Per-sandbox policy + audit pair, with the audit identity of the running plugin."""

    policy: _Policy
    audit: _Audit
    audit_ctx: Any
    _ids: Iterator[int] = attrs.field(factory=lambda: itertools.count(1))
    _local: threading.local = attrs.field(factory=threading.local)

    def ctx(self) -> Any:
        """The audit identity of the work this thread is doing (``run_as``), else the current one.

        A plugin swaps ``audit_ctx`` per call; work handed to another thread keeps the identity
        of the call that started it, so late events of abandoned work never name the next call.
        """
        return getattr(self._local, "ctx", None) or self.audit_ctx

    def run_as(self, ctx: Any, fn: Callable[[], T]) -> T:
        """Run ``fn`` on this thread with ``ctx`` as its audit identity."""
        prev = getattr(self._local, "ctx", None)
        self._local.ctx = ctx
        try:
            return fn()
        finally:
            self._local.ctx = prev

    def authorize(self, request: Any, *, capability: str, op: str, resource: str,
                  requested: str | None, syscall: str | None, guest_path: str | None,
                  resolved_ips: Sequence[str] = ()) -> str:
        """Decide and audit one request; raise ``GuestError(EACCES)`` unless allowed."""
        op_id = f"o-{next(self._ids)}"
        decision: PolicyDecision = self.policy.decide(request)
        try:
            self.audit.decision(
                self.ctx(), capability=capability, op=op, resource=resource,
                resource_requested=requested, decision=decision, resolved_ips=resolved_ips, op_id=op_id,
            )
        except AuditWriteError:
            raise GuestError(
                "EACCES", node_message("EACCES", syscall, guest_path, "permission denied (audit log unavailable)"),
                syscall=syscall, path=guest_path,
            ) from None
        if not decision.allow:
            raise GuestError(
                "EACCES", node_message("EACCES", syscall, guest_path, "permission denied"),
                syscall=syscall, path=guest_path,
            )
        return op_id

    def allowed(self, request: Any, *, capability: str, op: str, resource: str, requested: str | None) -> bool:
        """Decide and audit without raising: for ops where a denial means "absent" (env reads, listings)."""
        try:
            self.authorize(request, capability=capability, op=op, resource=resource, requested=requested,
                           syscall=None, guest_path=None)
        except GuestError:
            return False
        return True

    def operation(self, request: Any, *, capability: str, op: str, resource: str,
                  requested: str | None = None, syscall: str | None = None,
                  guest_path: str | None = None, resolved_ips: Sequence[str] = ()) -> OperationScope:
        """Authorize, then time the provider call in the ``with`` body and audit its outcome."""
        op_id = self.authorize(request, capability=capability, op=op, resource=resource, requested=requested,
                               syscall=syscall, guest_path=guest_path, resolved_ips=resolved_ips)
        return OperationScope(self, Operation(op_id), capability, op, resource)


class OperationScope:
    """The ``with`` block of one authorized operation (a plain class: this is the bridge's hot path)."""

    __slots__ = ("cap", "ctx", "gate", "op", "rec", "resource", "t0")

    def __init__(self, gate: Gate, rec: Operation, cap: str, op: str, resource: str) -> None:
        self.gate, self.rec, self.cap, self.op, self.resource = gate, rec, cap, op, resource
        self.ctx = gate.ctx()  # the outcome is written under the identity the decision had
        self.t0 = 0.0

    def __enter__(self) -> Operation:
        self.t0 = time.perf_counter()
        return self.rec

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        status, code = "ok", None
        if ev is not None:
            status, code = "error", ev.code if isinstance(ev, GuestError) else "EIO"
        try:
            self.gate.audit.outcome(
                self.ctx, capability=self.cap, op=self.op, resource=self.resource, status=status,
                error_code=code, duration_ms=(time.perf_counter() - self.t0) * 1000.0,
                bytes_in=self.rec.bytes_in, bytes_out=self.rec.bytes_out, op_id=self.rec.op_id,
            )
        except AuditWriteError:
            # The operation already happened; the decision event was written. Report, don't hide.
            if ev is None:
                raise GuestError("EIO", "EIO: audit log unavailable after the operation") from None
