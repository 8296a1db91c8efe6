"""The ES module loader the engine calls for every ``import``: built-ins or files through the fs gate.

``node:*`` and bare built-in names are served as small wrappers around the shim's built-ins. Every
other specifier is resolved as Node's ESM resolver does (relative, absolute, ``file:`` URL, ``#imports``,
a package's own name, or a package in a ``node_modules`` folder through its ``exports`` with the
conditions ``node``/``import``/``default`` and arrays, else ``main``), and read through the ``import``
decision of the fs gate (``_exists``/``_kind``/``_read``, the only places this module touches files).

A file's format is decided as Node decides it, not from its text: ``.mjs`` is ESM, ``.cjs`` CommonJS,
``.json`` JSON, and ``.js`` (or no extension) follows the nearest ``package.json`` ``"type"``; a file
with no ``"type"`` above it is ESM only when it really has ESM syntax (Node 22's detection), which the
lexer below finds. ``import`` of CommonJS gives ``module.exports`` as the default export plus the named
exports that cjs-module-lexer (the lexer Node itself uses) finds, re-exports followed, as in Node.
"""

from __future__ import annotations

import hashlib
import itertools
import posixpath
import re
import threading
import weakref
from collections import OrderedDict
from typing import Any

import orjson

from secure_exec.errors import GuestError, SecureExecError
from secure_exec.runtime.guest import GUEST_DIR, esm_commonjs_wrapper_source, esm_wrapper_source, is_builtin
from secure_exec.runtime.ops import fs_ops
from secure_exec.runtime.session import Session

MAX_MODULE_BYTES = 8 * 2**20
ESM_CONDITIONS = ("node", "import", "default")
REQUIRE_CONDITIONS = ("node", "require", "default")
_MAYBE_ESM = re.compile(r"\b(?:import|export)\b")  # cheap pre-filter before the lexer
_IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_RESERVED = frozenset(
    "break case catch class const continue debugger default delete do else enum export extends false finally "
    "for function if import in instanceof new null return super switch this throw true try typeof var void "
    "while with yield let static implements interface package private protected public await".split())
LEXER_PATH = GUEST_DIR / "cjs-module-lexer.js"


# ---------------------------------------------------------------------------- cjs-module-lexer

