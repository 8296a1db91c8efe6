"""``env.*`` bridge ops: the guest's ``process.env`` Proxy asks for every key it touches.

A key the policy denies is simply absent, as in the original secure-exec: reading it gives
``undefined`` and listing leaves it out; each of those decisions is still audited. Values are never
audited, only key names.
"""

from __future__ import annotations

import re
from typing import Any

from secure_exec.bridge.dispatch import Dispatcher
from secure_exec.errors import GuestError
from secure_exec.policy.requests import EnvAccessRequest
from secure_exec.runtime.session import Session

_KEY = re.compile(r"^[^=\x00]{1,256}$")
MAX_VALUE = 32 * 1024


def _key(a: dict[str, Any]) -> str:
    k = a.get("key")
    if not isinstance(k, str) or not _KEY.match(k):
        raise GuestError("ERR_INVALID_ARG_VALUE", "environment variable names must be 1-256 characters without '=' "
                         "or NUL", name="TypeError")
    return k


def get(s: Session, a: dict[str, Any]) -> Any:
    key = _key(a)
    if s.providers.env is None:
        return {"value": None}
    if not s.gate.allowed(EnvAccessRequest("read", key), capability="env", op="read", resource=key, requested=key):
        return {"value": None}
    return {"value": s.providers.env.get(key)}


def keys(s: Session, a: dict[str, Any]) -> Any:
    env = s.providers.env
    if env is None:
        return {"keys": []}
    names = sorted(env.keys())
    return {"keys": [k for k in names if s.gate.allowed(EnvAccessRequest("read", k), capability="env", op="read",
                                                        resource=k, requested=k)]}


def set_(s: Session, a: dict[str, Any]) -> Any:
    key = _key(a)
    value = a.get("value")
    if not isinstance(value, str) or "\x00" in value or len(value) > MAX_VALUE:
        raise GuestError("ERR_INVALID_ARG_VALUE", f"environment values must be strings up to {MAX_VALUE} characters "
                         "without NUL", name="TypeError")
    env = s.providers.env
    if env is None:
        raise s.not_configured("env", "setenv", key)
    with s.gate.operation(EnvAccessRequest("write", key, value), capability="env", op="write", resource=key,
                          requested=key, syscall="setenv", guest_path=key):
        env.set(key, value)
    return None


def delete(s: Session, a: dict[str, Any]) -> Any:
    key = _key(a)
    env = s.providers.env
    if env is None:
        raise s.not_configured("env", "unsetenv", key)
    with s.gate.operation(EnvAccessRequest("write", key), capability="env", op="write", resource=key, requested=key,
                          syscall="unsetenv", guest_path=key):
        env.delete(key)
    return None


def register(d: Dispatcher[Session]) -> None:
    d.register("env.get", get, capability="env")
    d.register("env.keys", keys, capability="env")
    d.register("env.set", set_, capability="env")
    d.register("env.delete", delete, capability="env")


