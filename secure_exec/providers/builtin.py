"""The built-in provider plugin, registered ``trylast`` so any host or third-party provider wins.

Defaults follow deny-by-default: a private in-memory filesystem, an empty environment, the
SSRF-safe HTTP client (the policy still decides every request), and NO command executor: spawning
host processes must be opted into by registering one (see ``StaticProviders``).
"""

from __future__ import annotations

from secure_exec.providers.env import MappingEnvProvider
from secure_exec.providers.hookspecs import hookimpl
from secure_exec.providers.memfs import create_in_memory_file_system
from secure_exec.providers.network import HttpNetworkProvider
from secure_exec.providers.protocols import CommandExecutor, EnvProvider, FileSystemProvider, NetworkProvider
from secure_exec.providers.types import ProviderContext

BUILTIN_PLUGIN_NAME = "secure_exec.builtin"


class BuiltinProviders:
    """Fresh default providers per sandbox (nothing is shared between sessions)."""

    @hookimpl(trylast=True)
    def secure_exec_filesystem(self, context: ProviderContext) -> FileSystemProvider:
        return create_in_memory_file_system()

    @hookimpl(trylast=True)
    def secure_exec_network(self, context: ProviderContext) -> NetworkProvider:
        return HttpNetworkProvider()

    @hookimpl(trylast=True)
    def secure_exec_env(self, context: ProviderContext) -> EnvProvider:
        return MappingEnvProvider({})


class StaticProviders:
    """A host-side plugin that hands out the given provider instances to every sandbox.

    ``pm.register(StaticProviders(filesystem=fs), name="host")`` is the one-liner for the common
    case of one host-configured provider; ``None`` fields pass to the next plugin.
    """

    def __init__(self, *, filesystem: FileSystemProvider | None = None, network: NetworkProvider | None = None,
                 command_executor: CommandExecutor | None = None, env: EnvProvider | None = None) -> None:
        self.filesystem = filesystem
        self.network = network
        self.command_executor = command_executor
        self.env = env

    @hookimpl
    def secure_exec_filesystem(self, context: ProviderContext) -> FileSystemProvider | None:
        return self.filesystem

    @hookimpl
    def secure_exec_network(self, context: ProviderContext) -> NetworkProvider | None:
        return self.network

    @hookimpl
    def secure_exec_command_executor(self, context: ProviderContext) -> CommandExecutor | None:
        return self.command_executor

    @hookimpl
    def secure_exec_env(self, context: ProviderContext) -> EnvProvider | None:
        return self.env
