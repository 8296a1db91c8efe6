"""Plugin manifests (``secure-exec-plugin.toml``) and plugin digests.

A plugin is a folder with a manifest naming its id, version, entry module, the permissions it
requests (in the policy engine's rule syntax), the host functions it needs and its limits. The
digest is a sha256 over every file's relative path and bytes, so any change to the plugin changes
it; a host can pin it to refuse a modified plugin.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from secure_exec.errors import ConfigError
from secure_exec.policy.config import rule_from_mapping

MANIFEST_NAME = "secure-exec-plugin.toml"
MAX_PLUGIN_FILES = 2000
MAX_PLUGIN_BYTES = 64 * 2**20
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,127}$")
_FN_RE = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]{0,63}$")
_VERSION_RE = re.compile(r"^[0-9]+(\.[0-9]+)*([-+._]?[0-9A-Za-z][0-9A-Za-z.+-]*)?$")  # 1, 1.2.3, 1.0.0-rc.1, 2.0a1
PLUGIN_KEYS = frozenset({"id", "version", "entry", "description", "host_functions", "exports"})
MANIFEST_KEYS = frozenset({"plugin", "permissions", "limits"})
LIMIT_KEYS = frozenset({"time_limit", "memory_limit_mb"})


def _unknown(keys: object, allowed: frozenset[str], where: str, what: str) -> None:
    """Unknown keys are errors (a typo must not load a plugin as if it asked for nothing)."""
    unknown = sorted(set(keys) - allowed) if isinstance(keys, Mapping) else []
    if unknown:
        close = difflib.get_close_matches(unknown[0], sorted(allowed), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ConfigError(f"{where}: {what}{unknown[0]}: unknown key{hint}; expected one of {sorted(allowed)}")


@attrs.frozen
class PluginLimits:
    time_limit: float | None = None
    memory_limit_mb: int | None = None


@attrs.frozen
class PluginManifest:
    id: str
    version: str
    entry: str
    root: Path
    description: str = ""
    requested_rules: tuple[Mapping[str, Any], ...] = ()
    host_functions: tuple[str, ...] = ()
    exports: tuple[str, ...] = ()
    limits: PluginLimits = PluginLimits()


def _req_str(table: Mapping[str, Any], key: str, where: str) -> str:
    v = table.get(key)
    if not isinstance(v, str) or not v.strip():
        raise ConfigError(f"{where}: '{key}' must be a non-empty string")
    return v


def load_manifest(folder: str | os.PathLike[str]) -> PluginManifest:
    """Read and validate a plugin folder's manifest; every error names the file and the key."""
    root = Path(folder).resolve()
    path = root / MANIFEST_NAME
    where = f"{MANIFEST_NAME} of plugin folder '{Path(folder).name}'"
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{where}: no manifest found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{where}: invalid TOML: {e}") from None
    table = data.get("plugin", data)
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [plugin] must be a table")
    if "plugin" in data:
        _unknown(data, MANIFEST_KEYS, where, "")
        _unknown(table, PLUGIN_KEYS, where, "plugin.")
    else:  # a flat manifest: the [plugin] keys at the top level
        _unknown(data, PLUGIN_KEYS | MANIFEST_KEYS - {"plugin"}, where, "")
    pid = _req_str(table, "id", where)
    if not _ID_RE.match(pid):
        raise ConfigError(f"{where}: 'id' {pid!r} must match {_ID_RE.pattern}")
    version = _req_str(table, "version", where)
    if not _VERSION_RE.match(version):
        raise ConfigError(f"{where}: 'version' {version!r} must be a version number such as '1.0.0'")
    description = table.get("description", "")
    if not isinstance(description, str):
        raise ConfigError(f"{where}: 'description' must be a string")
    entry = _req_str(table, "entry", where)
    entry_path = (root / entry).resolve()
    if not entry_path.is_relative_to(root) or not entry_path.is_file():
        raise ConfigError(f"{where}: 'entry' {entry!r} must name a file inside the plugin folder")
    if entry_path.suffix not in (".mjs", ".js"):
        raise ConfigError(f"{where}: 'entry' {entry!r} must be an ES module (.mjs or .js with import/export)")
    if any(part.startswith(".") for part in entry_path.relative_to(root).parts):
        raise ConfigError(f"{where}: 'entry' {entry!r} is a hidden file, which is not part of a plugin "
                          "(not covered by its digest)")
    rules = data.get("permissions", [])
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise ConfigError(f"{where}: [[permissions]] must be an array of tables")
    for i, r in enumerate(rules):
        rule_from_mapping(r, f"{where}: permissions[{i}]", source="manifest")  # every key and value checked now
    fns = table.get("host_functions", [])
    if not isinstance(fns, list) or not all(isinstance(f, str) and _FN_RE.match(f) for f in fns):
        raise ConfigError(f"{where}: 'host_functions' must be a list of identifiers")
    exports = table.get("exports", [])
    if not isinstance(exports, list) or not all(isinstance(f, str) and _FN_RE.match(f) for f in exports):
        raise ConfigError(f"{where}: 'exports' must be a list of identifiers")
    lim = data.get("limits", {})
    if not isinstance(lim, dict):
        raise ConfigError(f"{where}: [limits] must be a table")
    _unknown(lim, LIMIT_KEYS, where, "limits.")
    tl, mm = lim.get("time_limit"), lim.get("memory_limit_mb")
    if tl is not None and (not isinstance(tl, int | float) or isinstance(tl, bool) or tl <= 0):
        raise ConfigError(f"{where}: limits.time_limit must be a positive number of seconds")
    if mm is not None and (not isinstance(mm, int) or isinstance(mm, bool) or not 1 <= mm <= 4096):
        raise ConfigError(f"{where}: limits.memory_limit_mb must be an integer from 1 to 4096")
    return PluginManifest(
        id=pid, version=version, entry=entry, root=root,
        description=description,
        requested_rules=tuple(rules), host_functions=tuple(fns), exports=tuple(exports),
        limits=PluginLimits(float(tl) if tl is not None else None, mm),
    )


