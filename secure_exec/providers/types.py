"""Value types that cross the provider interface.

They are frozen attrs classes so a provider cannot hand the bridge a live host object: the bridge
copies plain fields out of them into the JSON reply.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class ProviderContext:
    """Who a provider is being created for; passed to every provider hook as ``context``."""

    plugin_id: str
    session_id: str


@attrs.frozen
class DirEntry:
    """One ``readdir`` entry. ``kind`` is ``"file"``, ``"dir"``, ``"symlink"`` or ``"other"``."""

    name: str
    kind: str


@attrs.frozen
class StatResult:
    """Node's ``fs.Stats`` fields the guest sees (times in milliseconds since the epoch)."""

    kind: str
    size: int
    mode: int
    nlink: int
    ino: int
    uid: int
    gid: int
    atime_ms: float
    mtime_ms: float
    ctime_ms: float
    birthtime_ms: float

    @property
    def is_file(self) -> bool:
        return self.kind == "file"

    @property
    def is_dir(self) -> bool:
        return self.kind == "dir"

    @property
    def is_symlink(self) -> bool:
        return self.kind == "symlink"


@attrs.frozen
class Response:
    """An HTTP response as the guest's ``fetch`` sees it (body already size-capped)."""

    status: int
    status_text: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    url: str
    redirected: bool


@attrs.frozen
class CommandResult:
    """The outcome of one child process. ``signal`` is set when it was killed by a signal."""

    status: int | None
    signal: str | None
    stdout: bytes
    stderr: bytes
    timed_out: bool
    truncated: bool
