"""The plugin manager: hook specs, built-ins, entry-point discovery and guard rails.

Third-party providers are ordinary Python distributions that register in the ``secure_exec``
entry-point group. Loading one *imports* it (its code runs with host authority), so loading is
controllable like llm/datasette/tox: ``SECURE_EXEC_LOAD_PLUGINS`` (allow-list of entry-point names,
empty = none), ``SECURE_EXEC_DISABLE_PLUGINS`` (block-list via ``set_blocked``) and
``SECURE_EXEC_TRACE_HOOKS=1`` (log every hook call). Misbehaving plugins fail loudly and by name: an
impl of an unknown hook (usually a typo such as ``secure_exec_filesytem``), a hook that raises, or a
provider hook returning something that is not a provider all raise ``ProviderHookError``.
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
import os
import threading
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import pluggy

from secure_exec.errors import ConfigError
from secure_exec.providers import hookspecs
from secure_exec.providers.builtin import BUILTIN_PLUGIN_NAME, BuiltinProviders
from secure_exec.providers.protocols import CommandExecutor, EnvProvider, FileSystemProvider, NetworkProvider
from secure_exec.providers.types import ProviderContext

ENTRY_POINT_GROUP = "secure_exec"
ENV_LOAD = "SECURE_EXEC_LOAD_PLUGINS"
ENV_DISABLE = "SECURE_EXEC_DISABLE_PLUGINS"
ENV_TRACE = "SECURE_EXEC_TRACE_HOOKS"

PROVIDER_HOOKS: dict[str, type] = {
    "secure_exec_filesystem": FileSystemProvider,
    "secure_exec_network": NetworkProvider,
    "secure_exec_command_executor": CommandExecutor,
    "secure_exec_env": EnvProvider,
}
LIST_HOOKS = frozenset({"secure_exec_policy_rules", "secure_exec_presets", "secure_exec_audit_sinks"})

_trace_log = logging.getLogger("secure_exec.providers.trace")  # stdlib logging, never stdout


class ProviderHookError(ConfigError):
    """A plugin's hook raised or returned the wrong kind of value. Names the plugin and the hook."""

    code = "ERR_PROVIDER_HOOK"

    def __init__(self, message: str, *, plugin_name: str, hook_name: str) -> None:
        super().__init__(message)
        self.plugin_name = plugin_name
        self.hook_name = hook_name


def _missing_members(proto: type, obj: object) -> list[str]:
    members = [m for m in dir(proto) if not m.startswith("_")]
    return [m for m in members if not callable(getattr(obj, m, None))]


_CONFORMING: set[tuple[str, type]] = set()  # (hook, provider class) already checked against its protocol


def _validate(hook: str, plugin: str, result: object) -> None:
    if result is None:
        return
    proto = PROVIDER_HOOKS.get(hook)
    if proto is not None and (hook, type(result)) in _CONFORMING:
        return  # a runtime protocol check costs ~0.2 ms; every session asks every provider hook
    if proto is not None and not isinstance(result, proto):
        missing = ", ".join(_missing_members(proto, result)[:8])
        raise ProviderHookError(
            f"plugin {plugin!r}: hook {hook} returned {type(result).__name__}, which is not a "
            f"{proto.__name__} (missing: {missing})", plugin_name=plugin, hook_name=hook)
    if proto is not None:
        _CONFORMING.add((hook, type(result)))
    if hook in LIST_HOOKS and not isinstance(result, (list, tuple)):
        raise ProviderHookError(
            f"plugin {plugin!r}: hook {hook} must return a list (or None), got {type(result).__name__}",
            plugin_name=plugin, hook_name=hook)
    if hook == "secure_exec_approve_permission" and not isinstance(result, bool):
        raise ProviderHookError(
            f"plugin {plugin!r}: hook {hook} must return True, False or None, got {type(result).__name__}",
            plugin_name=plugin, hook_name=hook)


def _guarded(fn: Callable[..., Any], plugin: str, hook: str) -> Callable[..., Any]:
    """Wrap one hookimpl so failures and garbage results name their plugin."""

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            result = fn(*args, **kwargs)
        except ProviderHookError:
            raise
        except Exception as e:
            raise ProviderHookError(f"plugin {plugin!r} failed in hook {hook}: {type(e).__name__}: {e}",
                                    plugin_name=plugin, hook_name=hook) from e
        _validate(hook, plugin, result)
        return result

    call.__secure_exec_guarded__ = True  # type: ignore[attr-defined]
    return call


