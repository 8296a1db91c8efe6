"""The pluggy hook specifications of secure_exec.

Providers *execute* operations the policy engine already allowed; no hook here returns a final
allow/deny for a guest operation (``secure_exec_approve_permission`` only answers a pending host
approval, and ``None`` there means deny). Every hook is prefixed ``secure_exec_`` so it is easy to
grep for and cannot collide with a host application's own hooks, and is called with keyword args.
"""

from __future__ import annotations

from collections.abc import Sequence

from pluggy import HookimplMarker, HookspecMarker

from secure_exec.providers.protocols import CommandExecutor, EnvProvider, FileSystemProvider, NetworkProvider
from secure_exec.providers.types import ProviderContext

PROJECT_NAME = "secure_exec"

hookspec = HookspecMarker(PROJECT_NAME)
hookimpl = HookimplMarker(PROJECT_NAME)


@hookspec(firstresult=True)
def secure_exec_filesystem(context: ProviderContext) -> FileSystemProvider | None:
    """Called once when a sandbox for ``context.plugin_id`` is created and needs a filesystem.

    Return a ``FileSystemProvider``. Return ``None`` to let the next (lower-priority) plugin answer;
    the built-in in-memory filesystem answers last. The first non-``None`` result wins.
    """


@hookspec(firstresult=True)
def secure_exec_network(context: ProviderContext) -> NetworkProvider | None:
    """Called once when a sandbox needs network access (``fetch``, ``dns.lookup``).

    Return a ``NetworkProvider``; ``None`` passes to the next plugin. The built-in answer is the
    SSRF-safe httpx provider. If every plugin returns ``None`` the capability is "not configured"
    (the guest gets ``ENOSYS``), which is different from a policy denial (``EACCES``).
    """


@hookspec(firstresult=True)
def secure_exec_command_executor(context: ProviderContext) -> CommandExecutor | None:
    """Called once when a sandbox needs to spawn child processes.

    Return a ``CommandExecutor``; ``None`` passes to the next plugin. There is NO built-in answer:
    running host processes is a full escape if misconfigured, so the host must register one
    explicitly. With no executor, ``child_process`` is "not configured" (``ENOSYS``).
    """


@hookspec(firstresult=True)
def secure_exec_env(context: ProviderContext) -> EnvProvider | None:
    """Called once when a sandbox builds ``process.env``.

    Return an ``EnvProvider``; ``None`` passes to the next plugin. The built-in answer is an empty
    mapping: the host's own ``os.environ`` is never exposed unless the host passes it explicitly.
    """


@hookspec
def secure_exec_policy_rules(context: ProviderContext) -> Sequence[object] | None:
    """Called when the policy for ``context`` is built, to collect extra rules.

    Return a sequence of policy rules (the policy layer defines ``Rule``) or ``None`` for none.
    Results of all plugins are combined; the policy engine, not the hook, decides the outcome.
    """


@hookspec
def secure_exec_presets() -> Sequence[object] | None:
    """Called once when the preset registry is built, to collect named presets.

    Return a sequence of presets (the policy layer defines ``Preset``) or ``None``. All combined.
    """


@hookspec
def secure_exec_audit_sinks() -> Sequence[object] | None:
    """Called once when the audit log is opened, to collect extra sinks (SIEM, OTel, files).

    Return a sequence of sinks (the audit layer defines ``AuditSink``) or ``None``. All combined.
    """


@hookspec
def secure_exec_plugin_loaded(plugin: object) -> None:
    """Notification: a guest plugin was loaded into a sandbox. The return value is ignored."""


@hookspec
def secure_exec_plugin_unloaded(plugin: object) -> None:
    """Notification: a guest plugin was unloaded and its sandbox closed. The return value is ignored."""


@hookspec(firstresult=True)
def secure_exec_approve_permission(plugin: object, request: object) -> bool | None:
    """Called when the policy marks a request as needing host approval (instead of a TTY prompt).

    Return ``True`` to approve, ``False`` to refuse, ``None`` for no opinion; if no plugin answers,
    the request is denied. The first non-``None`` answer wins.
    """
