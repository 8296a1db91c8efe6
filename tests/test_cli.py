"""``secure-exec run`` / ``plugin call``: flags, exit codes, pass-through output, denial summary.

Every test runs the installed ``secure-exec`` console script in a subprocess, as a user would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPT = Path(sys.executable).parent / "secure-exec"


def cli(*args: str, cwd: Path | None = None, input: str | bytes | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    data = input.decode() if isinstance(input, bytes) else input
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=120, cwd=cwd,
                          input=data if data is not None else "", env=env)


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
    # each denial names the flag that would grant it
    assert f"grant with --allow-read={secret}" in r.stderr
    assert f"grant with --allow-write={data / 'out.txt'}" in r.stderr
    v = cli("audit", "verify", str(log))
    assert v.returncode == 0, v.stdout + v.stderr
    r = cli("run", str(script), "--allow-read", str(data), "--allow-write", str(data))
    assert r.stdout == "content\nEACCES\n"
    assert (data / "out.txt").read_text() == "x"


def test_entry_folder_is_not_readable(tmp_path: Path) -> None:
    """issue 10: the entry's folder is importable only; readFileSync of a sibling needs --allow-read."""
    app = tmp_path / "home"
    app.mkdir()
    (app / "id_rsa").write_text("PRIVATE KEY")
    script = app / "s.js"
    script.write_text('try { console.log(require("fs").readFileSync(__dirname + "/id_rsa", "utf8")) }'
                      ' catch (e) { console.log(e.code) }')
    r = cli("run", str(script))
    assert r.returncode == 0, r.stderr
    assert r.stdout == "EACCES\n"
    r = cli("run", str(script), "--dry-run")
    assert "ops=import " in r.stdout and "cli:entry-folder" in r.stdout
    assert "ops=import,read" not in r.stdout.replace("exists,import,read", "")  # no read grant for the folder
    r = cli("run", str(script), f"--allow-read={app}")
    assert r.stdout == "PRIVATE KEY\n"


def test_audit_only_flag(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("data")
    script = tmp_path / "app" / "s.js"
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
TOC = str(REPO / "plugins" / "toc-generator")


def test_plugin_call_and_errors(tmp_path: Path) -> None:
    r = cli("plugin", "call", TOC, "headings", "--args", '["# T\\n## U"]', *GRANT)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == [{"level": 1, "text": "T"}, {"level": 2, "text": "U"}]
    r = cli("plugin", "call", TOC, "headings", "--args", '["# T"]', "--allow-read=/docs,/out", "--allow-write=/out",
            "--json")
    assert r.stdout == '[{"level":1,"text":"T"}]\n', r.stderr
    r = cli("plugin", "call", TOC, "headings", "--args", "{not json", *GRANT)
    assert r.returncode == 2 and "--args is not valid JSON" in r.stderr and "Traceback" not in r.stderr
    r = cli("plugin", "call", str(tmp_path), "x")
    assert r.returncode == 2 and "not a plugin folder" in r.stderr


def test_plugin_requesting_more_than_flags_grant_names_entry_and_flag() -> None:
    r = cli("plugin", "call", TOC, "headings", "--args", '["# x"]', "--allow-read", "/elsewhere")
    assert r.returncode == 2, r.stderr
    assert "requests more than the flags grant" in r.stderr
    assert "permissions[1]: fs write /out/**: grant with --allow-write=/out" in r.stderr
    assert "permissions[2]: fs stat,exists /out/**: grant with --allow-read=/out" in r.stderr
    assert "Traceback" not in r.stderr


def test_plugin_call_prints_only_the_result_on_stdout() -> None:
    """The plugin's console.log goes to stderr, so `| jq` sees JSON alone."""
    hello = str(REPO / "plugins" / "hello")
    r = cli("plugin", "call", hello, "greet", "--args", '"x"')
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == "hello, x"
    assert "Sandboxed Javascript Says Hello" in r.stderr
    r = cli("plugin", "call", hello, "greet", "--args", '"x"', "--stdio", "null")
    assert "Sandboxed" not in r.stderr + r.stdout
    jq = subprocess.run(f"'{SCRIPT}' plugin call '{hello}' greet --args '\"x\"' | python3 -c "
                        "'import json,sys; print(json.load(sys.stdin))'", shell=True, capture_output=True, text=True,
                        timeout=60)
    assert jq.stdout == "hello, x\n" and jq.returncode == 0, jq.stderr


def test_missing_script_is_one_line(tmp_path: Path) -> None:
    r = cli("run", str(tmp_path / "nope.js"))
    assert r.returncode == 2
    assert r.stderr == f"secure-exec: error: {tmp_path / 'nope.js'}: no such file or plugin folder\n"


def test_python_dash_m_and_version() -> None:
    r = subprocess.run([sys.executable, "-m", "secure_exec", "--version"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.startswith("secure-exec 0.")
    assert cli("--version").stdout == r.stdout


def test_help_shows_defaults_and_exit_codes() -> None:
    r = cli("run", "--help")
    assert r.returncode == 0
    assert "(default: 30.0)" in r.stdout and "124" in r.stdout and "--deny-read" in r.stdout
    assert "``" not in r.stdout  # no reST markup


def test_env_kept_out_of_child_environment(tmp_path: Path) -> None:
    script = tmp_path / "s.js"
    script.write_text("console.log(Object.keys(process.env).length)")
    env = {**os.environ, "SECURE_EXEC_TEST_SECRET": "1"}
    assert cli("run", str(script), env=env).stdout == "0\n"


def test_entry_folder_modules_import_without_a_read_grant(tmp_path: Path) -> None:
    """The loader imports siblings under the 'import' grant; the same file is not readFileSync-able."""
    (tmp_path / "lib.mjs").write_text("export const v = 42;")
    main = tmp_path / "main.mjs"
    main.write_text('import { v } from "./lib.mjs"; import fs from "node:fs"; console.log(v);\n'
                    'try { fs.readFileSync(new URL("./lib.mjs", import.meta.url).pathname) } '
                    'catch (e) { console.log(e.code) }')
    r = cli("run", str(main))
    assert (r.returncode, r.stdout) == (0, "42\nEACCES\n"), r.stderr


def test_bare_flag_before_the_file_is_explained(tmp_path: Path) -> None:
    script = tmp_path / "s.js"
    script.write_text("console.log(1)")
    r = cli("run", "--allow-read", str(script))
    assert r.returncode == 2
    assert r.stderr == (f"secure-exec: error: missing FILE: --allow-read took '{script}' as its value (a flag "
                        f"without '=' takes the next word); put the file first: secure-exec run {script} "
                        "--allow-read ...\n")
    r = cli("run", str(script), "--allow-read")  # file first: the bare flag grants all reads
    assert (r.returncode, r.stdout) == (0, "1\n")
