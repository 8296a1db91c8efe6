"""Escaping and redaction of audit fields.

Audit logs are read by people in terminals and by tools; guest-controlled strings must not be able
to forge lines, recolour a terminal or reorder text (ANSI and bidi tricks), and secrets must never
reach the log at all. Both steps run on write; the review CLI escapes again on display because a log
file on disk is untrusted input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote

MAX_REQUESTED_CHARS = 512
MAX_TEXT_CHARS = 4096
MAX_DEPTH = 6
MAX_ITEMS = 200
_INT64_MIN = -(2**63)
_UINT64_MAX = 2**64 - 1

# Keys whose values carry data rather than metadata: env values, file contents, bodies, headers.
SECRET_KEYS = frozenset(
    {
        "value",
        "values",
        "data",
        "body",
        "bodies",
        "content",
        "contents",
        "headers",
        "header",
        "env",
        "environ",
        "environment",
        "authorization",
        "proxy-authorization",
        "cookie",
        "cookies",
        "set-cookie",
        "password",
        "passwd",
        "secret",
        "token",
        "api_key",
        "apikey",
        "private_key",
        "credentials",
        "request_body",
        "response_body",
        "payload",
        "stdin",
        "stdout",
        "stderr",
        "argv_values",
    }
)
# Substrings that mark a key as secret-bearing whatever its prefix (``x_auth_token``, ``db_password``).
_SECRET_MARKERS = ("password", "passwd", "secret", "token", "authorization", "cookie", "api_key", "apikey")


# Query (and fragment) parameters whose values are credentials. A parameter matches when its
# (percent-decoded, lower-cased) name equals one of these or ends with ``_name``/``-name``/``.name``
# (``x_auth_token``, ``X-Amz-Signature``). Hosts pass their own list as ``AuditLog(redact_params=...)``.
DEFAULT_REDACT_PARAMS = frozenset(
    {
        "token", "access_token", "refresh_token", "id_token", "auth", "authorization", "key", "api_key",
        "apikey", "sig", "signature", "password", "passwd", "pwd", "secret", "client_secret",
        "credential", "credentials", "session", "sessionid", "security-token", "jwt",
    }
)
REDACTED = "REDACTED"


def param_matcher(names: Iterable[str]) -> frozenset[str]:
    """Normalise a configured list of parameter names (lower-case, stripped, non-empty)."""
    out = frozenset(n.strip().lower() for n in names if isinstance(n, str) and n.strip())
    return out


def _secret_param(name: str, names: frozenset[str]) -> bool:
    low = unquote(name).strip().lower()
    if low in names:
        return True
    return any(low.endswith(sep + n) for n in names for sep in ("_", "-", "."))


def _redact_params(part: str, names: frozenset[str]) -> str:
    items = part.split("&")
    changed = False
    for i, item in enumerate(items):
        name, eq, value = item.partition("=")
        if eq and value and _secret_param(name, names):
            items[i] = f"{name}={REDACTED}"
            changed = True
    return "&".join(items) if changed else part


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")


def redact_url(text: str, names: frozenset[str] = DEFAULT_REDACT_PARAMS) -> str:
    """``text`` with URL userinfo and the values of credential-like query/fragment parameters redacted.

    Works on the text as written (no re-serialisation, so nothing else changes): the userinfo of
    every ``scheme://user:pw@host`` becomes ``REDACTED@``, and ``?access_token=t`` becomes
    ``?access_token=REDACTED``. Every URL in the text is handled, also one inside another's query
    (``?next=https://u:pw@b/``) or right after it (``https://a/,https://u:pw@b/``). Text without
    ``://`` is returned unchanged.
    """
    if "://" not in text:
        return text
    starts = [m.start() for m in _SCHEME.finditer(text)]
    if not starts:
        return text
    out = [text[: starts[0]]]
    for a, b in zip(starts, [*starts[1:], len(text)], strict=True):
        piece = text[a:b]
        cut = next((k for k, ch in enumerate(piece) if ch.isspace()), len(piece))
        out.append(_redact_one(piece[:cut], names) + piece[cut:])
    return "".join(out)


def _redact_one(text: str, names: frozenset[str]) -> str:
    """One URL (from its scheme to the next URL or whitespace)."""
    start = text.find("://")
    head, rest = text[: start + 3], text[start + 3 :]
    # Authority ends at the first "/", "?" or "#"; its userinfo ends at the last "@" before that.
    end = len(rest)
    for stop in ("/", "?", "#"):
        j = rest.find(stop)
        if 0 <= j < end:
            end = j
    authority, tail = rest[:end], rest[end:]
    at = authority.rfind("@")
    if at >= 0:
        authority = REDACTED + authority[at:]
    if names and ("?" in tail or "#" in tail):
        path, hashmark, fragment = tail.partition("#")
        path, qmark, query = path.partition("?")
        if qmark:
            query = _redact_params(query, names)
        if hashmark:
            fragment = _redact_params(fragment, names)
        tail = path + qmark + query + hashmark + fragment
    return head + authority + tail


def redact_urls_in(value: Any, names: frozenset[str], depth: int = 0) -> Any:
    """Apply :func:`redact_url` to every string in a (nested) structure of dicts and lists."""
    if isinstance(value, str):
        return redact_url(value, names) if "://" in value else value
    if depth > MAX_DEPTH:
        return value
    if isinstance(value, Mapping):
        return {k: redact_urls_in(v, names, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_urls_in(v, names, depth + 1) for v in value]
    return value


def escape_text(text: str, cap: int = MAX_TEXT_CHARS) -> str:
    """Neutralise control, ANSI, bidi and other invisible characters, then cap the length.

    Every non-printable code point (Unicode categories C* and Z* other than the space) is written
    as a visible ``\\xNN`` / ``\\uNNNN`` / ``\\UNNNNNNNN`` escape, so ESC, CR/LF, U+202E and lone
    surrogates all become plain text. The result is at most ``cap`` characters.
    """
    if text.isprintable():
        out = text
    else:
        parts: list[str] = []
        for ch in text:
            if ch.isprintable():
                parts.append(ch)
            else:
                cp = ord(ch)
                if cp < 0x100:
                    parts.append(f"\\x{cp:02x}")
                elif cp < 0x10000:
                    parts.append(f"\\u{cp:04x}")
                else:
                    parts.append(f"\\U{cp:08x}")
        out = "".join(parts)
    if len(out) > cap:
        out = out[: cap - 1] + "…"
    return out


def is_secret_key(key: str) -> bool:
    """True for keys that name data (values, bodies, headers, credentials), which are never logged."""
    low = key.lower()
    if low in SECRET_KEYS:
        return True
    return any(marker in low for marker in _SECRET_MARKERS)


def redact(fields: Mapping[Any, Any]) -> dict[str, Any]:
    """A JSON-safe copy of ``fields`` with secret-bearing keys dropped and all text escaped.

    Nested mappings are redacted the same way; bytes are replaced by their length (they are
    contents); values orjson cannot render exactly (big ints, arbitrary objects) become escaped
    text, so rendering never fails and a verifier re-rendering the parsed line gets the same bytes.
    """
    return _redact_mapping(fields, 0)


def _redact_mapping(fields: Mapping[Any, Any], depth: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, (key, value) in enumerate(fields.items()):
        if i >= MAX_ITEMS:
            out["_truncated_items"] = len(fields) - MAX_ITEMS
            break
        skey = escape_text(str(key), 128)
        if is_secret_key(skey):
            continue
        out[skey] = _safe_value(value, depth + 1)
    return out


def _safe_value(value: Any, depth: int) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return escape_text(value)
    if isinstance(value, int):
        return int(value) if _INT64_MIN <= value <= _UINT64_MAX else str(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(value)} bytes redacted>"
    if depth > MAX_DEPTH:
        return "<nested too deep>"
    if isinstance(value, Mapping):
        return _redact_mapping(value, depth)
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        safe = [_safe_value(v, depth + 1) for v in items[:MAX_ITEMS]]
        if len(items) > MAX_ITEMS:
            safe.append(f"<{len(items) - MAX_ITEMS} more>")
        return safe
    return escape_text(repr(value))
