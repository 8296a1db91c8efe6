"""The hook layer: every spec documented and exercised, priorities, guard rails, env knobs."""

from __future__ import annotations

import importlib.metadata
import inspect
import logging
from pathlib import Path
from typing import Any

import pytest

from secure_exec.errors import ConfigError
from secure_exec.providers import (
    HostFileSystem,
    MappingEnvProvider,
    ProviderContext,
    ProviderHookError,
    StaticProviders,
    SubprocessCommandExecutor,
    approve_permission,
    collect,
    create_plugin_manager,
    get_providers,
    hookimpl,
    hookspecs,
)
from secure_exec.providers.manager import SecureExecPluginManager, hook_names
from secure_exec.providers.memfs import InMemoryFileSystem
from secure_exec.providers.network import HttpNetworkProvider

CTX = ProviderContext(plugin_id="plugin-a", session_id="sess-1")
EXPECTED_HOOKS = [
    "secure_exec_approve_permission",
    "secure_exec_audit_sinks",
    "secure_exec_command_executor",
    "secure_exec_env",
    "secure_exec_filesystem",
    "secure_exec_network",
    "secure_exec_plugin_loaded",
    "secure_exec_plugin_unloaded",
    "secure_exec_policy_rules",
    "secure_exec_presets",
]


@pytest.fixture
def pm() -> SecureExecPluginManager:
    return create_plugin_manager(load_entrypoints=False, environ={})


def test_hook_list_is_the_contract() -> None:
    assert hook_names() == EXPECTED_HOOKS


@pytest.mark.parametrize("name", EXPECTED_HOOKS)
def test_every_hookspec_is_documented(name: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs, name)) or ""
    assert len(doc) > 40, f"{name} needs a docstring saying when it is called and what to return"
    assert "None" in doc or "ignored" in doc


def test_every_hookspec_is_exercised_by_a_test() -> None:
    """Datasette's check: each hook is called as ``pm.hook.<name>(`` somewhere in the tests."""
    sources = "".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))
    for name in EXPECTED_HOOKS:
        assert f"hook.{name}(" in sources, f"no test calls {name}"


def test_every_hook_reaches_a_plugin(pm: SecureExecPluginManager) -> None:
    """Call every hook once against a plugin that implements all of them."""
    called: set[str] = set()

    class All:
        pass

    for name in EXPECTED_HOOKS:
        params = list(inspect.signature(getattr(hookspecs, name)).parameters)

        def impl(*args: Any, _n: str = name) -> None:
            called.add(_n)

        impl.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in params])
        setattr(All, name, staticmethod(hookimpl(specname=name)(impl)))
    pm.register(All(), name="all-hooks")
    kwargs = {"context": CTX, "plugin": "p", "request": {}}
    for name in EXPECTED_HOOKS:
        params = inspect.signature(getattr(hookspecs, name)).parameters
        getattr(pm.hook, name)(**{k: kwargs[k] for k in params})
    assert called == set(EXPECTED_HOOKS)


def test_builtin_defaults(pm: SecureExecPluginManager) -> None:
    p = get_providers(pm, CTX)
    assert isinstance(p.filesystem, InMemoryFileSystem)
    assert isinstance(p.network, HttpNetworkProvider)
    assert isinstance(p.env, MappingEnvProvider) and p.env.keys() == []
    assert p.command_executor is None  # deny by default: spawning needs an explicit executor
    # a fresh filesystem per sandbox: nothing leaks between sessions
    assert pm.hook.secure_exec_filesystem(context=CTX) is not pm.hook.secure_exec_filesystem(context=CTX)


