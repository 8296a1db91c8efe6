"""Policy engine: decides every access a plugin makes, deny by default.

Resolution order (documented in docs/policy.md): guards -> deny rules -> the plugin's function
checks (the seed's ``permissions``) -> allow rules -> default deny.
"""

from secure_exec.policy.config import hook_contributions, load_presets_toml, policy_from_toml, rule_from_mapping
from secure_exec.policy.decision import PolicyDecision
from secure_exec.policy.engine import Policy
from secure_exec.policy.flags import policy_from_flags
from secure_exec.policy.guards import GUARD_NAMES, check_guards
from secure_exec.policy.ipaddr import embedded_ipv4, ip_guard, normalize_host, parse_ip_literal
from secure_exec.policy.permissions import (
    allow_all,
    allow_all_child_process,
    allow_all_env,
    allow_all_fs,
    allow_all_network,
)
from secure_exec.policy.requests import (
    AccessRequest,
    ChildProcessAccessRequest,
    Decision,
    EnvAccessRequest,
    FsAccessRequest,
    NetworkAccessRequest,
)
from secure_exec.policy.rules import Preset, Rule, label

__all__ = [
    "GUARD_NAMES",
    "AccessRequest",
    "ChildProcessAccessRequest",
    "Decision",
    "EnvAccessRequest",
    "FsAccessRequest",
    "NetworkAccessRequest",
    "Policy",
    "PolicyDecision",
    "Preset",
    "Rule",
    "allow_all",
    "allow_all_child_process",
    "allow_all_env",
    "allow_all_fs",
    "allow_all_network",
    "check_guards",
    "embedded_ipv4",
    "hook_contributions",
    "ip_guard",
    "label",
    "load_presets_toml",
    "normalize_host",
    "parse_ip_literal",
    "policy_from_flags",
    "policy_from_toml",
    "rule_from_mapping",
]
