"""Reading an audit log back: filtering, summary report, "why" view and a suggested policy.

Everything here treats the log as untrusted input: malformed lines are skipped and counted, and
all text is escaped by :func:`display` before it reaches a terminal.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import attrs
import orjson

from secure_exec.audit.sanitize import escape_text
from secure_exec.audit.schema import CAPABILITY_COMPLETED, LIMIT_EXCEEDED, PERMISSION_CHECKED

Event = dict[str, Any]

# Capability names in the log -> the policy TOML's names and the key that lists resources.
_CAPABILITY_ALIASES = {"net": "network", "process": "child_process", "proc": "child_process"}
_RESOURCE_KEYS = {"fs": "paths", "network": "urls", "env": "names"}


@attrs.define
class ReadStats:
    lines: int = 0
    skipped: int = 0


def read_events(path: str | os.PathLike[str], stats: ReadStats | None = None) -> Iterator[Event]:
    """Every complete line that parses as a JSON object; others are counted in ``stats.skipped``."""
    stats = stats if stats is not None else ReadStats()
    with open(path, "rb") as fh:
        for raw in fh:
            stats.lines += 1
            if not raw.endswith(b"\n"):
                stats.skipped += 1
                continue
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError:
                stats.skipped += 1
                continue
            if isinstance(obj, dict):
                yield obj
            else:
                stats.skipped += 1


def display(value: Any, cap: int = 200) -> str:
    """Terminal-safe text for any logged value (logs are untrusted: no ANSI, bidi or controls)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        value = orjson.dumps(value).decode("utf-8", "replace")
    return escape_text(str(value), cap)


