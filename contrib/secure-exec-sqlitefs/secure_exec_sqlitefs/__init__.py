"""A secure_exec filesystem provider stored in SQLite (a third-party-style provider package)."""

from __future__ import annotations

from secure_exec_sqlitefs.fs import SqliteFileSystem

__all__ = ["SqliteFileSystem"]
