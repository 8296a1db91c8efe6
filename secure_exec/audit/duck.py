"""``query`` and ``report`` on DuckDB, for large sets of rotated logs (optional extra ``review``).

DuckDB reads the JSON lines itself (``read_ndjson_objects`` over every file, in parallel) and does
the filtering and grouping; Python only formats the result. The semantics are those of the Python
scan in :mod:`secure_exec.audit.review` (the tests compare both on the same logs): plugin, event
and resource globs use ``fnmatch`` rules (``*`` and ``?`` become SQL ``LIKE``; a pattern with a
``[...]`` class is checked in Python on the rows DuckDB returns), lines that do not parse are
counted as skipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import orjson

from secure_exec.audit.review import EventFilter, ReadStats, ReportData

try:
    import duckdb

    _HAVE_DUCKDB = True
except ImportError:  # pragma: no cover - the extra is not installed
    _HAVE_DUCKDB = False


def available() -> bool:
    return _HAVE_DUCKDB


def _like(pattern: str) -> str | None:
    """An fnmatch pattern as a LIKE pattern (escape ``\\``), or None if it has a ``[...]`` class."""
    if "[" in pattern:
        return None
    out = []
    for ch in pattern:
        if ch == "*":
            out.append("%")
        elif ch == "?":
            out.append("_")
        elif ch in "%_\\":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _connect() -> Any:
    if not _HAVE_DUCKDB:
        raise RuntimeError("DuckDB is not installed: pip install 'secure_exec[review]'")
    con = duckdb.connect(":memory:")
    con.execute("SET preserve_insertion_order = true")
    return con


_SOURCE = "read_ndjson_objects(?, ignore_errors = true, maximum_object_size = 16777216)"


def query(files: Sequence[str], flt: EventFilter, stats: ReadStats) -> list[dict[str, Any]]:
    """The events matching ``flt``, in log order."""
    where: list[str] = []
    params: list[Any] = [list(files)]
    post = False
    for field, value in (("capability", flt.capability), ("op", flt.op), ("decision", flt.decision)):
        if value is not None:
            where.append(f"json ->> '{field}' = ?")
            params.append(value)
    for field, pattern in (("plugin_id", flt.plugin), ("event", flt.event), ("resource", flt.resource)):
        if pattern is not None:
            like = _like(pattern)
            if like is None:
                post = True
            else:
                where.append(f"coalesce(json ->> '{field}', '') LIKE ? ESCAPE '\\'")
                params.append(like)
    for op, when in ((">=", flt.since), ("<=", flt.until)):
        if when is not None:
            where.append(f"TRY_CAST(json ->> 'ts' AS TIMESTAMPTZ) {op} ?")
            params.append(when if when.tzinfo else when.replace(tzinfo=dt.UTC))
    cond = " AND ".join(where) if where else "true"
    # ``cond`` is built from fixed field names and placeholders only; every value is a parameter.
    sql = f"SELECT json FROM {_SOURCE} WHERE json IS NULL OR ({cond})"  # noqa: S608
    con = _connect()
    out: list[dict[str, Any]] = []
    for (text,) in con.execute(sql, params).fetchall():
        if text is None:
            stats.skipped += 1
            continue
        ev = orjson.loads(text)
        if not isinstance(ev, dict):
            stats.skipped += 1
            continue
        if post and not flt.matches(ev):
            continue
        out.append(ev)
    return out


# Every field report needs, read as text (numbers and booleans as their JSON text): one parse per line.
_COLUMNS = {c: "VARCHAR" for c in (
    "event", "plugin_id", "capability", "op", "resource", "decision", "enforced", "status", "of_event", "repeats",
    "seq", "ts", "limit", "reason",
)}
_BASE = """
    SELECT name, plugin, cap, of_event, repeats, status, bucket, decision,
      -- only what the small sections need is kept for the rows that need it
      CASE WHEN bucket IN ('deny', 'audit-deny') THEN op END AS op,
      CASE WHEN bucket IN ('deny', 'audit-deny') THEN resource END AS resource,
      CASE WHEN bucket IN ('deny', 'audit-deny') THEN seq END AS seq,
      CASE WHEN name = 'limit.exceeded' THEN struct_pack(seq_text, ts, plugin_id, lim, reason) END AS lim
    FROM (
      SELECT
        event AS name,
        coalesce(nullif(plugin_id, ''), '(host)') AS plugin,
        plugin_id,
        coalesce(capability, '') AS cap,
        coalesce(op, '') AS op,
        coalesce(resource, '') AS resource,
        status, decision,
        of_event,
        CASE WHEN regexp_full_match(coalesce(repeats, ''), '[0-9]{1,18}') THEN CAST(repeats AS BIGINT) END
          AS repeats,
        TRY_CAST(seq AS BIGINT) AS seq,
        seq AS seq_text, ts, "limit" AS lim, reason,
        -- the buckets of review._bucket
        CASE WHEN event = 'permission.checked' THEN
          CASE WHEN decision = 'allow' THEN 'allow' WHEN decision = 'absent' THEN 'absent'
               WHEN coalesce(enforced, 'true') <> 'false' THEN 'deny' ELSE 'audit-deny' END END AS bucket
      FROM read_json(?, columns = ?, format = 'newline_delimited', ignore_errors = true,
                     maximum_object_size = 16777216)
      -- a line that does not parse comes back as all NULLs (the Python scan skips it; an event
      -- always has at least "event")
      WHERE NOT (event IS NULL AND seq IS NULL AND plugin_id IS NULL AND capability IS NULL AND ts IS NULL)
    )