def parse_time(text: str) -> dt.datetime:
    """RFC 3339 / ISO 8601 to an aware UTC datetime; a bare date means its midnight UTC."""
    parsed = dt.datetime.fromisoformat(text.strip().replace("z", "Z").replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


@attrs.frozen
class EventFilter:
    """``query`` filters; every set field must match (globs for plugin and resource)."""

    plugin: str | None = None
    capability: str | None = None
    op: str | None = None
    decision: str | None = None
    event: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    resource: str | None = None

    def matches(self, ev: Event) -> bool:
        if self.plugin is not None and not fnmatch.fnmatchcase(str(ev.get("plugin_id", "")), self.plugin):
            return False
        if self.capability is not None and ev.get("capability") != self.capability:
            return False
        if self.op is not None and ev.get("op") != self.op:
            return False
        if self.decision is not None and ev.get("decision") != self.decision:
            return False
        if self.event is not None and not fnmatch.fnmatchcase(str(ev.get("event", "")), self.event):
            return False
        if self.resource is not None and not fnmatch.fnmatchcase(str(ev.get("resource", "")), self.resource):
            return False
        if self.since is not None or self.until is not None:
            try:
                when = parse_time(str(ev.get("ts", "")))
            except ValueError:
                return False
            if self.since is not None and when < self.since:
                return False
            if self.until is not None and when > self.until:
                return False
        return True


def format_table(rows: Sequence[Sequence[Any]], header: Sequence[str], cap: int = 60) -> str:
    """A plain fixed-width table with every cell escaped for the terminal."""
    cells = [[display(c, cap) for c in row] for row in rows]
    widths = [len(h) for h in header]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = ["  ".join(h.ljust(widths[i]) for i, h in enumerate(header)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip() for row in cells)
    return "\n".join(lines)


QUERY_COLUMNS = ("seq", "ts", "event", "plugin_id", "capability", "op", "resource", "decision", "status")


# -- report ----------------------------------------------------------------------------------------


def _bucket(ev: Event) -> str | None:
    """allow / deny / audit-deny (recorded but not enforced) / absent (an unset env variable no rule
    covers), for permission.checked events."""
    if ev.get("event") != PERMISSION_CHECKED:
        return None
    if ev.get("decision") == "allow":
        return "allow"
    if ev.get("decision") == "absent":
        return "absent"
    return "deny" if ev.get("enforced", True) else "audit-deny"


@attrs.define
class ReportData:
    """What ``report`` prints, computed by a Python scan (here) or by DuckDB (secure_exec.audit.duck)."""

    total: int = 0
    per_plugin: dict[str, Counter[str]] = attrs.field(factory=lambda: defaultdict(Counter))
    per_capability: dict[str, Counter[str]] = attrs.field(factory=lambda: defaultdict(Counter))
    denied: list[tuple[int, str, str, str]] = attrs.field(factory=list)  # count, capability, op, resource
    limits: list[Event] = attrs.field(factory=list)
    other: Counter[str] = attrs.field(factory=Counter)


def build_report(events: Iterable[Event], top: int = 10) -> str:
    return render_report(collect_report(events, top), top)


def collect_report(events: Iterable[Event], top: int = 10) -> ReportData:
    data = ReportData()
    per_plugin, per_capability, limits, other = data.per_plugin, data.per_capability, data.limits, data.other
    denied: Counter[tuple[str, str, str]] = Counter()
    total = 0
    for ev in events:
        total += 1
        name = str(ev.get("event", ""))
        bucket = _bucket(ev)
        plugin = str(ev.get("plugin_id", "")) or "(host)"
        if bucket is not None:
            capability = str(ev.get("capability", ""))
            per_plugin[plugin][bucket] += 1
            per_capability[capability][bucket] += 1
            if bucket not in ("allow", "absent"):
                denied[(capability, str(ev.get("op", "")), str(ev.get("resource", "")))] += 1
        elif name == "audit.aggregated" and ev.get("of_event") == PERMISSION_CHECKED:
            # Repeats of an allowed (or absent) read counted by the writer instead of logged one by one.
            repeats = ev.get("repeats")
            if isinstance(repeats, int) and not isinstance(repeats, bool) and repeats > 0:
                kind = "absent" if ev.get("decision") == "absent" else "allow"
                per_plugin[plugin][kind] += repeats
                per_capability[str(ev.get("capability", ""))][kind] += repeats
        elif name == CAPABILITY_COMPLETED:
            if ev.get("status") != "ok":
                per_plugin[plugin]["errors"] += 1
                per_capability[str(ev.get("capability", ""))]["errors"] += 1
        elif name == LIMIT_EXCEEDED:
            limits.append(ev)
        else:
            other[name] += 1
    data.total = total
    data.denied = [(n, c, o, r) for (c, o, r), n in denied.most_common(top)]
    return data


def render_report(data: ReportData, top: int) -> str:
    per_plugin, per_capability, limits, other, total = (
        data.per_plugin, data.per_capability, data.limits, data.other, data.total
    )
    cols = ("allow", "deny", "audit-deny", "absent", "errors")
    out = [f"{total} events"]
    out += ["", "Decisions per plugin"]
    out.append(format_table([[p, *(c[k] for k in cols)] for p, c in sorted(per_plugin.items())], ("plugin", *cols)))
    out += ["", "Decisions per capability"]
    out.append(
        format_table([[p, *(c[k] for k in cols)] for p, c in sorted(per_capability.items())], ("capability", *cols))
    )
    out += ["", f"Top {top} denied resources"]
    out.append(
        format_table(
            [[n, c, o, r] for n, c, o, r in data.denied], ("count", "capability", "op", "resource")
        )
    )
    out += ["", "Limit events"]
    out.append(
        format_table(
            [[e.get("seq"), e.get("ts"), e.get("plugin_id"), e.get("limit", ""), e.get("reason", "")] for e in limits],
            ("seq", "ts", "plugin", "limit", "detail"),
        )
    )
    if other:
        out += ["", "Other events"]
        out.append(format_table(sorted(other.items()), ("event", "count")))
    return "\n".join(out) + "\n"


# -- explain ---------------------------------------------------------------------------------------


def find_event(events: Iterable[Event], event_id: str) -> tuple[Event | None, list[Event]]:
    """The event whose id equals (or uniquely starts with) ``event_id``, plus all events (for joins)."""
    everything = list(events)
    exact = [e for e in everything if e.get("event_id") == event_id]
    if exact:
        return exact[0], everything
    prefixed = [e for e in everything if str(e.get("event_id", "")).startswith(event_id)] if len(event_id) >= 6 else []
    return (prefixed[0] if len(prefixed) == 1 else None), everything


def _same_op(a: Event, b: Event) -> bool:
    keys = ("session_id", "call_id", "plugin_id", "capability", "op")
    if any(a.get(k) != b.get(k) for k in keys):
        return False
    if a.get("op_id") or b.get("op_id"):
        return bool(a.get("op_id") == b.get("op_id"))
    return bool(a.get("resource") == b.get("resource"))


def explain(target: Event, everything: Sequence[Event]) -> str:
    """Decision, matched rule and its source, policy digest, and the paired outcome (or decision)."""
    decision, outcome = target, None
    seq = target.get("seq", 0) if isinstance(target.get("seq"), int) else 0
    if target.get("event") == CAPABILITY_COMPLETED:
        outcome = target
        earlier = [e for e in everything if e.get("event") == PERMISSION_CHECKED and _same_op(e, target)
                   and isinstance(e.get("seq"), int) and e["seq"] < seq]
        decision = earlier[-1] if earlier else {}
    elif target.get("event") == PERMISSION_CHECKED:
        later = [e for e in everything if e.get("event") == CAPABILITY_COMPLETED and _same_op(e, target)
                 and isinstance(e.get("seq"), int) and e["seq"] > seq]
        outcome = later[0] if later else None
    lines = [f"event       {display(target.get('event'))}  seq {display(target.get('seq'))}  "
             f"id {display(target.get('event_id'))}"]
    if target.get("event") not in (PERMISSION_CHECKED, CAPABILITY_COMPLETED):
        shown = sorted((k, v) for k, v in target.items() if k not in ("hash", "prev_hash"))
        lines += [f"  {display(k, 40)}: {display(v)}" for k, v in shown]
        return "\n".join(lines) + "\n"
    if decision:
        enforced = decision.get("enforced", True)
        lines += [
            f"time        {display(decision.get('ts'))}",
            f"plugin      {display(decision.get('plugin_id'))} {display(decision.get('plugin_version'))} "
            f"({display(decision.get('plugin_digest'))})",
            f"session     {display(decision.get('session_id'))}  call {display(decision.get('call_id'))}  "
            f"op {display(decision.get('op_id'))}",
            f"request     {display(decision.get('capability'))}.{display(decision.get('op'))} "
            f"{display(decision.get('resource'), 512)}",
            f"requested   {display(decision.get('resource_requested'), 512)}",
        ]
        if decision.get("resolved_ips"):
            lines.append(f"resolved    {display(decision.get('resolved_ips'))}")
        lines += [
            f"decision    {display(decision.get('decision'))}"
            + ("" if enforced else "  (audit mode: NOT enforced, the operation went ahead)"),
            f"reason      {display(decision.get('reason'), 400)}",
            f"rule        {display(decision.get('rule_id')) or '(none)'}  "
            f"source {display(decision.get('rule_source')) or '(none)'}",
            f"policy      {display(decision.get('policy_digest')) or '(unknown)'}",
        ]
    else:
        lines.append("decision    (no matching permission.checked event in this log)")
    if outcome:
        lines.append(
            f"outcome     {display(outcome.get('status'))}"
            + (f" {display(outcome.get('error_code'))}" if outcome.get("error_code") else "")
            + f"  {display(outcome.get('duration_ms'))} ms  in {display(outcome.get('bytes_in'))} B"
            f"  out {display(outcome.get('bytes_out'))} B  (seq {display(outcome.get('seq'))},"
            f" id {display(outcome.get('event_id'))})"
        )
    elif decision and decision.get("decision") == "allow":
        lines.append("outcome     (no capability.completed event: still running, crashed or not recorded)")
    else:
        lines.append("outcome     (none: the operation was refused)")
    return "\n".join(lines) + "\n"


# -- suggest-policy --------------------------------------------------------------------------------


def _toml_string(text: str) -> str:
    """A TOML basic string; every control or non-printable character is \\u-escaped."""
    out = ['"']
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(f"\\U{ord(ch):08X}")
    out.append('"')
    return "".join(out)


def _toml_list(items: Iterable[str]) -> str:
    return "[" + ", ".join(_toml_string(i) for i in items) + "]"


def used_accesses(events: Iterable[Event], plugin: str | None = None) -> dict[str, dict[str, set[str]]]:
    """capability -> resource -> ops that were actually allowed to happen (enforced allows and
    audit-mode denies), optionally for one plugin."""
    used: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for ev in events:
        if ev.get("event") != PERMISSION_CHECKED:
            continue
        if plugin is not None and ev.get("plugin_id") != plugin:
            continue
        went_ahead = ev.get("decision") == "allow" or ev.get("enforced") is False
        if not went_ahead:
            continue
        capability = str(ev.get("capability", ""))
        capability = _CAPABILITY_ALIASES.get(capability, capability)
        used[capability][str(ev.get("resource", ""))].add(str(ev.get("op", "")))
    return used


def suggest_policy(events: Iterable[Event], plugin: str | None = None) -> str:
    """Minimal allow rules (TOML) covering exactly the accesses that went ahead in the log.

    The shape is what ``secure_exec.policy``'s TOML loader reads (``[[rules]]`` tables with
    ``capability``, ``effect``, ``id``, ``ops`` and ``paths`` / ``urls`` / ``names``, or one
    ``executable`` per child_process rule). Resources with the same set of ops share one rule;
    nothing is generalised into a glob, and a resource that itself contains ``*`` or ``?`` (which
    the loader reads as wildcards) is flagged in a comment.
    """
    events = list(events)
    plugins = sorted({str(e.get("plugin_id", "")) for e in events if e.get("event") == PERMISSION_CHECKED} - {""})
    used = used_accesses(events, plugin)
    out = [
        "# Suggested by `secure-exec audit suggest-policy`: allows exactly what this log shows was used.",
        "# Review before use; nothing here is generalised into a glob.",
        f"# plugins: {', '.join(_toml_string(p) for p in ([plugin] if plugin else plugins)) or '(none)'}",
    ]
    n = 0

    def rule(capability: str, body: list[str], resources: Iterable[str]) -> None:
        nonlocal n
        n += 1
        out.extend(["", "[[rules]]", f"id = {_toml_string(f'suggested-{n}')}", 'effect = "allow"',
                    f"capability = {_toml_string(capability)}", *body])
        wild = [r for r in resources if "*" in r or "?" in r]
        if wild:
            out.append(f"# note: {_toml_list(wild)} contain '*' or '?', which match more than the literal name")

    for capability in sorted(used):
        if capability == "child_process":
            for executable in sorted(used[capability]):
                rule(capability, [f"executable = {_toml_string(executable)}"], [executable])
            continue
        key = _RESOURCE_KEYS.get(capability)
        if key is None:
            out += ["", f"# capability {_toml_string(capability)} is not in the policy format; used:"]
            out += [f"#   {_toml_string(r)}: {_toml_list(sorted(ops))}" for r, ops in sorted(used[capability].items())]
            continue
        by_ops: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for resource, ops in used[capability].items():
            by_ops[tuple(sorted(ops))].append(resource)
        for ops_key in sorted(by_ops):
            resources = sorted(by_ops[ops_key])
            rule(capability, [f"ops = {_toml_list(ops_key)}", f"{key} = {_toml_list(resources)}"], resources)
    if n == 0:
        out += ["", "# no access went ahead in this log: the empty policy (deny everything) suffices"]
    return "\n".join(out) + "\n"
