"""The op table: the single place where capabilities plug into the bridge.

Every op is registered either as *gated* (it names the capability whose policy decides it, and its
handler goes through ``gate.operation``, which audits) or as *exempt* with a written reason (pure
helpers such as a clock read or stdio to the host's hook). ``tests/test_bridge_exempt.py`` checks
the runtime's table against ``EXEMPT_OPS`` so a new ungated op cannot slip in unnoticed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

import attrs

from secure_exec.bridge.protocol import decode_request, encode_error, encode_reply
from secure_exec.errors import ConfigError, GuestError

C = TypeVar("C")
Handler = Callable[[C, dict[str, Any]], Any]

CAPABILITIES = frozenset({"fs", "network", "child_process", "env", "host_function"})

_log = logging.getLogger("secure_exec.bridge")  # stdlib logging: NullHandler unless the host configures it


@attrs.frozen
class OpSpec(Generic[C]):
    name: str
    handler: Handler[C]
    capability: str | None
    exempt_reason: str | None


class Dispatcher(Generic[C]):
    """Maps op names to handlers; turns every outcome into ``(is_error, reply_bytes)``."""

    def __init__(self, *, max_request_bytes: int = 8 * 2**20) -> None:
        self._ops: dict[str, OpSpec[C]] = {}
        self.max_request_bytes = max_request_bytes

    def register(
        self,
        name: str,
        handler: Handler[C],
        *,
        capability: str | None = None,
        exempt: str | None = None,
    ) -> None:
        """Add an op. Exactly one of ``capability`` (gated) or ``exempt`` (a reason) is required."""
        if (capability is None) == (exempt is None):
            raise ConfigError(f"op {name!r}: give exactly one of capability= or exempt=")
        if capability is not None and capability not in CAPABILITIES:
            raise ConfigError(f"op {name!r}: unknown capability {capability!r}")
        if exempt is not None and len(exempt.strip()) < 10:
            raise ConfigError(f"op {name!r}: an exempt op needs a written reason")
        if name in self._ops:
            raise ConfigError(f"op {name!r} is already registered")
        self._ops[name] = OpSpec(name, handler, capability, exempt)

    @property
    def ops(self) -> Mapping[str, OpSpec[C]]:
        return self._ops

    def handle(self, ctx: C, raw: bytes) -> tuple[bool, bytes]:
        """Decode, dispatch and encode one host call. Never raises."""
        try:
            op, args = decode_request(raw, max_bytes=self.max_request_bytes)
            spec = self._ops.get(op)
            if spec is None:
                raise GuestError("ERR_UNKNOWN_OP", f"unknown bridge operation '{op[:64]}'")
            return False, encode_reply(spec.handler(ctx, args))
        except GuestError as e:
            return True, encode_error(e)
        except Exception as e:  # noqa: BLE001 - a host bug must not reach the guest as a traceback
            _log.warning("bridge handler failed: %s: %s", type(e).__name__, e, exc_info=True)
            return True, encode_error(GuestError("EIO", "EIO: internal error in host operation"))
