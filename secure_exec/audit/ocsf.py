"""Mapping of audit events to OCSF 1.1.0 (Open Cybersecurity Schema Framework) for SIEM ingestion.

Four classes, chosen by the event's capability:

==============  =======================  ==========================================================
capability      OCSF class               activity
==============  =======================  ==========================================================
fs              File System Activity     read/readdir/import 2 Read, write/truncate 3 Update,
                (1001, System Activity)  mkdir/copy/symlink/link 1 Create, rm 4 Delete, rename 5,
                                         chmod/chown/utimes 6 Set Attributes, stat/exists/readlink
                                         8 Get Attributes
network         Network Activity         decided: 1 Open (allowed) / 5 Refuse (denied);
                (4001, Network Activity) completed: 6 Traffic, 4 Fail on error
child_process   Process Activity         1 Launch
                (1007, System Activity)
env, other,     API Activity             env read 2 Read, env write 3 Update, anything else (and
lifecycle       (6003, Application)      every lifecycle and audit.* event) 99 Other
==============  =======================  ==========================================================

Common attributes: ``time`` (ms since the epoch), ``metadata`` (``uid`` = event_id,
``original_time`` = ts, ``sequence`` = seq, ``log_name``, ``product``, ``version`` 1.1.0),
``actor`` (the plugin as ``app_name``/``app_uid``, the sandbox run as ``session.uid``),
``disposition_id`` (1 Allowed / 2 Blocked) and ``policy`` for decisions, ``status_id`` (1 Success /
2 Failure) for outcomes, and ``unmapped`` for every field of the event that has no OCSF attribute
(including ``hash`` and ``prev_hash``, so the record stays tied to the verified log).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from secure_exec.audit.schema import CAPABILITY_COMPLETED, PERMISSION_CHECKED

OCSF_VERSION = "1.1.0"
PRODUCT = {"name": "secure_exec", "vendor_name": "secure_exec"}

_CLASSES = {
    1001: ("File System Activity", 1, "System Activity"),
    1007: ("Process Activity", 1, "System Activity"),
    4001: ("Network Activity", 4, "Network Activity"),
    6003: ("API Activity", 6, "Application Activity"),
}
_FS_ACTIVITY = {
    "read": (2, "Read"), "readdir": (2, "Read"), "import": (2, "Read"),
    "write": (3, "Update"), "truncate": (3, "Update"),
    "mkdir": (1, "Create"), "copy": (1, "Create"), "symlink": (1, "Create"), "link": (1, "Create"),
    "rm": (4, "Delete"), "rename": (5, "Rename"),
    "chmod": (6, "Set Attributes"), "chown": (6, "Set Attributes"), "utimes": (6, "Set Attributes"),
    "stat": (8, "Get Attributes"), "exists": (8, "Get Attributes"), "readlink": (8, "Get Attributes"),
}
_MAPPED = frozenset({
    "event_id", "ts", "seq", "session_id", "plugin_id", "plugin_version", "plugin_digest", "call_id",
    "capability", "resource", "decision", "reason", "rule_id", "policy_digest", "status", "error_code",
    "duration_ms",
})


def _ms(ts: Any) -> int | None:
    if not isinstance(ts, str):
        return None
    try:
        return int(datetime.datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None


def _activity(ev: Mapping[str, Any]) -> tuple[int, int, str]:
    """(class_uid, activity_id, activity_name)."""
    name, cap, op = ev.get("event"), ev.get("capability"), str(ev.get("op", ""))
    if name in (PERMISSION_CHECKED, CAPABILITY_COMPLETED):
        if cap == "fs":
            activity, label = _FS_ACTIVITY.get(op, (99, "Other"))
            return 1001, activity, label
        if cap in ("network", "net"):
            if name == PERMISSION_CHECKED:
                return (4001, 1, "Open") if ev.get("decision") == "allow" else (4001, 5, "Refuse")
            return (4001, 6, "Traffic") if ev.get("status") == "ok" else (4001, 4, "Fail")
        if cap in ("child_process", "process"):
            return 1007, 1, "Launch"
        if cap == "env":
            if op == "read":
                return 6003, 2, "Read"
            if op == "write":
                return 6003, 3, "Update"
    return 6003, 99, "Other"


def _endpoint(resource: str, ips: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    try:
        parts = urlsplit(resource)
        if parts.hostname:
            out["hostname"] = parts.hostname
        if parts.port is not None:
            out["port"] = parts.port
    except ValueError:
        pass
    if isinstance(ips, list) and ips:
        out["ip"] = str(ips[0])
    return out


def to_ocsf(event: Mapping[str, Any]) -> dict[str, Any]:
    """One audit event (a parsed log line) as an OCSF 1.1.0 event dict."""
    class_uid, activity_id, activity_name = _activity(event)
    class_name, category_uid, category_name = _CLASSES[class_uid]
    resource = str(event.get("resource", ""))
    out: dict[str, Any] = {
        "class_uid": class_uid,
        "class_name": class_name,
        "category_uid": category_uid,
        "category_name": category_name,
        "activity_id": activity_id,
        "activity_name": activity_name,
        "type_uid": class_uid * 100 + activity_id,
        "type_name": f"{class_name}: {activity_name}",
        "severity_id": 1,
        "severity": "Informational",
        "metadata": {
            "version": OCSF_VERSION,
            "product": dict(PRODUCT),
            "uid": event.get("event_id"),
            "original_time": event.get("ts"),
            "sequence": event.get("seq"),
            "log_name": str(event.get("schema", "secure_exec.audit")),
            "event_code": event.get("event"),
        },
        "actor": {
            "app_name": event.get("plugin_id") or "host",
            "app_uid": event.get("plugin_digest") or None,
            "session": {"uid": event.get("session_id")},
        },
    }
    time_ms = _ms(event.get("ts"))
    if time_ms is not None:
        out["time"] = time_ms
    name = event.get("event")
    if name == PERMISSION_CHECKED:
        allowed = event.get("decision") in ("allow", "absent") or event.get("enforced") is False
        out["disposition_id"], out["disposition"] = (1, "Allowed") if allowed else (2, "Blocked")
        if not allowed:
            out["severity_id"], out["severity"] = 3, "Medium"
        out["message"] = event.get("reason")
        out["policy"] = {"name": event.get("rule_id") or "default", "uid": event.get("policy_digest") or None,
                         "desc": event.get("reason")}
    elif name == CAPABILITY_COMPLETED:
        ok = event.get("status") == "ok"
        out["status_id"], out["status"] = (1, "Success") if ok else (2, "Failure")
        if event.get("error_code"):
            out["status_code"] = event.get("error_code")
        if isinstance(event.get("duration_ms"), int | float):
            out["duration"] = int(event["duration_ms"])
    if class_uid == 1001:
        out["file"] = {"path": resource, "name": resource.rsplit("/", 1)[-1], "type_id": 0}
    elif class_uid == 4001:
        out["dst_endpoint"] = _endpoint(resource, event.get("resolved_ips"))
    elif class_uid == 1007:
        out["process"] = {"file": {"path": resource, "name": resource.rsplit("/", 1)[-1]}}
    else:
        out["api"] = {"operation": f"{event.get('capability')}.{event.get('op')}" if event.get("capability")
                      else str(name), "service": {"name": "secure_exec"}}
        if resource:
            out["resources"] = [{"name": resource, "type": event.get("capability")}]
    out["unmapped"] = {k: v for k, v in event.items() if k not in _MAPPED}
    cleaned: dict[str, Any] = _drop_none(out)
    return cleaned


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None and v != {}}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value
