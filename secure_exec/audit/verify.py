"""Offline verification of an audit log (a file, or a directory/glob of rotated files verified as
one chain): chain, seq continuity, checkpoints, canonical bytes, recovered torn writes.

What is detectable (see docs/audit.md for the full statement):

* any edit, deletion, insertion or reordering of complete lines *before* the last event, by anyone
  who cannot recompute the chain (hash and seq checks);
* with the HMAC key or the Ed25519 public key: any rewrite up to the last checkpoint, even with a
  recomputed chain, any change to a checkpoint itself (Ed25519: every field is signed), and a
  missing checkpoint where the signed ``interval`` says one is due;
* with the public key and a trusted (kept) signed checkpoint: truncation at any point and events
  appended after the last signature;
* with the key and ``expect_closed``: truncation of the tail, because a cleanly closed log ends
  with a signed ``final`` checkpoint;
* a line that is not byte-for-byte canonical (duplicate or unsorted keys, extra whitespace): the
  hash covers the exact bytes on disk, so no reader can see a value the hash did not cover;
* a torn region (a write interrupted by a crash or a full disk) is a *finding*, not a failure,
  when the next writer recorded it in a ``log.recovered`` event whose SHA-256 matches its bytes,
  or when it is the unrecovered partial last line (unless ``expect_closed``).

Not detectable: truncation of the tail without a key or without ``expect_closed`` / a trusted
checkpoint (a bare hash chain cannot show it), replacing the whole file by another validly signed
log under the same key, and anything done by someone holding the (private) key.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import orjson

from secure_exec.audit.chain import canonical_json, chain_hash, checkpoint_message, key_id, signature_valid
from secure_exec.audit.schema import CHECKPOINT, GENESIS_HASH, LOG_CONTINUED, LOG_RECOVERED, SCHEMA, SCHEMA_MAJOR
from secure_exec.audit.signing import (
    Checkpoint,
    VerifierKey,
    checkpoint_text,
    note_from_lines,
    open_note,
    parse_checkpoint_text,
)
from secure_exec.errors import ConfigError

# Every line ends with the hash spliced in as the last key; what precedes it (plus "}") is the
# canonical body the hash covers, byte for byte.
_HASH_TAIL = re.compile(rb',"hash":"(sha256:[0-9a-f]{64})"\}\Z')
_CONTEXT_KEYS = ("session_id", "plugin_id", "plugin_version", "plugin_digest", "call_id")
_SIGNED_CHECKPOINT_KEYS = frozenset(
    {"schema", "schema_version", "event", "event_id", "seq", "ts", "prev_hash", *_CONTEXT_KEYS,
     "covers_seq", "covers_hash", "final", "interval", "key_id", "signed_note"}
)
# How far verify looks past a broken line for the log.recovered event that accounts for it.
_RECOVERY_LOOKAHEAD_BYTES = 8 * 1024 * 1024


@attrs.frozen
class VerifyProblem:
    """The first thing that is wrong: where (line, seq) and what."""

    line: int
    seq: int
    what: str
    file: str = ""  # set when several files were verified as one chain


@attrs.frozen
class VerifyResult:
    ok: bool
    events: int  # complete events that verified
    last_seq: int
    last_hash: str
    checkpoints: int
    signed_checkpoints_checked: int
    closed: bool  # the last event is a final checkpoint
    problem: VerifyProblem | None = None
    notes: tuple[str, ...] = ()
    # Things a reviewer should know that do not make the log unprovable: recovered torn writes.
    findings: tuple[str, ...] = ()
    last_signed_checkpoint: str | None = None  # the last Ed25519 signed note that verified
    first_seq: int = 1  # the first event verified (1 unless a single file continues an earlier one)


def iter_raw_lines(path: str | os.PathLike[str]) -> Iterator[tuple[int, bytes, bool]]:
    """(line number, bytes without newline, complete) for every line, streaming."""
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if raw.endswith(b"\n"):
                yield number, raw[:-1], True
            else:
                yield number, raw, False


class _Verifier:
    def __init__(
        self, key: bytes | None, expect_closed: bool, public_key: VerifierKey | None = None,
        trusted: Checkpoint | None = None,
    ) -> None:
        self.key = key
        self.public_key = public_key
        self.keyed = key is not None or public_key is not None
        self.trusted = trusted
        self.expect_closed = expect_closed
        self.expected_key_id = key_id(key) if key is not None else None
        self.events = 0
        self.last_seq = 0
        self.last_hash = GENESIS_HASH
        self.checkpoints = 0
        self.signed = 0
        self.since_checkpoint = 0
        self.unsigned = 0  # events of any kind (links included) since the last checkpoint
        self.first_seq = 0
        self.interval = 0
        self.last_was_final = False
        self.notes: list[str] = []
        self.findings: list[str] = []
        self.last_note: str | None = None

    def result(self, problem: VerifyProblem | None) -> VerifyResult:
        return VerifyResult(
            ok=problem is None,
            events=self.events,
            last_seq=self.last_seq,
            last_hash=self.last_hash,
            checkpoints=self.checkpoints,
            signed_checkpoints_checked=self.signed,
            closed=self.last_was_final,
            first_seq=self.first_seq or (self.last_seq + 1),
            problem=problem,
            notes=tuple(self.notes),
            findings=tuple(self.findings),
            last_signed_checkpoint=self.last_note,
        )

    def check_line(self, number: int, raw: bytes) -> VerifyProblem | None:
        expected_seq = self.last_seq + 1

        def bad(what: str, seq: int = expected_seq) -> VerifyProblem:
            return VerifyProblem(line=number, seq=seq, what=what)

        if not raw.strip():
            return bad("blank line where an event was expected")
        tail = _HASH_TAIL.search(raw)
        if tail is None:
            try:
                orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                return bad(f"line is not valid JSON ({exc})")
            return bad('line does not end with the "hash" key (it must be the last key, written compactly)')
        stored_hash = tail.group(1).decode("ascii")
        body = raw[: tail.start()] + b"}"
        try:
            event = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            return bad(f"line is not valid JSON ({exc})")
        if not isinstance(event, dict):
            return bad("line is not a JSON object")
        if canonical_json(event) != body:
            return bad(f"line is not canonical JSON: {_why_not_canonical(body)}")
        if event.get("schema") != SCHEMA:
            return bad(f"schema is {event.get('schema')!r}, expected {SCHEMA!r}")
        version = event.get("schema_version")
        if not isinstance(version, str) or version.split(".")[0] != SCHEMA_MAJOR:
            return bad(f"unsupported schema_version {version!r} (this verifier reads {SCHEMA_MAJOR}.x)")
        seq = event.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool):
            return bad(f"seq is {seq!r}, not an integer")
        if seq != expected_seq:
            if seq > expected_seq:
                gap = seq - expected_seq
                return bad(f"seq gap: expected {expected_seq}, found {seq} ({gap} event(s) missing)")
            return bad(f"seq out of order: expected {expected_seq}, found {seq} (duplicated or reordered)")
        if event.get("prev_hash") != self.last_hash:
            return bad(
                f"prev_hash does not match the hash of seq {self.last_seq} "
                "(an event before it was changed, removed or inserted)"
            )
        # The hash covers the exact bytes on disk (which were just shown to be canonical).
        if chain_hash(self.last_hash, body) != stored_hash:
            return bad("hash mismatch: the event's content was altered after it was written")
        trusted = self.trusted
        if trusted is not None and seq == trusted.covers_seq and stored_hash != trusted.covers_hash:
            return bad(
                f"event {seq} differs from the trusted checkpoint's hash for it: the log was rewritten "
                "(or the checkpoint belongs to another log)"
            )
        if event.get("event") == CHECKPOINT:
            problem = self.check_checkpoint(event, seq, bad)
            if problem is not None:
                return problem
        elif event.get("event") in (LOG_RECOVERED, LOG_CONTINUED):
            self.last_was_final = False  # links are not counted towards the interval ...
            self.unsigned += 1  # ... but a signature must still cover them (a forged link hides nothing)
        else:
            self.unsigned += 1
            self.since_checkpoint += 1
            self.last_was_final = False
            if self.keyed and self.interval and self.since_checkpoint > self.interval:
                return bad(
                    f"missing checkpoint: {self.since_checkpoint} events since the last one, "
                    f"signed interval is {self.interval}"
                )
        if not self.first_seq:
            self.first_seq = seq
        if trusted is not None and self.first_seq > trusted.covers_seq:
            return bad(f"the trusted checkpoint covers seq {trusted.covers_seq}, before the first verified event "
                       f"(seq {self.first_seq}): the files holding it are missing, or it belongs to another log")
        self.events += 1
        self.last_seq = seq
        self.last_hash = stored_hash
        return None

    def check_checkpoint(
        self, event: dict[str, Any], seq: int, bad: Callable[..., VerifyProblem]
    ) -> VerifyProblem | None:
        covers_seq, covers_hash = event.get("covers_seq"), event.get("covers_hash")
        if covers_seq != self.last_seq or covers_hash != self.last_hash:
            return bad(f"checkpoint anchors seq {covers_seq!r} but the chain is at seq {self.last_seq}", seq)
        final = event.get("final") is True
        interval = event.get("interval", 0)
        if not isinstance(interval, int) or isinstance(interval, bool) or interval < 0:
            return bad(f"checkpoint interval {interval!r} is invalid", seq)
        if self.key is not None:
            signature = event.get("signature")
            if not isinstance(signature, str):
                return bad("checkpoint is not signed but a key was given", seq)
            if event.get("key_id") != self.expected_key_id:
                return bad(f"checkpoint was signed with another key (key_id {event.get('key_id')!r})", seq)
            message = checkpoint_message(
                seq=seq, covers_seq=self.last_seq, covers_hash=self.last_hash, final=final, interval=interval,
                ts=str(event.get("ts", "")), event_id=str(event.get("event_id", "")),
            )
            if not signature_valid(self.key, message, signature):
                return bad(
                    "checkpoint signature is invalid: the events it anchors (or its flags) were rewritten",
                    seq,
                )
            self.signed += 1
        if self.public_key is not None:
            problem = self.check_signed_note(event, seq, final, interval, bad)
            if problem is not None:
                return problem
            self.signed += 1
        self.checkpoints += 1
        self.interval = interval
        self.since_checkpoint = 0
        self.unsigned = 0
        self.last_was_final = final
        return None

    def check_signed_note(
        self, event: dict[str, Any], seq: int, final: bool, interval: int, bad: Callable[..., VerifyProblem]
    ) -> VerifyProblem | None:
        """An Ed25519 checkpoint: its note is signed by the key and says exactly what the event says."""
        assert self.public_key is not None
        lines = event.get("signed_note")
        if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines) or not lines:
            return bad("checkpoint carries no Ed25519 signed note but a public key was given", seq)
        if event.get("key_id") != self.public_key.key_id:
            return bad(f"checkpoint was signed with another key (key_id {event.get('key_id')!r})", seq)
        extra = set(event) - _SIGNED_CHECKPOINT_KEYS
        if extra:
            return bad(f"checkpoint has fields its signature does not cover: {sorted(extra)}", seq)
        if any(event.get(k) != "" for k in _CONTEXT_KEYS):
            return bad("checkpoint has a session or plugin context its signature does not cover", seq)
        note = note_from_lines(lines)
        text, why = open_note(self.public_key, note)
        if text is None:
            return bad(f"checkpoint {why}", seq)
        cp = parse_checkpoint_text(text)
        if cp is None:
            return bad("checkpoint's signed text is not a secure_exec.audit checkpoint", seq)
        expected = checkpoint_text(
            origin=cp.origin, covers_seq=self.last_seq, covers_hash=self.last_hash, seq=seq, final=final,
            interval=interval, ts=str(event.get("ts")), event_id=str(event.get("event_id")),
            schema_version=str(event.get("schema_version")),
        )
        if text != expected:
            return bad(
                "checkpoint differs from what was signed (anchored seq/hash, flags, time, id or schema version)",
                seq,
            )
        if self.trusted is not None and seq == self.trusted.seq and cp != self.trusted:
            return bad("checkpoint differs from the trusted checkpoint with the same seq", seq)
        self.last_note = note
        return None

    def recovery_for(self, region: list[bytes], candidate: bytes) -> dict[str, Any] | None:
        """The ``log.recovered`` event in ``candidate`` if it accounts for exactly ``region``."""
        if b'"log.recovered"' not in candidate:
            return None
        try:
            event = orjson.loads(candidate)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(event, dict) or event.get("event") != LOG_RECOVERED:
            return None
        if event.get("seq") != self.last_seq + 1 or event.get("prev_hash") != self.last_hash:
            return None
        torn = b"\n".join(region)
        if event.get("torn_bytes") != len(torn):
            return None
        if event.get("torn_sha256") != "sha256:" + hashlib.sha256(torn).hexdigest():
            return None
        return event


class _Lines:
    """The file's lines with lookahead, so a broken line can be matched with a later recovery."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._it = iter_raw_lines(path)
        self._ahead: list[tuple[int, bytes, bool]] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> tuple[int, bytes, bool]:
        if self._ahead:
            return self._ahead.pop(0)
        return next(self._it)

    def peek(self, i: int) -> tuple[int, bytes, bool] | None:
        while len(self._ahead) <= i:
            try:
                self._ahead.append(next(self._it))
            except StopIteration:
                return None
        return self._ahead[i]

    def drop(self, n: int) -> None:
        del self._ahead[:n]


