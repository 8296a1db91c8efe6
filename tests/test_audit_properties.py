"""Property tests: whatever a guest or host passes, the log stays one valid, verifiable line per
event, with no invisible or terminal-control characters in any logged text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secure_exec.audit import AuditContext, AuditLog
from secure_exec.audit.sanitize import escape_text
from secure_exec.audit.verify import verify_log

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Any code point, lone surrogates included, plus the classic terminal and bidi tricks.
text = st.text(
    alphabet=st.one_of(st.characters(exclude_categories=()), st.sampled_from("\x1b\u202e\u2066\r\n\x7f\x9b")),
    max_size=700,
)
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                      st.floats(allow_nan=True, allow_infinity=True), text, st.binary(max_size=20))
json_value = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)), max_leaves=12)


@attrs.frozen
class Dec:
    decision: str
    reason: str
    rule_id: str
    enforced: bool = True
    rule_source: str = "config"
    policy_digest: str = "sha256:" + "0" * 64


def all_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *all_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in all_strings(v)]
    return []


@SETTINGS
@given(requested=text, resource=text, reason=text, plugin=text, extra=st.dictionaries(st.text(max_size=12),
                                                                                     json_value, max_size=5))
def test_any_input_gives_verifiable_printable_lines(
    tmp_path: Path, requested: str, resource: str, reason: str, plugin: str, extra: dict[str, Any]
) -> None:
    path = tmp_path / "p.jsonl"
    path.unlink(missing_ok=True)
    ctx = AuditContext(session_id="s", plugin_id=plugin)
    with AuditLog(path, hmac_key=b"k" * 16, checkpoint_every=2) as log:
        log.decision(ctx, capability="fs", op="read", resource=resource, resource_requested=requested,
                     decision=Dec(decision="deny", reason=reason, rule_id=reason[:10]))
        log.lifecycle("plugin.loaded", ctx, **{f"x_{k}": v for k, v in extra.items()})
        log.outcome(ctx, capability="fs", op="read", resource=resource, status="error", error_code=reason[:5],
                    duration_ms=float("nan"), bytes_in=2**80)
    raw_lines = path.read_bytes().split(b"\n")
    assert raw_lines[-1] == b"" and len(raw_lines) == 6  # 3 events + 2 checkpoints, newline-terminated
    for raw in raw_lines[:-1]:
        event = orjson.loads(raw)
        for s in all_strings(event):
            assert s.isprintable(), s
    first = orjson.loads(raw_lines[0])
    assert len(first["resource_requested"]) <= 512
    assert verify_log(path, key=b"k" * 16, expect_closed=True).ok


@SETTINGS
@given(s=text, cap=st.integers(min_value=2, max_value=600))
def test_escape_text_is_printable_capped_and_identity_on_clean_text(s: str, cap: int) -> None:
    out = escape_text(s, cap)
    assert out.isprintable() and len(out) <= cap
    if s.isprintable() and len(s) <= cap:
        assert out == s
