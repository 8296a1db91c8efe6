"""Policy files and preset libraries in TOML; every error names the file and the key.

Policy file (all keys optional)::

    name = "ci"
    mode = "enforce"              # or "audit"
    waive = ["net.loopback"]      # guard names
    use = ["read-data"]           # presets to activate: from this file or from `library=`;
                                  # without `use`, every preset defined in this file is active
    [[rules]]                     # rule_source "config:<file name>"
    capability = "fs"             # fs | network | child_process (childProcess) | env
    effect = "allow"              # allow | deny
    ops = ["read", "stat"]
    paths = ["/data/**"]

    [presets.read-data]           # rule_source "preset:read-data"
    description = "read the data folder"
    rules = [{ capability = "fs", effect = "allow", ops = ["read"], paths = ["/data/**"] }]

A preset library (``load_presets_toml``) holds only ``[presets.*]`` tables.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from secure_exec.errors import ConfigError
from secure_exec.policy.engine import Policy
from secure_exec.policy.rules import Preset, Rule

RULE_KEYS = frozenset({"capability", "effect", "id", "ops", "paths", "urls", "cidrs", "methods", "names",
                       "executable", "args", "env", "reason"})
_LIST_KEYS = ("ops", "paths", "urls", "cidrs", "methods", "names", "args", "env")
_STR_KEYS = ("capability", "effect", "id", "executable", "reason")
_POLICY_KEYS = frozenset({"name", "mode", "waive", "use", "rules", "presets"})


def rule_from_mapping(table: object, where: str, *, source: str = "host") -> Rule:
    """Build a ``Rule`` from a TOML/JSON table (also used for manifests and hook results)."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: a rule must be a table, got {type(table).__name__}")
    unknown = sorted(set(table) - RULE_KEYS)
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}: unknown rule key; expected one of {sorted(RULE_KEYS)}")
    for k in ("capability", "effect"):
        if k not in table:
            raise ConfigError(f"{where}.{k}: missing")
    for k in _STR_KEYS:
        if k in table and not isinstance(table[k], str):
            raise ConfigError(f"{where}.{k}: must be a string, got {type(table[k]).__name__}")
    for k in _LIST_KEYS:
        if k in table and (not isinstance(table[k], list) or not all(isinstance(x, str) for x in table[k])):
            raise ConfigError(f"{where}.{k}: must be a list of strings")
    try:
        return Rule(source=source, **{k: v for k, v in table.items()})
    except ConfigError as e:
        raise ConfigError(f"{where}: {e.message}") from None
    except TypeError as e:  # pragma: no cover - keys are checked above
        raise ConfigError(f"{where}: {e}") from None


def _read(path: str | os.PathLike[str]) -> tuple[dict[str, Any], str]:
    p = Path(path)
    where = str(p)
    try:
        return tomllib.loads(p.read_text("utf-8")), where
    except FileNotFoundError:
        raise ConfigError(f"{where}: file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{where}: invalid TOML: {e}") from None
    except OSError as e:
        raise ConfigError(f"{where}: cannot read: {e.strerror}") from None


def _presets(data: object, where: str) -> dict[str, Preset]:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: presets: must be a table of named presets")
    out: dict[str, Preset] = {}
    for name, table in data.items():
        key = f"presets.{name}"
        if not isinstance(table, Mapping):
            raise ConfigError(f"{where}: {key}: must be a table")
        unknown = sorted(set(table) - {"description", "rules"})
        if unknown:
            raise ConfigError(f"{where}: {key}.{unknown[0]}: unknown key; expected 'description' or 'rules'")
        desc = table.get("description", "")
        if not isinstance(desc, str):
            raise ConfigError(f"{where}: {key}.description: must be a string")
        rules = table.get("rules", [])
        if not isinstance(rules, list):
            raise ConfigError(f"{where}: {key}.rules: must be an array of tables")
        built = [rule_from_mapping(r, f"{where}: {key}.rules[{i}]") for i, r in enumerate(rules)]
        try:
            out[name] = Preset(name=name, rules=tuple(built), description=desc)
        except ConfigError as e:
            raise ConfigError(f"{where}: {key}: {e.message}") from None
    return out


