"""secure_exec: run untrusted JavaScript plugins in QuickJS-NG on wasmtime.

Every file, network, child-process and environment access a plugin makes is asked of capability
providers (pluggy hooks), decided by a policy engine and written to a tamper-evident audit log.

The library logs through stdlib ``logging`` under the ``secure_exec`` logger (a ``NullHandler`` by
default: nothing reaches stdout or stderr unless the host application configures logging).
"""

import logging as _logging

from secure_exec.audit import AuditContext, AuditLog
from secure_exec.errors import (
    AuditWriteError,
    ConfigError,
    EngineTrap,
    GuestError,
    JSError,
    LimitExceeded,
    MemoryLimitExceeded,
    PayloadTooLarge,
    PermissionDenied,
    SandboxBusy,
    SandboxClosed,
    SecureExecError,
    StackLimitExceeded,
    TimeLimitExceeded,
)
from secure_exec.host.plugin import PluginError, PluginInstance
from secure_exec.host.plugin_host import PluginHost
from secure_exec.policy import (
    ChildProcessAccessRequest,
    Decision,
    EnvAccessRequest,
    FsAccessRequest,
    NetworkAccessRequest,
    Policy,
    PolicyDecision,
    Preset,
    Rule,
    allow_all,
    allow_all_child_process,
    allow_all_env,
    allow_all_fs,
    allow_all_network,
)
from secure_exec.providers.hookspecs import hookimpl, hookspec
from secure_exec.providers.hostfs import HostFileSystem
from secure_exec.providers.manager import create_plugin_manager
from secure_exec.providers.network import HttpNetworkProvider
from secure_exec.runtime.config import OsConfig, ProcessConfig, StdioEvent
from secure_exec.runtime.drivers import (
    RuntimeDriverFactory,
    SystemDriver,
    create_command_executor,
    create_in_memory_file_system,
    create_node_driver,
    create_node_runtime_driver_factory,
)
from secure_exec.runtime.node_runtime import ExecResult, NodeRuntime, RunResult

__version__ = "0.1.0.dev0"

_logging.getLogger(__name__).addHandler(_logging.NullHandler())

__all__ = [
    "AuditContext",
    "AuditLog",
    "AuditWriteError",
    "ChildProcessAccessRequest",
    "ConfigError",
    "Decision",
    "EngineTrap",
    "EnvAccessRequest",
    "ExecResult",
    "FsAccessRequest",
    "GuestError",
    "HostFileSystem",
    "HttpNetworkProvider",
    "JSError",
    "LimitExceeded",
    "MemoryLimitExceeded",
    "NetworkAccessRequest",
    "NodeRuntime",
    "OsConfig",
    "PayloadTooLarge",
    "PermissionDenied",
    "PluginError",
    "PluginHost",
    "PluginInstance",
    "Policy",
    "PolicyDecision",
    "Preset",
    "ProcessConfig",
    "Rule",
    "RunResult",
    "RuntimeDriverFactory",
    "SandboxBusy",
    "SandboxClosed",
    "SecureExecError",
    "StackLimitExceeded",
    "StdioEvent",
    "SystemDriver",
    "TimeLimitExceeded",
    "__version__",
    "allow_all",
    "allow_all_child_process",
    "allow_all_env",
    "allow_all_fs",
    "allow_all_network",
    "create_command_executor",
    "create_in_memory_file_system",
    "create_node_driver",
    "create_node_runtime_driver_factory",
    "create_plugin_manager",
    "hookimpl",
    "hookspec",
]
