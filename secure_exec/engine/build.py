"""Rebuild ``secure_exec/engine/wasm/sandbox.wasm`` reproducibly from pinned, hash-checked inputs.

Why a script and not a Makefile: CI and contributors need only Python and PyPI. The QuickJS-NG sources
come from the pinned ``quickjs-ng`` sdist (sha256-checked), the compiler from the ``ziglang`` wheel
(installed into a build venv under ``.build/`` if missing). The stripped output contains no paths or
timestamps, so ``--check`` can demand a byte-identical rebuild of the committed file.

    python -m secure_exec.engine.build            # rebuild the committed wasm
    python -m secure_exec.engine.build --check    # exit 1 unless a fresh build is byte-identical
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

QUICKJS_SDIST = "quickjs_ng-0.17.0.2.tar.gz"
QUICKJS_PIN = "quickjs-ng==0.17.0.2"
QUICKJS_SHA256 = "43d2e48272208721a7aaea8e3f02d4b9318f12ef20cc4f5421b59d9a470706ef"
ZIGLANG_PIN = "ziglang==0.17.0"
WIZER_PIN = "@bytecodealliance/wizer-linux-x64@11.0.3"

ENGINE_DIR = Path(__file__).resolve().parent
REPO_ROOT = ENGINE_DIR.parent.parent
CSRC = ENGINE_DIR / "csrc" / "sandbox.c"
BOOTSTRAP_DIR = ENGINE_DIR / "bootstrap"
WASM_OUT = ENGINE_DIR / "wasm" / "sandbox.wasm"

CFLAGS = [
    "--target=wasm32-wasi",
    "-mexec-model=reactor",
    "-O2",
    "-D_GNU_SOURCE",
    "-Wno-everything",
]
LDFLAGS = ["-Wl,-z,stack-size=1048576", "-s"]


class BuildError(Exception):
    """A build step failed; the message names the step and the culprit."""


def build_dir() -> Path:
    return Path(os.environ.get("SECURE_EXEC_BUILD_DIR", REPO_ROOT / ".build"))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch_sdist() -> Path:
    """The pinned QuickJS-NG sdist, downloaded with pip if not cached; refuses a wrong hash."""
    dl = build_dir() / "dl"
    path = dl / QUICKJS_SDIST
    if not path.exists():
        dl.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", QUICKJS_PIN, "-d", str(dl)],
            check=True,
        )
    got = sha256_file(path)
    if got != QUICKJS_SHA256:
        raise BuildError(f"{path}: sha256 {got} does not match the pinned {QUICKJS_SHA256}")
    return path


def zig_python() -> Path:
    """A Python that has the pinned ziglang wheel, creating ``.build/venv`` if needed."""
    venv = build_dir() / "venv"
    py = venv / "bin" / "python"
    probe = None
    if py.exists():
        probe = subprocess.run([str(py), "-m", "ziglang", "version"], capture_output=True, text=True)
    if probe is None or probe.returncode != 0 or probe.stdout.strip() != ZIGLANG_PIN.split("==")[1]:
        if not py.exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "--quiet", ZIGLANG_PIN], check=True)
    return py


def wizer_binary() -> Path | None:
    """The pinned wizer from npm (None when npm is unavailable: the plain module is built instead)."""
    root = build_dir() / "wizer"
    exe = root / "node_modules" / "@bytecodealliance" / "wizer-linux-x64" / "wizer"
    if exe.exists():
        return exe
    npm = shutil.which("npm")
    if npm is None:
        return None
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run([npm, "install", "--silent", "--prefix", str(root), WIZER_PIN], check=True)
    return exe if exe.exists() else None


def bootstrap_source(directory: Path = BOOTSTRAP_DIR) -> bytes:
    """All bootstrap files, concatenated in sorted order (other layers add files here)."""
    files = sorted(p for p in directory.glob("*.js") if p.is_file())
    if not files:
        raise BuildError(f"no bootstrap files in {directory}")
    parts = []
    for p in files:
        parts.append(f"/* ---- {p.name} ---- */\n".encode() + p.read_bytes() + b"\n")
    return b"".join(parts)


def export_bootstrap_from_git(ref: str, dest: Path) -> Path:
    """Write the bootstrap files as committed at ``ref`` into ``dest`` (ignores uncommitted edits)."""
    rel = BOOTSTRAP_DIR.relative_to(REPO_ROOT).as_posix()
    r = subprocess.run(["git", "-C", str(REPO_ROOT), "ls-tree", "--name-only", f"{ref}:{rel}"],
                       capture_output=True, text=True)  # fmt: skip
    if r.returncode != 0:
        raise BuildError(f"git ls-tree {ref}:{rel} failed: {r.stderr.strip()}")
    dest.mkdir(parents=True, exist_ok=True)
    for name in r.stdout.split():
        blob = subprocess.run(["git", "-C", str(REPO_ROOT), "show", f"{ref}:{rel}/{name}"], capture_output=True)
        if blob.returncode != 0:
            raise BuildError(f"git show {ref}:{rel}/{name} failed")
        (dest / name).write_bytes(blob.stdout)
    return dest


def bootstrap_header(js: bytes) -> str:
    """The bootstrap JS as a C byte array (no escaping pitfalls), NUL-terminated for the parser."""
    rows = [",".join(str(b) for b in js[i : i + 32]) for i in range(0, len(js), 32)]
    body = ",\n".join(rows)
    return (
        f"static const char SB_BOOTSTRAP[] = {{\n{body},0}};\n"
        f"#define SB_BOOTSTRAP_LEN ((size_t){len(js)})\n"
    )


def compile_wasm(out: Path, *, snapshot: bool, bootstrap_dir: Path = BOOTSTRAP_DIR) -> None:
    """Compile (and, with ``snapshot``, wizen) the engine into ``out``."""
    py = zig_python()
    sdist = fetch_sdist()
    env = dict(os.environ)
    env.setdefault("ZIG_GLOBAL_CACHE_DIR", str(build_dir() / "zig-cache"))
    env.setdefault("ZIG_LOCAL_CACHE_DIR", str(build_dir() / "zig-cache-local"))
    wizer = wizer_binary() if snapshot else None
    with tempfile.TemporaryDirectory(prefix="secure_exec_build_") as tmp:
        t = Path(tmp)
        with tarfile.open(sdist) as tf:
            tf.extractall(t, filter="data")
        q = t / "quickjs_ng-0.17.0.2" / "upstream-quickjs"
        (t / "bootstrap.h").write_text(bootstrap_header(bootstrap_source(bootstrap_dir)))
        shutil.copy(CSRC, t / "sandbox.c")
        plain = t / "plain.wasm"
        cmd = [
            str(py), "-m", "ziglang", "cc", *CFLAGS,
            *(["-DSB_WIZER"] if wizer else []),
            f"-I{q}", f"-I{t}",
            str(q / "libregexp.c"), str(q / "libunicode.c"), str(q / "dtoa.c"), str(t / "sandbox.c"),
            *LDFLAGS, "-o", str(plain),
        ]  # fmt: skip
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if r.returncode != 0:
            raise BuildError(f"compiling sandbox.c failed:\n{r.stderr[-4000:]}")
        if wizer is None:
            shutil.copy(plain, out)
            return
        r = subprocess.run(
            [str(wizer), "--allow-wasi", "--inherit-stdio=false", "--init-func", "wizer-initialize",
             str(plain), "-o", str(out)],
            capture_output=True, text=True,
        )  # fmt: skip
        if r.returncode != 0:
            raise BuildError(f"wizer failed:\n{r.stderr[-4000:]}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="rebuild into a temp file and compare with the committed one")
    ap.add_argument("--no-snapshot", action="store_true", help="skip wizer (slower sandbox start)")
    ap.add_argument("-o", "--output", type=Path, default=WASM_OUT)
    ap.add_argument("--bootstrap-dir", type=Path, default=BOOTSTRAP_DIR, help="where the bootstrap *.js files are")
    ap.add_argument("--git-ref", help="take the bootstrap files as committed at this ref (e.g. HEAD)")
    ns = ap.parse_args(argv)
    try:
        if ns.git_ref:
            ns.bootstrap_dir = export_bootstrap_from_git(ns.git_ref, Path(tempfile.mkdtemp(prefix="se_bootstrap_")))
        if ns.check:
            with tempfile.TemporaryDirectory() as tmp:
                fresh = Path(tmp) / "sandbox.wasm"
                compile_wasm(fresh, snapshot=not ns.no_snapshot, bootstrap_dir=ns.bootstrap_dir)
                want, got = sha256_file(WASM_OUT) if WASM_OUT.exists() else "<missing>", sha256_file(fresh)
                if want != got:
                    print(f"engine build differs: committed {want}, fresh {got}", file=sys.stderr)
                    return 1
                print(f"engine build is reproducible: {got}")
                return 0
        ns.output.parent.mkdir(parents=True, exist_ok=True)
        compile_wasm(ns.output, snapshot=not ns.no_snapshot, bootstrap_dir=ns.bootstrap_dir)
        print(f"wrote {ns.output} ({ns.output.stat().st_size} bytes, sha256 {sha256_file(ns.output)})")
        return 0
    except (BuildError, subprocess.CalledProcessError, OSError) as e:
        print(f"engine build failed: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
