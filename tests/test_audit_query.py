"""query/report on DuckDB give exactly what the Python scan gives, on single files and rotated sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from secure_exec.audit import AuditContext, AuditLog
from secure_exec.cli import audit_cmd
from tests.test_audit_cli import build_log

pytest.importorskip("duckdb")

CTX = AuditContext(session_id="s-2", plugin_id="acme.[x]", call_id="c")


class _Dec:
    def __init__(self, word: str, enforced: bool = True) -> None:
        self.decision, self.enforced, self.reason, self.rule_id = word, enforced, "r", "rule"


def _rotated(d: Path) -> Path:
    d.mkdir()
    path = d / "audit.jsonl"
    with AuditLog(path, rotate_bytes=4096, aggregate_window=5.0) as log:
        for i in range(60):
            log.decision(CTX, capability="fs", op="read", resource=f"/d/{i % 7}", resource_requested=None,
                         decision=_Dec("allow"), op_id=f"o{i}")
            log.decision(CTX, capability="fs", op="read", resource=f"/deny/{i % 3}", resource_requested=None,
                         decision=_Dec("deny", enforced=i % 2 == 0), op_id=f"d{i}")
            log.decision(CTX, capability="env", op="read", resource="UNSET", resource_requested=None,
                         decision=_Dec("absent"))
            log.outcome(CTX, capability="fs", op="read", resource=f"/d/{i % 7}", status="ok" if i % 5 else "error",
                        error_code=None if i % 5 else "EIO", duration_ms=0.1)
        log.lifecycle("limit.exceeded", CTX, limit="memory", reason="128 MB")
    with (d / "audit.jsonl").open("ab") as fh:
        fh.write(b'{"partial":')  # a torn tail: skipped by both engines
    return d


QUERIES = [
    [],
    ["--plugin", "acme.*"],
    ["--plugin", "acme.[[]x]"],  # a [...] class: checked in Python on DuckDB's rows
    ["--capability", "fs", "--decision", "deny"],
    ["--event", "audit.*"],
    ["--resource", "/d/?"],
    ["--resource", "/srv/in/*", "--op", "read"],
    ["--since", "2000-01-01T00:00:00Z", "--until", "2999-01-01T00:00:00Z", "--limit", "3"],
    ["--format", "table", "--decision", "allow"],
]


@pytest.mark.parametrize("which", ["single", "rotated"])
def test_duckdb_and_python_engines_agree(tmp_path: Path, capsys: pytest.CaptureFixture[str], which: str) -> None:
    if which == "single":
        target = tmp_path / "audit.jsonl"
        build_log(target)
    else:
        target = _rotated(tmp_path / "logs")
        assert len(list(target.iterdir())) > 3
    non_empty = 0
    for extra in QUERIES:
        results = {}
        for engine in ("python", "duckdb"):
            assert audit_cmd.main(["query", str(target), "--engine", engine, *extra]) == 0
            captured = capsys.readouterr()
            results[engine] = (captured.out, captured.err)
        assert results["python"] == results["duckdb"], extra
        non_empty += results["python"][0].count("\n") > 2
    assert non_empty >= 5  # the comparisons are not between empty outputs
    for top in ("10", "1"):
        outs = []
        for engine in ("python", "duckdb"):
            assert audit_cmd.main(["report", str(target), "--engine", engine, "--top", top]) == 0
            outs.append(capsys.readouterr().out)
        assert outs[0] == outs[1]
        assert "Decisions per plugin" in outs[0]
