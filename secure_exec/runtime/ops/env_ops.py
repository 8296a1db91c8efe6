"""``env.*`` bridge ops: the guest's ``process.env`` Proxy asks for every key it touches.

A key the policy denies is simply absent, as in the original secure-exec: reading it gives
``undefined`` and listing leaves it out; each of those decisions is still audited. Values are never
audited, only key names.

Reading a variable that is not set and that no rule covers (the policy's default deny) is audited
as ``decision: "absent"``, not as a denial: packages probe dozens of unset variables per run, and
those must not drown the real denials. A set variable that no rule allows is still a ``deny``.
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from secure_exec.bridge.dispatch import Dispatcher
from secure_exec.errors import AuditWriteError, GuestError
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


@attrs.frozen
class _Absent:
    """The audit record of a read of an unset variable that no rule covers."""

    rule_id: str
    policy_digest: str
    decision: str = "absent"
    enforced: bool = True
    reason: str = "not set, and no rule covers it"
    rule_source: str = "default"


def get(s: Session, a: dict[str, Any]) -> Any:
    key = _key(a)
    env = s.providers.env
    if env is None:
        return {"value": None}
    request = EnvAccessRequest("read", key)
    if key not in env.keys():
        # Presence only (never the value) is looked at before deciding; the guest gets undefined
        # whatever the policy says, so the log records "absent" unless a rule speaks about the key.
        decision = s.gate.policy.decide(request)
        if decision.rule_source == "default" and decision.decision == "deny":
            try:
                s.gate.audit.decision(s.gate.ctx(), capability="env", op="read", resource=key,
                                      resource_requested=key,
                                      decision=_Absent(decision.rule_id, decision.policy_digest))
            except AuditWriteError:
                pass  # nothing is disclosed either way: the value is undefined
            return {"value": None}
    if not s.gate.allowed(request, capability="env", op="read", resource=key, requested=key):
        return {"value": None}
    return {"value": env.get(key)}


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


