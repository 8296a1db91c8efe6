"""``python -m secure_exec.runtime.guest.build [--check]``: rebuild the guest bundle with Node.

A thin wrapper so Python-only CI can call the same reproducible build as ``node build.mjs``; it
installs the pinned npm packages from package-lock.json first (``npm ci``) when they are missing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

from secure_exec.runtime.guest import GUEST_DIR


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None:
        print("guest build: `node` (>= 18) is required on PATH", file=sys.stderr)
        return 2
    if not (GUEST_DIR / "node_modules" / "esbuild").is_dir():
        if npm is None:
            print("guest build: node_modules missing and `npm` not found", file=sys.stderr)
            return 2
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=GUEST_DIR, check=True)
    extra = ["--check"] if "--check" in args else []
    return subprocess.run([node, str(GUEST_DIR / "build.mjs"), *extra], cwd=GUEST_DIR, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