def test_host_provider_wins_over_builtin(pm: SecureExecPluginManager, tmp_path: Path) -> None:
    host_fs = HostFileSystem(tmp_path)
    ex = SubprocessCommandExecutor(path=["/bin"])
    pm.register(StaticProviders(filesystem=host_fs, command_executor=ex), name="host")
    try:
        assert pm.hook.secure_exec_filesystem(context=CTX) is host_fs
        assert pm.hook.secure_exec_command_executor(context=CTX) is ex
        # a None answer passes down to the built-in
        assert isinstance(pm.hook.secure_exec_env(context=CTX), MappingEnvProvider)
        assert isinstance(pm.hook.secure_exec_network(context=CTX), HttpNetworkProvider)
    finally:
        pm.unregister(name="host")
        host_fs.close_all()


def test_per_context_choice(pm: SecureExecPluginManager) -> None:
    special = InMemoryFileSystem()

    class PerPlugin:
        @hookimpl
        def secure_exec_filesystem(self, context: ProviderContext) -> InMemoryFileSystem | None:
            return special if context.plugin_id == "special" else None

    pm.register(PerPlugin(), name="per-plugin")
    assert pm.hook.secure_exec_filesystem(context=ProviderContext("special", "s")) is special
    assert pm.hook.secure_exec_filesystem(context=CTX) is not special


def test_combining_hooks(pm: SecureExecPluginManager) -> None:
    class A:
        @hookimpl
        def secure_exec_policy_rules(self, context: ProviderContext) -> list[str]:
            return [f"rule-a:{context.plugin_id}"]

        @hookimpl
        def secure_exec_presets(self) -> list[str]:
            return ["preset-a"]

        @hookimpl
        def secure_exec_audit_sinks(self) -> list[str]:
            return ["sink-a"]

    class B:
        @hookimpl
        def secure_exec_policy_rules(self, context: ProviderContext) -> None:
            return None

        @hookimpl
        def secure_exec_presets(self) -> tuple[str, ...]:
            return ("preset-b1", "preset-b2")

    pm.register(A(), name="a")
    pm.register(B(), name="b")
    assert collect(pm.hook.secure_exec_policy_rules(context=CTX)) == ["rule-a:plugin-a"]
    assert sorted(collect(pm.hook.secure_exec_presets())) == ["preset-a", "preset-b1", "preset-b2"]
    assert collect(pm.hook.secure_exec_audit_sinks()) == ["sink-a"]


def test_notifications(pm: SecureExecPluginManager) -> None:
    seen: list[tuple[str, object]] = []

    class Watcher:
        @hookimpl
        def secure_exec_plugin_loaded(self, plugin: object) -> None:
            seen.append(("loaded", plugin))

        @hookimpl
        def secure_exec_plugin_unloaded(self, plugin: object) -> None:
            seen.append(("unloaded", plugin))

    pm.register(Watcher(), name="watcher")
    pm.hook.secure_exec_plugin_loaded(plugin="p1")
    pm.hook.secure_exec_plugin_unloaded(plugin="p1")
    assert seen == [("loaded", "p1"), ("unloaded", "p1")]


def test_approval_defaults_to_deny(pm: SecureExecPluginManager) -> None:
    assert approve_permission(pm, "p1", {"op": "read"}) is False
    assert pm.hook.secure_exec_approve_permission(plugin="p1", request={}) is None

    class Approver:
        @hookimpl
        def secure_exec_approve_permission(self, plugin: object, request: Any) -> bool | None:
            return True if request.get("op") == "read" else None

    pm.register(Approver(), name="approver")
    assert approve_permission(pm, "p1", {"op": "read"}) is True
    assert approve_permission(pm, "p1", {"op": "write"}) is False


def test_unknown_hook_is_config_error_naming_plugin_and_hook(pm: SecureExecPluginManager) -> None:
    class Typo:
        @hookimpl
        def secure_exec_filesytem(self, context: ProviderContext) -> None:
            return None

    with pytest.raises(ConfigError) as ei:
        pm.register(Typo(), name="typo-plugin")
    assert "typo-plugin" in str(ei.value) and "secure_exec_filesytem" in str(ei.value)
    assert pm.get_plugin("typo-plugin") is None
    pm.check_pending()  # the refused plugin left nothing pending