def _find_recovery(v: _Verifier, first: bytes, lines: _Lines) -> tuple[int, dict[str, Any]] | None:
    """If the broken line ``first`` starts a torn region some later ``log.recovered`` accounts for,
    return (number of further region lines, that event)."""
    region = [first]
    size = len(first)
    i = 0
    while size <= _RECOVERY_LOOKAHEAD_BYTES:
        nxt = lines.peek(i)
        if nxt is None:
            return None
        _, raw, complete = nxt
        if complete:
            event = v.recovery_for(region, raw)
            if event is not None:
                return i, event
        region.append(raw)
        size += len(raw) + 1
        i += 1
    return None


def log_files(path: str | os.PathLike[str]) -> list[str]:
    """The files to verify as one chain, oldest first (ordered by their first event's seq).

    ``path`` is a file, a directory (every file in it whose first line is an audit event) or a
    glob (``'logs/audit.jsonl*'``).
    """
    text = os.fspath(path)
    if os.path.isdir(text):
        candidates = [os.path.join(text, n) for n in sorted(os.listdir(text))]
    elif any(ch in text for ch in "*?[") and not os.path.exists(text):
        candidates = sorted(glob.glob(text))
    else:
        return [text]
    ordered: list[tuple[int, str]] = []
    for name in candidates:
        if not os.path.isfile(name):
            continue
        first = _first_seq(name)
        if first is not None:
            ordered.append((first, name))
    ordered.sort()
    return [name for _, name in ordered]