_PARSED: dict[tuple[type, str], pluggy.HookimplOpts | None] = {}


class SecureExecPluginManager(pluggy.PluginManager):
    """A ``pluggy.PluginManager`` that refuses unknown hooks and guards every hookimpl."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT_NAME)
        self.add_hookspecs(hookspecs)
        self.entrypoint_dists: dict[str, tuple[str, str]] = {}

    def parse_hookimpl_opts(self, plugin: object, name: str) -> pluggy.HookimplOpts | None:
        """pluggy's parse, cached per class for attributes defined on the class (not the instance).

        Registering an object makes pluggy inspect every attribute it has; a driver registers one
        object per runtime, so without the cache each ``create_node_driver()`` paid that again.
        """
        cls = type(plugin)
        if isinstance(plugin, types.ModuleType) or name in getattr(plugin, "__dict__", {}):
            return super().parse_hookimpl_opts(plugin, name)
        key = (cls, name)
        try:
            return _PARSED[key]
        except KeyError:
            opts = _PARSED[key] = super().parse_hookimpl_opts(plugin, name)
            return opts

    def register(self, plugin: object, name: str | None = None) -> str | None:
        plugin_name = super().register(plugin, name)
        if plugin_name is None:  # blocked
            return None
        try:
            for caller in self.get_hookcallers(plugin) or []:
                for impl in caller.get_hookimpls():
                    if impl.plugin is not plugin:
                        continue
                    if not caller.has_spec() and not impl.optionalhook:
                        raise ConfigError(
                            f"plugin {plugin_name!r} implements unknown hook {caller.name!r}; "
                            f"known hooks: {', '.join(sorted(hook_names()))}")
                    if not (impl.wrapper or impl.hookwrapper) and not hasattr(impl.function, "__secure_exec_guarded__"):
                        # pluggy types HookImpl.function as Final; swapping in the guarded wrapper is
                        # deliberate (argnames were already read from the original function).
                        object.__setattr__(impl, "function", _guarded(impl.function, plugin_name, caller.name))
        except BaseException:
            self.unregister(plugin)
            raise
        return plugin_name


def hook_names() -> list[str]:
    """Every hook spec name (for docs and the completeness test)."""
    return sorted(n for n in dir(hookspecs) if n.startswith("secure_exec_") and callable(getattr(hookspecs, n)))


def _names(value: str | None) -> list[str]:
    return [n.strip() for n in (value or "").split(",") if n.strip()]


_scan_lock = threading.Lock()
_scanned: tuple[object, tuple[importlib.metadata.EntryPoint, ...]] | None = None


def installed_entry_points(*, refresh: bool = False) -> tuple[importlib.metadata.EntryPoint, ...]:
    """The ``secure_exec`` entry points, scanned once per process (again with ``refresh=True``).

    Scanning every installed distribution's metadata costs about a millisecond, which every new
    plugin manager (so every ``create_node_driver()``) used to pay.
    """
    global _scanned
    scan = importlib.metadata.entry_points
    with _scan_lock:
        if refresh or _scanned is None or _scanned[0] is not scan:  # a replaced scanner (tests) rescans
            _scanned = (scan, tuple(scan(group=ENTRY_POINT_GROUP)))
        return _scanned[1]


def refresh_entry_points() -> None:
    """Rescan installed entry points (after installing a provider package in a running process)."""
    installed_entry_points(refresh=True)
    with _default_lock:
        _default_pms.clear()


def load_entrypoint_plugins(pm: SecureExecPluginManager, *, allow: Sequence[str] | None = None) -> list[str]:
    """Import and register ``secure_exec`` entry points (only ``allow`` ones if given). Returns names."""
    eps = list(installed_entry_points())
    seen: dict[str, str] = {}
    for ep in eps:
        if ep.name in seen and seen[ep.name] != ep.value:
            raise ConfigError(f"two secure_exec plugins use the entry-point name {ep.name!r}: "
                              f"{seen[ep.name]} and {ep.value}")
        seen[ep.name] = ep.value
    if allow is not None:
        unknown = sorted(set(allow) - set(seen))
        if unknown:
            raise ConfigError(f"{ENV_LOAD} names plugins that are not installed: {', '.join(unknown)} "
                              f"(installed: {', '.join(sorted(seen)) or 'none'})")
    loaded: list[str] = []
    done: set[str] = set()
    for ep in eps:
        if ep.name in done or (allow is not None and ep.name not in allow):
            continue
        done.add(ep.name)
        if pm.is_blocked(ep.name) or pm.get_plugin(ep.name) is not None:
            continue
        try:
            plugin = ep.load()
        except Exception as e:
            raise ConfigError(f"cannot load secure_exec plugin {ep.name!r} ({ep.value}): "
                              f"{type(e).__name__}: {e}") from e
        pm.register(plugin, name=ep.name)
        if ep.dist is not None:
            pm.entrypoint_dists[ep.name] = (ep.dist.name, ep.dist.version)
        loaded.append(ep.name)
    return loaded


def _enable_tracing(pm: SecureExecPluginManager) -> None:
    def before(hook_name: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, Any]) -> None:
        _trace_log.info("hook.call hook=%s plugins=%s args=%s", hook_name, [i.plugin_name for i in impls],
                        sorted(kwargs))

    def after(outcome: pluggy.Result[Any], hook_name: str, impls: Sequence[pluggy.HookImpl],
              kwargs: Mapping[str, Any]) -> None:
        exc = outcome.exception
        _trace_log.info("hook.result hook=%s status=%s error_type=%s result_type=%s", hook_name,
                        "error" if exc else "ok", type(exc).__name__ if exc else None,
                        None if exc else type(outcome.get_result()).__name__)

    pm.add_hookcall_monitoring(before, after)


def create_plugin_manager(*, load_entrypoints: bool = True,
                          environ: Mapping[str, str] | None = None) -> SecureExecPluginManager:
    """A ready plugin manager: specs, built-ins (``trylast``), entry points per the env knobs.

    ``environ`` defaults to ``os.environ`` and is read only for the ``SECURE_EXEC_*`` knobs.
    """
    env = os.environ if environ is None else environ
    pm = SecureExecPluginManager()
    for name in _names(env.get(ENV_DISABLE)):
        pm.set_blocked(name)
    pm.register(BuiltinProviders(), name=BUILTIN_PLUGIN_NAME)
    if load_entrypoints:
        allow = _names(env.get(ENV_LOAD)) if ENV_LOAD in env else None
        load_entrypoint_plugins(pm, allow=allow)
    if env.get(ENV_TRACE, "").strip().lower() in ("1", "true", "yes", "on"):
        _enable_tracing(pm)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as e:
        raise ConfigError(f"plugin {e.plugin!r}: {e}") from None
    return pm


_default_lock = threading.Lock()
_default_pms: dict[tuple[str | None, ...], SecureExecPluginManager] = {}


def default_plugin_manager() -> SecureExecPluginManager:
    """The process's shared plugin manager for drivers created without one.

    Created once per setting of the ``SECURE_EXEC_*`` knobs. Drivers register their own providers
    in it under a unique token and answer only for their own sessions, so sharing it is safe.
    """
    key = tuple(os.environ.get(k) for k in (ENV_LOAD, ENV_DISABLE, ENV_TRACE))
    with _default_lock:
        pm = _default_pms.get(key)
        if pm is None:
            pm = _default_pms[key] = create_plugin_manager()
        return pm


@attrs.frozen
class Providers:
    """The providers chosen for one sandbox; ``None`` means "not configured" (guest gets ENOSYS)."""

    filesystem: FileSystemProvider | None
    network: NetworkProvider | None
    command_executor: CommandExecutor | None
    env: EnvProvider | None


def get_providers(pm: pluggy.PluginManager, context: ProviderContext) -> Providers:
    """Ask each provider hook once for ``context`` (the first non-None answer wins)."""
    if not isinstance(context, ProviderContext):
        raise ConfigError(f"get_providers: context must be a ProviderContext, got {type(context).__name__}")
    return Providers(
        filesystem=pm.hook.secure_exec_filesystem(context=context),
        network=pm.hook.secure_exec_network(context=context),
        command_executor=pm.hook.secure_exec_command_executor(context=context),
        env=pm.hook.secure_exec_env(context=context),
    )


def collect(results: Sequence[Sequence[object] | None]) -> list[object]:
    """Flatten the per-plugin lists a combining hook returned (``None`` answers are skipped)."""
    return [item for r in results if r is not None for item in r]


def approve_permission(pm: pluggy.PluginManager, plugin: object, request: object) -> bool:
    """Ask the approval hook; only an explicit ``True`` approves (no answer = deny)."""
    return pm.hook.secure_exec_approve_permission(plugin=plugin, request=request) is True
