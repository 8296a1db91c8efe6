"""Tamper-evident audit log: one event per policy decision and per completed operation.

Events go through a dedicated structlog chain (immune to the host's structlog configuration) into a
hash-chained JSON-lines file; ``secure-exec audit`` verifies and reviews it. See docs/audit.md.
"""

from __future__ import annotations

from secure_exec.audit.chain import canonical_json, chain_hash
from secure_exec.audit.log import AuditLog
from secure_exec.audit.schema import GENESIS_HASH, SCHEMA, SCHEMA_VERSION, AuditContext
from secure_exec.audit.sinks import AuditSink, CallableSink, FileSink, MemorySink, StderrSink

__all__ = [
    "GENESIS_HASH",
    "SCHEMA",
    "SCHEMA_VERSION",
    "AuditContext",
    "AuditLog",
    "AuditSink",
    "CallableSink",
    "FileSink",
    "MemorySink",
    "StderrSink",
    "canonical_json",
    "chain_hash",
]
