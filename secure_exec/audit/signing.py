"""Ed25519 signed checkpoints in the C2SP signed-note / checkpoint format.

Keys and notes follow https://c2sp.org/signed-note (the format of Go's ``golang.org/x/mod/sumdb/note``,
used by transparency logs), so a reviewer can check a checkpoint with the public key alone:

* verifier key (``KEY.pub``): ``<name>+<key hash, 8 hex>+<base64(0x01 || 32-byte public key)>``
* signer key (``KEY``, mode 0600): ``PRIVATE+KEY+<name>+<key hash>+<base64(0x01 || 32-byte seed)>``
* key hash: the first 4 bytes of ``SHA-256(name || "\\n" || 0x01 || public key)``
* signed note: the text (ending in ``\\n``), an empty line, then one line per signature
  ``"— " + name + " " + base64(key hash || 64-byte Ed25519 signature of the text)``.

The checkpoint text follows https://c2sp.org/tlog-checkpoint: origin line, tree size, base64 of
the 32-byte hash, then one extension line with the fields this log needs signed (see
:func:`checkpoint_text` and docs/audit.md).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re

import attrs
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from secure_exec.errors import ConfigError

ALG_ED25519 = 0x01
EM_DASH = "\u2014"
EXTENSION_PREFIX = "secure_exec.audit/1"
_NAME = re.compile(r"^[!-*,-~]{1,128}$")  # printable ASCII without space and '+'
_SIG_LINE = re.compile(r"^\u2014 ([^ ]+) ([A-Za-z0-9+/=]+)$")


class KeyFormatError(ConfigError):
    """A key file or signed note that is not in the documented format."""


def _key_hash(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode("ascii") + b"\n" + bytes([ALG_ED25519]) + public).digest()[:4]


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise KeyFormatError(
            f"key name {name!r} must be 1-128 printable ASCII characters without spaces or '+'",
            code="ERR_AUDIT_KEY",
        )
    return name


@attrs.frozen
class VerifierKey:
    """A public key with its name: what a reviewer needs to check checkpoints."""

    name: str
    public: bytes  # 32 raw bytes

    @property
    def key_hash(self) -> bytes:
        return _key_hash(self.name, self.public)

    @property
    def key_id(self) -> str:
        """``<name>+<key hash hex>``: names the key in checkpoint events without the key itself."""
        return f"{self.name}+{self.key_hash.hex()}"

    def text(self) -> str:
        return f"{self.key_id}+{base64.b64encode(bytes([ALG_ED25519]) + self.public).decode('ascii')}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except InvalidSignature:
            return False
        return True


@attrs.frozen(repr=False)
class SigningKey:
    """An Ed25519 private key with its name. ``repr`` never shows the key."""

    name: str
    seed: bytes  # 32 raw bytes

    def __repr__(self) -> str:
        return f"SigningKey(name={self.name!r})"

    @classmethod
    def generate(cls, name: str) -> SigningKey:
        raw = Ed25519PrivateKey.generate().private_bytes_raw()
        return cls(_check_name(name), raw)

    @property
    def verifier(self) -> VerifierKey:
        public = Ed25519PrivateKey.from_private_bytes(self.seed).public_key()
        return VerifierKey(self.name, public.public_bytes(Encoding.Raw, PublicFormat.Raw))

    def text(self) -> str:
        v = self.verifier
        body = base64.b64encode(bytes([ALG_ED25519]) + self.seed).decode("ascii")
        return f"PRIVATE+KEY+{v.key_id}+{body}"

    def sign(self, message: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)


def _decode_key(text: str, what: str) -> tuple[str, bytes, bytes]:
    parts = text.strip().split("+", 2)  # the base64 part may itself contain "+"
    if len(parts) != 3:
        raise KeyFormatError(f"{what} is not '<name>+<hash>+<base64 key>'", code="ERR_AUDIT_KEY")
    name, hash_hex, b64 = parts
    _check_name(name)
    try:
        raw = base64.b64decode(b64, validate=True)
        expected_hash = bytes.fromhex(hash_hex)
    except (binascii.Error, ValueError) as exc:
        raise KeyFormatError(f"{what}: bad base64 or hex ({exc})", code="ERR_AUDIT_KEY") from exc
    if len(raw) != 33 or raw[0] != ALG_ED25519 or len(expected_hash) != 4:
        raise KeyFormatError(f"{what} is not an Ed25519 key (algorithm byte 0x01, 32 bytes)", code="ERR_AUDIT_KEY")
    return name, expected_hash, raw[1:]


def parse_verifier_key(text: str) -> VerifierKey:
    name, expected, public = _decode_key(text, "public key")
    key = VerifierKey(name, public)
    if key.key_hash != expected:
        raise KeyFormatError("public key: the key hash does not match the name and key", code="ERR_AUDIT_KEY")
    return key


def parse_signing_key(text: str) -> SigningKey:
    text = text.strip()
    if not text.startswith("PRIVATE+KEY+"):
        raise KeyFormatError("private key does not start with 'PRIVATE+KEY+'", code="ERR_AUDIT_KEY")
    name, expected, seed = _decode_key(text[len("PRIVATE+KEY+") :], "private key")
    key = SigningKey(name, seed)
    if key.verifier.key_hash != expected:
        raise KeyFormatError("private key: the key hash does not match the name and key", code="ERR_AUDIT_KEY")
    return key


def load_signing_key(path: str | os.PathLike[str]) -> SigningKey:
    try:
        with open(path, encoding="ascii") as fh:
            return parse_signing_key(fh.read())
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read audit signing key {os.fspath(path)!r}: {exc}", code="ERR_AUDIT_KEY") from exc


def load_verifier_key(path: str | os.PathLike[str]) -> VerifierKey:
    try:
        with open(path, encoding="ascii") as fh:
            return parse_verifier_key(fh.read())
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read audit public key {os.fspath(path)!r}: {exc}", code="ERR_AUDIT_KEY") from exc


def write_key_pair(path: str | os.PathLike[str], name: str) -> tuple[SigningKey, str]:
    """Create a key pair: the private key at ``path`` (mode 0600, never overwritten), public at ``path.pub``."""
    key = SigningKey.generate(name)
    path = os.fspath(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.text() + "\n")
    pub = path + ".pub"
    with open(pub, "w", encoding="ascii") as fh:
        fh.write(key.verifier.text() + "\n")
    return key, pub


# -- checkpoints -----------------------------------------------------------------------------------


def checkpoint_text(
    *, origin: str, covers_seq: int, covers_hash: str, seq: int, final: bool, interval: int, ts: str,
    event_id: str, schema_version: str,
) -> str:
    """The signed text of a checkpoint (C2SP tlog-checkpoint body plus one extension line).

    ``covers_hash`` is the chain hash (``sha256:<hex>``) of event ``covers_seq``; the extension line
    binds the checkpoint event itself (its seq, flags, time and id), so none of it can be edited.
    """
    root = base64.b64encode(bytes.fromhex(covers_hash.removeprefix("sha256:"))).decode("ascii")
    return (
        f"{origin}\n{covers_seq}\n{root}\n"
        f"{EXTENSION_PREFIX} seq={seq} final={1 if final else 0} interval={interval} ts={ts} event_id={event_id}"
        f" schema_version={schema_version}\n"
    )


def sign_note(key: SigningKey, text: str) -> str:
    sig = key.sign(text.encode("utf-8"))
    line = f"{EM_DASH} {key.name} {base64.b64encode(key.verifier.key_hash + sig).decode('ascii')}\n"
    return f"{text}\n{line}"


def note_lines(note: str) -> list[str]:
    """A signed note as a JSON-friendly list of its lines (without the final newline)."""
    return note[:-1].split("\n") if note.endswith("\n") else note.split("\n")


def note_from_lines(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def open_note(key: VerifierKey, note: str) -> tuple[str | None, str]:
    """(the signed text, "") if ``key`` signed ``note``, else (None, why)."""
    text, sep, sigs = note.rpartition("\n\n")
    if not sep or not text:
        return None, "not a signed note (no blank line before the signatures)"
    text += "\n"
    found_name = False
    for line in sigs.rstrip("\n").split("\n"):
        m = _SIG_LINE.match(line)
        if m is None:
            return None, f"malformed signature line {line[:80]!r}"
        if m.group(1) != key.name:
            continue
        found_name = True
        try:
            raw = base64.b64decode(m.group(2), validate=True)
        except binascii.Error:
            return None, "signature is not base64"
        if len(raw) != 68 or raw[:4] != key.key_hash:
            continue
        if key.verify(text.encode("utf-8"), raw[4:]):
            return text, ""
        return None, "signature is invalid: the checkpoint (or what it anchors) was changed"
    if found_name:
        return None, "signed with another key of the same name"
    return None, f"not signed by {key.key_id!r}"


@attrs.frozen
class Checkpoint:
    """The fields of a checkpoint text."""

    origin: str
    covers_seq: int
    covers_hash: str
    seq: int
    final: bool
    interval: int
    ts: str
    event_id: str
    schema_version: str


_EXT = re.compile(
    r"^secure_exec\.audit/1 seq=(\d+) final=([01]) interval=(\d+) ts=(\S+) event_id=(\S+) schema_version=(\S+)$"
)


def parse_checkpoint_text(text: str) -> Checkpoint | None:
    lines = text.split("\n")
    if len(lines) != 5 or lines[4] != "":
        return None
    origin, size, root, ext = lines[:4]
    m = _EXT.match(ext)
    if not origin or not size.isdigit() or m is None:
        return None
    try:
        digest = base64.b64decode(root, validate=True)
    except binascii.Error:
        return None
    if len(digest) != 32:
        return None
    return Checkpoint(
        origin=origin, covers_seq=int(size), covers_hash="sha256:" + digest.hex(), seq=int(m.group(1)),
        final=m.group(2) == "1", interval=int(m.group(3)), ts=m.group(4), event_id=m.group(5),
        schema_version=m.group(6),
    )
