"""Capability providers: the code that executes what the policy engine allowed.

Host applications and third-party packages supply providers through the pluggy hooks in
``secure_exec.providers.hookspecs``; built-in ones cover an in-memory and a rooted host filesystem,
SSRF-safe HTTP, child processes and a configured environment.
"""

from __future__ import annotations

from secure_exec.providers.builtin import BuiltinProviders, StaticProviders
from secure_exec.providers.commands import SubprocessCommandExecutor
from secure_exec.providers.env import MappingEnvProvider
from secure_exec.providers.hookspecs import hookimpl, hookspec
from secure_exec.providers.hostfs import HostFileSystem, Mount
from secure_exec.providers.manager import (
    ProviderHookError,
    Providers,
    SecureExecPluginManager,
    approve_permission,
    collect,
    create_plugin_manager,
    get_providers,
)
from secure_exec.providers.memfs import InMemoryFileSystem, create_in_memory_file_system
from secure_exec.providers.network import HttpNetworkProvider
from secure_exec.providers.protocols import CommandExecutor, EnvProvider, FileSystemProvider, NetworkProvider
from secure_exec.providers.types import CommandResult, DirEntry, ProviderContext, Response, StatResult

__all__ = [
    "BuiltinProviders",
    "CommandExecutor",
    "CommandResult",
    "DirEntry",
    "EnvProvider",
    "FileSystemProvider",
    "HostFileSystem",
    "HttpNetworkProvider",
    "InMemoryFileSystem",
    "MappingEnvProvider",
    "Mount",
    "NetworkProvider",
    "ProviderContext",
    "ProviderHookError",
    "Providers",
    "Response",
    "SecureExecPluginManager",
    "StatResult",
    "StaticProviders",
    "SubprocessCommandExecutor",
    "approve_permission",
    "collect",
    "create_in_memory_file_system",
    "create_plugin_manager",
    "get_providers",
    "hookimpl",
    "hookspec",
]