def plugin_files(root: Path) -> Sequence[Path]:
    """The plugin's files, sorted; hidden files and folders are not part of a plugin."""
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            p = Path(dirpath) / name
            if p.is_symlink():
                raise ConfigError(f"plugin folder '{root.name}': symlinks are not allowed ({p.relative_to(root)})")
            out.append(p)
            if len(out) > MAX_PLUGIN_FILES:
                raise ConfigError(f"plugin folder '{root.name}': more than {MAX_PLUGIN_FILES} files")
    return out


def plugin_snapshot(root: str | os.PathLike[str]) -> tuple[str, dict[str, bytes]]:
    """The plugin's files read once, and their digest: ``(digest, {relative posix path: bytes})``.

    The loader serves modules from this in-memory copy only, so what runs is exactly what the
    digest covers: a file changed on disk after load never runs, and hidden files (left out of the
    digest) cannot be imported at all.
    """
    base = Path(root).resolve()
    h = hashlib.sha256()
    total = 0
    files: dict[str, bytes] = {}
    for p in plugin_files(base):
        data = p.read_bytes()
        total += len(data)
        if total > MAX_PLUGIN_BYTES:
            raise ConfigError(f"plugin folder '{base.name}': larger than {MAX_PLUGIN_BYTES} bytes")
        rel_s = p.relative_to(base).as_posix()
        rel = rel_s.encode()
        h.update(len(rel).to_bytes(4, "big") + rel + len(data).to_bytes(8, "big"))
        h.update(data)
        files[rel_s] = data
    return "sha256:" + h.hexdigest(), files


def plugin_digest(root: str | os.PathLike[str]) -> str:
    """sha256 over (relative path, size, bytes) of every file: any edit, rename or addition changes it."""
    return plugin_snapshot(root)[0]
