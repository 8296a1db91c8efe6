"""The guest Node shim: the built bundle and the host-side facts that depend on its shape.

The shim itself is JavaScript (``src/``, bundled into ``engine/bootstrap/50-node.js`` by
``build.mjs``). The host needs two things from it without running JS: where the bundle is, and which
names each built-in module exports, so that ``import {readFileSync} from "node:fs"`` in an ES module
can be served as a tiny wrapper around ``globalThis.__se_builtin("fs")`` (see docs/bridge-ops.md).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from secure_exec.errors import GuestError

GUEST_DIR = Path(__file__).resolve().parent
BUNDLE_PATH = GUEST_DIR.parent.parent / "engine" / "bootstrap" / "50-node.js"
BUILTINS_PATH = GUEST_DIR / "builtins.json"

_IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


@cache
def _table() -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    data = json.loads(BUILTINS_PATH.read_text(encoding="utf-8"))
    modules = {str(k): tuple(str(n) for n in v) for k, v in data["modules"].items()}
    return modules, frozenset(str(n) for n in data.get("unsupported", []))


def _bare(specifier: str) -> str:
    return specifier[5:] if specifier.startswith("node:") else specifier


def builtin_module_names() -> frozenset[str]:
    """Built-in modules the shim implements (``fs``, ``path``, ``fs/promises``, ...)."""
    return frozenset(_table()[0])


def unsupported_module_names() -> frozenset[str]:
    """Node built-ins the sandbox refuses (``net``, ``vm``, ...): importing them throws in the guest."""
    return _table()[1]


def is_builtin(specifier: str) -> bool:
    """True for ``fs``/``node:fs`` and for refused built-ins alike (they must not hit the file system)."""
    name = _bare(specifier)
    modules, unsupported = _table()
    return name in modules or name in unsupported


def esm_wrapper_source(specifier: str) -> str:
    """ES module source for a ``node:*`` (or bare built-in) import, to hand to the engine's loader.

    Named exports are copied once at import time from the CommonJS object, which is what Node's
    own ESM facade of built-ins does (barring ``syncBuiltinESMExports``).
    """
    name = _bare(specifier)
    modules, unsupported = _table()
    if name in unsupported:
        # Evaluating it throws "<name> is not supported in sandbox" inside the guest.
        return f"export default globalThis.__se_builtin({json.dumps(name)});\n"
    if name not in modules:
        raise GuestError(
            "ERR_UNKNOWN_BUILTIN_MODULE", f"No such built-in module: {specifier}", name="Error"
        )
    lines = [f"const m = globalThis.__se_builtin({json.dumps(name)});", "export default m;"]
    names = [n for n in modules[name] if _IDENT.match(n)]
    if names:
        lines.append("export const " + ", ".join(f"{n} = m.{n}" for n in names) + ";")
    return "\n".join(lines) + "\n"


def esm_commonjs_wrapper_source(filename: str) -> str:
    """ES module source that imports the CommonJS file at absolute guest path ``filename``.

    The default export is ``module.exports`` (what Node gives for ``import x from "./lib.cjs"``);
    named exports are not derived, since that needs a static analysis of the CommonJS source.
    """
    if not filename.startswith("/") or "\0" in filename:
        raise GuestError("ERR_INVALID_ARG_VALUE", f"not an absolute guest path: {filename!r}", name="TypeError")
    return f"export default globalThis.__se_require({json.dumps(filename)});\n"


__all__ = [
    "BUILTINS_PATH",
    "BUNDLE_PATH",
    "GUEST_DIR",
    "builtin_module_names",
    "esm_commonjs_wrapper_source",
    "esm_wrapper_source",
    "is_builtin",
    "unsupported_module_names",
]
