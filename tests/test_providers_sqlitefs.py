"""The third-party SQLite provider: persistence, and discovery through the entry-point group."""

from __future__ import annotations

from pathlib import Path

import pytest

from secure_exec.errors import ConfigError
from secure_exec.providers import ProviderContext, create_plugin_manager, get_providers
from secure_exec.providers.memfs import InMemoryFileSystem

sqlitefs = pytest.importorskip("secure_exec_sqlitefs")
CTX = ProviderContext(plugin_id="p1", session_id="s1")


def test_persists_across_connections(tmp_path: Path) -> None:
    db = str(tmp_path / "fs.db")
    a = sqlitefs.SqliteFileSystem(db)
    a.mkdir("/docs")
    a.write_file("/docs/x.txt", "kept")
    a.symlink("/docs/x.txt", "/link")
    a.close_db()
    b = sqlitefs.SqliteFileSystem(db)
    assert b.read_file("/link") == b"kept"
    assert b.resolve("/link") == "/docs/x.txt"


def test_entry_point_discovered_and_used(tmp_path: Path) -> None:
    env = {"SECURE_EXEC_SQLITEFS_PATH": str(tmp_path / "ep.db")}
    pm = create_plugin_manager(environ=env)
    assert pm.get_plugin("sqlitefs") is sqlitefs.plugin
    assert pm.entrypoint_dists["sqlitefs"][0] == "secure-exec-sqlitefs"
    # the plugin reads its own config from os.environ
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SECURE_EXEC_SQLITEFS_PATH", str(tmp_path / "ep.db"))
        fs = get_providers(pm, CTX).filesystem
    assert isinstance(fs, sqlitefs.SqliteFileSystem)
    # unconfigured, it steps aside and the built-in in-memory filesystem answers
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SECURE_EXEC_SQLITEFS_PATH", raising=False)
        assert isinstance(get_providers(pm, CTX).filesystem, InMemoryFileSystem)


def test_allow_list_and_block_list() -> None:
    assert create_plugin_manager(environ={"SECURE_EXEC_LOAD_PLUGINS": "sqlitefs"}).get_plugin("sqlitefs") is not None
    assert create_plugin_manager(environ={"SECURE_EXEC_LOAD_PLUGINS": ""}).get_plugin("sqlitefs") is None
    pm = create_plugin_manager(environ={"SECURE_EXEC_DISABLE_PLUGINS": "other, sqlitefs"})
    assert pm.get_plugin("sqlitefs") is None and pm.is_blocked("sqlitefs")
    assert create_plugin_manager(load_entrypoints=False, environ={}).get_plugin("sqlitefs") is None
    with pytest.raises(ConfigError, match="not installed: nope"):
        create_plugin_manager(environ={"SECURE_EXEC_LOAD_PLUGINS": "sqlitefs,nope"})
