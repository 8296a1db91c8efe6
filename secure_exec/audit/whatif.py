"""``audit what-if``: replay every recorded request against a candidate policy and list what changes.

Each ``permission.checked`` event is turned back into the request the policy saw (from its
capability, op, canonical resource, requested resource and resolved IPs) and decided by the new
policy; decisions that differ are grouped (plugin, capability, op, resource, old → new) with the
number of times they occurred (``audit.aggregated`` repeats included) and the rule that decides now.

Approximations (stated in the output): child processes are replayed without their arguments and
environment (never logged), network requests without their HTTP method, and URLs as logged
(credentials redacted). Requests of other capabilities (host functions) are counted as skipped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from secure_exec.audit.schema import PERMISSION_CHECKED


@attrs.frozen
class Change:
    plugin: str
    capability: str
    op: str
    resource: str
    old: str
    new: str
    rule_id: str
    reason: str


@attrs.frozen
class WhatIf:
    checked: int  # requests replayed (repeats included)
    skipped: int  # requests that cannot be rebuilt (other capabilities)
    changes: dict[Change, int]

    @property
    def newly_denied(self) -> int:
        return sum(n for c, n in self.changes.items() if c.old in ("allow", "absent") and c.new == "deny")

    @property
    def newly_allowed(self) -> int:
        return sum(n for c, n in self.changes.items() if c.old != "allow" and c.new == "allow")


def request_of(ev: Mapping[str, Any]) -> Any:
    """The policy request a ``permission.checked`` event recorded, or None if it cannot be rebuilt."""
    from secure_exec.policy import (
        ChildProcessAccessRequest,
        EnvAccessRequest,
        FsAccessRequest,
        NetworkAccessRequest,
    )

    cap, op, resource = ev.get("capability"), str(ev.get("op", "")), str(ev.get("resource", ""))
    requested = ev.get("resource_requested")
    if cap == "fs":
        return FsAccessRequest(op, resource, requested=requested if isinstance(requested, str) else None)
    if cap == "env":
        return EnvAccessRequest(op, resource)
    if cap == "child_process":
        return ChildProcessAccessRequest(resource)
    if cap == "network":
        ips = tuple(str(ip) for ip in ev.get("resolved_ips") or ())
        if resource.startswith("dns://"):
            return NetworkAccessRequest(op, hostname=resource[len("dns://"):], resolved_ips=ips)
        parts = urlsplit(resource)
        if not parts.hostname:
            return None
        url = resource
        if isinstance(requested, str) and urlsplit(requested).hostname == parts.hostname:
            url = requested
        return NetworkAccessRequest(op, url=url, hostname=parts.hostname, port=parts.port, resolved_ips=ips)
    return None


def what_if(events: Iterable[Mapping[str, Any]], policy: Any) -> WhatIf:
    changes: Counter[Change] = Counter()
    by_id: dict[str, Change | None] = {}
    checked = skipped = 0
    for ev in events:
        name = ev.get("event")
        if name == "audit.aggregated" and ev.get("of_event") == PERMISSION_CHECKED:
            repeats = ev.get("repeats")
            first = by_id.get(str(ev.get("first_event_id")))
            if isinstance(repeats, int) and not isinstance(repeats, bool) and repeats > 0:
                checked += repeats
                if first is not None:
                    changes[first] += repeats
            continue
        if name != PERMISSION_CHECKED:
            continue
        request = request_of(ev)
        if request is None:
            skipped += 1
            continue
        checked += 1
        new = policy.decide(request)
        old = str(ev.get("decision", ""))
        new_word = str(new.decision)
        change: Change | None = None
        if new_word != old and not (old == "absent" and new_word == "deny" and new.rule_source == "default"):
            change = Change(
                plugin=str(ev.get("plugin_id", "")) or "(host)", capability=str(ev.get("capability")),
                op=str(ev.get("op")), resource=str(ev.get("resource")), old=old, new=new_word,
                rule_id=str(new.rule_id), reason=str(new.reason),
            )
            changes[change] += 1
        by_id[str(ev.get("event_id"))] = change
    return WhatIf(checked=checked, skipped=skipped, changes=dict(changes))
