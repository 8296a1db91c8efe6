"""Cold start: entry points scanned once per process, drivers cheap to create and still isolated."""

from __future__ import annotations

import importlib.metadata
from typing import Any

import pytest

import secure_exec as se
from secure_exec.providers.manager import create_plugin_manager, refresh_entry_points


def test_entry_points_are_scanned_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    real = importlib.metadata.entry_points

    def counting(**kw: Any) -> Any:
        calls.append(kw)
        return real(**kw)

    monkeypatch.setattr(importlib.metadata, "entry_points", counting)
    for _ in range(3):
        create_plugin_manager()
    for _ in range(3):
        with se.NodeRuntime() as rt:
            assert rt.run("export const x = 1;").exports == {"x": 1}
    assert len(calls) == 1
    refresh_entry_points()  # again only when asked
    create_plugin_manager()
    assert len(calls) == 2


def test_drivers_share_the_default_manager_but_not_their_providers() -> None:
    a_fs, b_fs = se.create_in_memory_file_system(), se.create_in_memory_file_system()
    a_fs.write_file("/who", "a")
    b_fs.write_file("/who", "b")
    a = se.NodeRuntime(system_driver=se.create_node_driver(filesystem=a_fs, permissions=se.allow_all))
    b = se.NodeRuntime(system_driver=se.create_node_driver(filesystem=b_fs, permissions=se.allow_all))
    assert a.driver.plugin_manager is b.driver.plugin_manager
    code = 'export const who = (await import("node:fs")).readFileSync("/who", "utf8");'
    assert a.run(code).exports == {"who": "a"}
    assert b.run(code).exports == {"who": "b"}
    a.dispose()
    assert b.run(code).exports == {"who": "b"}  # disposing one driver leaves the other's providers
    b.dispose()
