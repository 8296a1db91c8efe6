"""The seed's driver functions, in Python: thin wrappers that register providers and checks.

``create_node_driver`` puts the given filesystem, network, command executor and env into a pluggy
plugin manager as one host plugin (so they win over the ``trylast`` built-ins, exactly like a
provider package would) and turns ``permissions`` into the policy's function checks. The seed API
and the pluggy API therefore share one path through policy and audit.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import pluggy

from secure_exec.errors import ConfigError
from secure_exec.policy import Policy, Preset, Rule
from secure_exec.policy.config import hook_contributions
from secure_exec.providers.builtin import StaticProviders
from secure_exec.providers.commands import SubprocessCommandExecutor
from secure_exec.providers.env import MappingEnvProvider
from secure_exec.providers.hookspecs import hookimpl
from secure_exec.providers.manager import collect, default_plugin_manager
from secure_exec.providers.memfs import InMemoryFileSystem
from secure_exec.providers.protocols import CommandExecutor, EnvProvider, FileSystemProvider, NetworkProvider
from secure_exec.providers.types import ProviderContext
from secure_exec.runtime.config import OsConfig, ProcessConfig

HOST_PLUGIN_NAME = "secure_exec.node_driver"
_driver_ids = itertools.count(1)


class _DriverProviders(StaticProviders):
    """The driver's own providers, answering only for sessions of that driver.

    Several drivers (e.g. one per loaded plugin) may share one plugin manager; without the token
    check, the filesystem given to one plugin would be served to another plugin's sessions.
    """

    def __init__(self, token: str, initial_env: Mapping[str, str], **providers: Any) -> None:
        super().__init__(**providers)
        self.token = token
        self.initial_env = dict(initial_env)

    def _mine(self, context: ProviderContext) -> bool:
        return context.session_id.startswith(self.token)

    @hookimpl
    def secure_exec_filesystem(self, context: ProviderContext) -> FileSystemProvider | None:
        return self.filesystem if self._mine(context) else None

    @hookimpl
    def secure_exec_network(self, context: ProviderContext) -> NetworkProvider | None:
        return self.network if self._mine(context) else None

    @hookimpl
    def secure_exec_command_executor(self, context: ProviderContext) -> CommandExecutor | None:
        return self.command_executor if self._mine(context) else None

    @hookimpl
    def secure_exec_env(self, context: ProviderContext) -> EnvProvider | None:
        # A fresh copy per session: one run's process.env writes must not leak into the next run.
        return MappingEnvProvider(dict(self.initial_env)) if self._mine(context) else None


class _Router:
    """The one host plugin of the shared default manager: the providers of every driver made without
    a manager, found by the driver token that prefixes each session id.

    Registering a plugin object per driver costs pluggy an inspection of all its attributes (most of a
    cold start); adding a table entry costs nothing. The router is registered when the default
    manager first serves a driver, after its entry-point plugins, so drivers' providers win over
    them exactly as a per-driver plugin registered later would.
    """

    def __init__(self) -> None:
        self.drivers: dict[str, _DriverProviders] = {}

    def _find(self, context: ProviderContext) -> _DriverProviders | None:
        sid = context.session_id
        cut = sid.find("-")
        return self.drivers.get(sid[:cut + 1]) if cut >= 0 else None

    @hookimpl
    def secure_exec_filesystem(self, context: ProviderContext) -> FileSystemProvider | None:
        d = self._find(context)
        return d.secure_exec_filesystem(context) if d is not None else None

    @hookimpl
    def secure_exec_network(self, context: ProviderContext) -> NetworkProvider | None:
        d = self._find(context)
        return d.secure_exec_network(context) if d is not None else None

    @hookimpl
    def secure_exec_command_executor(self, context: ProviderContext) -> CommandExecutor | None:
        d = self._find(context)
        return d.secure_exec_command_executor(context) if d is not None else None

    @hookimpl
    def secure_exec_env(self, context: ProviderContext) -> EnvProvider | None:
        d = self._find(context)
        return d.secure_exec_env(context) if d is not None else None


_routers: weakref.WeakKeyDictionary[pluggy.PluginManager, _Router] = weakref.WeakKeyDictionary()
_routers_lock = threading.Lock()


def _router(pm: pluggy.PluginManager) -> _Router:
    with _routers_lock:
        r = _routers.get(pm)
        if r is None:
            r = _routers[pm] = _Router()
            pm.register(r, name=HOST_PLUGIN_NAME)
        return r


@attrs.define
class SystemDriver:
    """What a ``NodeRuntime`` runs against: a plugin manager with providers, a policy, configs.

    ``token`` prefixes the session ids of runtimes using this driver, so the providers it
    registered answer for those sessions only; ``close()`` unregisters them.
    """

    plugin_manager: pluggy.PluginManager
    policy: Policy
    process_config: ProcessConfig
    os_config: OsConfig
    token: str = ""
    host_plugin: object | None = None

    def close(self) -> None:
        plugin = self.host_plugin
        if isinstance(plugin, _DriverProviders):
            router = _routers.get(self.plugin_manager)
            if router is not None and router.drivers.get(plugin.token) is plugin:
                del router.drivers[plugin.token]
        if plugin is not None and self.plugin_manager.is_registered(plugin):
            self.plugin_manager.unregister(plugin)
        self.host_plugin = None


@attrs.frozen
class RuntimeDriverFactory:
    """Engine settings shared by the runtimes made from it (the seed's runtime driver factory)."""

    stack_limit: int = 512 * 2**10
    max_request_bytes: int = 8 * 2**20
    max_reply_bytes: int = 32 * 2**20


def with_hook_rules(policy: Policy, pm: pluggy.PluginManager, plugin_id: str) -> Policy:
    """``policy`` plus the rules hook implementations contribute (``secure_exec_policy_rules``).

    Each rule is labelled ``hook:<plugin name>`` so a decision names the hook that made it; anything
    that is not a rule or rule table is a ConfigError naming the plugin. On a narrowed policy, an
    added allow rule still goes through the escalation check.
    """
    ctx = ProviderContext(plugin_id=plugin_id, session_id="")
    rules: list[Rule] = []
    for impl in pm.hook.secure_exec_policy_rules.get_hookimpls():
        rules += hook_contributions(impl.plugin_name, impl.function(context=ctx))[0]
    return policy.extend(rules=rules) if rules else policy


def hook_presets(pm: pluggy.PluginManager) -> dict[str, Preset]:
    """Named presets contributed by ``secure_exec_presets`` hooks: a library a policy file can name.

    They are never applied by themselves; a policy uses one only by naming it. Two hooks offering
    the same name is a ConfigError.
    """
    out: dict[str, Preset] = {}
    for impl in pm.hook.secure_exec_presets.get_hookimpls():
        for p in hook_contributions(impl.plugin_name, impl.function())[1]:
            if p.name in out:
                raise ConfigError(f"preset {p.name!r} is contributed twice ({out[p.name].source} and {p.source})")
            out[p.name] = p
    return out


def hook_audit_sinks(pm: pluggy.PluginManager) -> list[object]:
    """Extra audit sinks contributed by ``secure_exec_audit_sinks`` hooks."""
    return collect(pm.hook.secure_exec_audit_sinks())


def create_in_memory_file_system(*, max_bytes: int = 256 * 2**20, max_open_fds: int = 128) -> InMemoryFileSystem:
    """A private in-memory filesystem; the host fills it with ``fs.write_file(path, data)``.

    ``max_bytes`` caps its file data (sparse growth included), ``max_open_fds`` its descriptors.
    """
    return InMemoryFileSystem(max_bytes=max_bytes, max_open_fds=max_open_fds)


def create_command_executor(*, path: str = "/usr/local/bin:/usr/bin:/bin", **kw: Any) -> SubprocessCommandExecutor:
    """Real child processes, without a shell, with an explicit environment (see providers.commands)."""
    return SubprocessCommandExecutor(path=tuple(p for p in path.split(":") if p), **kw)


def create_node_runtime_driver_factory(**kw: Any) -> RuntimeDriverFactory:
    return RuntimeDriverFactory(**kw)


_NO_GRANT: list[Policy] = []


def _no_grant() -> Policy:
    """The deny-everything policy of a driver given neither permissions nor a policy (built once)."""
    if not _NO_GRANT:
        _NO_GRANT.append(Policy(permissions={}))
    return _NO_GRANT[0]


def create_node_driver(
    *,
    filesystem: FileSystemProvider | None = None,
    network: NetworkProvider | None = None,
    command_executor: CommandExecutor | None = None,
    permissions: Mapping[str, Callable[[Any], Any]] | None = None,
    policy: Policy | None = None,
    process_config: ProcessConfig | None = None,
    os_config: OsConfig | None = None,
    plugin_manager: pluggy.PluginManager | None = None,
    hook_rules: bool = True,
) -> SystemDriver:
    """Register providers and the permission checks; deny by default for anything not given.

    ``permissions`` is the seed's mapping of domain -> check function. ``policy`` is a full
    ``Policy`` (rules, presets, guards, audit-only mode); give one or the other, not both.
    ``hook_rules=False`` is for callers that already added the hook-contributed rules themselves.
    """
    if permissions is not None and policy is not None:
        raise ConfigError("create_node_driver: give permissions= or policy=, not both")
    if permissions is not None and not isinstance(permissions, Mapping):
        raise ConfigError(f"permissions must be a mapping of domain -> check, got {type(permissions).__name__}")
    proc = process_config or ProcessConfig()
    base = policy if policy is not None else _no_grant() if not permissions else Policy(permissions=permissions)
    token = f"d{next(_driver_ids)}-"
    plugin = _DriverProviders(token, proc.env, filesystem=filesystem, network=network,
                              command_executor=command_executor)
    if plugin_manager is None:  # the shared default manager: one router, a table entry per driver
        pm: pluggy.PluginManager = default_plugin_manager()
        _router(pm).drivers[token] = plugin
    else:
        pm = plugin_manager
        pm.register(plugin, name=f"{HOST_PLUGIN_NAME}:{token}")
    return SystemDriver(
        token=token,
        host_plugin=plugin,
        plugin_manager=pm,
        policy=with_hook_rules(base, pm, "") if hook_rules else base,
        process_config=proc,
        os_config=os_config or OsConfig(),
    )
