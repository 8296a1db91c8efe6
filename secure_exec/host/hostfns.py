"""Host functions: Python callables a host grants to one plugin, called from the guest by name.

Why not a global registry: each plugin sees exactly the functions its host granted it, checked at
every call (a name the plugin was not granted is refused with ``EACCES``) and audited like a
capability (``capability="host_function"``). Arguments arrive as plain JSON values, and an
exception inside a host function reaches the guest only as a code and a short message.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from secure_exec.bridge.dispatch import Dispatcher
from secure_exec.errors import AuditWriteError, ConfigError, GuestError
from secure_exec.policy.decision import PolicyDecision
from secure_exec.runtime.session import Session

HostFunction = Callable[..., Any]
MAX_ARGS = 32


class HostFunctionError(Exception):
    """Raise from a host function to send the guest a specific ``code`` and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def validate_host_functions(fns: Mapping[str, HostFunction]) -> dict[str, HostFunction]:
    out: dict[str, HostFunction] = {}
    for name, fn in fns.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ConfigError(f"host function name {name!r} must be an identifier")
        if not callable(fn):
            raise ConfigError(f"host function {name!r} is not callable")
        out[name] = fn
    return out


class HostFunctionTable:
    """The granted functions of one plugin instance, and the two bridge ops that call them."""

    def __init__(self, granted: Mapping[str, HostFunction], *, policy_digest: str) -> None:
        self.granted = validate_host_functions(granted)
        self.policy_digest = policy_digest

    def _decide(self, s: Session, name: str) -> HostFunction:
        fn = self.granted.get(name)
        ok = fn is not None
        d = PolicyDecision(
            allow=ok, decision="allow" if ok else "deny", enforced=True,
            reason=f"host function {name!r} was {'granted' if ok else 'not granted'} to this plugin",
            rule_id=f"grant:host_functions#{name}" if ok else "default", rule_source="host" if ok else "default",
            policy_digest=self.policy_digest, capability="host_function",
        )
        try:
            s.gate.audit.decision(s.gate.ctx(), capability="host_function", op="call", resource=name,
                                  resource_requested=name, decision=d)
        except AuditWriteError:
            raise GuestError("EACCES", f"EACCES: host function '{name}' refused (audit log unavailable)") from None
        if fn is None:
            raise GuestError("EACCES", f"EACCES: permission denied, host function '{name}'", syscall="hostcall",
                             path=name)
        return fn

    def _args(self, a: dict[str, Any]) -> tuple[str, list[Any]]:
        name, args = a.get("name"), a.get("args", [])
        if not isinstance(name, str) or not isinstance(args, list) or len(args) > MAX_ARGS:
            raise GuestError("ERR_INVALID_ARG_TYPE", "host function calls need a name and at most 32 arguments",
                             name="TypeError")
        return name, args

    @staticmethod
    def _invoke(fn: HostFunction, name: str, args: list[Any]) -> Any:
        try:
            result = fn(*args)
        except HostFunctionError as e:
            raise GuestError(e.code, f"{e.code}: {e.message[:500]}") from None
        except (TypeError, ValueError) as e:
            raise GuestError("ERR_INVALID_ARG_VALUE", f"host function '{name}' rejected its arguments: "
                             f"{type(e).__name__}", name="TypeError") from None
        except Exception:  # noqa: BLE001 - sanitised: no host traceback or message crosses
            raise GuestError("ERR_HOST_FUNCTION", f"host function '{name}' failed") from None
        return result

    def call_sync(self, s: Session, a: dict[str, Any]) -> Any:
        name, args = self._args(a)
        fn = self._decide(s, name)
        if inspect.iscoroutinefunction(fn):
            raise GuestError("ERR_HOST_FUNCTION_ASYNC", f"host function '{name}' is async: use callAsync")
        return {"value": self._invoke(fn, name, args)}

    def call_start(self, s: Session, a: dict[str, Any]) -> Any:
        name, args = self._args(a)
        op_id = a.get("id")
        if not isinstance(op_id, int) or isinstance(op_id, bool):
            raise GuestError("ERR_INVALID_ARG_TYPE", "hostfn.start needs an integer id", name="TypeError")
        fn = self._decide(s, name)

        def work() -> Any:
            if inspect.iscoroutinefunction(fn):
                import asyncio

                try:
                    return {"value": asyncio.run(fn(*args))}
                except HostFunctionError as e:
                    raise GuestError(e.code, f"{e.code}: {e.message[:500]}") from None
                except Exception:  # noqa: BLE001 - sanitised
                    raise GuestError("ERR_HOST_FUNCTION", f"host function '{name}' failed") from None
            return {"value": self._invoke(fn, name, args)}

        s.start_async(op_id, work)
        return {"id": op_id}

    def names(self, s: Session, a: dict[str, Any]) -> Any:
        return {"names": sorted(self.granted),
                "async": sorted(n for n, f in self.granted.items() if inspect.iscoroutinefunction(f))}


def register(d: Dispatcher[Session], table: HostFunctionTable) -> None:
    d.register("hostfn.call", table.call_sync, capability="host_function")
    d.register("hostfn.start", table.call_start, capability="host_function")
    d.register("hostfn.names", table.names, exempt="lists the names of the functions the host granted this plugin")
