"""Hash chain and checkpoint signatures, shared by the writer and the verifier.

``hash = sha256(prev_hash || canonical_json(event without "hash"))`` where ``prev_hash`` is taken as
its ASCII text (``"sha256:<hex>"``) and canonical JSON is orjson's compact UTF-8 output with sorted
keys. On disk every line is that canonical text with ``"hash"`` spliced in as the *last* key, so
writing costs one render and one digest.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import orjson

_SORT = orjson.OPT_SORT_KEYS
_CHECKPOINT_DOMAIN = b"secure_exec.audit.checkpoint/1\n"
_KEY_ID_DOMAIN = b"secure_exec.audit.key-id/1\n"


def canonical_json(event: Mapping[str, Any]) -> bytes:
    """Compact, key-sorted UTF-8 JSON; the exact bytes the chain hash covers."""
    return orjson.dumps(event, option=_SORT)


def chain_hash(prev_hash: str, canonical: bytes) -> str:
    """The ``hash`` field of an event whose canonical form (without ``hash``) is ``canonical``."""
    return "sha256:" + hashlib.sha256(prev_hash.encode("ascii") + canonical).hexdigest()


def splice_hash(canonical: bytes, digest: str) -> bytes:
    """The on-disk line: ``canonical`` with ``"hash"`` appended as the last key, plus a newline."""
    return canonical[:-1] + b',"hash":"' + digest.encode("ascii") + b'"}\n'


def key_id(key: bytes) -> str:
    """A short public name for an HMAC key, so a verifier can tell "wrong key" from "tampered"."""
    return "sha256:" + hashlib.sha256(_KEY_ID_DOMAIN + key).hexdigest()[:16]


def checkpoint_message(*, seq: int, covers_seq: int, covers_hash: str, final: bool, interval: int,
                       ts: str = "", event_id: str = "") -> bytes:
    """The bytes a checkpoint HMAC signs: its own seq, the (seq, hash) it anchors, its flags, and
    the checkpoint event's own time and id.

    ``final`` and ``interval`` are signed because the verifier relies on them to detect truncation;
    ``ts`` and ``event_id`` so that no field of the checkpoint event can be edited unnoticed.
    """
    return _CHECKPOINT_DOMAIN + (
        f"seq={seq}\ncovers_seq={covers_seq}\ncovers_hash={covers_hash}\n"
        f"final={'1' if final else '0'}\ninterval={interval}\n"
        + (f"ts={ts}\nevent_id={event_id}\n" if ts or event_id else "")
    ).encode("utf-8", "surrogatepass")


def sign_checkpoint(key: bytes, message: bytes) -> str:
    return "hmac-sha256:" + hmac.new(key, message, hashlib.sha256).hexdigest()


def signature_valid(key: bytes, message: bytes, signature: str) -> bool:
    if not signature.isascii():
        return False
    return hmac.compare_digest(sign_checkpoint(key, message), signature)