def load_presets_toml(path: str | os.PathLike[str]) -> dict[str, Preset]:
    """Read a preset library: ``{name: Preset}``."""
    data, where = _read(path)
    unknown = sorted(set(data) - {"presets"})
    if unknown:
        raise ConfigError(f"{where}: {unknown[0]}: unknown key; a preset library has only [presets.*]")
    return _presets(data.get("presets", {}), where)


def policy_from_toml(
    path: str | os.PathLike[str],
    *,
    library: Mapping[str, Preset] | None = None,
    presets: tuple[Preset, ...] | list[Preset] = (),
    rules: tuple[Rule, ...] | list[Rule] = (),
    **kw: Any,
) -> Policy:
    """A ``Policy`` from a policy file, plus extra ``presets``/``rules`` and ``Policy`` keywords."""
    data, where = _read(path)
    unknown = sorted(set(data) - _POLICY_KEYS)
    if unknown:
        raise ConfigError(f"{where}: {unknown[0]}: unknown key; expected one of {sorted(_POLICY_KEYS)}")
    local = _presets(data.get("presets", {}), where)
    available = {**(library or {}), **local}
    use = data.get("use")
    if use is None:
        chosen = list(local.values())
    else:
        if not isinstance(use, list) or not all(isinstance(u, str) for u in use):
            raise ConfigError(f"{where}: use: must be a list of preset names")
        missing = [u for u in use if u not in available]
        if missing:
            raise ConfigError(f"{where}: use: unknown preset {missing[0]!r}; known: {sorted(available)}")
        chosen = [available[u] for u in use]
    raw_rules = data.get("rules", [])
    if not isinstance(raw_rules, list):
        raise ConfigError(f"{where}: rules: must be an array of tables ([[rules]])")
    source = f"config:{Path(path).name}"
    file_rules = [rule_from_mapping(r, f"{where}: rules[{i}]", source=source) for i, r in enumerate(raw_rules)]
    for key, typ in (("name", str), ("mode", str)):
        if key in data and not isinstance(data[key], typ):
            raise ConfigError(f"{where}: {key}: must be a string")
    waive = data.get("waive", [])
    if not isinstance(waive, list):
        raise ConfigError(f"{where}: waive: must be a list of guard names")
    kw.setdefault("name", data.get("name", Path(path).stem))
    kw.setdefault("mode", data.get("mode", "enforce"))
    kw.setdefault("waive", waive)
    try:
        return Policy(rules=[*file_rules, *rules], presets=[*chosen, *presets], **kw)
    except ConfigError as e:
        raise ConfigError(f"{where}: {e.message}") from None


def hook_contributions(plugin_name: str, items: object) -> tuple[list[Rule], list[Preset]]:
    """Validate what a ``secure_exec_policy_rules``/``secure_exec_presets`` hook returned.

    Accepts ``Rule``, ``Preset`` or rule tables (mappings); everything is labelled
    ``hook:<plugin_name>`` so decisions name the hook. Anything else raises ``ConfigError`` naming
    the plugin. Feed the result to ``Policy(rules=..., presets=...)`` or ``policy.extend(...)``.
    """
    source = f"hook:{plugin_name}"
    if items is None:
        return [], []
    if isinstance(items, str | bytes | Mapping) or not hasattr(items, "__iter__"):
        raise ConfigError(f"{source}: must return a sequence of rules/presets, got {type(items).__name__}")
    rules: list[Rule] = []
    presets: list[Preset] = []
    for i, it in enumerate(items):
        if isinstance(it, Rule):
            rules.append(attrs.evolve(it, source=source))
        elif isinstance(it, Preset):
            presets.append(attrs.evolve(it, source=source))
        elif isinstance(it, Mapping):
            rules.append(rule_from_mapping(it, f"{source}[{i}]", source=source))
        else:
            raise ConfigError(f"{source}[{i}]: expected a Rule, Preset or rule table, got {type(it).__name__}")
    return rules, presets
