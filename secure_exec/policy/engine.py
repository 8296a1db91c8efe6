"""The policy engine: one resolution order for every capability.

Per layer, for a request of capability C:

1. guards (unless waived by name)                 -> deny, final
2. deny rules (presets, config files, hooks, host) -> deny, final
3. the function check for C, if the layer has one  -> its Decision is final either way
   (allow=False denies; allow=True allows: allow rules are not consulted)
4. allow rules for C, if the layer has any        -> the first match allows
5. default                                       -> deny

A narrowed policy (``narrow()``) is a child layer evaluated AFTER its parent: a parent deny is
final; if the parent allows, the child layer runs steps 1-5, except that a child with neither a
check nor allow rules for C inherits the parent's allow (it only added restrictions).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson

from secure_exec.errors import ConfigError
from secure_exec.policy.decision import PolicyDecision
from secure_exec.policy.guards import GUARDS_BY_CAPABILITY, GuardHit, child_guard, validate_waivers
from secure_exec.policy.permissions import PermissionCheck, check_name, normalize_permissions
from secure_exec.policy.requests import AccessRequest, Decision
from secure_exec.policy.rules import CAPABILITIES, Preset, Rule

MODES = ("enforce", "audit")
_CACHE_MAX = 4096
_REASON_MAX = 300

Verdict = tuple[str, str, str, str]  # (decision, reason, rule_id, rule_source)


def _safe_text(obj: object) -> str:
    try:
        text = str(obj)
    except Exception:  # noqa: BLE001 - a hostile __str__ must not crash the host
        text = f"<unprintable {type(obj).__name__}>"
    return text if len(text) <= _REASON_MAX else text[:_REASON_MAX] + "..."


class Policy:
    """Deny-by-default decisions over guards, rules, presets and the seed's function checks."""

    def __init__(
        self,
        *,
        permissions: Mapping[str, Callable[..., Any]] | None = None,
        rules: Sequence[Rule] = (),
        presets: Sequence[Preset] = (),
        waive: Sequence[str] = (),
        mode: str = "enforce",
        name: str = "policy",
        _parent: Policy | None = None,
    ) -> None:
        if mode not in MODES:
            raise ConfigError(f"mode must be one of {list(MODES)}, got {mode!r}")
        if not isinstance(name, str) or not name:
            raise ConfigError("name must be a non-empty string")
        self._name = name
        self._mode = mode
        self._parent = _parent
        self._waived = validate_waivers(waive)
        self._checks: dict[str, PermissionCheck] = normalize_permissions(permissions)
        self._rules_in = tuple(rules)
        self._presets_in = tuple(presets)
        self._deny: dict[str, list[tuple[Callable[[Any], bool], Verdict]]] = {c: [] for c in CAPABILITIES}
        self._allow: dict[str, list[tuple[Callable[[Any], bool], Verdict]]] = {c: [] for c in CAPABILITIES}
        self._resolved: list[tuple[str, str, Rule]] = []
        self._compile()
        # child.env lets through a code-running variable only if an allow rule names it literally
        # (not when a function check decides child_process here: its allow rules are never consulted)
        named: frozenset[str] = frozenset() if "child_process" in self._checks else frozenset(
            n for _, _, r in self._resolved if r.capability == "child_process" and r.effect == "allow"
            for n in r.env if "*" not in n and "?" not in n)
        if _parent is not None:
            named |= _parent._env_named
        self._env_named: frozenset[str] = named

        def child(req: Any, waived: frozenset[str]) -> GuardHit | None:
            return child_guard(req, waived, named)

        self._guards: dict[str, Callable[[Any, frozenset[str]], GuardHit | None]] = {
            **GUARDS_BY_CAPABILITY, "child_process": child}
        self._default: dict[str, Verdict] = {
            c: ("deny", f"no rule or check allows this {c} access", "default", "default") for c in CAPABILITIES}
        self._check_allow: dict[str, Verdict] = {
            c: ("allow", f"allowed by the {c} check", f"check:{c}", "plugin_check") for c in CAPABILITIES}
        self._check_deny: dict[str, Verdict] = {
            c: ("deny", f"denied by the {c} check", f"check:{c}", "plugin_check") for c in CAPABILITIES}
        self._digest = self._compute_digest()
        self._cache: dict[Verdict, PolicyDecision] = {}

    # -- construction ---------------------------------------------------------------------------

    def _add(self, rule: Rule, rule_id: str, source: str) -> None:
        if not isinstance(rule, Rule):
            raise ConfigError(f"policy {self._name!r}: expected a Rule, got {type(rule).__name__}")
        if any(rid == rule_id for rid, _, _ in self._resolved):
            raise ConfigError(f"policy {self._name!r}: duplicate rule id {rule_id!r}")
        what = "denied" if rule.effect == "deny" else "allowed"
        verdict: Verdict = (rule.effect, rule.reason or f"{what} by rule {rule_id}", rule_id, source)
        (self._deny if rule.effect == "deny" else self._allow)[rule.capability].append((rule.matcher, verdict))
        self._resolved.append((rule_id, source, rule))

    def _compile(self) -> None:
        counters: dict[str, int] = {}
        for rule in self._rules_in:
            if not isinstance(rule, Rule):
                raise ConfigError(f"policy {self._name!r}: rules must be Rule objects, got {type(rule).__name__}")
            counters[rule.source] = counters.get(rule.source, 0) + 1
            self._add(rule, rule.id or f"{rule.source}#{counters[rule.source]}", rule.source)
        seen: set[str] = set()
        for preset in self._presets_in:
            if not isinstance(preset, Preset):
                raise ConfigError(f"policy {self._name!r}: presets must be Preset objects, got {type(preset).__name__}")
            if preset.name in seen:
                raise ConfigError(f"policy {self._name!r}: preset {preset.name!r} given twice")
            seen.add(preset.name)
            source = preset.source if preset.source.startswith("hook:") else f"preset:{preset.name}"
            for i, rule in enumerate(preset.rules, 1):
                self._add(rule, rule.id or f"preset:{preset.name}#{i}", source)

    def _canonical(self) -> dict[str, Any]:
        return {
            "name": self._name, "mode": self._mode, "waive": sorted(self._waived),
            "rules": [{**r.canonical(), "id": rid, "source": src} for rid, src, r in self._resolved],
            "presets": [p.name for p in self._presets_in],
            "checks": {c: check_name(fn) for c, fn in sorted(self._checks.items())},
            "parent": self._parent.digest if self._parent is not None else None,
        }

    def _compute_digest(self) -> str:
        blob = orjson.dumps(self._canonical(), option=orjson.OPT_SORT_KEYS)
        return "sha256:" + hashlib.sha256(blob).hexdigest()

    # -- public properties ------------------------------------------------------------------------

    @property
    def digest(self) -> str:
        """sha256 of the canonical policy (rules, presets, waivers, mode, check names, parent)."""
        return self._digest

    @property
    def name(self) -> str:
        return self._name

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def waived(self) -> frozenset[str]:
        return self._waived

    @property
    def parent(self) -> Policy | None:
        return self._parent

    @property
    def rules(self) -> tuple[tuple[str, str, Rule], ...]:
        """``(rule_id, rule_source, rule)`` for every rule of this layer, in evaluation order."""
        return tuple(self._resolved)

    def describe(self) -> dict[str, Any]:
        """The canonical form the digest is computed over (for ``policy.loaded`` audit events)."""
        return self._canonical()

    # -- deciding ---------------------------------------------------------------------------------

    def decide(self, request: AccessRequest) -> PolicyDecision:
        """Decide one request. Never raises for a misbehaving check; raises ConfigError for a non-request."""
        try:
            cap: str = request.capability
        except AttributeError:
            raise ConfigError(f"decide() needs an access request, got {type(request).__name__}") from None
        verdict = self._verdict(request, cap)
        hit = self._cache.get(verdict)  # a verdict implies its capability (rule ids/reasons are per capability)
        if hit is not None:
            return hit
        allowed = verdict[0] == "allow"
        d = PolicyDecision(
            allow=allowed or self._mode == "audit", decision=verdict[0], enforced=self._mode == "enforce",
            reason=verdict[1], rule_id=verdict[2], rule_source=verdict[3], policy_digest=self._digest,
            capability=cap,
        )
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[verdict] = d
        return d

    def _verdict(self, request: AccessRequest, cap: str) -> Verdict:
        inherited: Verdict | None = None
        if self._parent is not None:
            inherited = self._parent._verdict(request, cap)
            if inherited[0] == "deny":
                return inherited
        guard = self._guards[cap](request, self._waived)
        if guard is not None:
            return ("deny", guard[1], f"guard:{guard[0]}", "guard")
        for match, verdict in self._deny[cap]:
            if match(request):
                return verdict
        check = self._checks.get(cap)
        if check is not None:
            return self._run_check(check, request, cap)
        allows = self._allow[cap]
        if allows:
            for match, verdict in allows:
                if match(request):
                    return verdict
            return self._default[cap]
        return inherited if inherited is not None else self._default[cap]

    def _run_check(self, check: PermissionCheck, request: AccessRequest, cap: str) -> Verdict:
        rid = f"check:{cap}"
        try:
            result = check(request)
        except Exception as e:  # noqa: BLE001 - a failing check denies; it must never crash the host
            return ("deny", f"the {cap} check raised {type(e).__name__}: {_safe_text(e)}", rid, "plugin_check")
        if not isinstance(result, Decision):
            return ("deny", f"the {cap} check returned {type(result).__name__}, not a Decision", rid, "plugin_check")
        try:  # a Decision subclass may override attributes with properties that raise
            allow, reason = result.allow, result.reason
            if reason is not None and not isinstance(reason, str):
                reason = _safe_text(reason)
        except Exception as e:  # noqa: BLE001 - same rule as a raising check
            return ("deny", f"the {cap} check returned a broken Decision: {type(e).__name__}", rid, "plugin_check")
        if allow is True:
            return self._check_allow[cap] if reason is None else ("allow", _safe_text(reason), rid, "plugin_check")
        if allow is False:
            return self._check_deny[cap] if reason is None else ("deny", _safe_text(reason), rid, "plugin_check")
        return ("deny", f"the {cap} check returned a Decision whose allow is not a bool", rid, "plugin_check")

    # -- deriving policies ------------------------------------------------------------------------

    def _allow_basis(self, cap: str) -> tuple[bool, list[Rule]] | None:
        """(has_check, allow_rules) of the nearest layer with an opinion on ``cap``; None if none."""
        layer: Policy | None = self
        while layer is not None:
            if cap in layer._checks or layer._allow[cap]:
                allows = [r for _, src, r in layer._resolved if r.capability == cap and r.effect == "allow"]
                return cap in layer._checks, allows
            layer = layer._parent
        return None

    def narrow(
        self,
        *,
        permissions: Mapping[str, Callable[..., Any]] | None = None,
        rules: Sequence[Rule] = (),
        presets: Sequence[Preset] = (),
        waive: Sequence[str] | None = None,
        mode: str | None = None,
        name: str | None = None,
    ) -> Policy:
        """A sub-context policy that can only remove rights (every request must pass both layers).

        Raises ``ConfigError`` (escalation) for: waiving a guard this policy has not waived,
        switching ``enforce`` to ``audit``, or an allow rule this policy does not provably cover
        (allow rules of the nearest layer with an opinion; if that layer uses a function check the
        rule cannot be compared and is accepted, the check still applies). Function checks of the
        child are ANDed, so they cannot widen either.
        """
        child_waive = self._waived if waive is None else validate_waivers(waive, "narrow(waive=)")
        extra = sorted(child_waive - self._waived)
        if extra:
            raise ConfigError(f"escalation: narrow() cannot waive guard(s) {extra} not waived by {self._name!r}")
        child_mode = self._mode if mode is None else mode
        if self._mode == "enforce" and child_mode == "audit":
            raise ConfigError(f"escalation: narrow() cannot switch {self._name!r} from enforce to audit mode")
        child_rules = list(rules) + [r for p in presets for r in (p.rules if isinstance(p, Preset) else ())]
        for rule in child_rules:
            if not isinstance(rule, Rule) or rule.effect != "allow":
                continue
            basis = self._allow_basis(rule.capability)
            if basis is None:
                raise ConfigError(f"escalation: allow rule {rule.id or rule.capability!r} grants "
                                  f"{rule.capability} access that {self._name!r} does not allow at all")
            has_check, parent_allows = basis
            if not has_check and not any(p.covers(rule) for p in parent_allows):
                raise ConfigError(f"escalation: allow rule {rule.id or rule.capability!r} is wider than "
                                  f"every {rule.capability} allow rule of {self._name!r}")
        return Policy(permissions=permissions, rules=rules, presets=presets, waive=sorted(child_waive),
                      mode=child_mode, name=name or f"{self._name}/narrowed", _parent=self)

    def extend(self, *, rules: Sequence[Rule] = (), presets: Sequence[Preset] = ()) -> Policy:
        """This policy plus extra rules/presets (e.g. hook contributions labelled ``hook:<name>``).

        On a narrowed policy the additions go through the same escalation checks as ``narrow()``.
        """
        all_rules = [*self._rules_in, *rules]
        all_presets = [*self._presets_in, *presets]
        if self._parent is not None:
            return self._parent.narrow(permissions=self._checks or None, rules=all_rules, presets=all_presets,
                                       waive=sorted(self._waived), mode=self._mode, name=self._name)
        return Policy(permissions=self._checks or None, rules=all_rules, presets=all_presets,
                      waive=sorted(self._waived), mode=self._mode, name=self._name)

    @classmethod
    def from_toml(cls, path: Any, **kw: Any) -> Policy:
        """Load a policy file (see docs/policy.md for the format); errors name the file and key."""
        from secure_exec.policy.config import policy_from_toml

        return policy_from_toml(path, **kw)

    @classmethod
    def from_flags(cls, **flags: Any) -> Policy:
        """Deno-like flags (``allow_read=[...]``, ``allow_net=["host[:port]"]`` ...); see ``flags``."""
        from secure_exec.policy.flags import policy_from_flags

        return policy_from_flags(**flags)

    def __repr__(self) -> str:
        return f"Policy(name={self._name!r}, mode={self._mode!r}, rules={len(self._resolved)}, digest={self._digest})"