def test_raising_hook_names_culprit(pm: SecureExecPluginManager) -> None:
    class Broken:
        @hookimpl
        def secure_exec_network(self, context: ProviderContext) -> None:
            raise RuntimeError("database down")

    pm.register(Broken(), name="broken-net")
    with pytest.raises(ProviderHookError) as ei:
        get_providers(pm, CTX)
    e = ei.value
    assert (e.plugin_name, e.hook_name, e.code) == ("broken-net", "secure_exec_network", "ERR_PROVIDER_HOOK")
    assert "database down" in str(e) and isinstance(e.__cause__, RuntimeError)


def test_garbage_provider_names_culprit(pm: SecureExecPluginManager) -> None:
    class Garbage:
        @hookimpl
        def secure_exec_filesystem(self, context: ProviderContext) -> object:
            return {"read_file": "nope"}

        @hookimpl
        def secure_exec_presets(self) -> object:
            return "not-a-list"

        @hookimpl
        def secure_exec_approve_permission(self, plugin: object, request: object) -> object:
            return "yes"

    pm.register(Garbage(), name="garbage")
    with pytest.raises(ProviderHookError, match=r"'garbage'.*secure_exec_filesystem.*dict.*FileSystemProvider"):
        pm.hook.secure_exec_filesystem(context=CTX)
    with pytest.raises(ProviderHookError, match="must return a list"):
        pm.hook.secure_exec_presets()
    with pytest.raises(ProviderHookError, match="True, False or None"):
        pm.hook.secure_exec_approve_permission(plugin="p", request={})


def test_wrapper_hooks_still_work(pm: SecureExecPluginManager) -> None:
    calls: list[str] = []

    class Wrap:
        @hookimpl(wrapper=True)
        def secure_exec_env(self, context: ProviderContext) -> Any:
            calls.append("before")
            result = yield
            calls.append(type(result).__name__)
            return result

    pm.register(Wrap(), name="wrap")
    assert isinstance(pm.hook.secure_exec_env(context=CTX), MappingEnvProvider)
    assert calls == ["before", "MappingEnvProvider"]


def test_trace_hooks_env_knob(caplog: pytest.LogCaptureFixture) -> None:
    """Tracing goes through stdlib logging (a NullHandler by default: never stdout)."""
    pm = create_plugin_manager(load_entrypoints=False, environ={"SECURE_EXEC_TRACE_HOOKS": "1"})
    with caplog.at_level(logging.INFO, logger="secure_exec.providers.trace"):
        pm.hook.secure_exec_env(context=CTX)
    msgs = [r.getMessage() for r in caplog.records if r.name == "secure_exec.providers.trace"]
    assert any(m.startswith("hook.call hook=secure_exec_env") for m in msgs)
    assert any(m.startswith("hook.result hook=secure_exec_env status=ok") for m in msgs)
    caplog.clear()
    quiet = create_plugin_manager(load_entrypoints=False, environ={})
    with caplog.at_level(logging.INFO, logger="secure_exec.providers.trace"):
        quiet.hook.secure_exec_env(context=CTX)
    assert [r for r in caplog.records if r.name == "secure_exec.providers.trace"] == []


def test_broken_entry_point_named(monkeypatch: pytest.MonkeyPatch) -> None:
    bad = importlib.metadata.EntryPoint(name="broken-ep", value="no_such_module_for_secure_exec_xyz",
                                        group="secure_exec")
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda **kw: [bad])
    with pytest.raises(ConfigError, match=r"broken-ep.*ModuleNotFoundError"):
        create_plugin_manager(environ={})
    # blocked: not even imported
    assert create_plugin_manager(environ={"SECURE_EXEC_DISABLE_PLUGINS": "broken-ep"}).get_plugin("broken-ep") is None


def test_get_providers_checks_context(pm: SecureExecPluginManager) -> None:
    with pytest.raises(ConfigError, match="ProviderContext"):
        get_providers(pm, {"plugin_id": "x"})  # type: ignore[arg-type]
