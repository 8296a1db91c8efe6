"""The ES module loader the engine calls for every ``import``: built-ins or files through the fs gate.

``node:*`` and bare built-in names are served as small wrappers around the shim's built-ins. Every
other specifier is resolved like Node's ESM resolver (relative, absolute, or a package in a
``node_modules`` folder with ``exports``/``module``/``main``) and read through the same
policy-checked, audited ``fs.readFile`` path a guest ``readFileSync`` takes.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

import orjson

from secure_exec.errors import GuestError
from secure_exec.runtime.guest import esm_commonjs_wrapper_source, esm_wrapper_source, is_builtin
from secure_exec.runtime.ops import fs_ops
from secure_exec.runtime.session import Session

MAX_MODULE_BYTES = 8 * 2**20
_ESM_SYNTAX = re.compile(r"^\s*(import\s*[\w*{\"'.]|export\s)", re.M)  # a static import or an export


def looks_like_esm(source: str) -> bool:
    """ES module syntax at the start of a line (``import(`` alone is allowed in CommonJS too)."""
    return bool(_ESM_SYNTAX.search(source))


def _not_found(spec: str, referrer: str) -> GuestError:
    return GuestError("ERR_MODULE_NOT_FOUND", f"Cannot find module '{spec}' imported from {referrer}")


def _exists(s: Session, path: str) -> bool:
    """A loader probe, decided as ``import``: a refused path is absent whether or not it exists."""
    return fs_ops.module_exists(s, path)


def _read(s: Session, path: str) -> str:
    """A module's text, decided and audited as ``import`` (never as the guest's ``read``)."""
    return fs_ops.module_source(s, path)


def _pkg_entry(pkg: dict[str, Any], subpath: str) -> str | None:
    exp = pkg.get("exports")
    if exp is not None:
        target: Any = exp
        if isinstance(exp, dict) and any(k.startswith(".") for k in exp):
            target = exp.get(subpath)
        elif subpath != ".":
            target = None
        for _ in range(8):  # nested condition objects
            if isinstance(target, dict):
                target = next((target[c] for c in ("import", "node", "default", "require") if c in target), None)
        return target if isinstance(target, str) else None
    if subpath != ".":
        return subpath
    for key in ("module", "main"):
        v = pkg.get(key)
        if isinstance(v, str):
            return v
    return "./index.js"


def _resolve_package(s: Session, spec: str, referrer: str) -> str:
    parts = spec.split("/")
    name_len = 2 if spec.startswith("@") else 1
    name, sub = "/".join(parts[:name_len]), "/".join(parts[name_len:])
    d = posixpath.dirname(referrer) or "/"
    while True:
        root = posixpath.join(d, "node_modules", name)
        pj = posixpath.join(root, "package.json")
        if _exists(s, pj):
            try:
                pkg = orjson.loads(_read(s, pj))
            except orjson.JSONDecodeError:
                raise GuestError("ERR_INVALID_PACKAGE_CONFIG", f"Invalid package config {pj}") from None
            entry = _pkg_entry(pkg if isinstance(pkg, dict) else {}, "./" + sub if sub else ".")
            if entry is None:
                raise GuestError("ERR_PACKAGE_PATH_NOT_EXPORTED", f"Package subpath '{sub or '.'}' is not defined "
                                 f"by \"exports\" in {pj}")
            return posixpath.normpath(posixpath.join(root, entry))
        if sub and _exists(s, posixpath.join(root, sub)):
            return posixpath.join(root, sub)
        if d == "/":
            raise _not_found(spec, referrer)
        d = posixpath.dirname(d)


def load_module(s: Session, spec: str, referrer: str) -> tuple[str, str]:
    """``(specifier, referrer) -> (resolved name, ES module source)``."""
    if is_builtin(spec):
        return ("node:" + spec.removeprefix("node:"), esm_wrapper_source(spec))
    if spec.startswith("node:"):
        raise GuestError("ERR_UNKNOWN_BUILTIN_MODULE", f"No such built-in module: {spec}")
    if spec.startswith("file://"):
        spec = spec[len("file://"):]
    if spec.startswith(("./", "../", "/")) or spec in (".", ".."):
        base = posixpath.dirname(referrer) if referrer.startswith("/") else s.cwd
        path = posixpath.normpath(posixpath.join(base, spec))
    else:
        path = _resolve_package(s, spec, referrer if referrer.startswith("/") else posixpath.join(s.cwd, "x"))
    if s.entry is not None and path == s.entry[0]:
        return path, s.entry[1]  # the entry module's source comes from the host, not the filesystem
    if not _exists(s, path):
        for cand in (path + ".mjs", path + ".js", posixpath.join(path, "index.mjs"), posixpath.join(path, "index.js")):
            if _exists(s, cand):
                path = cand
                break
    if path.endswith(".cjs"):
        # CommonJS: the shim's require() loads it (through the same fs op); ESM gets module.exports.
        return path, esm_commonjs_wrapper_source(path)
    source = _read(s, path)
    if path.endswith(".js") and not looks_like_esm(source):
        return path, esm_commonjs_wrapper_source(path)
    if path.endswith(".json"):
        try:
            orjson.loads(source)
        except orjson.JSONDecodeError:
            raise GuestError("ERR_INVALID_JSON", f"invalid JSON module {path}") from None
        source = f"export default {source};\n"
    return path, source
