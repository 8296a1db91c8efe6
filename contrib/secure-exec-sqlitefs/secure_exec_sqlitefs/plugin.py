"""The pluggy side: answers ``secure_exec_filesystem`` when the host configured a database path.

Returning ``None`` when unconfigured matters: an installed package must not silently replace the
host's filesystem just by being importable.
"""

from __future__ import annotations

import os

from secure_exec.providers.hookspecs import hookimpl
from secure_exec.providers.types import ProviderContext
from secure_exec_sqlitefs.fs import SqliteFileSystem

ENV_PATH = "SECURE_EXEC_SQLITEFS_PATH"


@hookimpl
def secure_exec_filesystem(context: ProviderContext) -> SqliteFileSystem | None:
    path = os.environ.get(ENV_PATH)
    if not path:
        return None
    return SqliteFileSystem(path)
