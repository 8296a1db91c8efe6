"""Pipe-safe, traceback-free output of the installed ``secure-exec`` script (issue 15, part 2)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_cli import REPO, SCRIPT, cli


def test_stdin_passes_through(tmp_path: Path) -> None:
    script = tmp_path / "in.js"
    script.write_text('let d = ""; process.stdin.on("data", c => d += c); '
                      'process.stdin.on("end", () => console.log(JSON.stringify(d)))')
    r = cli("run", str(script), input="hi\nthere\n")
    assert (r.returncode, r.stdout) == (0, '"hi\\nthere\\n"\n'), r.stderr


def test_guest_that_never_reads_stdin_does_not_wait_for_it(tmp_path: Path) -> None:
    script = tmp_path / "s.js"
    script.write_text('console.log("done")')
    with subprocess.Popen([str(SCRIPT), "run", str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as p:  # stdin stays open and is never written
        assert p.stdout is not None
        out = p.stdout.read()
        assert p.wait(timeout=60) == 0
        assert p.stdin is not None
        p.stdin.close()
    assert out == "done\n"


def test_run_dash_reads_the_script_from_stdin() -> None:
    r = cli("run", "-", input='console.log("from stdin", process.argv.length)')
    assert (r.returncode, r.stdout) == (0, "from stdin 2\n"), r.stderr
    r = cli("run", "-", input="export const x = 1; console.log(await Promise.resolve('esm'))")
    assert r.stdout == "esm\n", r.stderr


def test_non_utf8_script_is_one_line(tmp_path: Path) -> None:
    script = tmp_path / "bad.js"
    script.write_bytes(b'console.log("\xff")')
    r = cli("run", str(script))
    assert r.returncode == 2
    assert r.stderr == f"secure-exec: error: {script}: not UTF-8 text (invalid byte 0xff at offset 13)\n"
    r = cli("run", "-", input=b'console.log("\xc3")'.decode("latin-1"))  # latin-1 text re-encoded: valid UTF-8
    assert r.returncode == 0


def test_pipe_closed_by_head_is_quiet(tmp_path: Path) -> None:
    script = tmp_path / "loop.js"
    script.write_text('for (let i = 0; ; i++) console.log("line " + i)')
    r = subprocess.run(f"'{SCRIPT}' run '{script}' | head -2; echo \"rc=${{PIPESTATUS[0]}}\"", shell=True,
                       executable="/bin/bash", capture_output=True, text=True, timeout=60)
    assert r.stdout == "line 0\nline 1\nrc=141\n"
    assert r.stderr == ""


HELLO = str(REPO / "plugins" / "hello")


@pytest.mark.parametrize("cmd", [["plugins", "--json", "--all"], ["run", "--help"], ["--help"],
                                 ["plugin", "call", HELLO, "greet", "--args", "'\"x\"'"],
                                 ["plugin", "digest", HELLO], ["plugin", "diff", HELLO, HELLO, "--json"],
                                 ["run", HELLO, "--dry-run"]])
def test_every_printing_command_survives_a_closed_pipe(cmd: list[str]) -> None:
    """stdout is a pipe whose reader is already gone: every write is EPIPE, deterministically."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        r = subprocess.run([str(SCRIPT), *[c.strip("'") for c in cmd]], stdout=write_end, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, text=True, timeout=60)
    finally:
        os.close(write_end)
    assert "Traceback" not in r.stderr and "BrokenPipe" not in r.stderr, r.stderr
    assert r.returncode in (0, 141), (r.returncode, r.stderr)


@pytest.mark.parametrize("source", ["while (true) {}", "setInterval(() => require('fs').existsSync('/x'), 1)"])
def test_sigint_exits_130_without_traceback(tmp_path: Path, source: str) -> None:
    script = tmp_path / "spin.js"
    script.write_text('console.log("running");\n' + source)
    with subprocess.Popen([str(SCRIPT), "run", str(script)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as p:
        assert p.stdout is not None
        assert p.stdout.readline() == "running\n"  # the guest is in its loop now
        time.sleep(0.3)
        p.send_signal(signal.SIGINT)
        _out, err = p.communicate(timeout=30)
    assert p.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err


def test_library_logs_never_reach_stdout(tmp_path: Path) -> None:
    script = tmp_path / "s.js"
    script.write_text('console.log("only this")')
    env = {**os.environ, "SECURE_EXEC_TRACE_HOOKS": "1"}
    r = cli("run", str(script), env=env)
    assert r.stdout == "only this\n"
    assert "hook.call hook=secure_exec_filesystem" in r.stderr


def test_python_import_is_silent() -> None:
    """The library adds only a NullHandler: importing and using it prints nothing."""
    code = ("import secure_exec as se, logging; "
            "assert any(isinstance(h, logging.NullHandler) for h in logging.getLogger('secure_exec').handlers)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")


def test_plugins_command_lists_hooks() -> None:
    r = cli("plugins", "--json", "--all")
    assert r.returncode == 0, r.stderr
    items = json.loads(r.stdout)
    builtin = next(p for p in items if p["builtin"])
    assert "secure_exec_filesystem" in builtin["hooks"]
    text = cli("plugins", "--all")
    assert "secure_exec_filesystem" in text.stdout


def test_exit_code_table_is_shared(tmp_path: Path) -> None:
    """Config errors are 2 in every command; a guest error is 1; the table is in every --help."""
    bad = tmp_path / "p.toml"
    bad.write_text("[[rules]]\ncapability = 'fs'\neffect = 'allow'\nbogus = 1\n")
    script = tmp_path / "s.js"
    script.write_text("throw new Error('boom')")
    assert cli("run", str(script), "--policy", str(bad)).returncode == 2
    hello = str(REPO / "plugins" / "hello")
    assert cli("plugin", "call", hello, "greet", "--policy", str(bad)).returncode == 2
    r = cli("run", str(script))
    assert r.returncode == 1 and "Error: boom" in r.stderr and "Traceback" not in r.stderr
    assert cli("plugin", "call", hello, "nope").returncode == 1
    for cmd in (["run"], ["plugin"], ["plugins"]):
        text = cli(*cmd, "--help").stdout
        assert "exit codes:\n  0    success\n" in text and "  124  the time limit ended the run\n" in text


def test_debug_flag_shows_a_traceback(tmp_path: Path) -> None:
    r = cli("--debug", "plugin", "call", str(REPO / "plugins" / "hello"), "greet", "--args", "{bad")
    assert r.returncode == 2 and "Traceback (most recent call last)" in r.stderr
    r = cli("plugin", "call", str(REPO / "plugins" / "hello"), "greet", "--args", "{bad")
    assert "Traceback" not in r.stderr