def _first_seq(path: str) -> int | None:
    try:
        with open(path, "rb") as fh:
            head = fh.readline(1 << 20)
    except OSError:
        return None
    try:
        event = orjson.loads(head)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(event, dict) or event.get("schema") != SCHEMA:
        return None
    seq = event.get("seq")
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else None


def _verify_file(
    v: _Verifier, path: str, *, first: bool, last: bool, many: bool, chain: bool = False
) -> tuple[VerifyProblem | None, int]:
    """Feed one file's lines to ``v``; (the first problem or None, the last line number)."""
    lines = _Lines(path)
    last_line = 0
    for number, raw, complete in lines:
        last_line = number
        if number == 1 and complete:
            start = _continuation(raw)
            if start is not None and first:
                if many or chain:
                    return VerifyProblem(
                        1, start[0],
                        f"the earliest file starts at seq {start[0]} with log.continued: the file(s) "
                        f"before it ({start[2] or 'unnamed'}) are missing",
                    ), number
                v.last_seq, v.last_hash = start[0] - 1, start[1]
                v.notes.append(
                    f"the file continues a previous one ({start[2] or 'unnamed'}) from seq {start[0]}: "
                    "verify the directory or a glob of the rotated files to prove the sequence from seq 1"
                )
        if not complete and not raw:
            continue
        if complete:
            problem = v.check_line(number, raw)
        else:
            problem = VerifyProblem(
                line=number,
                seq=v.last_seq + 1,
                what=(
                    f"partial last line ({len(raw)} bytes, no newline): an interrupted write; "
                    f"the {v.events} complete event(s) before it verify"
                ),
            )
        if problem is None:
            continue
        found = _find_recovery(v, raw, lines) if complete else None
        if found is not None:
            extra, event = found
            lines.drop(extra)
            end = number + extra
            where = f"line {number}" if extra == 0 else f"lines {number}-{end}"
            in_file = f" of {os.path.basename(path)}" if many else ""
            v.findings.append(
                f"{where}{in_file}: torn write of {event['torn_bytes']} byte(s) after seq {v.last_seq} "
                f"(an interrupted write), recovered by log.recovered at seq {v.last_seq + 1} (line {end + 1}), "
                "SHA-256 matches"
            )
            continue
        if not complete and last and not v.expect_closed and v.trusted is None and not _is_event(raw):
            v.findings.append(
                f"line {number}: partial last line ({len(raw)} byte(s), no newline) after seq {v.last_seq}: "
                "an interrupted write, not yet recovered (the next writer to open the log records it)"
            )
            break
        return problem, number
    return None, last_line


