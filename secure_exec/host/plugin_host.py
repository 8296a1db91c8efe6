"""``PluginHost``: loads plugins from folders under a host-granted policy, with pluggy hooks.

Loading a plugin: read and validate its manifest, compute its digest (and refuse it if a pinned
digest differs), turn the permissions it requests into policy rules, and check them against the
host's grant. A request wider than the grant is put to the ``secure_exec_approve_permission`` hook
(first answer wins; no answer denies) and otherwise refused with ``PermissionDenied``, unless the
grant is audit-only, in which case the excess is recorded and allowed. The plugin then runs under
the intersection of the grant and its request, capability by capability: a capability its manifest
asks nothing of is denied outright (even when the host granted it), so it gets no more than it
asked for, and never more than the host granted.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pluggy

from secure_exec.audit import AuditContext, AuditLog
from secure_exec.errors import ConfigError, PermissionDenied
from secure_exec.host.hostfns import HostFunctionTable
from secure_exec.host.manifest import PluginManifest, load_manifest, plugin_snapshot
from secure_exec.host.plugin import PluginInstance, granted_functions
from secure_exec.policy import Decision, Policy, Rule, rule_from_mapping
from secure_exec.policy.rules import CAPABILITIES
from secure_exec.providers.manager import approve_permission, create_plugin_manager
from secure_exec.providers.protocols import CommandExecutor, FileSystemProvider, NetworkProvider
from secure_exec.runtime.config import OsConfig, ProcessConfig, StdioEvent
from secure_exec.runtime.drivers import RuntimeDriverFactory, create_node_driver, with_hook_rules
from secure_exec.runtime.node_runtime import NodeRuntime


def _requested_rules(m: PluginManifest) -> list[Rule]:
    return [rule_from_mapping(t, f"plugin {m.id!r} permissions[{i}]", source=f"plugin:{m.id}")
            for i, t in enumerate(m.requested_rules)]


def _not_requested(capability: str) -> Callable[[Any], Decision]:
    def check(request: Any) -> Decision:
        return Decision(False, f"the plugin's manifest requests no {capability} access")

    check.__name__ = f"not_requested_{capability}"
    return check


def _unrequested_denials(requested: Sequence[Rule]) -> dict[str, Callable[[Any], Decision]]:
    """A deny check for every capability the manifest asks no access to (a plain narrow() would let
    the layer inherit the host's grant for a capability it does not mention)."""
    asked = {r.capability for r in requested if r.effect == "allow"}
    return {c: _not_requested(c) for c in sorted(CAPABILITIES) if c not in asked}


class PluginHost:
    """Loads and tracks plugins; the pluggy manager supplies providers, presets and approvals."""

    def __init__(self, *, plugin_manager: pluggy.PluginManager | None = None, audit_log: AuditLog | None = None,
                 on_stdio: Callable[[StdioEvent], None] | None = None) -> None:
        self.pm = plugin_manager or create_plugin_manager()
        self.audit_log = audit_log if audit_log is not None else AuditLog.null()
        self.on_stdio = on_stdio
        self._plugins: dict[int, PluginInstance] = {}
        self._lock = threading.Lock()

    @property
    def plugins(self) -> list[PluginInstance]:
        with self._lock:
            return list(self._plugins.values())

    def _effective_policy(self, m: PluginManifest, grant: Policy, ctx: AuditContext) -> Policy:
        requested = _requested_rules(m)
        denials = _unrequested_denials(requested)
        base = with_hook_rules(grant, self.pm, m.id)
        try:
            return base.narrow(rules=requested, permissions=denials, name=f"plugin:{m.id}")
        except ConfigError as first:
            approved: list[Rule] = []
            refused: list[tuple[Rule, str]] = []
            for rule in requested:
                try:
                    base.narrow(rules=[rule])
                except ConfigError as e:
                    if approve_permission(self.pm, m, rule):
                        approved.append(rule)
                    else:
                        refused.append((rule, e.message))
            if refused and grant.mode != "audit":
                rule, why = refused[0]
                self.audit_log.lifecycle("plugin.load_failed", ctx, reason=why, rule=rule.canonical())
                raise PermissionDenied(
                    f"plugin {m.id!r} requests more than the host granted: {why}",
                    capability=rule.capability, op=",".join(rule.ops or ()), resource=",".join(
                        rule.paths or rule.urls or rule.names or ((rule.executable,) if rule.executable else ())),
                    reason=why, rule_id=rule.id,
                ) from first
            for rule, why in refused:
                self.audit_log.lifecycle("permission.escalation", ctx, reason=why, rule=rule.canonical(),
                                         enforced=False)
            widened = base.extend(rules=approved + [r for r, _ in refused])
            return widened.narrow(rules=requested, permissions=denials, name=f"plugin:{m.id}")

    def load_plugin(
        self,
        path: str | os.PathLike[str],
        *,
        policy: Policy | None = None,
        host_functions: Mapping[str, Callable[..., Any]] | None = None,
        pinned_digest: str | None = None,
        time_limit: float | None = None,
        memory_limit_mb: int | None = None,
        filesystem: FileSystemProvider | None = None,
        network: NetworkProvider | None = None,
        command_executor: CommandExecutor | None = None,
        env: Mapping[str, str] | None = None,
        process_config: ProcessConfig | None = None,
        os_config: OsConfig | None = None,
        runtime_driver_factory: RuntimeDriverFactory | None = None,
    ) -> PluginInstance:
        """Load a plugin folder under ``policy`` (the grant; none grants nothing)."""
        m = load_manifest(path)
        digest, files = plugin_snapshot(m.root)  # what runs is exactly what this digest covers
        ctx = AuditContext(session_id="host", plugin_id=m.id, plugin_version=m.version, plugin_digest=digest)
        if pinned_digest is not None and pinned_digest != digest:
            self.audit_log.lifecycle("plugin.load_failed", ctx, reason="digest mismatch", expected=pinned_digest)
            raise PermissionDenied(f"plugin {m.id!r} does not match its pinned digest (it was modified): "
                                   f"expected {pinned_digest}, found {digest}", reason="digest mismatch")
        grant = policy if policy is not None else Policy(name="no-grant")
        effective = self._effective_policy(m, grant, ctx)
        fns = granted_functions(m, host_functions or {})
        proc = process_config or ProcessConfig(argv=("node", f"/plugin/{m.entry}"), env=dict(env or {}))
        driver = create_node_driver(filesystem=filesystem, network=network, command_executor=command_executor,
                                    policy=effective, process_config=proc, os_config=os_config,
                                    plugin_manager=self.pm, hook_rules=False)  # already in the grant
        tl = time_limit if time_limit is not None else (m.limits.time_limit or 5.0)
        runtime = NodeRuntime(system_driver=driver, runtime_driver_factory=runtime_driver_factory,
                              memory_limit=memory_limit_mb or m.limits.memory_limit_mb or 64, time_limit=tl,
                              audit_log=self.audit_log, plugin_id=m.id, plugin_version=m.version,
                              plugin_digest=digest)
        inst = PluginInstance(manifest=m, digest=digest, runtime=runtime,
                              host_functions=HostFunctionTable(fns, policy_digest=effective.digest),
                              pinned_digest=pinned_digest, on_stdio=self.on_stdio, on_close=self._forget,
                              files=files)
        self.audit_log.lifecycle("plugin.loaded", ctx, policy_digest=effective.digest,
                                 host_functions=sorted(fns), exports=list(inst.exports))
        with self._lock:
            self._plugins[id(inst)] = inst
        self.pm.hook.secure_exec_plugin_loaded(plugin=inst)
        return inst

    def _forget(self, inst: PluginInstance) -> None:
        with self._lock:
            self._plugins.pop(id(inst), None)
        self.audit_log.lifecycle("plugin.unloaded", AuditContext(session_id="host", plugin_id=inst.id,
                                 plugin_version=inst.version, plugin_digest=inst.digest))
        self.pm.hook.secure_exec_plugin_unloaded(plugin=inst)

    def close(self) -> None:
        for p in self.plugins:
            p.close()

    def __enter__(self) -> PluginHost:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def load_plugins(host: PluginHost, folders: Sequence[str | os.PathLike[str]], **kw: Any) -> list[PluginInstance]:
    return [host.load_plugin(f, **kw) for f in folders]
