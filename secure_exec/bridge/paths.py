"""Guest path handling before anything is resolved or checked.

The guest sends strings; the bridge turns them into absolute, lexically normalised POSIX paths
(relative to the guest's cwd), refusing NUL bytes and overlong names the way Node/Linux do. The
policy is never asked about this string: the provider resolves it (symlinks included) first, and
the policy sees what will really be opened.
"""

from __future__ import annotations

import posixpath
from typing import Any

from secure_exec.errors import GuestError, node_message

PATH_MAX = 4096
NAME_MAX = 255


def guest_path(raw: Any, *, cwd: str, syscall: str, arg: str = "path") -> str:
    """Validate and normalise one guest path argument."""
    if not isinstance(raw, str):
        raise GuestError(
            "ERR_INVALID_ARG_TYPE",
            f'The "{arg}" argument must be of type string. Received {type(raw).__name__}',
            name="TypeError",
        )
    if "\x00" in raw:
        raise GuestError(
            "ERR_INVALID_ARG_VALUE",
            f"The argument '{arg}' must be a string without null bytes.",
            name="TypeError",
        )
    if raw == "":
        raise GuestError("ENOENT", node_message("ENOENT", syscall, raw, "no such file or directory"),
                         syscall=syscall, path=raw)
    if len(raw.encode("utf-8", "surrogatepass")) >= PATH_MAX:
        raise GuestError("ENAMETOOLONG", node_message("ENAMETOOLONG", syscall, raw, "name too long"),
                         syscall=syscall, path=raw)
    joined = raw if raw.startswith("/") else posixpath.join(cwd, raw)
    norm = posixpath.normpath(joined)
    if norm.startswith("//"):
        norm = "/" + norm.lstrip("/")
    for part in norm.split("/"):
        if len(part.encode("utf-8", "surrogatepass")) > NAME_MAX:
            raise GuestError("ENAMETOOLONG", node_message("ENAMETOOLONG", syscall, raw, "name too long"),
                             syscall=syscall, path=raw)
    return norm