def _is_event(raw: bytes) -> bool:
    """A whole JSON event (only its newline missing): appended, not torn by a crash."""
    try:
        event = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return False
    return isinstance(event, dict) and "seq" in event


def _continuation(raw: bytes) -> tuple[int, str, str] | None:
    """(seq, prev_hash, previous file) if ``raw`` is a ``log.continued`` event that starts a file."""
    if b'"log.continued"' not in raw:
        return None
    try:
        event = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(event, dict) or event.get("event") != LOG_CONTINUED:
        return None
    seq, prev = event.get("seq"), event.get("prev_hash")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 2 or not isinstance(prev, str):
        return None
    if event.get("previous_last_seq") != seq - 1 or event.get("previous_last_hash") != prev:
        return None
    return seq, prev, str(event.get("previous_file", ""))


def verify_log(
    path: str | os.PathLike[str],
    *,
    key: bytes | None = None,
    expect_closed: bool = False,
    public_key: VerifierKey | None = None,
    trusted_checkpoint: str | None = None,
) -> VerifyResult:
    """Verify ``path`` completely; stops at the first problem and says where and what.

    ``path`` may be a directory or a glob of rotated files: they are verified as one chain in
    seq order (see :func:`log_files`), which proves the sequence from seq 1 is complete.

    ``key`` checks HMAC checkpoints, ``public_key`` Ed25519 ones (C2SP signed notes).
    ``trusted_checkpoint`` is a signed checkpoint note kept outside the log (the latest one the
    writer produced): the log must contain it, so truncation at any point is detected.
    """
    if key is not None and public_key is not None:
        raise ConfigError("give either an HMAC key or a public key", code="ERR_AUDIT_KEY")
    trusted: Checkpoint | None = None
    if trusted_checkpoint is not None:
        if public_key is None:
            raise ConfigError("a trusted checkpoint needs the public key to check it", code="ERR_AUDIT_KEY")
        text, why = open_note(public_key, trusted_checkpoint)
        trusted = parse_checkpoint_text(text) if text is not None else None
        if trusted is None:
            raise ConfigError(f"the trusted checkpoint does not verify: {why or 'not a checkpoint'}",
                              code="ERR_AUDIT_CHECKPOINT")
    v = _Verifier(key, expect_closed, public_key, trusted)
    files = log_files(path)
    text = os.fspath(path)
    # a directory or a glob stands for the whole rotated set: it must prove the chain from seq 1
    chain = os.path.isdir(text) or (any(ch in text for ch in "*?[") and not os.path.exists(text))
    if not files:
        raise FileNotFoundError(f"no audit log file in {os.fspath(path)!r}")
    last_line = 0
    for index, file in enumerate(files):
        label = os.path.basename(file) if len(files) > 1 else ""
        problem, last_line = _verify_file(v, file, first=index == 0, last=index == len(files) - 1,
                                          many=len(files) > 1, chain=chain)
        if problem is not None:
            return v.result(attrs.evolve(problem, file=label))
    if len(files) > 1:
        v.notes.append(f"{len(files)} files verified as one chain, in seq order: "
                       + ", ".join(os.path.basename(f) for f in files))
    end_line = last_line + 1
    if trusted is not None and v.last_seq < trusted.seq:
        return v.result(VerifyProblem(
            end_line, v.last_seq + 1,
            f"truncated: the trusted checkpoint covers the log up to seq {trusted.seq}, the log ends at seq "
            f"{v.last_seq}",
        ))
    if v.keyed and v.events and v.checkpoints == 0:
        return v.result(VerifyProblem(end_line, v.last_seq + 1, "a key was given but the log has no checkpoint"))
    if expect_closed and not v.last_was_final:
        what = (
            f"log ends at seq {v.last_seq} without a final checkpoint: truncated, or not closed cleanly"
            if v.events
            else "log is empty but was expected to be closed"
        )
        return v.result(VerifyProblem(end_line, v.last_seq + 1, what))
    if trusted is not None and v.unsigned:
        return v.result(VerifyProblem(
            end_line, v.last_seq + 1,
            f"the last {v.unsigned} event(s) follow the last signed checkpoint: appended without the "
            "key (with a trusted checkpoint every event must be covered by a signature)",
        ))
    if not v.keyed and v.checkpoints:
        v.notes.append("checkpoint signatures not checked (no key given)")
    if v.keyed and v.unsigned:
        v.notes.append(
            f"the last {v.unsigned} event(s) follow the last checkpoint and are not covered by a signature"
        )
    if not expect_closed and trusted is None:
        v.notes.append(
            "tail truncation is only detectable with a key and --expect-closed, or a trusted checkpoint"
        )
    return v.result(None)


def next_event(seq: int, prev_hash: str, raw: bytes) -> tuple[int, str] | None:
    """(seq, hash) of ``raw`` if it is a complete, valid event directly after (seq, prev_hash)."""
    v = _Verifier(None, False)
    v.last_seq, v.last_hash = seq, prev_hash
    if v.check_line(1, raw) is not None:
        return None
    return v.last_seq, v.last_hash


def _why_not_canonical(body: bytes) -> str:
    """A precise reason a line that parses is not in canonical form (the slow path of a failure)."""
    duplicates: list[str] = []
    order: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in items]
        seen: set[str] = set()
        for k in keys:
            if k in seen:
                duplicates.append(k)
            seen.add(k)
        if keys != sorted(keys) and not order:
            order.append(", ".join(keys[:6]))
        return dict(items)

    try:
        json.loads(body, object_pairs_hook=pairs)
    except ValueError as exc:
        return f"not valid JSON ({exc})"
    if duplicates:
        return f"duplicate key {duplicates[0]!r} (readers disagree on which value counts)"
    if order:
        return "keys are not sorted"
    return "insignificant whitespace or a non-canonical number or string escape"
