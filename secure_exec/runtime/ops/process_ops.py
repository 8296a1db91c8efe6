"""``process.*``, ``stdio.*`` and ``crypto.*`` bridge ops: none reaches a host capability.

They are on the exempt list, each with its reason: they return host-configured values, move the
guest's own output to the host's ``on_stdio`` hook (capped), hand back the stdin the host gave, or
compute hashes and random bytes. ``process.chdir`` is the exception: it checks the target folder
through the fs policy like a ``stat``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from typing import Any

from secure_exec.bridge.dispatch import Dispatcher
from secure_exec.errors import GuestError, node_message
from secure_exec.runtime.config import StdioEvent
from secure_exec.runtime.ops.fs_ops import FsCall
from secure_exec.runtime.session import MAX_STDIO_BYTES, Session

MAX_HASH_INPUT = 64 * 2**20
_HASHES = {"md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3-256", "sha3-512"}


def config(s: Session, a: dict[str, Any]) -> Any:
    return {**s.process.to_guest(), "cwd": s.cwd, "os": s.os.to_guest()}


def chdir(s: Session, a: dict[str, Any]) -> Any:
    raw = a.get("path")
    with FsCall(s, "stat", "chdir", raw) as c:
        try:
            where = c.fs.realpath(c.path, check=c.check)
            st = c.fs.stat(where, check=c.check)
        except GuestError as e:
            if e.code == "EACCES":
                raise
            raise GuestError(e.code, node_message(e.code, "chdir", raw, e.message.split(",")[0].split(": ", 1)[-1]),
                             syscall="chdir", path=raw) from None
        if not st.is_dir:
            raise GuestError("ENOTDIR", node_message("ENOTDIR", "chdir", raw, "not a directory"), syscall="chdir",
                             path=raw)
    s.cwd = where  # the directory as it really is (links resolved), as the kernel's getcwd reports it
    return {"cwd": where}


def exit_(s: Session, a: dict[str, Any]) -> Any:
    code = a.get("code", 0)
    s.exit_code = code & 0xFF if isinstance(code, int) and not isinstance(code, bool) else 1
    return None


def stdio_write(s: Session, a: dict[str, Any]) -> Any:
    fd = a.get("fd")
    if fd not in (1, 2):
        raise GuestError("EBADF", "EBADF: bad file descriptor, write", syscall="write")
    if "data_b64" in a:
        raw = a["data_b64"]
        try:
            text = base64.b64decode(raw if isinstance(raw, str) else "", validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            raise GuestError("ERR_INVALID_ARG_VALUE", "stdio data is not valid base64", name="TypeError") from None
    else:
        data = a.get("data", "")
        text = data if isinstance(data, str) else str(data)
    s.stdio_bytes += len(text)
    if s.on_stdio is None or s.stdio_bytes > MAX_STDIO_BYTES:
        return None  # no hook: output is dropped, never buffered; past the cap: dropped too
    s.on_stdio(StdioEvent("stdout" if fd == 1 else "stderr", text))
    return None


def stdio_read(s: Session, a: dict[str, Any]) -> Any:
    n = a.get("length", 65536)
    if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= 2**20:
        raise GuestError("ERR_OUT_OF_RANGE", 'The value of "length" is out of range.', name="RangeError")
    chunk = s.stdin[s.stdin_pos:s.stdin_pos + n]
    s.stdin_pos += len(chunk)
    return {"data_b64": base64.b64encode(chunk).decode()}


def _data(a: dict[str, Any], key: str) -> bytes:
    v = a.get(key, "")
    try:
        out = base64.b64decode(v if isinstance(v, str) else "", validate=True)
    except (binascii.Error, ValueError):
        raise GuestError("ERR_INVALID_ARG_VALUE", f"'{key}' is not valid base64", name="TypeError") from None
    if len(out) > MAX_HASH_INPUT:
        raise GuestError("ERR_OUT_OF_RANGE", "hash input too large", name="RangeError")
    return out


def _alg(a: dict[str, Any]) -> str:
    alg = str(a.get("alg", "")).lower()
    if alg not in _HASHES:
        raise GuestError("ERR_OSSL_EVP_UNSUPPORTED", f"Digest method not supported: {alg[:32]}")
    return alg.replace("-", "_")


def random_bytes(s: Session, a: dict[str, Any]) -> Any:
    n = a.get("n")
    if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= 65536:
        raise GuestError("ERR_OUT_OF_RANGE", 'The value of "size" is out of range.', name="RangeError")
    return {"data_b64": base64.b64encode(os.urandom(n)).decode()}


def hash_(s: Session, a: dict[str, Any]) -> Any:
    return {"digest_b64": base64.b64encode(hashlib.new(_alg(a), _data(a, "data_b64")).digest()).decode()}


def hmac_(s: Session, a: dict[str, Any]) -> Any:
    mac = hmac.new(_data(a, "key_b64"), _data(a, "data_b64"), _alg(a))
    return {"digest_b64": base64.b64encode(mac.digest()).decode()}


EXEMPT: dict[str, str] = {
    "process.config": "returns the host-configured process/os description; reads nothing from the host",
    "process.exit": "records the guest's exit code for the host; touches nothing",
    "stdio.write": "delivers the guest's own output to the host's on_stdio hook, capped in total size",
    "stdio.read": "returns the stdin bytes the host itself passed to exec()",
    "crypto.random": "returns os.urandom bytes (at most 64 KiB a call); no host resource is reached",
    "crypto.hash": "computes a digest of guest-supplied bytes; no host resource is reached",
    "crypto.hmac": "computes an HMAC of guest-supplied bytes with a guest-supplied key; no host resource",
}


def register(d: Dispatcher[Session]) -> None:
    handlers = {"process.config": config, "process.exit": exit_, "stdio.write": stdio_write,
                "stdio.read": stdio_read, "crypto.random": random_bytes, "crypto.hash": hash_, "crypto.hmac": hmac_}
    for name, fn in handlers.items():
        d.register(name, fn, exempt=EXEMPT[name])
    d.register("process.chdir", chdir, capability="fs")
