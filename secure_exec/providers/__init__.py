"""Capability providers: the code that executes what the policy engine allowed.

Host applications and third-party packages supply providers through the pluggy hooks in
``secure_exec.providers.hookspecs``; built-in ones cover an in-memory and a rooted host filesystem,
SSRF-safe HTTP, child processes and a configured environment.
"""

from __future__ import annotations

from secure_exec.providers.env import MappingEnvProvider
from secure_exec.providers.hookspecs import hookimpl, hookspec
from secure_exec.providers.hostfs import HostFileSystem, Mount
from secure_exec.providers.memfs import InMemoryFileSystem, create_in_memory_file_system
from secure_exec.providers.protocols import CommandExecutor, EnvProvider, FileSystemProvider, NetworkProvider
from secure_exec.providers.types import CommandResult, DirEntry, ProviderContext, Response, StatResult

__all__ = [
    "CommandExecutor",
    "CommandResult",
    "DirEntry",
    "EnvProvider",
    "FileSystemProvider",
    "HostFileSystem",
    "InMemoryFileSystem",
    "MappingEnvProvider",
    "Mount",
    "NetworkProvider",
    "ProviderContext",
    "Response",
    "StatResult",
    "create_in_memory_file_system",
    "hookimpl",
    "hookspec",
]