class CjsLexer:
    """cjs-module-lexer running in a sandbox of its own (no host calls, no files), owned by the host.

    The guest being loaded cannot lex for us (the loader runs inside its call), so one extra engine
    instance per process does it; results are cached by source digest.
    """

    def __init__(self, cache_size: int = 512) -> None:
        self._lock = threading.Lock()
        self._inst: Any = None
        self._cache: OrderedDict[bytes, dict[str, Any]] = OrderedDict()
        self._cache_size = cache_size

    def lex(self, source: str) -> dict[str, Any]:
        """``{"exports": [...], "reexports": [...]}``, ``{"esm": why}`` or ``{"error": why}``."""
        key = hashlib.blake2b(source.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
            try:
                r = self._instance().call_function("__se_cjs_lex", [source])
            except SecureExecError as e:  # a pathological source: no named exports rather than no module
                self._inst = None
                r = {"error": f"{type(e).__name__}: {e}"}
            out = r if isinstance(r, dict) else {"error": "lexer returned no result"}
            self._cache[key] = out
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            return out

    def _instance(self) -> Any:
        if self._inst is None:
            from secure_exec.engine.instance import JSInstance
            from secure_exec.engine.limits import EngineLimits

            inst = JSInstance(limits=EngineLimits(time_limit=10.0, memory_limit=256 * 2**20,
                                                  max_request_bytes=MAX_MODULE_BYTES * 4))
            inst.eval_script(LEXER_PATH.read_text(encoding="utf-8"), "cjs-module-lexer.js")
            self._inst = inst
        return self._inst


LEXER = CjsLexer()


def looks_like_esm(source: str) -> bool:
    """True when ``source`` has ES module syntax (``import``/``export`` statements, ``import.meta``).

    Decided by cjs-module-lexer, so keywords inside strings, comments, templates or regexps do not
    count and minified ``export{`` does. This is Node 22's detection for files with no ``"type"``.
    """
    if not _MAYBE_ESM.search(source):
        return False
    return "esm" in LEXER.lex(source)


# ---------------------------------------------------------------------------- file access (gated)

def _exists(s: Session, path: str) -> bool:
    """A loader probe, decided as ``import``: a refused path is absent whether or not it exists."""
    return fs_ops.module_exists(s, path)


def _read(s: Session, path: str) -> str:
    """A module's text, decided and audited as ``import`` (never as the guest's ``read``)."""
    return fs_ops.module_source(s, path)


def _kind(s: Session, path: str) -> str | None:
    """``"file"``/``"dir"``/... or None (absent or refused): the same ``import`` probe as ``_exists``."""
    kind = fs_ops.module_stat(s, {"path": path}).get("kind")
    return kind if isinstance(kind, str) else None


_pkg_caches: dict[int, dict[str, Any]] = {}


def _pkg_cache(s: Session) -> dict[str, Any]:
    key = id(s)
    c = _pkg_caches.get(key)
    if c is None:
        c = _pkg_caches[key] = {}
        weakref.finalize(s, _pkg_caches.pop, key, None)
    return c


def _read_pkg(s: Session, pj: str) -> dict[str, Any] | None:
    """The parsed ``package.json`` at ``pj`` (None when absent), cached for the session."""
    cache = _pkg_cache(s)
    if pj in cache:
        hit: dict[str, Any] | None = cache[pj]
        return hit
    pkg: dict[str, Any] | None = None
    if _exists(s, pj):
        try:
            data = orjson.loads(_read(s, pj))
        except orjson.JSONDecodeError:
            raise GuestError("ERR_INVALID_PACKAGE_CONFIG", f"Invalid package config {pj}.") from None
        pkg = data if isinstance(data, dict) else {}
    cache[pj] = pkg
    return pkg


def package_scope(s: Session, path: str) -> tuple[str, dict[str, Any]] | None:
    """The nearest ``package.json`` above ``path`` (Node's package scope): ``(dir, parsed)``."""
    d = posixpath.dirname(path)
    while True:
        if posixpath.basename(d) == "node_modules":
            return None
        pkg = _read_pkg(s, posixpath.join(d, "package.json"))
        if pkg is not None:
            return d, pkg
        if d == "/":
            return None
        d = posixpath.dirname(d)


def module_format(s: Session, path: str, source: str | None = None) -> str:
    """``"module"``, ``"commonjs"`` or ``"json"`` for the file at ``path``, as Node decides it."""
    ext = posixpath.splitext(path)[1]
    if ext == ".mjs":
        return "module"
    if ext == ".cjs":
        return "commonjs"
    if ext == ".json":
        return "json"
    scope = package_scope(s, path)
    kind = scope[1].get("type") if scope else None
    if kind == "module" and ext in (".js", ""):
        return "module"
    if kind == "commonjs":
        return "commonjs"
    text = source if source is not None else _read(s, path)
    return "module" if looks_like_esm(text) else "commonjs"


# ---------------------------------------------------------------------------- resolution

def _not_found(spec: str, referrer: str) -> GuestError:
    return GuestError("ERR_MODULE_NOT_FOUND", f"Cannot find module '{spec}' imported from {referrer}")


def _not_exported(sub: str, pj: str) -> GuestError:
    what = "No \"exports\" main defined" if sub == "." else f"Package subpath '{sub}' is not defined by \"exports\""
    return GuestError("ERR_PACKAGE_PATH_NOT_EXPORTED", f"{what} in {pj}")


def _target(root: str, target: Any, star: str | None, conditions: tuple[str, ...], depth: int = 0) -> str | None:
    """PACKAGE_TARGET_RESOLVE: a string (with ``*`` filled in), the first good entry of an array, or
    the first key of a conditions object that is one of ``conditions``; None when nothing matches."""
    if depth > 16:
        return None
    if isinstance(target, str):
        if not target.startswith("./"):
            return None
        t = target.replace("*", star) if star is not None else target
        full = posixpath.normpath(posixpath.join(root, t))
        return full if full == root or full.startswith(root.rstrip("/") + "/") else None
    if isinstance(target, list):
        for t in target:
            r = _target(root, t, star, conditions, depth + 1)
            if r is not None:
                return r
        return None
    if isinstance(target, dict):
        for key, value in target.items():
            if key in conditions:
                r = _target(root, value, star, conditions, depth + 1)
                if r is not None:
                    return r
    return None


def exports_resolve(root: str, exports: Any, sub: str, conditions: tuple[str, ...]) -> str | None:
    """PACKAGE_EXPORTS_RESOLVE for subpath ``sub`` (``"."`` or ``"./x"``); None when not exported."""
    table: Any = exports
    if not (isinstance(exports, dict) and exports and all(str(k).startswith(".") for k in exports)):
        table = {".": exports}
    if sub in table and "*" not in sub:
        return _target(root, table[sub], None, conditions)
    best: tuple[str, str] | None = None
    for key in table:
        star = key.find("*")
        if star < 0 or key.find("*", star + 1) >= 0:
            continue
        pre, post = key[:star], key[star + 1:]
        if sub.startswith(pre) and sub != pre and sub.endswith(post) and len(sub) >= len(key):
            if best is None or len(pre) > len(best[0].split("*")[0]) or (
                    len(pre) == len(best[0].split("*")[0]) and len(key) > len(best[0])):
                best = (key, sub[len(pre):len(sub) - len(post)] if post else sub[len(pre):])
    if best is None:
        return None
    return _target(root, table[best[0]], best[1], conditions)


def imports_resolve(s: Session, spec: str, referrer: str, conditions: tuple[str, ...]) -> str:
    """``#name`` through the ``imports`` of the referrer's package scope."""
    scope = package_scope(s, referrer)
    imports = scope[1].get("imports") if scope else None
    if scope is None or not isinstance(imports, dict):
        raise GuestError("ERR_PACKAGE_IMPORT_NOT_DEFINED",
                         f"Package import specifier \"{spec}\" is not defined imported from {referrer}",
                         name="TypeError")
    root = scope[0]
    if spec in imports and "*" not in spec:
        hit = _target(root, imports[spec], None, conditions)
    else:
        hit = None
        for key in sorted((k for k in imports if k.count("*") == 1), key=lambda k: -len(k.split("*")[0])):
            pre, post = key.split("*")
            if spec.startswith(pre) and spec.endswith(post) and len(spec) >= len(key):
                hit = _target(root, imports[key], spec[len(pre):len(spec) - len(post)] if post else spec[len(pre):],
                              conditions)
                break
        if hit is None:
            # an imports target may also be a bare package name
            target = imports.get(spec)
            if isinstance(target, str) and not target.startswith(("./", "../", "/")):
                return resolve_bare(s, target, referrer, conditions)
    if hit is None:
        raise GuestError("ERR_PACKAGE_IMPORT_NOT_DEFINED",
                         f"Package import specifier \"{spec}\" is not defined in package "
                         f"{root}/package.json imported from {referrer}", name="TypeError")
    return hit


def _legacy_main(s: Session, root: str, pkg: dict[str, Any]) -> str | None:
    """LEGACY_MAIN_RESOLVE: ``main`` (with .js/.json/index probing), else ``index.js``."""
    main = pkg.get("main")
    cands: list[str] = []
    if isinstance(main, str) and main:
        m = posixpath.normpath(posixpath.join(root, main))
        cands += [m, m + ".js", m + ".json", m + ".node", posixpath.join(m, "index.js"),
                  posixpath.join(m, "index.json")]
    cands += [posixpath.join(root, "index.js"), posixpath.join(root, "index.json")]
    return next((c for c in cands if _is_file(s, c)), None)


def _is_file(s: Session, path: str) -> bool:
    return _kind(s, path) == "file"


def resolve_bare(s: Session, spec: str, referrer: str, conditions: tuple[str, ...] = ESM_CONDITIONS) -> str:
    """A package specifier from ``referrer``: self-reference, then ``node_modules`` upward."""
    parts = spec.split("/")
    name_len = 2 if spec.startswith("@") else 1
    if len(parts) < name_len or not parts[0] or (name_len == 2 and not parts[1]):
        raise GuestError("ERR_INVALID_MODULE_SPECIFIER", f"Invalid module \"{spec}\" is not a valid package name "
                         f"imported from {referrer}", name="TypeError")
    name, rest = "/".join(parts[:name_len]), "/".join(parts[name_len:])
    sub = "./" + rest if rest else "."
    scope = package_scope(s, referrer)
    if scope is not None and scope[1].get("name") == name and scope[1].get("exports") is not None:
        hit = exports_resolve(scope[0], scope[1]["exports"], sub, conditions)
        if hit is None:
            raise _not_exported(sub, posixpath.join(scope[0], "package.json"))
        return hit
    d = posixpath.dirname(referrer) or "/"
    while True:
        if posixpath.basename(d) != "node_modules":
            root = posixpath.join(d, "node_modules", name)
            pj = posixpath.join(root, "package.json")
            pkg = _read_pkg(s, pj)
            if pkg is not None:
                if pkg.get("exports") is not None:
                    hit = exports_resolve(root, pkg["exports"], sub, conditions)
                    if hit is None:
                        raise _not_exported(sub, pj)
                    return hit
                if sub == ".":
                    main = _legacy_main(s, root, pkg)
                    if main is None:
                        raise _not_found(spec, referrer)
                    return main
                return posixpath.join(root, rest)
            if rest and _exists(s, posixpath.join(root, rest)):
                return posixpath.join(root, rest)
            if not rest and _exists(s, posixpath.join(root, "index.js")):
                return posixpath.join(root, "index.js")
        if d == "/":
            raise _not_found(spec, referrer)
        d = posixpath.dirname(d)


def _probe(s: Session, path: str) -> str:
    """Extension and directory probing (lenient: Node's ESM resolver wants the full file name)."""
    if _is_file(s, path):
        return path
    for cand in (path + ".mjs", path + ".js", path + ".cjs", path + ".json"):
        if _exists(s, cand):
            return cand
    if _exists(s, path):
        pkg = _read_pkg(s, posixpath.join(path, "package.json"))
        main = _legacy_main(s, path, pkg or {})
        if main is not None:
            return main
        for cand in (posixpath.join(path, "index.mjs"),):
            if _exists(s, cand):
                return cand
    return path


# ---------------------------------------------------------------------------- CommonJS named exports

def _cjs_resolve(s: Session, spec: str, from_file: str) -> str | None:
    """``require.resolve`` on the host, for following re-exports (None: leave that re-export out)."""
    if spec.startswith("node:") or is_builtin(spec):
        return None
    try:
        if spec.startswith(("./", "../", "/")) or spec in (".", ".."):
            base = posixpath.normpath(posixpath.join(posixpath.dirname(from_file), spec))
            for cand in (base, base + ".js", base + ".json", base + ".cjs"):
                if _is_file(s, cand):
                    return cand
            if _exists(s, base):
                pkg = _read_pkg(s, posixpath.join(base, "package.json"))
                return _legacy_main(s, base, pkg or {})
            return None
        hit = resolve_bare(s, spec, from_file, REQUIRE_CONDITIONS)
        return hit if _is_file(s, hit) else _probe(s, hit) if _exists(s, _probe(s, hit)) else None
    except GuestError:
        return None


def cjs_export_names(s: Session, path: str, source: str | None = None, _seen: set[str] | None = None) -> list[str]:
    """Named exports Node gives ``import`` of the CommonJS file ``path`` (re-exports followed)."""
    seen = _seen if _seen is not None else set()
    if path in seen or len(seen) > 64:
        return []
    seen.add(path)
    if path.endswith(".json") or path.endswith(".node"):
        return []
    text = source if source is not None else _read(s, path)
    r = LEXER.lex(text)
    names: list[str] = [n for n in r.get("exports", []) if isinstance(n, str)]
    for spec in r.get("reexports", []):
        if not isinstance(spec, str):
            continue
        target = _cjs_resolve(s, spec, path)
        if target is not None and module_format(s, target) == "commonjs":
            names += cjs_export_names(s, target, None, seen)
    return list(dict.fromkeys(n for n in names if n != "default" and _encodable(n)))


def _encodable(name: str) -> bool:
    """Export names become string literals in generated source: lone surrogates cannot."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def cjs_wrapper_source(s: Session, path: str, source: str | None = None) -> str:
    """ES module source for ``import`` of the CommonJS file ``path``: default + lexed named exports."""
    base = esm_commonjs_wrapper_source(path)
    names = cjs_export_names(s, path, source)
    if not names:
        return base
    lines = [base.replace("export default ", "const __m = ", 1), "export default __m;"]
    plain = [n for n in names if _IDENT.match(n) and n not in _RESERVED]
    if plain:
        lines.append("export const " + ", ".join(f"{n} = __m == null ? undefined : __m[{orjson.dumps(n).decode()}]"
                                                  for n in plain) + ";")
    odd = [n for n in names if n not in plain]
    for i, n in zip(itertools.count(), odd, strict=False):
        key = orjson.dumps(n).decode()
        lines.append(f"const __x{i} = __m == null ? undefined : __m[{key}]; export {{ __x{i} as {key} }};")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- the engine's hook

def load_module(s: Session, spec: str, referrer: str) -> tuple[str, str]:
    """``(specifier, referrer) -> (resolved name, ES module source)``."""
    if is_builtin(spec):
        return ("node:" + spec.removeprefix("node:"), esm_wrapper_source(spec))
    if spec.startswith("node:"):
        raise GuestError("ERR_UNKNOWN_BUILTIN_MODULE", f"No such built-in module: {spec}")
    ref = referrer if referrer.startswith("/") else posixpath.join(s.cwd, "x")
    if spec.startswith("file://"):
        spec = spec[len("file://"):]
    if spec.startswith(("./", "../", "/")) or spec in (".", ".."):
        path = _probe(s, posixpath.normpath(posixpath.join(posixpath.dirname(ref), spec)))
    elif spec.startswith("#"):
        path = _probe(s, imports_resolve(s, spec, ref, ESM_CONDITIONS))
    else:
        path = _probe(s, resolve_bare(s, spec, ref))
    if s.entry is not None and path == s.entry[0]:
        return path, s.entry[1]  # the entry module's source comes from the host, not the filesystem
    if not _exists(s, path):
        # a refused path is EACCES, decided before anything about it is revealed (so no oracle)
        fs_ops.module_exists(s, path, refused_is_absent=False)
        raise _not_found(spec, referrer)
    if path.endswith(".cjs"):
        return path, cjs_wrapper_source(s, path)
    source = _read(s, path)
    fmt = module_format(s, path, source)
    if fmt == "json":
        try:
            orjson.loads(source)
        except orjson.JSONDecodeError:
            raise GuestError("ERR_INVALID_JSON", f"invalid JSON module {path}") from None
        return path, f"export default {source};\n"
    if fmt == "commonjs":
        # CommonJS: the shim's require() runs it (reading it again through the same op).
        return path, cjs_wrapper_source(s, path, source)
    return path, source
