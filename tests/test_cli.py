"""``secure-exec run`` / ``plugin call``: flags, exit codes, pass-through output, denial summary."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "secure_exec.cli.main", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def test_run_passes_output_and_exit_code(tmp_path: Path) -> None:
    script = tmp_path / "s.js"
    script.write_text('console.log("hello"); console.error("warn"); process.exit(3)')
    r = cli("run", str(script))
    assert (r.returncode, r.stdout) == (3, "hello\n") and "warn" in r.stderr


def test_allow_read_and_denial_summary(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "in.txt").write_text("content")
    secret = tmp_path / "secret.txt"
    secret.write_text("nope")
    script = tmp_path / "app" / "main.js"
    script.parent.mkdir()
    script.write_text(
        'const fs = require("fs");\n'
        f'console.log(fs.readFileSync({json.dumps(str(data / "in.txt"))}, "utf8"));\n'
        f'try {{ fs.readFileSync({json.dumps(str(secret))}) }} catch (e) {{ console.log(e.code) }}\n'
        f'try {{ fs.writeFileSync({json.dumps(str(data / "out.txt"))}, "x") }} catch (e) {{ console.log(e.code) }}\n'
    )
    log = tmp_path / "audit.jsonl"
    r = cli("run", str(script), "--allow-read", str(data), "--audit-log", str(log))
    assert r.returncode == 0, r.stderr
    assert r.stdout == "content\nEACCES\nEACCES\n"
    assert "2 operation(s) denied" in r.stderr and f"secure-exec audit report {log}" in r.stderr
    v = cli("audit", "verify", str(log))
    assert v.returncode == 0, v.stdout + v.stderr
    r = cli("run", str(script), "--allow-read", str(data), "--allow-write", str(data))
    assert r.stdout == "content\nEACCES\n"
    assert (data / "out.txt").read_text() == "x"


def test_audit_only_flag(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("data")
    script = tmp_path / "app" / "s.js"  # the entry's own folder is readable; f.txt is outside it
    script.parent.mkdir()
    script.write_text(f'console.log(require("fs").readFileSync({json.dumps(str(tmp_path / "f.txt"))}, "utf8"))')
    r = cli("run", str(script), "--audit-only")
    assert r.returncode == 0 and r.stdout == "data\n"
    assert "would have been denied (audit-only)" in r.stderr


def test_script_arguments_after_double_dash(tmp_path: Path) -> None:
    script = tmp_path / "s.js"
    script.write_text("console.log(JSON.stringify(process.argv.slice(2)))")
    r = cli("run", str(script), "--time-limit", "5", "--", "a", "--not-a-flag")
    assert r.stdout == '["a","--not-a-flag"]\n', r.stderr


def test_env_flag_passes_only_named_variables(tmp_path: Path) -> None:
    script = tmp_path / "s.js"
    script.write_text("console.log(process.env.PATH === undefined, process.env.HOME === undefined)")
    r = cli("run", str(script), "--allow-env", "HOME")
    assert r.stdout == "true false\n"


def test_time_limit_gives_124(tmp_path: Path) -> None:
    script = tmp_path / "s.js"
    script.write_text("while (true) {}")
    r = cli("run", str(script), "--time-limit", "0.3")
    assert r.returncode == 124 and "time limit" in r.stderr


GRANT = ("--allow-read", "/docs", "--allow-read", "/out", "--allow-write", "/out")


def test_plugin_call_and_errors(tmp_path: Path) -> None:
    r = cli("plugin", "call", str(REPO / "plugins" / "toc-generator"), "headings", "--args", '["# T\\n## U"]', *GRANT)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == [{"level": 1, "text": "T"}, {"level": 2, "text": "U"}]
    r = cli("plugin", "call", str(REPO / "plugins" / "toc-generator"), "headings", "--args", "{not json", *GRANT)
    assert r.returncode == 1 and "--args is not valid JSON" in r.stderr
    r = cli("plugin", "call", str(tmp_path), "x")
    assert r.returncode == 1 and "not a plugin folder" in r.stderr


def test_plugin_requesting_more_than_flags_grant_is_refused() -> None:
    r = cli("plugin", "call", str(REPO / "plugins" / "toc-generator"), "headings", "--args", '["# x"]',
            "--allow-read", "/elsewhere")
    assert r.returncode == 1 and "more than the host granted" in r.stderr