"""


def report(files: Sequence[str], top: int) -> ReportData:
    con = _connect()
    con.execute("CREATE TEMP TABLE ev AS " + _BASE, [list(files), _COLUMNS])
    data = ReportData()
    data.total = con.execute("SELECT count(*) FROM ev").fetchone()[0]
    rows = con.execute("""
        SELECT plugin, cap, b, sum(n) FROM (
          SELECT plugin, cap, bucket AS b, 1 AS n FROM ev WHERE name = 'permission.checked'
          UNION ALL
          SELECT plugin, cap, CASE WHEN decision = 'absent' THEN 'absent' ELSE 'allow' END, repeats FROM ev
            WHERE name = 'audit.aggregated' AND of_event = 'permission.checked' AND repeats > 0
          UNION ALL
          SELECT plugin, cap, 'errors', 1 FROM ev
            WHERE name = 'capability.completed' AND (status IS NULL OR status <> 'ok')
        ) GROUP BY ALL
    """).fetchall()
    for plugin, cap, bucket, n in rows:
        data.per_plugin[plugin][bucket] += int(n)
        data.per_capability[cap][bucket] += int(n)
    data.denied = [
        (int(n), c, o, r)
        for n, c, o, r in con.execute("""
            SELECT count(*) AS n, cap, op, resource FROM ev
            WHERE name = 'permission.checked' AND bucket IN ('deny', 'audit-deny')
            GROUP BY cap, op, resource ORDER BY n DESC, min(seq) LIMIT ?
        """, [top]).fetchall()
    ]
    for seq, ts, plugin_id, limit, reason in con.execute(
        "SELECT lim.seq_text, lim.ts, lim.plugin_id, lim.lim, lim.reason FROM ev WHERE name = 'limit.exceeded'"
    ).fetchall():
        data.limits.append({"seq": seq, "ts": ts, "plugin_id": plugin_id, "limit": limit or "", "reason": reason or ""})
    for name, n in con.execute("""
        SELECT coalesce(name, ''), count(*) FROM ev
        WHERE name IS NULL OR (name NOT IN ('permission.checked', 'capability.completed', 'limit.exceeded')
              AND NOT (name = 'audit.aggregated' AND of_event = 'permission.checked'))
        GROUP BY ALL
    """).fetchall():
        data.other[name] += int(n)
    return data
