"""The seed's ``permissions`` mapping: one function check per domain, plus the ``allow_all*`` presets.

Translated from secure-exec's JS API: keys ``fs``, ``network``, ``child_process`` (``childProcess``
accepted) and ``env`` map to ``request -> Decision``. The presets are read-only mappings, so a
host cannot mutate a shared preset by accident, yet they compose like JS object spread::

    permissions = {**allow_all_fs, **allow_all_network}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from secure_exec.errors import ConfigError
from secure_exec.policy.requests import Decision
from secure_exec.policy.rules import CAPABILITIES, CAPABILITY_ALIASES

PermissionCheck = Callable[[Any], Any]
"""``request -> Decision``; anything else it returns (or raises) denies."""

_ALLOW = Decision(True, "allowed by an allow_all preset")


def _allow_everything(request: object) -> Decision:
    return _ALLOW


allow_all_fs: Mapping[str, PermissionCheck] = MappingProxyType({"fs": _allow_everything})
allow_all_network: Mapping[str, PermissionCheck] = MappingProxyType({"network": _allow_everything})
allow_all_child_process: Mapping[str, PermissionCheck] = MappingProxyType({"child_process": _allow_everything})
allow_all_env: Mapping[str, PermissionCheck] = MappingProxyType({"env": _allow_everything})
allow_all: Mapping[str, PermissionCheck] = MappingProxyType(
    {**allow_all_fs, **allow_all_network, **allow_all_child_process, **allow_all_env})


def normalize_permissions(permissions: Mapping[str, Any] | None) -> dict[str, PermissionCheck]:
    """Canonical ``{capability: check}``; unknown keys, non-callables and alias clashes raise."""
    if permissions is None:
        return {}
    if not isinstance(permissions, Mapping):
        raise ConfigError(f"permissions must be a mapping of domain -> check, got {type(permissions).__name__}")
    out: dict[str, PermissionCheck] = {}
    for key, fn in permissions.items():
        cap = CAPABILITY_ALIASES.get(key, key) if isinstance(key, str) else key
        if cap not in CAPABILITIES:
            raise ConfigError(f"permissions: unknown domain {key!r}; expected one of "
                              f"{['fs', 'network', 'child_process', 'childProcess', 'env']}")
        if fn is None:
            continue  # like an absent key in JS: the domain has no check
        if not callable(fn):
            raise ConfigError(f"permissions[{key!r}]: must be callable (request -> Decision)")
        if cap in out and out[cap] is not fn:
            raise ConfigError(f"permissions: {key!r} and its alias both set with different checks")
        out[str(cap)] = fn
    return out


def check_name(fn: PermissionCheck) -> str:
    """A stable name for a check (module.qualname), for the policy digest and audit."""
    mod = getattr(fn, "__module__", None) or type(fn).__module__
    qual = getattr(fn, "__qualname__", None) or type(fn).__qualname__
    return f"{mod}.{qual}"
