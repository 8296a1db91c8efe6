"""The top-level ``secure_exec`` namespace: the plugin host is importable, nothing stray is exported."""

from __future__ import annotations

import types

import secure_exec as se


def test_plugin_host_names_are_top_level() -> None:
    from secure_exec.host.plugin import PluginError, PluginInstance
    from secure_exec.host.plugin_host import PluginHost

    assert (se.PluginHost, se.PluginInstance, se.PluginError) == (PluginHost, PluginInstance, PluginError)
    assert {"PluginHost", "PluginInstance", "PluginError"} <= set(se.__all__)


def test_namespace_is_clean() -> None:
    public = {n for n in dir(se) if not n.startswith("_")}
    modules = {n for n in public if isinstance(getattr(se, n), types.ModuleType)}
    assert public - modules == set(se.__all__) - {"__version__"}
    assert "annotations" not in public
    assert all(hasattr(se, n) for n in se.__all__)
