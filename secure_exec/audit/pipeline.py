"""The audit log's own structlog processor chain.

Built with :func:`structlog.wrap_logger` and *every* attribute explicit (processors, wrapper class,
context class, caching), so a host's ``structlog.configure()`` or ``capture_logs()`` can neither
change nor drop audit events. Each processor is a small function of the event dict; only the
chain step holds state (the previous hash), and it never advances it itself: the log advances
the chain only once the primary sink has the line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, MutableMapping
from typing import Any

import orjson
import structlog

from secure_exec.audit.chain import canonical_json
from secure_exec.audit.ids import rfc3339_now
from secure_exec.audit.sanitize import MAX_REQUESTED_CHARS, _safe_value, escape_text, redact
from secure_exec.audit.schema import (
    KNOWN_FIELDS,
    SCHEMA,
    SCHEMA_VERSION,
    AuditContext,
)

EventDict = MutableMapping[str, Any]
CONTEXT_KEY = "_audit_ctx"
EXTRA_KEY = "_audit_extra"
_CHAIN_FIELDS = frozenset({"seq", "prev_hash", "hash", "event_id", "ts", "schema", "schema_version"})
# Lines longer than this take the slow path, which applies the per-field caps.
_FAST_LINE_LIMIT = 1536
_sha256 = hashlib.sha256


def add_context(logger: object, method_name: str, event_dict: EventDict) -> EventDict:
    """Stamp schema and the explicit AuditContext; context fields win over anything passed in."""
    ctx: AuditContext = event_dict.pop(CONTEXT_KEY)
    event_dict["schema"] = SCHEMA
    event_dict["schema_version"] = SCHEMA_VERSION
    event_dict["session_id"] = ctx.session_id
    event_dict["plugin_id"] = ctx.plugin_id
    event_dict["plugin_version"] = ctx.plugin_version
    event_dict["plugin_digest"] = ctx.plugin_digest
    event_dict["call_id"] = ctx.call_id
    return event_dict


def redact_extra_fields(logger: object, method_name: str, event_dict: EventDict) -> EventDict:
    """Merge caller-supplied extra fields (lifecycle events) after dropping secret-bearing keys.

    The core's own fields (decision, outcome) are typed and never carry values, so only extras
    need the full scan; they travel under one key so the hot path pays a single ``pop``.
    """
    extra = event_dict.pop(EXTRA_KEY, None)
    if extra:
        for key, value in redact(extra).items():
            if key not in KNOWN_FIELDS or key not in event_dict:
                event_dict[key] = value
    return event_dict


def escape_untrusted(event_dict: EventDict) -> None:
    """Escape every text value (top level and nested) and cap ``resource_requested`` at 512 chars."""
    for key, value in list(event_dict.items()):
        if key == "resource_requested" and isinstance(value, str):
            event_dict[key] = escape_text(value, MAX_REQUESTED_CHARS)
        elif key not in _CHAIN_FIELDS:
            event_dict[key] = _safe_value(value, 1)


def _needs_escaping(canonical: bytes) -> bool:
    """Fast whole-line test: anything but plain printable ASCII without JSON escapes, or a long line.

    orjson writes control characters as ``\\uXXXX`` / ``\\n``, so one scan for a backslash, DEL
    or a non-ASCII byte finds every line that might hold control, ANSI or bidi characters.
    """
    # Three C-speed scans (isascii is vectorised, ``in`` is memchr) beat one regex pass by ~10x.
    return (
        len(canonical) > _FAST_LINE_LIMIT
        or not canonical.isascii()
        or b"\\" in canonical
        or b"\x7f" in canonical
    )


def add_timestamp(logger: object, method_name: str, event_dict: EventDict) -> EventDict:
    """RFC 3339 UTC with microseconds (structlog's TimeStamper drops them when they are zero).

    A signed checkpoint brings its own ``ts`` (it is part of the signed text); nothing else can.
    """
    if "ts" not in event_dict:
        event_dict["ts"] = rfc3339_now()
    return event_dict


class ChainState:
    """The last committed (seq, hash). Mutated only by the owning AuditLog, under its lock."""

    __slots__ = ("prev_hash", "seq")

    def __init__(self, seq: int, prev_hash: str) -> None:
        self.seq = seq
        self.prev_hash = prev_hash


def make_chain_renderer(state: ChainState) -> Callable[[object, str, EventDict], Any]:
    """The last processor: assign seq/prev_hash, render canonically once, hash those bytes.

    Returns ``((line, event_dict), {})`` so the wrapped logger receives both the bytes to write
    and the dict (with ``hash``) for in-memory sinks.
    """

    def chain_and_render(logger: object, method_name: str, event_dict: EventDict) -> Any:
        prev = state.prev_hash
        event_dict["seq"] = state.seq + 1
        event_dict["prev_hash"] = prev
        try:
            canonical = canonical_json(event_dict)
        except orjson.JSONEncodeError:  # e.g. a lone surrogate: escaping makes it renderable
            canonical = b"\\"
        if _needs_escaping(canonical):
            escape_untrusted(event_dict)
            canonical = canonical_json(event_dict)
        # chain_hash() and splice_hash(), inlined: this runs once per audited operation.
        hexdigest = _sha256(prev.encode("ascii") + canonical).hexdigest()
        event_dict["hash"] = "sha256:" + hexdigest
        return (canonical[:-1] + b',"hash":"sha256:' + hexdigest.encode("ascii") + b'"}\n', event_dict), {}

    return chain_and_render


class AuditBoundLogger(structlog.BoundLoggerBase):
    """Wrapper with a single ``audit(event, fields)`` method: no level filtering, and no swallowing.

    ``fields`` is passed as one dict (not ``**kwargs``) because repacking keyword arguments was
    the largest structlog cost per event. ``structlog.DropEvent`` is deliberately *not* caught:
    nothing may silently drop an audit event, so it would surface as an error instead.
    """

    def audit(self, event: str, fields: dict[str, Any]) -> Any:
        args, _ = self._process_event("audit", event, fields)
        return self._logger.audit(*args)


def build_audit_logger(target: object, state: ChainState) -> AuditBoundLogger:
    """A bound logger whose ``audit(event, fields)`` ends in ``target.audit(line, event_dict)``."""
    proxy = structlog.wrap_logger(
        target,
        processors=[add_context, redact_extra_fields, add_timestamp, make_chain_renderer(state)],
        wrapper_class=AuditBoundLogger,
        context_class=dict,
        cache_logger_on_first_use=True,
        logger_factory_args=(),
    )
    bound = proxy.bind()
    if not isinstance(bound, AuditBoundLogger):  # pragma: no cover - structlog contract
        raise TypeError(f"unexpected structlog wrapper {type(bound).__name__}")
    return bound
