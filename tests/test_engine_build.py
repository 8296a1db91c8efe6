"""The engine artefact: the committed wasm's ABI, the compiled-module cache, and the build's input checks."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import wasmtime

from secure_exec.engine import build, loader
from secure_exec.engine.crossing import EXPORT_SIGS, IMPORT_ARITY


def test_committed_wasm_imports_nothing_dangerous() -> None:
    module = wasmtime.Module(wasmtime.Engine(), loader.WASM_PATH.read_bytes())
    imports = {(i.module, i.name) for i in module.imports}
    wasi = {(m, n) for m, n in imports if m == "wasi_snapshot_preview1"}
    assert {n for _, n in wasi} <= {"fd_close", "clock_time_get", "fd_fdstat_get", "fd_seek", "fd_write"}
    assert imports - wasi == {("host", n) for n in IMPORT_ARITY}
    exports = {e.name for e in module.exports}
    assert exports <= set(EXPORT_SIGS) | {"memory"}
    assert "sb_eval" in exports and "sb_call" in exports and "sb_reseed" in exports


def test_module_cache_is_written_atomically_and_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECURE_EXEC_CACHE_DIR", str(tmp_path / "cache"))
    assert loader.cache_dir() == tmp_path / "cache"
    wasm = loader.WASM_PATH.read_bytes()
    sha = hashlib.sha256(wasm).hexdigest()
    engine = loader._make_engine()
    m1 = loader._load_module(engine, wasm, sha)
    files = list((tmp_path / "cache").iterdir())
    assert len(files) == 1 and files[0].suffix == ".cwasm"  # no temp file left behind
    mtime = files[0].stat().st_mtime_ns
    m2 = loader._load_module(engine, wasm, sha)
    assert files[0].stat().st_mtime_ns == mtime  # loaded, not rewritten
    assert [e.name for e in m1.exports] == [e.name for e in m2.exports]
    # A damaged entry is replaced, never trusted. (Swap in a new inode: the live modules mmap the old one,
    # and truncating a mapped .cwasm in place would SIGBUS this process.)
    bad = tmp_path / "bad"
    bad.write_bytes(b"garbage")
    os.replace(bad, files[0])
    m3 = loader._load_module(engine, wasm, sha)
    assert [e.name for e in m3.exports] == [e.name for e in m1.exports]
    assert files[0].read_bytes()[:4] != b"garb"


def test_cache_key_depends_on_the_wasm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECURE_EXEC_CACHE_DIR", str(tmp_path))
    engine = loader._make_engine()
    tiny = wasmtime.wat2wasm("(module)")
    loader._load_module(engine, bytes(tiny), "a" * 64)
    loader._load_module(engine, bytes(tiny), "b" * 64)
    assert len(list(tmp_path.glob("*.cwasm"))) == 2


def test_xdg_cache_home_is_respected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECURE_EXEC_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert loader.cache_dir() == tmp_path / "secure_exec"


def test_epoch_deadline_leaves_room_for_the_graceful_stop() -> None:
    assert loader.epoch_ticks(1.0) * loader.EPOCH_TICK > 1.0
    assert loader.epoch_ticks(None) > 10**9


def test_build_refuses_a_tampered_sdist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECURE_EXEC_BUILD_DIR", str(tmp_path))
    (tmp_path / "dl").mkdir()
    (tmp_path / "dl" / build.QUICKJS_SDIST).write_bytes(b"not the real sdist")
    with pytest.raises(build.BuildError, match="sha256"):
        build.fetch_sdist()


def test_bootstrap_is_all_files_in_sorted_order(tmp_path: Path) -> None:
    (tmp_path / "50-b.js").write_text("var b = 2;")
    (tmp_path / "00-a.js").write_text("var a = 'é';")
    (tmp_path / "notes.txt").write_text("ignored")
    src = build.bootstrap_source(tmp_path)
    assert src.index(b"var a") < src.index(b"var b")
    assert b"ignored" not in src
    header = build.bootstrap_header(src)
    assert f"SB_BOOTSTRAP_LEN ((size_t){len(src)})" in header
    body = header.split("{", 1)[1].split("}", 1)[0]
    assert bytes(int(x) for x in body.replace("\n", "").split(",")) == src + b"\0"
    with pytest.raises(build.BuildError, match="no bootstrap files"):
        build.bootstrap_source(tmp_path / "nowhere")


def test_build_cli_reports_errors_cleanly(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "secure_exec.engine.build", "--check", "--bootstrap-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert r.returncode == 2
    assert "no bootstrap files" in r.stderr
    assert "Traceback" not in r.stderr


def test_forked_child_gets_its_own_runtime_and_ticker() -> None:
    """The hard time limit relies on the ticker thread, which a fork does not copy."""
    from secure_exec.engine import EngineLimits, JSInstance
    from secure_exec.errors import TimeLimitExceeded

    JSInstance().close()
    parent_rt = loader.runtime()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: report through the pipe, never return into pytest
        ok = 0
        try:
            def slow(raw: bytes) -> tuple[bool, bytes]:
                import time

                time.sleep(0.6)
                return False, b"1"

            with JSInstance(limits=EngineLimits(time_limit=0.05), host_call=slow) as js:
                js.eval_privileged("(b) => { globalThis.B = b }")
                try:
                    js.eval_script("B.hostCall('x'); for(;;){}")
                except TimeLimitExceeded as e:
                    ok = int("hard time limit" in str(e) and loader.runtime() is not parent_rt)
        finally:
            os.write(w, bytes([ok]))
            os._exit(0)
    os.close(w)
    got = os.read(r, 1)
    os.waitpid(pid, 0)
    assert got == b"\x01"
