"""URL userinfo and credential-like query values are redacted before any audit sink sees them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

import secure_exec as se
from secure_exec.audit import AuditContext, AuditLog
from secure_exec.audit.sanitize import redact_url
from secure_exec.audit.verify import verify_log

CTX = AuditContext(session_id="s-1", plugin_id="acme.p")


def test_fetch_with_credentials_in_the_url_through_the_runtime(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    copies: list[dict[str, Any]] = []
    with AuditLog(path, sinks=[copies.append], stderr=False) as log:
        rt = se.NodeRuntime(system_driver=se.create_node_driver(policy=se.Policy()), audit_log=log)
        out: list[se.StdioEvent] = []
        r = rt.exec(
            "fetch('https://u:pw@api.example.test/?access_token=t').then(() => console.log('ok'),"
            " e => console.log(e.code))",
            on_stdio=out.append,
        )
    assert r.code == 0 and "".join(e.data for e in out) == "EACCES\n"
    text = path.read_text()
    for leaked in ("u:pw", ":pw@", "access_token=t"):
        assert leaked not in text
        assert leaked not in orjson.dumps(copies).decode()  # the extra sink got the redacted line too
    checked = [orjson.loads(x) for x in text.splitlines() if '"permission.checked"' in x]
    net = [e for e in checked if e["capability"] == "network"]
    assert net and net[0]["resource_requested"] == "https://REDACTED@api.example.test/?access_token=REDACTED"
    assert net[0]["decision"] == "deny"
    assert verify_log(path).ok


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://u:pw@h.test/p?access_token=t&page=2", "https://REDACTED@h.test/p?access_token=REDACTED&page=2"),
        ("https://ghp_abc@github.com/o/r.git", "https://REDACTED@github.com/o/r.git"),
        ("https://s3.test/b?X-Amz-Signature=ff&X-Amz-Credential=c&a=1",
         "https://s3.test/b?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&a=1"),
        ("https://h.test/cb#id_token=jwt&state=s", "https://h.test/cb#id_token=REDACTED&state=s"),
        ("https://h.test/?sig=1&key=2&password=3&secret=4&auth=5&token=6",
         "https://h.test/?sig=REDACTED&key=REDACTED&password=REDACTED&secret=REDACTED&auth=REDACTED&token=REDACTED"),
        ("https://h.test/?x_auth_token=1&monkey=2", "https://h.test/?x_auth_token=REDACTED&monkey=2"),
        ("connect 'http://a:b@h/' failed", "connect 'http://REDACTED@h/' failed"),
        ("/etc/passwd?token=1", "/etc/passwd?token=1"),  # not a URL: unchanged
        ("https://h.test:443", "https://h.test:443"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redaction_list_is_configurable_and_covers_every_event_kind(tmp_path: Path) -> None:
    class Allow:
        decision = "allow"
        reason = "rule r1 allows http://u:p@h/"

    path = tmp_path / "a.jsonl"
    with AuditLog(path, redact_params=["page"]) as log:
        log.decision(CTX, capability="network", op="connect", resource="http://h:80",
                     resource_requested="http://u:p@h/?page=7&token=kept", decision=Allow())
        log.outcome(CTX, capability="network", op="connect", resource="http://u:p@h:80?page=1", status="ok",
                    error_code=None, duration_ms=1.0)
        log.lifecycle("plugin.loaded", CTX, source="http://u:p@h/x?page=9", nested={"urls": ["https://q@h/"]})
    events = [orjson.loads(x) for x in path.read_bytes().splitlines()]
    assert events[0]["resource_requested"] == "http://REDACTED@h/?page=REDACTED&token=kept"
    assert events[0]["reason"] == "rule r1 allows http://REDACTED@h/"
    assert events[1]["resource"] == "http://REDACTED@h:80?page=REDACTED"
    assert events[2]["source"] == "http://REDACTED@h/x?page=REDACTED"
    assert events[2]["nested"] == {"urls": ["https://REDACTED@h/"]}
    with pytest.raises(se.ConfigError):
        AuditLog(None, redact_params="token")  # type: ignore[arg-type]
