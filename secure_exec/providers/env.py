"""The built-in environment provider: a private copy of a mapping the host chose.

It copies on construction so later changes to the host's dict (or ``os.environ``) never leak into
the guest, and validates names/values because a NUL or ``=`` in a name would corrupt a child env.
"""

from __future__ import annotations

from collections.abc import Mapping

from secure_exec.errors import GuestError

MAX_ENV_ENTRIES = 4096
MAX_ENV_BYTES = 1 << 20


def _check_key(key: object) -> str:
    if not isinstance(key, str):
        raise GuestError("ERR_INVALID_ARG_TYPE", f"env name must be a string, got {type(key).__name__}",
                         name="TypeError")
    if key == "" or "=" in key or "\x00" in key:
        raise GuestError("ERR_INVALID_ARG_VALUE", f"invalid env name {key[:64]!r}", name="TypeError")
    return key


def _check_value(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise GuestError("ERR_INVALID_ARG_TYPE", f"value of env {key!r} must be a string, got {type(value).__name__}",
                         name="TypeError")
    if "\x00" in value:
        raise GuestError("ERR_INVALID_ARG_VALUE", f"value of env {key!r} contains a NUL byte", name="TypeError")
    return value


class MappingEnvProvider:
    """``process.env`` backed by a private dict, capped in entries and total bytes."""

    def __init__(self, initial: Mapping[str, str] | None = None, *, max_entries: int = MAX_ENV_ENTRIES,
                 max_bytes: int = MAX_ENV_BYTES) -> None:
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._data: dict[str, str] = {}
        for k, v in (initial or {}).items():
            self.set(k, v)

    def _size(self) -> int:
        return sum(len(k.encode()) + len(v.encode()) + 2 for k, v in self._data.items())

    def get(self, key: str) -> str | None:
        return self._data.get(_check_key(key))

    def set(self, key: str, value: str) -> None:
        key = _check_key(key)
        value = _check_value(key, value)
        if key not in self._data and len(self._data) >= self._max_entries:
            raise GuestError("ENOSPC", f"ENOSPC: too many environment variables (limit {self._max_entries})")
        old = self._data.get(key)
        self._data[key] = value
        if self._size() > self._max_bytes:
            if old is None:
                del self._data[key]
            else:
                self._data[key] = old
            raise GuestError("ENOSPC", f"ENOSPC: environment larger than {self._max_bytes} bytes")

    def keys(self) -> list[str]:
        return sorted(self._data)

    def delete(self, key: str) -> None:
        self._data.pop(_check_key(key), None)

    def snapshot(self) -> dict[str, str]:
        """A copy for the host (e.g. to build a child process env)."""
        return dict(self._data)
