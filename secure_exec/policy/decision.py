"""The policy's answer, with everything the audit log needs to explain it later."""

from __future__ import annotations

import attrs


@attrs.frozen
class PolicyDecision:
    """One decision.

    ``allow`` is the EFFECTIVE result the caller must obey: in audit-only mode it is True even when
    the policy computed ``decision == "deny"`` (then ``enforced`` is False). ``rule_id`` and
    ``rule_source`` name what decided (``guard:fs.proc``/``guard``, ``preset:read-data#2``/
    ``preset:read-data``, ``check:fs``/``plugin_check``, ``default``/``default`` ...), and
    ``policy_digest`` pins the exact policy that did.
    """

    allow: bool
    decision: str
    enforced: bool
    reason: str
    rule_id: str
    rule_source: str
    policy_digest: str
    capability: str
