"""The bridge wire format: one bounded JSON request in, one JSON reply (or error) out.

The guest is untrusted, so decoding is defensive: a size cap before parsing, orjson's strict UTF-8
and JSON checks, a depth cap after parsing, and a fixed shape (``{"op": str, "args": object}``).
Every failure becomes a ``GuestError`` that the guest sees as a normal JS ``Error`` with a code.
"""

from __future__ import annotations

from typing import Any

import orjson

from secure_exec.errors import GuestError

MAX_DEPTH = 32
MAX_OP_NAME = 64


def _too_deep(value: Any, limit: int) -> bool:
    """True if containers nest deeper than ``limit`` (iterative: no recursion on guest data)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            if d >= limit:
                return True
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            if d >= limit:
                return True
            stack.extend((x, d + 1) for x in v)
    return False


def decode_request(raw: bytes, *, max_bytes: int, max_depth: int = MAX_DEPTH) -> tuple[str, dict[str, Any]]:
    """Parse one guest request into ``(op, args)`` or raise ``GuestError``."""
    if len(raw) > max_bytes:
        raise GuestError(
            "ERR_PAYLOAD_TOO_LARGE",
            f"bridge request of {len(raw)} bytes exceeds the limit of {max_bytes} bytes",
        )
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise GuestError("ERR_INVALID_REQUEST", "malformed bridge request: not valid UTF-8 JSON") from None
    if not isinstance(obj, dict):
        raise GuestError("ERR_INVALID_REQUEST", "malformed bridge request: expected an object")
    op = obj.get("op")
    if not isinstance(op, str) or not op or len(op) > MAX_OP_NAME:
        raise GuestError("ERR_INVALID_REQUEST", "malformed bridge request: missing or invalid 'op'")
    args = obj.get("args", {})
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise GuestError("ERR_INVALID_REQUEST", f"malformed bridge request: 'args' of {op} must be an object")
    if _too_deep(args, max_depth):
        raise GuestError("ERR_INVALID_REQUEST", f"bridge request nests deeper than {max_depth} levels")
    return op, args


def encode_reply(value: Any) -> bytes:
    """Serialise a handler's result. Non-JSON values are a host bug, reported as EIO by the caller."""
    return orjson.dumps(value)


def encode_error(err: GuestError) -> bytes:
    return orjson.dumps(err.to_wire())
