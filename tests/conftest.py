"""Shared fixtures: a fresh in-memory filesystem and a runtime factory that records output and audit."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

import secure_exec as se


class Run:
    """A NodeRuntime wired to an in-memory audit log and an output recorder."""

    def __init__(self, fs: Any, permissions: Mapping[str, Any] | None = None, *, policy: se.Policy | None = None,
                 time_limit: float | None = 10.0, **driver: Any) -> None:
        self.fs = fs
        self.out: list[se.StdioEvent] = []
        self.audit = se.AuditLog.null()
        self.runtime = se.NodeRuntime(
            system_driver=se.create_node_driver(filesystem=fs, permissions=permissions, policy=policy, **driver),
            runtime_driver_factory=se.create_node_runtime_driver_factory(),
            on_stdio=self.out.append, audit_log=self.audit, time_limit=time_limit,
        )

    @property
    def stdout(self) -> str:
        return "".join(e.data for e in self.out if e.channel == "stdout")

    @property
    def stderr(self) -> str:
        return "".join(e.data for e in self.out if e.channel == "stderr")

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        assert self.audit.memory is not None
        evs = [dict(e) for e in self.audit.memory.events]
        return [e for e in evs if name is None or e.get("event") == name]

    def exec(self, code: str, **kw: Any) -> se.ExecResult:
        return self.runtime.exec(code, **kw)

    def run(self, code: str, path: str = "/entry.mjs") -> se.RunResult:
        return self.runtime.run(code, path)


@pytest.fixture
def memfs() -> Any:
    return se.create_in_memory_file_system()


@pytest.fixture
def make_run(memfs: Any) -> Callable[..., Run]:
    def make(permissions: Mapping[str, Any] | None = None, **kw: Any) -> Run:
        return Run(kw.pop("fs", memfs), permissions, **kw)

    return make


@pytest.fixture(params=["fast", "public"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run an engine test on both call paths: wasmtime's unchecked fast path and its public API."""
    if request.param == "public":
        monkeypatch.setenv("SECURE_EXEC_ENGINE_SLOWPATH", "1")
    else:
        monkeypatch.delenv("SECURE_EXEC_ENGINE_SLOWPATH", raising=False)
    yield request.param


@pytest.fixture(params=["memory", "host", "sqlite"])
def each_fs(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Any]:
    """An empty filesystem of each kind a guest can be given: in memory, a host folder, SQLite."""
    if request.param == "memory":
        fs: Any = se.create_in_memory_file_system()
    elif request.param == "host":
        (tmp_path / "root").mkdir()
        fs = se.HostFileSystem(tmp_path / "root", allow_hardlinks=True)
    else:
        sqlitefs = pytest.importorskip("secure_exec_sqlitefs")
        fs = sqlitefs.SqliteFileSystem(str(tmp_path / "fs.db"))
    yield fs
    if isinstance(fs, se.HostFileSystem):
        fs.close_all()

