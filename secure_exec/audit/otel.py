"""An OpenTelemetry logs sink: every audit event as an OTel log record (OCSF body), correlated with
the host's active trace.

Needs the optional extra: ``pip install 'secure_exec[otel]'`` (``opentelemetry-sdk`` and the OTLP
exporter). Use it as an *extra* sink, so a collector outage never changes a decision::

    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter

    provider = LoggerProvider()
    provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter()))
    log = AuditLog("audit.jsonl", sinks=[OpenTelemetrySink(provider)])

Each record: ``body`` = the OCSF mapping (:func:`secure_exec.audit.ocsf.to_ocsf`) or, with
``body="event"``, the audit event itself; ``event_name`` = the audit event name; ``timestamp`` =
the event's ``ts``; severity INFO, WARN for a denial; attributes ``secure_exec.*`` (event,
event_id, seq, hash, plugin, session, capability, op, resource, decision, rule, status) and
``ocsf.class_uid``/``ocsf.activity_id``; trace and span ids from the context current when the
event was written (the host's active span).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

import orjson

from secure_exec.audit.ocsf import to_ocsf
from secure_exec.errors import ConfigError

try:
    from opentelemetry import context as otel_context
    from opentelemetry._logs import LogRecord, SeverityNumber, get_logger_provider
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ConfigError(
        "the OpenTelemetry sink needs the 'otel' extra: pip install 'secure_exec[otel]'", code="ERR_AUDIT_SINK"
    ) from exc

_ATTRS = ("event", "event_id", "seq", "hash", "plugin_id", "plugin_version", "session_id", "call_id",
          "capability", "op", "op_id", "resource", "decision", "enforced", "rule_id", "rule_source", "status",
          "error_code")


def _ns(ts: Any) -> int | None:
    if not isinstance(ts, str):
        return None
    try:
        dt = datetime.datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return None
    return int(dt.timestamp()) * 1_000_000_000 + dt.microsecond * 1000


class OpenTelemetrySink:
    """Audit sink that emits OTel log records through ``logger_provider`` (default: the global one)."""

    def __init__(self, logger_provider: Any = None, *, body: str = "ocsf", name: str = "secure_exec.audit") -> None:
        if body not in ("ocsf", "event"):
            raise ConfigError(f"body must be 'ocsf' or 'event', got {body!r}", code="ERR_AUDIT_SINK")
        provider = logger_provider if logger_provider is not None else get_logger_provider()
        from secure_exec import __version__

        self._logger = provider.get_logger(name, __version__)
        self._body = body

    def write(self, line: bytes, event: Mapping[str, Any]) -> None:
        ev: dict[str, Any] = orjson.loads(line)  # an independent copy, as written
        ocsf = to_ocsf(ev)
        attributes: dict[str, Any] = {
            f"secure_exec.{k}": ev[k] for k in _ATTRS if isinstance(ev.get(k), str | int | float | bool)
        }
        attributes["ocsf.class_uid"] = ocsf["class_uid"]
        attributes["ocsf.activity_id"] = ocsf["activity_id"]
        denied = ev.get("decision") == "deny" and ev.get("enforced", True) is not False
        self._logger.emit(
            LogRecord(
                timestamp=_ns(ev.get("ts")),
                context=otel_context.get_current(),
                severity_number=SeverityNumber.WARN if denied else SeverityNumber.INFO,
                severity_text="WARN" if denied else "INFO",
                body=ocsf if self._body == "ocsf" else ev,
                attributes=attributes,
                event_name=str(ev.get("event", "")),
            )
        )

    def __repr__(self) -> str:
        return "OpenTelemetrySink()"
