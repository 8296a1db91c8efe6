"""Deno-style permission flags of ``secure-exec run``, through the installed script in a subprocess.

Semantics checked against Deno's documented ones (https://docs.deno.com/runtime/fundamentals/security/):
no value = the whole capability, ``--flag=a,b`` and repeated flags are lists, ``--deny-*`` wins over
``--allow-*``, ``-A`` grants everything; and the paths the CLI turns into rules are literal.
"""

from __future__ import annotations

import http.server
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from secure_exec.policy import FsAccessRequest, Policy
from secure_exec.policy.globs import escape_path
from tests.test_cli import cli

READER = """
const fs = require("fs");
for (const p of JSON.parse(process.argv[2])) {
  try { console.log(fs.readFileSync(p, "utf8").trim()) } catch (e) { console.log(e.code) }
}
"""


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name in ("a", "b", "data-*", "data-secret", "q?", "qx"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "f.txt").write_text(name)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "r.js").write_text(READER)
    return tmp_path


def read(tree: Path, names: list[str], *flags: str) -> list[str]:
    paths = json.dumps([str(tree / n / "f.txt") for n in names])
    r = cli("run", str(tree / "app" / "r.js"), *flags, "--", paths)
    assert r.returncode == 0, r.stderr
    return r.stdout.split()


def test_comma_list_and_repeated_flags(tree: Path) -> None:
    assert read(tree, ["a", "b", "qx"], f"--allow-read={tree / 'a'},{tree / 'b'}") == ["a", "b", "EACCES"]
    assert read(tree, ["a", "b", "qx"], "--allow-read", str(tree / "a"), "--allow-read", str(tree / "b")) == \
        ["a", "b", "EACCES"]


def test_no_value_grants_the_whole_capability(tree: Path) -> None:
    assert read(tree, ["a", "qx"], "--allow-read") == ["a", "qx"]
    assert read(tree, ["a"], "--allow-read=") == ["a"]  # an empty value is the bare flag, as in Deno


def test_deny_wins_over_allow(tree: Path) -> None:
    assert read(tree, ["a", "b"], "--allow-read", f"--deny-read={tree / 'b'}") == ["a", "EACCES"]
    assert read(tree, ["a"], f"--allow-read={tree}", "--deny-read") == ["EACCES"]


def test_allow_all_warns(tree: Path) -> None:
    r = cli("run", str(tree / "app" / "r.js"), "-A", "--", json.dumps([str(tree / "a" / "f.txt")]))
    assert r.stdout == "a\n"
    assert "warning: --allow-all grants every capability" in r.stderr


def test_glob_characters_in_folder_names_are_literal(tree: Path) -> None:
    """issue 10: `--allow-read 'data-*'` grants that folder, never `data-secret` (nor `q?` -> `qx`)."""
    assert read(tree, ["data-*", "data-secret"], "--allow-read", str(tree / "data-*")) == ["data-*", "EACCES"]
    assert read(tree, ["q?", "qx"], f"--allow-read={tree / 'q?'}") == ["q?", "EACCES"]
    assert read(tree, ["data-*", "data-secret"], "--allow-read", f"--deny-read={tree / 'data-*'}") == \
        ["EACCES", "data-secret"]


def test_escape_path_round_trip() -> None:
    p = Policy.from_flags(allow_read=["/srv/we*rd?[x]\\y"])
    assert p.decide(FsAccessRequest("read", "/srv/we*rd?[x]\\y/f")).allow
    assert not p.decide(FsAccessRequest("read", "/srv/weXXrdZ[x]\\y/f")).allow
    assert not p.decide(FsAccessRequest("read", "/srv/we*rd?[x]y/f")).allow
    assert escape_path("/a*b?c\\d") == "/a\\*b\\?c\\\\d"


def test_env_globs_pass_every_matching_variable(tmp_path: Path) -> None:
    script = tmp_path / "e.js"
    script.write_text("console.log(JSON.stringify(Object.keys(process.env).sort()))")
    env = {**os.environ, "APP_ONE": "1", "APP_TWO": "2", "OTHER_X": "3"}
    r = cli("run", str(script), "--allow-env=APP_*", env=env)
    assert r.stdout == '["APP_ONE","APP_TWO"]\n', r.stderr
    r = cli("run", str(script), "--allow-env=APP_*,OTHER_X", "--deny-env=APP_TWO", env=env)
    assert r.stdout == '["APP_ONE","OTHER_X"]\n', r.stderr


RUNNER = """
const cp = require("child_process");
for (const c of JSON.parse(process.argv[2])) {
  try { console.log(cp.execFileSync(c, ["-c", "echo ran"]).toString().trim()) } catch (e) { console.log(e.code) }
}
"""


def test_allow_run_resolves_names_to_what_the_executor_runs(tmp_path: Path) -> None:
    script = tmp_path / "r.js"
    script.write_text(RUNNER)
    real_sh = os.path.realpath("/bin/sh")
    r = cli("run", str(script), "--allow-run=sh", f"--allow-read={tmp_path}", "--", '["sh"]', cwd=tmp_path)
    assert r.stdout == "ran\n", r.stderr
    r = cli("run", str(script), "--allow-run=/bin/sh", f"--allow-read={tmp_path}", "--", '["sh", "/bin/sh"]',
            cwd=tmp_path)
    assert r.stdout == "ran\nran\n", r.stderr
    dry = cli("run", str(script), "--allow-run=sh", "--dry-run")
    assert f"executable={real_sh}" in dry.stdout
    r = cli("run", str(script), "--allow-run=no-such-program-xyz")
    assert r.returncode == 2 and "--allow-run: no executable 'no-such-program-xyz' on PATH" in r.stderr


@pytest.fixture
def local_server() -> Iterator[int]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"local")

        def log_message(self, *a: object) -> None:
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv.server_address[1]
    srv.shutdown()


def test_waive_guard_flag(tmp_path: Path, local_server: int) -> None:
    script = tmp_path / "f.mjs"
    url = f"http://127.0.0.1:{local_server}/"
    script.write_text(f"try {{ const r = await fetch('{url}'); console.log(await r.text()) }}"
                      " catch (e) { console.log('refused') }")
    r = cli("run", str(script), f"--allow-net=127.0.0.1:{local_server}")
    assert r.stdout == "refused\n"
    assert "refused by guard net.loopback" in r.stderr and "waive with --waive net.loopback" in r.stderr
    r = cli("run", str(script), f"--allow-net=127.0.0.1:{local_server}", "--waive", "net.loopback")
    assert r.stdout == "local\n", r.stderr
    r = cli("run", str(script), "--waive", "net.lopback")
    assert r.returncode == 2 and "unknown guard(s) net.lopback; known:" in r.stderr


def test_allow_import_grants_imports_only(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "m.mjs").write_text("export const v = 7;")
    app = tmp_path / "app"
    app.mkdir()
    main = app / "main.mjs"
    target = json.dumps(str(lib / "m.mjs"))
    main.write_text(f'import fs from "node:fs";\n'
                    f"try {{ const m = await import({target}); console.log(m.v) }}\n"
                    "catch (e) { console.log(e.code) }\n"
                    f"try {{ fs.readFileSync({target}) }} catch (e) {{ console.log(e.code) }}\n")
    assert cli("run", str(main)).stdout == "EACCES\nEACCES\n"
    r = cli("run", str(main), f"--allow-import={lib}")
    assert r.stdout == "7\nEACCES\n", r.stderr
    assert cli("run", str(main), f"--allow-read={lib}").stdout == "7\n"
