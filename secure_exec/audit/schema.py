"""The audit event schema: names, version and the call context every event is stamped with.

Kept in one place so the writer, the verifier and the review commands cannot drift apart.
"""

from __future__ import annotations

import attrs

SCHEMA = "secure_exec.audit"
SCHEMA_VERSION = "1.0"
# Readers accept any 1.x log (CloudTrail's rule: major must match, minor may be newer).
SCHEMA_MAJOR = "1"

# First prev_hash of every log file. A fixed value (not bound to a log id) so that a verifier needs
# nothing but the file; splicing two logs is caught by seq/prev_hash continuity instead.
GENESIS_HASH = "sha256:" + "0" * 64

PERMISSION_CHECKED = "permission.checked"
CAPABILITY_COMPLETED = "capability.completed"
CHECKPOINT = "audit.checkpoint"
SINK_FAILED = "audit.sink_failed"
LOG_RECOVERED = "log.recovered"
LOG_CONTINUED = "log.continued"
LIMIT_EXCEEDED = "limit.exceeded"

# Fields the core writes itself. Anything else (lifecycle extras) goes through the full
# redaction scan, which is why this set exists: it lets the hot path skip that scan.
KNOWN_FIELDS = frozenset(
    {
        "schema",
        "schema_version",
        "event",
        "event_id",
        "seq",
        "ts",
        "session_id",
        "call_id",
        "op_id",
        "plugin_id",
        "plugin_version",
        "plugin_digest",
        "capability",
        "op",
        "resource",
        "resource_requested",
        "resolved_ips",
        "decision",
        "enforced",
        "reason",
        "rule_id",
        "rule_source",
        "policy_digest",
        "stage",
        "status",
        "error_code",
        "duration_ms",
        "bytes_in",
        "bytes_out",
        "prev_hash",
        "hash",
    }
)

@attrs.frozen
class AuditContext:
    """Who is acting and in which invocation; passed explicitly so guest data cannot override it."""

    session_id: str
    plugin_id: str = ""
    plugin_version: str = ""
    plugin_digest: str = ""
    call_id: str = ""
